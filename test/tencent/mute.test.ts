// Chat's account-level mute (src/tencent/mute.ts, openconfigsvr/setnospeaking) against the fake
// Tencent: the documented body, permanent and temporary mutes, unmute, Tencent's refusals in fixed
// words, and Tencent unreachable.
import { describe, expect, it } from "vitest";
import { MUTE_FOREVER_SECONDS, muteSecondsUntil, setNoSpeaking } from "../../src/tencent/mute.js";
import { scriptTencent, tencentCalls, useFakeTencent } from "./helpers.js";

const SDK_APP_ID = 1400000001;
const ADMIN = "administrator";

const { target, deps } = useFakeTencent(SDK_APP_ID, ADMIN);

describe("setnospeaking", () => {
  it("mutes for good: both times 4294967295, as the admin, Tencent confirms", async () => {
    expect(await setNoSpeaking(target, "mallory", MUTE_FOREVER_SECONDS, deps)).toEqual({ muted: true });
    const [call] = await tencentCalls();
    expect(call).toMatchObject({
      service: "openconfigsvr",
      command: "setnospeaking",
      verdict: "ok",
      query: { identifier: ADMIN, usersigVerified: true },
      body: { Set_Account: "mallory", C2CmsgNospeakingTime: 4294967295, GroupmsgNospeakingTime: 4294967295 },
    });
  });

  it("unmutes with 0, mutes for a while with the seconds left", async () => {
    expect(await setNoSpeaking(target, "mallory", 0, deps)).toEqual({ muted: true });
    expect(await setNoSpeaking(target, "mallory", 3600, deps)).toEqual({ muted: true });
    expect((await tencentCalls()).map((c) => c.body?.C2CmsgNospeakingTime)).toEqual([0, 3600]);
  });

  it("refuses a time Tencent would not take, before any call", async () => {
    for (const seconds of [-1, 1.5, MUTE_FOREVER_SECONDS + 1]) {
      await expect(setNoSpeaking(target, "mallory", seconds, deps)).rejects.toThrow(RangeError);
    }
    expect(await tencentCalls()).toEqual([]);
  });

  it("a FAIL answer: not muted, Tencent's code in fixed words, never its ErrorInfo", async () => {
    await scriptTencent({ kind: "fail", code: 130014, info: "system error with private details" });
    const outcome = await setNoSpeaking(target, "mallory", 60, deps);
    expect(outcome).toEqual({ muted: false, errorCode: 130014, reason: "Tencent answered ErrorCode 130014" });
  });

  it("Tencent failing twice: not muted, said so in the kick's words (the status it answered)", async () => {
    await scriptTencent({ kind: "http", status: 502 }, { kind: "http", status: 502 });
    expect(await setNoSpeaking(target, "mallory", 60, deps)).toEqual({
      muted: false,
      reason: "Tencent answered HTTP 502",
    });
  });
});

describe("muteSecondsUntil", () => {
  it("a permanent ban mutes for good; a temporary one for the seconds left, at least 1", () => {
    expect(muteSecondsUntil(undefined, 1_000)).toBe(MUTE_FOREVER_SECONDS);
    expect(muteSecondsUntil(4_600, 1_000)).toBe(3_600);
    expect(muteSecondsUntil(1_000.2, 1_000)).toBe(1);
    expect(muteSecondsUntil(900, 1_000)).toBe(1);
    // never the permanent value for a ban that ends
    expect(muteSecondsUntil(2 ** 33, 0)).toBe(MUTE_FOREVER_SECONDS - 1);
  });
});
