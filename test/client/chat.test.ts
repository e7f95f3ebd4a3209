// loginChat(): logs in with the source's UserSig; on expiry (KICKED_OUT_USERSIG_EXPIRED, or login
// refused with 70001/70003/70009) invalidates and logs in again, bounded and spaced out; a kick by
// another device or the REST API (moderation) is reported, never retried; an unreachable broker is
// waited out within the budget; stop() ends it all. Driven through a fake typed by @tencentcloud/chat.
import { describe, expect, it } from "vitest";
import {
  ChatLoginTimeoutError,
  type ChatSessionEvent,
  DEFAULT_LOGIN_TIMEOUT_MS,
  loginChat,
} from "../../src/client/chat.js";
import type { UserSigBrokerError } from "../../src/client/index.js";
import { type Answer, drive, type FakeClock, offline, problem, rejectionOf, setup, sigAnswer } from "./helpers.js";
import { FakeChat } from "./sdk-fakes.js";

function start(script: (clock: FakeClock) => Answer[], maxRetries = 0) {
  const { source, clock, calls } = setup(script, { maxRetries });
  const chat = new FakeChat();
  const events: ChatSessionEvent[] = [];
  const options = {
    onEvent: (event: ChatSessionEvent) => events.push(event),
    now: clock.now,
    timers: clock,
    random: () => 1,
  };
  return { source, clock, calls, chat, events, options };
}

/** A Chat SDK whose login() never settles (Tencent unreachable). */
class HangingChat extends FakeChat {
  override login(options: { userID: string; userSig: string }): Promise<unknown> {
    this.logins.push(options);
    return new Promise(() => {});
  }
}

describe("loginChat() timeout", () => {
  it("a login() that never settles: login-timeout after 20 s by default, then the first login rejects", async () => {
    const { source, clock, events, options } = start((clock) => [sigAnswer(clock, { userSig: "sig-1" })]);
    expect(DEFAULT_LOGIN_TIMEOUT_MS).toBe(20_000);
    const chat = new HangingChat();
    const login = rejectionOf(loginChat(chat, source, options));
    await clock.advance(DEFAULT_LOGIN_TIMEOUT_MS - 1);
    expect(events).toEqual([]);
    await clock.advance(1);
    const error = await login;
    expect(error).toBeInstanceOf(ChatLoginTimeoutError);
    expect(error).toMatchObject({ code: "CHAT_LOGIN_TIMEOUT", timeoutMs: 20_000 });
    expect(events).toEqual([{ type: "login-timeout", attempt: 1, timeoutMs: 20_000 }]);
    expect(chat.logins).toHaveLength(1); // not retried on top of the pending login()
    expect(chat.events.count("kickedOut")).toBe(0); // the session stopped
    source.close();
  });

  it("loginTimeoutMs sets it; a bad value is a TypeError; a login that settles in time reports nothing", async () => {
    const { source, clock, events, options } = start((clock) => [sigAnswer(clock), sigAnswer(clock)]);
    const login = rejectionOf(loginChat(new HangingChat(), source, { ...options, loginTimeoutMs: 5000 }));
    await clock.advance(5000);
    expect(await login).toMatchObject({ timeoutMs: 5000 });
    await expect(loginChat(new FakeChat(), source, { ...options, loginTimeoutMs: 0 })).rejects.toThrow(
      /loginTimeoutMs must be a positive integer/,
    );
    events.length = 0;
    const session = await loginChat(new FakeChat(), source, { ...options, loginTimeoutMs: 5000 });
    await clock.advance(60_000);
    expect(events.map((e) => e.type)).toEqual(["logged-in"]);
    session.stop();
    source.close();
  });

  it("stop() before the timeout: no login-timeout event", async () => {
    const { source, clock, events, options } = start((clock) => [sigAnswer(clock)]);
    const chat = new HangingChat();
    void rejectionOf(loginChat(chat, source, options));
    await clock.advance(0);
    // The pending first login is inside loginChat(); the kicked-out handler's session is the one to stop.
    chat.kick("multipleAccount");
    await clock.advance(DEFAULT_LOGIN_TIMEOUT_MS);
    expect(events.map((e) => e.type)).toEqual(["kicked-out"]);
    source.close();
  });
});

describe("loginChat()", () => {
  it("logs in with the source's UserSig, listening for KICKED_OUT first; stop() stops listening", async () => {
    const { source, chat, events, options } = start((clock) => [
      sigAnswer(clock, { userId: "alice", userSig: "sig-1" }),
    ]);
    const session = await loginChat(chat, source, options);
    expect(chat.logins).toEqual([{ userID: "alice", userSig: "sig-1" }]);
    expect(session.userId).toBe("alice");
    expect(chat.events.count("kickedOut")).toBe(1);
    expect(events).toEqual([{ type: "logged-in", userId: "alice", reason: "start", attempt: 1 }]);
    session.stop();
    expect(chat.events.count("kickedOut")).toBe(0);
    source.close();
  });

  it("on KICKED_OUT_USERSIG_EXPIRED: drops that UserSig and logs in again with a new one", async () => {
    const { source, clock, calls, chat, events, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const session = await loginChat(chat, source, options);
    await clock.advance(120_000);
    chat.kick("userSigExpired");
    await clock.advance(0);
    expect(calls).toHaveLength(2);
    expect(chat.logins.map((l) => l.userSig)).toEqual(["sig-1", "sig-2"]);
    expect(events.at(-1)).toEqual({ type: "logged-in", userId: "alice", reason: "usersig-expired", attempt: 1 });
    session.stop();
    source.close();
  });

  it("a login refused with 70001 (expired): invalidates, logs in again with a new UserSig", async () => {
    const { source, clock, chat, events, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    chat.script.push({ code: 70001, message: "UserSig expired" });
    const session = await drive(clock, loginChat(chat, source, options));
    expect(chat.logins.map((l) => l.userSig)).toEqual(["sig-1", "sig-2"]);
    expect(events).toEqual([
      { type: "retrying", reason: "usersig-expired", attempt: 1, delayMs: 0, code: 70001 },
      { type: "logged-in", userId: "alice", reason: "start", attempt: 2 },
    ]);
    session.stop();
    source.close();
  });

  it("a UserSig refused again and again: at most maxAttempts logins, spaced out, then the SDK's error", async () => {
    const { source, clock, calls, chat, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
      sigAnswer(clock, { userSig: "sig-3" }),
    ]);
    for (let i = 0; i < 3; i++) chat.script.push({ code: 70009, message: "UserSig verification failed" });
    const startedAt = clock.nowMs;
    const error = await drive(clock, rejectionOf(loginChat(chat, source, { ...options, maxAttempts: 3 })));
    expect(error).toEqual({ code: 70009, message: "UserSig verification failed" });
    expect(chat.logins).toHaveLength(3);
    expect(calls).toHaveLength(3);
    // The source spaced the refetches: the first new UserSig at once, the second after 500 ms (random() = 1).
    expect(clock.nowMs - startedAt).toBeGreaterThanOrEqual(500);
    expect(chat.events.count("kickedOut")).toBe(0);
    source.close();
  });

  it("expiry kicks in a loop (each new login kicked within a minute): gives up with `failed`, no endless relogin", async () => {
    const { source, clock, chat, events, options } = start((clock) =>
      Array.from({ length: 10 }, (_, i) => sigAnswer(clock, { userSig: `sig-${i + 1}` })),
    );
    await loginChat(chat, source, { ...options, maxAttempts: 3 });
    for (let i = 0; i < 5; i++) {
      chat.kick("userSigExpired");
      await clock.advance(5_000);
    }
    expect(chat.logins).toHaveLength(3);
    expect(events.filter((e) => e.type === "logged-in")).toHaveLength(3);
    expect(events.at(-1)?.type).toBe("failed");
    expect(chat.events.count("kickedOut")).toBe(0);
    source.close();
  });

  it("a login that held for a minute refills the budget: expiry once a day is always handled", async () => {
    const { source, clock, chat, options } = start((clock) =>
      Array.from({ length: 6 }, (_, i) => sigAnswer(clock, { userSig: `sig-${i + 1}` })),
    );
    const session = await loginChat(chat, source, { ...options, maxAttempts: 2 });
    for (let i = 0; i < 5; i++) {
      await clock.advance(61_000);
      chat.kick("userSigExpired");
      await clock.advance(0);
    }
    expect(chat.logins).toHaveLength(6);
    session.stop();
    source.close();
  });

  for (const kickType of ["multipleAccount", "multipleDevice", "REST_API_Kick"]) {
    it(`a kick for another reason (${kickType}) is reported and not retried`, async () => {
      const { source, clock, calls, chat, events, options } = start((clock) => [sigAnswer(clock)]);
      await loginChat(chat, source, options);
      chat.kick(kickType);
      await clock.advance(120_000);
      expect(chat.logins).toHaveLength(1);
      expect(calls).toHaveLength(1);
      expect(events.at(-1)).toEqual({ type: "kicked-out", kickType });
      expect(chat.events.count("kickedOut")).toBe(0);
      source.close();
    });
  }

  it("a user banned meanwhile (the broker answers 403 USER_BANNED to the new UserSig): `failed`, not retried", async () => {
    const { source, clock, calls, chat, events, options } = start((clock) => [
      sigAnswer(clock),
      () => problem(403, "USER_BANNED", "This user is banned."),
    ]);
    await loginChat(chat, source, options);
    chat.kick("userSigExpired");
    await clock.advance(120_000);
    expect(calls).toHaveLength(2);
    expect(chat.logins).toHaveLength(1);
    const last = events.at(-1);
    expect(last?.type).toBe("failed");
    expect(last?.type === "failed" && (last.error as UserSigBrokerError).code).toBe("USER_BANNED");
    expect(chat.events.count("kickedOut")).toBe(0);
    source.close();
  });

  it("the broker unreachable: waits with backoff and logs in once it answers", async () => {
    const { source, clock, chat, events, options } = start((clock) => [offline, offline, sigAnswer(clock)]);
    const session = await drive(clock, loginChat(chat, source, options));
    expect(chat.logins).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(["retrying", "retrying", "logged-in"]);
    expect(events[0]).toMatchObject({ reason: "broker-unavailable", code: "NETWORK_ERROR", delayMs: 500 });
    expect(events[1]).toMatchObject({ reason: "broker-unavailable", delayMs: 1000 });
    session.stop();
    source.close();
  });

  it("an outage longer than the budget: rejects with the broker's NETWORK_ERROR", async () => {
    const { source, clock, chat, options } = start(() => [offline, offline]);
    const error = (await drive(
      clock,
      rejectionOf(loginChat(chat, source, { ...options, maxAttempts: 2 })),
    )) as UserSigBrokerError;
    expect(error.code).toBe("NETWORK_ERROR");
    expect(chat.logins).toHaveLength(0);
    source.close();
  });

  it("stop() during a wait: no further request, no login", async () => {
    const { source, clock, calls, chat, events, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      offline,
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const session = await loginChat(chat, source, options);
    chat.kick("userSigExpired");
    await clock.advance(0); // the refetch fails: the session waits 500 ms before trying again
    expect(events.at(-1)).toMatchObject({ type: "retrying", reason: "broker-unavailable" });
    session.stop();
    await clock.advance(60_000);
    expect(calls).toHaveLength(2);
    expect(chat.logins).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("retrying");
    source.close();
  });

  it("other login errors are not retried; a UserSig for another SDKAppID says how to create the instance", async () => {
    const { source, chat, options } = start((clock) => [sigAnswer(clock), sigAnswer(clock)]);
    chat.script.push({ code: 2000, message: "something else" });
    expect(await rejectionOf(loginChat(chat, source, options))).toEqual({ code: 2000, message: "something else" });
    chat.script.push({ code: 70014, message: "sdkappid mismatch" });
    source.invalidate();
    const mismatch = (await rejectionOf(loginChat(chat, source, options))) as Error;
    expect(mismatch.message).toMatch(/TencentCloudChat\.create\(\{ SDKAppID: sdkAppId \}\)/);
    expect(chat.logins).toHaveLength(2);
    source.close();
  });

  it("wrong arguments say what to pass", async () => {
    const { source, chat } = start(() => []);
    await expect(loginChat({} as never, source)).rejects.toThrow(/TencentCloudChat\.create/);
    await expect(loginChat(chat, {} as never)).rejects.toThrow(/createUserSigSource\(\)/);
    await expect(loginChat(chat, source, { maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    source.close();
  });
});
