// The Chat REST client never follows a redirect, and the kick's `kickError` names what really
// happened (issue 18, item 6), against the fake Tencent through Miniflare's outboundService.
import { describe, expect, it } from "vitest";
import { CHAT_ANSWER_MAX_BYTES, type ChatClientDeps, callChat } from "../../src/tencent/chat.js";
import { kickUser } from "../../src/tencent/kick.js";
import { type FakeAnswer, scriptTencent, tencentCalls, useFakeTencent } from "./helpers.js";

const SDK_APP_ID = 1400000001;
const ADMIN = "administrator";

const { target, deps } = useFakeTencent(SDK_APP_ID, ADMIN);

describe("redirects", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} is a failure of its own, not followed and not retried`, async () => {
      await scriptTencent({ kind: "redirect", status });
      const error = await callChat(target, "im_open_login_svc", "kick", '{"UserID":"mallory"}', deps).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: "TENCENT_UNREACHABLE",
        failure: "redirect",
        httpStatus: status,
        attempts: 1,
      });
      // The fake's other place (which answers OK to anything) was never asked.
      expect((await tencentCalls()).map((c) => `${c.service}/${c.command}`)).toEqual(["im_open_login_svc/kick"]);
    });
  }

  it("a kick answered with a 307 is not kicked: true", async () => {
    await scriptTencent({ kind: "redirect", status: 307 });
    expect(await kickUser(target, "mallory", deps)).toEqual({
      kicked: false,
      reason: "Tencent answered with a redirect (HTTP 307), which is never followed",
    });
  });
});

describe("kickError says what happened, in fixed words", () => {
  const cases: [string, FakeAnswer[], string][] = [
    ["HTTP 404", [{ kind: "http", status: 404 }], "Tencent answered HTTP 404"],
    [
      "HTTP 503 twice",
      [
        { kind: "http", status: 503 },
        { kind: "http", status: 503 },
      ],
      "Tencent answered HTTP 503",
    ],
    ["an HTML page", [{ kind: "garbage" }], "Tencent's answer was not its JSON"],
    ["over the size bound", [{ kind: "oversized" }], `Tencent's answer was larger than ${CHAT_ANSWER_MAX_BYTES} bytes`],
    [
      "ErrorCode 70107, never its ErrorInfo",
      [{ kind: "fail", code: 70107, info: "see https://evil.example/?usersig=quoted" }],
      "Tencent answered ErrorCode 70107",
    ],
  ];
  for (const [name, answers, reason] of cases) {
    it(name, async () => {
      await scriptTencent(...answers);
      const outcome = await kickUser(target, "mallory", deps);
      expect(outcome).toMatchObject({ kicked: false, reason });
      expect(JSON.stringify(outcome)).not.toContain("evil.example");
    });
  }

  it("unreachable, and timed out", async () => {
    const down: ChatClientDeps = { ...deps, fetch: () => Promise.reject(new TypeError("connection refused")) };
    expect(await kickUser(target, "mallory", down)).toEqual({ kicked: false, reason: "Tencent could not be reached" });
    await scriptTencent({ kind: "hang", ms: 2_000 }, { kind: "hang", ms: 2_000 });
    expect(await kickUser(target, "mallory", { ...deps, timeoutMs: 100 })).toEqual({
      kicked: false,
      reason: "Tencent did not answer in time",
    });
  });
});
