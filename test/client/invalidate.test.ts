// invalidate() and invalidatePrivateMapKey(): a rejected credential is dropped, the next call fetches
// a new one (one request for all callers), repeated invalidations are spaced out, and PrivateMapKeys
// are fetched again ahead of expiry. Also: errors that say what the developer got wrong.
import { describe, expect, it } from "vitest";
import { createUserSigSource, UserSigBrokerError, type UserSigResult } from "../../src/client/index.js";
import { type FakeClock, json, rejectionOf, setup, sigAnswer } from "./helpers.js";

function mapKeyAnswer(clock: FakeClock, room: { roomId?: number; strRoomId?: string }, key: string, lifetime = 3600) {
  return () =>
    json(200, {
      sdkAppId: 1400000000,
      userId: "alice",
      privateMapKey: key,
      ...room,
      privileges: 10,
      privilegeNames: ["EnterRoom", "RecvAudio"],
      expireSeconds: lifetime,
      expiresAt: Math.floor(clock.nowMs / 1000) + lifetime,
    });
}

describe("invalidate()", () => {
  it("drops the cached UserSig: the next get() fetches once for all callers, and `refresh` fires", async () => {
    const { source, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const refreshed: UserSigResult[] = [];
    source.on("refresh", (result) => refreshed.push(result));
    expect((await source.get()).userSig).toBe("sig-1");
    expect((await source.get()).userSig).toBe("sig-1");
    expect(calls).toHaveLength(1);

    source.invalidate();
    const [a, b, c] = await Promise.all([source.get(), source.get(), source.get()]);
    expect([a.userSig, b.userSig, c.userSig]).toEqual(["sig-2", "sig-2", "sig-2"]);
    expect(calls).toHaveLength(2);
    expect(refreshed.map((r) => r.userSig)).toEqual(["sig-2"]);
    source.close();
  });

  it("with the rejected UserSig, drops it only while it is still the cached one", async () => {
    const { source, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    await source.get();
    // Chat and TRTC both report sig-1 as rejected: one new UserSig, not two.
    source.invalidate("sig-1");
    expect((await source.get()).userSig).toBe("sig-2");
    source.invalidate("sig-1");
    expect((await source.get()).userSig).toBe("sig-2");
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("spaces out refetches when invalidations repeat, and starts over after a quiet minute", async () => {
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
      sigAnswer(clock, { userSig: "sig-3" }),
      sigAnswer(clock, { userSig: "sig-4" }),
      sigAnswer(clock, { userSig: "sig-5" }),
    ]);
    await source.get();

    source.invalidate(); // the first of a streak: at once
    expect((await source.get()).userSig).toBe("sig-2");

    source.invalidate(); // the second: waits backoff(0) = 500 ms with random() = 1
    const third = source.get();
    await clock.advance(499);
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    expect((await third).userSig).toBe("sig-3");

    source.invalidate(); // the third: backoff(1) = 1000 ms
    const fourth = source.get();
    await clock.advance(999);
    expect(calls).toHaveLength(3);
    await clock.advance(1);
    expect((await fourth).userSig).toBe("sig-4");

    await clock.advance(60_001);
    source.invalidate(); // a new streak
    expect((await source.get()).userSig).toBe("sig-5");
    expect(calls).toHaveLength(5);
    source.close();
  });

  it("close() during the wait rejects the waiting get() with CLOSED and sends nothing", async () => {
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    await source.get();
    source.invalidate();
    await source.get();
    source.invalidate();
    const waiting = rejectionOf(source.get());
    await clock.advance(100);
    source.close();
    const error = await waiting;
    expect(error).toBeInstanceOf(UserSigBrokerError);
    expect((error as UserSigBrokerError).code).toBe("CLOSED");
    await clock.advance(10_000);
    expect(calls).toHaveLength(2);
  });

  it("stops the background refresh of the dropped UserSig (the next get() fetches instead)", async () => {
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1", expireSeconds: 3600 }),
      sigAnswer(clock, { userSig: "sig-2", expireSeconds: 3600 }),
    ]);
    await source.get();
    expect(clock.pending).toHaveLength(1);
    source.invalidate();
    expect(clock.pending).toHaveLength(0);
    await clock.advance(3600_000);
    expect(calls).toHaveLength(1);
    expect((await source.get()).userSig).toBe("sig-2");
    source.close();
  });
});

describe("PrivateMapKeys: refreshed ahead of expiry, and invalidatePrivateMapKey()", () => {
  const roomA = { strRoomId: "a", privileges: ["EnterRoom", "RecvAudio"] } as const;
  const roomB = { strRoomId: "b", privileges: ["EnterRoom", "RecvAudio"] } as const;

  it("fetches a new key once less than the refresh margin is left, never handing out one about to expire", async () => {
    const { source, clock, calls } = setup((clock) => [
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-1", 3600),
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-2", 3600),
    ]);
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-1");
    await clock.advance((3600 - 300) * 1000 - 1); // default margin: 300 s (10% of 3600 s is more)
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-1");
    await clock.advance(1);
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-2");
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("drops one room's key, the key equal to a rejected one, or all of them", async () => {
    const { source, clock, calls } = setup((clock) => [
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-a1"),
      mapKeyAnswer(clock, { strRoomId: "b" }, "key-b1"),
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-a2"),
      mapKeyAnswer(clock, { strRoomId: "b" }, "key-b2"),
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-a3"),
      mapKeyAnswer(clock, { strRoomId: "b" }, "key-b3"),
    ]);
    await source.getPrivateMapKey(roomA);
    await source.getPrivateMapKey(roomB);

    // Privileges in another order name the same key.
    source.invalidatePrivateMapKey({ strRoomId: "a", privileges: ["RecvAudio", "EnterRoom"] });
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-a2");
    expect((await source.getPrivateMapKey(roomB)).privateMapKey).toBe("key-b1");
    expect(calls).toHaveLength(3);

    source.invalidatePrivateMapKey("key-b1");
    source.invalidatePrivateMapKey("key-a1"); // already replaced: nothing happens
    expect((await source.getPrivateMapKey(roomB)).privateMapKey).toBe("key-b2");
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-a2");
    expect(calls).toHaveLength(4);

    await clock.advance(60_001);
    source.invalidatePrivateMapKey();
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-a3");
    expect((await source.getPrivateMapKey(roomB)).privateMapKey).toBe("key-b3");
    expect(calls).toHaveLength(6);
    source.close();
  });

  it("spaces out refetches of a key invalidated again and again", async () => {
    const { source, clock, calls } = setup((clock) => [
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-1"),
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-2"),
      mapKeyAnswer(clock, { strRoomId: "a" }, "key-3"),
    ]);
    await source.getPrivateMapKey(roomA);
    source.invalidatePrivateMapKey(roomA);
    expect((await source.getPrivateMapKey(roomA)).privateMapKey).toBe("key-2");
    source.invalidatePrivateMapKey(roomA);
    const next = source.getPrivateMapKey(roomA);
    await clock.advance(499);
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    expect((await next).privateMapKey).toBe("key-3");
    source.close();
  });
});

describe("errors that say what the developer got wrong", () => {
  const source = () => setup(() => []).source;
  const messageOf = async (promise: Promise<unknown>) => {
    const error = await rejectionOf(promise);
    expect(error).toBeInstanceOf(TypeError);
    return (error as TypeError).message;
  };

  it("a string room ID given as roomId points to strRoomId", async () => {
    const s = source();
    const message = await messageOf(s.getPrivateMapKey({ roomId: "demo-room", privileges: ["EnterRoom"] } as never));
    expect(message).toMatch(/strRoomId: "demo-room"/);
    const numeric = await messageOf(s.getPrivateMapKey({ roomId: "1234", privileges: ["EnterRoom"] } as never));
    expect(numeric).toMatch(/roomId: 1234 \(a number\)/);
    const swapped = await messageOf(s.getPrivateMapKey({ strRoomId: 1234, privileges: ["EnterRoom"] } as never));
    expect(swapped).toMatch(/pass roomId: 1234/);
  });

  it("the SDK's spellings (roomID, strRoomID) and a missing room say which field to use", async () => {
    const s = source();
    expect(await messageOf(s.getPrivateMapKey({ roomID: 1, privileges: 1 } as never))).toMatch(/"roomID": use roomId/);
    expect(await messageOf(s.getPrivateMapKey({ strRoomID: "x", privileges: 1 } as never))).toMatch(/use strRoomId/);
    expect(await messageOf(s.getPrivateMapKey({ privileges: 1 } as never))).toMatch(/roomId \(a number.*strRoomId/);
    expect(await messageOf(s.getPrivateMapKey({ roomId: 1, strRoomId: "x", privileges: 1 } as never))).toMatch(
      /not both/,
    );
  });

  it("privileges: a missing list, a bare string and a wrongly cased name", async () => {
    const s = source();
    expect(await messageOf(s.getPrivateMapKey({ roomId: 1 } as never))).toMatch(/privileges is required/);
    expect(await messageOf(s.getPrivateMapKey({ roomId: 1, privileges: "EnterRoom" } as never))).toMatch(
      /\["EnterRoom"\]/,
    );
    expect(await messageOf(s.getPrivateMapKey({ roomId: 1, privileges: ["enterroom"] } as never))).toMatch(
      /case-sensitive, use "EnterRoom"/,
    );
    expect(await messageOf(s.getPrivateMapKey({ roomId: 1, privileges: ["Publish"] } as never))).toMatch(
      /the names are CreateRoom, EnterRoom/,
    );
  });

  it("options: an unknown key names the option to use", () => {
    const base = { endpoint: "https://broker.test", guest: true } as const;
    expect(() => createUserSigSource({ ...base, url: "x" } as never)).toThrow(/unknown option "url": use endpoint/);
    expect(() => createUserSigSource({ ...base, SDKAppID: 1 } as never)).toThrow(/use sdkAppId/);
    expect(() => createUserSigSource({ ...base, userID: "alice" } as never)).toThrow(/broker decides the UserID/);
    expect(() => createUserSigSource({ ...base, colour: 1 } as never)).toThrow(/unknown option "colour"/);
  });
});
