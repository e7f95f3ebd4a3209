// enterTrtcRoom() / switchTrtcRole(): enter with the source's UserSig (and a PrivateMapKey when asked),
// re-enter at most maxAttempts times when TRTC refuses the UserSig (SERVER_ERROR + -100018/70001…) or
// the key (-100006), never after KICKED_OUT, wait out an unreachable broker, stop() ends it; a role
// switch passes a fresh key for the role. Driven through a fake typed by trtc-sdk-v5's typings.
import { describe, expect, it } from "vitest";
import { loginChat } from "../../src/client/chat.js";
import type { UserSigBrokerError } from "../../src/client/index.js";
import {
  enterTrtcRoom,
  ROLE_PRIVILEGES,
  switchTrtcRole,
  TRTC_SERVER_ERROR,
  type TrtcSessionEvent,
} from "../../src/client/trtc.js";
import { type Answer, drive, type FakeClock, json, offline, rejectionOf, setup, sigAnswer } from "./helpers.js";
import { FakeChat, FakeTrtc } from "./sdk-fakes.js";

const sigRefused = { code: TRTC_SERVER_ERROR, extraCode: -100018, message: "userSig verification failed" };
const sigExpired = { code: TRTC_SERVER_ERROR, extraCode: 70001, message: "userSig expired" };
const keyRefused = { code: TRTC_SERVER_ERROR, extraCode: -100006, message: "privateMapKey check failed" };

function keyAnswer(clock: FakeClock, key: string, privileges: number, lifetime = 3600): Answer {
  return () =>
    json(200, {
      sdkAppId: 1400000000,
      userId: "alice",
      privateMapKey: key,
      strRoomId: "demo-room",
      privileges,
      privilegeNames: [],
      expireSeconds: lifetime,
      expiresAt: Math.floor(clock.nowMs / 1000) + lifetime,
    });
}

function start(script: (clock: FakeClock) => Answer[]) {
  const { source, clock, calls } = setup(script, { maxRetries: 0 });
  const trtc = new FakeTrtc();
  const events: TrtcSessionEvent[] = [];
  const options = {
    onEvent: (event: TrtcSessionEvent) => events.push(event),
    now: clock.now,
    timers: clock,
    random: () => 1,
  };
  return { source, clock, calls, trtc, events, options };
}

describe("enterTrtcRoom()", () => {
  it("enters with the source's UserSig, the room, role and extra params; stop() stops listening", async () => {
    const { source, trtc, events, options } = start((clock) => [sigAnswer(clock, { userSig: "sig-1" })]);
    const session = await enterTrtcRoom(trtc, source, {
      ...options,
      roomId: 1234,
      role: "audience",
      enterParams: { scene: "live", autoReceiveVideo: true },
    });
    expect(trtc.entries).toEqual([
      {
        scene: "live",
        autoReceiveVideo: true,
        sdkAppId: 1400000000,
        userId: "alice",
        userSig: "sig-1",
        roomId: 1234,
        role: "audience",
      },
    ]);
    expect(events).toEqual([{ type: "entered", userId: "alice", reason: "start", attempt: 1 }]);
    expect(trtc.events.count("error") + trtc.events.count("kicked-out")).toBe(2);
    session.stop();
    expect(trtc.events.count("error") + trtc.events.count("kicked-out")).toBe(0);
    source.close();
  });

  it("with privileges: gets a PrivateMapKey for the room and enters with it", async () => {
    const { source, calls, trtc, options } = start((clock) => [sigAnswer(clock), keyAnswer(clock, "key-1", 255)]);
    await enterTrtcRoom(trtc, source, { ...options, strRoomId: "demo-room", role: "anchor", privileges: "role" });
    expect(calls[1]?.body).toEqual({ strRoomId: "demo-room", privileges: [...ROLE_PRIVILEGES.anchor] });
    expect(trtc.entries[0]).toMatchObject({ strRoomId: "demo-room", role: "anchor", privateMapKey: "key-1" });
    source.close();
  });

  it("a refused UserSig at entry: invalidates it and enters again with a new one", async () => {
    const { source, clock, trtc, events, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    trtc.enterScript.push(sigRefused);
    await drive(clock, enterTrtcRoom(trtc, source, { ...options, strRoomId: "demo-room" }));
    expect(trtc.entries.map((e) => e.userSig)).toEqual(["sig-1", "sig-2"]);
    expect(events).toEqual([
      { type: "retrying", reason: "usersig-rejected", attempt: 1, delayMs: 0, code: -100018 },
      { type: "entered", userId: "alice", reason: "start", attempt: 2 },
    ]);
    source.close();
  });

  it("a refused PrivateMapKey at entry: a new key, the same UserSig", async () => {
    const { source, clock, calls, trtc, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      keyAnswer(clock, "key-1", 10),
      keyAnswer(clock, "key-2", 10),
    ]);
    trtc.enterScript.push(keyRefused);
    await drive(
      clock,
      enterTrtcRoom(trtc, source, { ...options, strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"] }),
    );
    expect(trtc.entries.map((e) => [e.userSig, e.privateMapKey])).toEqual([
      ["sig-1", "key-1"],
      ["sig-1", "key-2"],
    ]);
    expect(calls).toHaveLength(3);
    source.close();
  });

  it("refused every time: at most maxAttempts entries, then the SDK's error (no loop)", async () => {
    const { source, clock, trtc, options } = start((clock) =>
      Array.from({ length: 5 }, (_, i) => sigAnswer(clock, { userSig: `sig-${i + 1}` })),
    );
    for (let i = 0; i < 5; i++) trtc.enterScript.push(sigExpired);
    const error = await drive(
      clock,
      rejectionOf(enterTrtcRoom(trtc, source, { ...options, roomId: 7, maxAttempts: 3 })),
    );
    expect(error).toEqual(sigExpired);
    expect(trtc.entries).toHaveLength(3);
    expect(trtc.events.count("error")).toBe(0);
    source.close();
  });

  it("TRTC.EVENT.ERROR for a refused UserSig in the room: exits, re-enters with a new UserSig", async () => {
    const { source, clock, trtc, events, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const session = await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
    await clock.advance(120_000);
    trtc.fire("error", sigExpired as never);
    await clock.advance(0);
    expect(trtc.exits).toBe(1);
    expect(trtc.entries.map((e) => e.userSig)).toEqual(["sig-1", "sig-2"]);
    expect(events.at(-1)).toEqual({ type: "entered", userId: "alice", reason: "usersig-rejected", attempt: 1 });
    session.stop();
    source.close();
  });

  it("other errors are reported, not retried", async () => {
    const { source, clock, calls, trtc, events, options } = start((clock) => [sigAnswer(clock)]);
    await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
    const other = { code: 5500, extraCode: 5501, message: "firewall" };
    trtc.fire("error", other as never);
    await clock.advance(60_000);
    expect(events.at(-1)).toEqual({ type: "error", error: other });
    expect(trtc.entries).toHaveLength(1);
    expect(trtc.exits).toBe(0);
    expect(calls).toHaveLength(1);
    source.close();
  });

  for (const reason of ["kick", "banned", "room_disband"] as const) {
    it(`KICKED_OUT (${reason}) is reported and never re-entered`, async () => {
      const { source, clock, calls, trtc, events, options } = start((clock) => [sigAnswer(clock)]);
      await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
      trtc.fire("kicked-out", { reason } as never);
      trtc.fire("error", sigRefused as never); // even a later error: the session has ended
      await clock.advance(120_000);
      expect(events.at(-1)).toEqual({ type: "kicked-out", reason });
      expect(trtc.entries).toHaveLength(1);
      expect(calls).toHaveLength(1);
      expect(trtc.events.count("error") + trtc.events.count("kicked-out")).toBe(0);
      // Out of the room: a role switch is refused before it reaches the SDK.
      await expect(switchTrtcRole(trtc, source, "anchor")).rejects.toThrow(/enterTrtcRoom\(\) first/);
      expect(trtc.switches).toHaveLength(0);
      source.close();
    });
  }

  it("the broker unreachable: waits with backoff, enters once it answers; a longer outage fails", async () => {
    const first = start((clock) => [offline, sigAnswer(clock)]);
    await drive(first.clock, enterTrtcRoom(first.trtc, first.source, { ...first.options, roomId: 7 }));
    expect(first.events.map((e) => e.type)).toEqual(["retrying", "entered"]);
    expect(first.events[0]).toMatchObject({ reason: "broker-unavailable", code: "NETWORK_ERROR", delayMs: 500 });
    first.source.close();

    const second = start(() => [offline, offline]);
    const error = (await drive(
      second.clock,
      rejectionOf(enterTrtcRoom(second.trtc, second.source, { ...second.options, roomId: 7, maxAttempts: 2 })),
    )) as UserSigBrokerError;
    expect(error.code).toBe("NETWORK_ERROR");
    expect(second.trtc.entries).toHaveLength(0);
    second.source.close();
  });

  it("stop() while waiting to re-enter: nothing more is fetched or entered", async () => {
    const { source, clock, calls, trtc, options } = start((clock) => [sigAnswer(clock), offline, sigAnswer(clock)]);
    const session = await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
    trtc.fire("error", sigRefused as never);
    await clock.advance(0); // the new UserSig fails: waiting 500 ms
    session.stop();
    await clock.advance(60_000);
    expect(calls).toHaveLength(2);
    expect(trtc.entries).toHaveLength(1);
    source.close();
  });

  it('wrong room options say what to pass (roomId: "demo-room" → strRoomId)', async () => {
    const { source, trtc } = start(() => []);
    await expect(enterTrtcRoom(trtc, source, { roomId: "demo-room" } as never)).rejects.toThrow(
      /strRoomId: "demo-room"/,
    );
    await expect(enterTrtcRoom(trtc, source, { roomId: 1, role: "host" } as never)).rejects.toThrow(
      /"anchor" or "audience"/,
    );
    await expect(enterTrtcRoom({} as never, source, { roomId: 1 })).rejects.toThrow(/TRTC\.create\(\)/);
    expect(trtc.entries).toHaveLength(0);
    source.close();
  });
});

describe("switchTrtcRole()", () => {
  it("passes a PrivateMapKey with the role's privileges, fresh (fetched again once near expiry)", async () => {
    const { source, clock, calls, trtc, options } = start((clock) => [
      sigAnswer(clock),
      keyAnswer(clock, "key-audience", 0b10101010 & 0xff, 600),
      keyAnswer(clock, "key-anchor-1", 255, 600),
      keyAnswer(clock, "key-anchor-2", 255, 600),
    ]);
    await enterTrtcRoom(trtc, source, {
      ...options,
      strRoomId: "demo-room",
      role: "audience",
      privileges: "role",
      privateMapKeyExpireSeconds: 600,
    });
    await switchTrtcRole(trtc, source, "anchor");
    expect(calls[2]?.body).toEqual({
      strRoomId: "demo-room",
      privileges: [...ROLE_PRIVILEGES.anchor],
      expireSeconds: 600,
    });
    await switchTrtcRole(trtc, source, "anchor"); // cached: 600 s lifetime, 60 s margin
    await clock.advance(540_000); // within the margin now
    await switchTrtcRole(trtc, source, "anchor");
    expect(trtc.switches).toEqual([
      { role: "anchor", privateMapKey: "key-anchor-1" },
      { role: "anchor", privateMapKey: "key-anchor-1" },
      { role: "anchor", privateMapKey: "key-anchor-2" },
    ]);
    expect(calls).toHaveLength(4);
    source.close();
  });

  it("a key TRTC refuses at the switch is replaced once", async () => {
    const { source, trtc, options } = start((clock) => [
      sigAnswer(clock),
      keyAnswer(clock, "key-1", 10),
      keyAnswer(clock, "key-2", 255),
      keyAnswer(clock, "key-3", 255),
    ]);
    await enterTrtcRoom(trtc, source, { ...options, strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"] });
    trtc.switchScript.push(keyRefused);
    await switchTrtcRole(trtc, source, "anchor");
    expect(trtc.switches.map((s) => s.privateMapKey)).toEqual(["key-2", "key-3"]);
    source.close();
  });

  it("a room entered without a PrivateMapKey switches without one; before entering, it says so", async () => {
    const { source, trtc, options } = start((clock) => [sigAnswer(clock)]);
    await expect(switchTrtcRole(trtc, source, "anchor")).rejects.toThrow(/enterTrtcRoom\(\) first/);
    await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
    await switchTrtcRole(trtc, source, "audience");
    expect(trtc.switches).toEqual([{ role: "audience", privateMapKey: undefined }]);
    source.close();
  });
});

describe("Chat and TRTC sharing one source", () => {
  it("both report the same refused UserSig: one new UserSig, used by both", async () => {
    const { source, clock, calls, trtc, options } = start((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const chat = new FakeChat();
    const chatSession = await loginChat(chat, source, { now: clock.now, timers: clock, random: () => 1 });
    const room = await enterTrtcRoom(trtc, source, { ...options, roomId: 7 });
    await clock.advance(120_000);
    trtc.fire("error", sigExpired as never);
    chat.kick("userSigExpired");
    await clock.advance(1000);
    expect(calls).toHaveLength(2);
    expect(trtc.entries.map((e) => e.userSig)).toEqual(["sig-1", "sig-2"]);
    expect(chat.logins.map((l) => l.userSig)).toEqual(["sig-1", "sig-2"]);
    chatSession.stop();
    room.stop();
    source.close();
  });
});
