// The callback settings of an app (`callbacks`, src/config/schema.ts) and their secrets
// (TRTC_CALLBACK_KEY_<sdkAppId>, CHAT_CALLBACK_TOKEN_<sdkAppId>, src/config/load.ts): what the
// Worker's loader and check-config accept, and the refusal for each wrong value. Plain Node.
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../src/config/explain.js";
import { judgeEnvironment } from "../../src/config/load.js";

const APP = 1400000001;
const KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const TRTC_KEY = "TrtcCallbackKey0123456789abcdefG";
const CHAT_TOKEN = "chat-callback-token-0123456789";

const config = (callbacks: unknown) => JSON.stringify({ apps: [{ sdkAppId: APP, callbacks }] });
const judge = (callbacks: unknown, secrets: Record<string, string> = {}) =>
  judgeEnvironment({ BROKER_CONFIG: config(callbacks), [`SECRET_KEY_${APP}`]: KEY, ...secrets });
const problems = (judgement: Awaited<ReturnType<typeof judge>>) =>
  judgement.ok ? [] : judgement.problems.map((p) => p.detail);

describe("callbacks in BROKER_CONFIG", () => {
  it("defaults: both off, refusals answer ErrorCode 1", async () => {
    const checked = checkConfig(config({}));
    expect(checked.ok && checked.config.apps[0]?.callbacks).toEqual({
      trtc: false,
      chat: false,
      beforeSendRefuseCode: 1,
    });
  });

  it("beforeSendRefuseCode is 1 or 120001 to 130000, nothing else", async () => {
    for (const code of [1, 120001, 125000, 130000]) {
      const checked = checkConfig(config({ chat: true, beforeSendRefuseCode: code }));
      expect(checked.ok && checked.config.apps[0]?.callbacks?.beforeSendRefuseCode, String(code)).toBe(code);
    }
    for (const code of [0, 2, 120000, 130001, 1.5, "1"]) {
      const checked = checkConfig(config({ chat: true, beforeSendRefuseCode: code }));
      expect(checked.ok, String(code)).toBe(false);
      if (!checked.ok) {
        expect(checked.errors[0]?.field).toBe("apps[0].callbacks.beforeSendRefuseCode");
        // An integer out of range gets the rule; not an integer at all, zod's type message.
        if (Number.isInteger(code)) {
          expect(checked.errors[0]?.message).toBe("must be 1 or a code from 120001 to 130000");
        } else {
          expect(checked.errors[0]?.message).toMatch(/^Invalid input: expected (int|number)/);
        }
      }
    }
  });

  it("an unknown member is refused", async () => {
    expect(checkConfig(config({ trtc: true, key: "x" })).ok).toBe(false);
  });

  it("check-config lists the secret of each callback switched on, and only those", async () => {
    const names = (callbacks: unknown) => {
      const checked = checkConfig(config(callbacks));
      return checked.secrets.map((s) => s.name).filter((n) => n.includes("CALLBACK"));
    };
    expect(names({})).toEqual([]);
    expect(names({ trtc: true })).toEqual([`TRTC_CALLBACK_KEY_${APP}`]);
    expect(names({ chat: true })).toEqual([`CHAT_CALLBACK_TOKEN_${APP}`]);
    expect(names({ trtc: true, chat: true })).toEqual([`TRTC_CALLBACK_KEY_${APP}`, `CHAT_CALLBACK_TOKEN_${APP}`]);
  });
});

describe("the callback secrets, as the Worker loads them", () => {
  it("loaded for the callbacks switched on", async () => {
    const judged = await judge(
      { trtc: true, chat: true },
      { [`TRTC_CALLBACK_KEY_${APP}`]: TRTC_KEY, [`CHAT_CALLBACK_TOKEN_${APP}`]: CHAT_TOKEN },
    );
    expect(judged.ok && judged.config.app(APP)?.callbackSecrets).toEqual({
      trtcKey: TRTC_KEY,
      chatToken: CHAT_TOKEN,
    });
  });

  it("not read for a callback switched off, even when set", async () => {
    const judged = await judge(
      { chat: true },
      { [`TRTC_CALLBACK_KEY_${APP}`]: TRTC_KEY, [`CHAT_CALLBACK_TOKEN_${APP}`]: CHAT_TOKEN },
    );
    expect(judged.ok && judged.config.app(APP)?.callbackSecrets).toEqual({ chatToken: CHAT_TOKEN });
  });

  it("missing: a problem naming the secret", async () => {
    expect(problems(await judge({ trtc: true, chat: true }))).toEqual([
      expect.stringMatching(new RegExp(`^TRTC_CALLBACK_KEY_${APP} is not set`)),
      expect.stringMatching(new RegExp(`^CHAT_CALLBACK_TOKEN_${APP} is not set`)),
    ]);
  });

  it("a placeholder from .dev.vars.example is refused", async () => {
    const found = problems(
      await judge(
        { trtc: true, chat: true },
        {
          [`TRTC_CALLBACK_KEY_${APP}`]: "replace-with-your-trtc-callback-key",
          [`CHAT_CALLBACK_TOKEN_${APP}`]: "replace-with-your-chat-callback-token",
        },
      ),
    );
    expect(found).toHaveLength(2);
    for (const detail of found) expect(detail).toContain("placeholder");
  });

  it("a TRTC key that the TRTC console could not have set (not 1 to 32 letters and digits) is refused", async () => {
    for (const key of ["has-dashes", "a".repeat(33), "spaces in it"]) {
      const found = problems(await judge({ trtc: true }, { [`TRTC_CALLBACK_KEY_${APP}`]: key }));
      expect(found, key).toEqual([expect.stringContaining(`TRTC_CALLBACK_KEY_${APP} is not the TRTC callback key`)]);
      // Never the value itself.
      expect(found[0]).not.toContain(key);
    }
  });

  it("a Chat token over 128 characters is refused", async () => {
    expect(problems(await judge({ chat: true }, { [`CHAT_CALLBACK_TOKEN_${APP}`]: "t".repeat(129) }))).toHaveLength(1);
    expect((await judge({ chat: true }, { [`CHAT_CALLBACK_TOKEN_${APP}`]: "t".repeat(128) })).ok).toBe(true);
  });
});
