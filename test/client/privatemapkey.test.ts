// getPrivateMapKey(): the request body (roomId or strRoomId, privileges as a bitmap or names), caching
// and de-duplication per room, and a guest getting its ticket from a UserSig first.
import { describe, expect, it } from "vitest";
import { PRIVILEGE_NAMES } from "../../src/client/index.js";
import { Privilege } from "../../src/usersig/index.js";
import { type FakeClock, json, problem, rejectionOf, setup, sigAnswer } from "./helpers.js";

function mapKeyAnswer(clock: FakeClock, room: { roomId?: number; strRoomId?: string }, privileges = 10) {
  return () =>
    json(200, {
      sdkAppId: 1400000000,
      userId: "alice",
      privateMapKey: "eJx-private-map-key",
      ...room,
      privileges,
      privilegeNames: ["EnterRoom", "RecvAudio"],
      expireSeconds: 3600,
      expiresAt: Math.floor(clock.nowMs / 1000) + 3600,
    });
}

describe("getPrivateMapKey()", () => {
  it("posts a numeric room with a bitmap", async () => {
    const { source, calls } = setup((clock) => [mapKeyAnswer(clock, { roomId: 1234 })], { sdkAppId: 1400000000 });
    const result = await source.getPrivateMapKey({ roomId: 1234, privileges: 10 });
    expect(calls[0]?.url).toBe("https://broker.test/v1/privatemapkey");
    expect(calls[0]?.body).toEqual({ sdkAppId: 1400000000, roomId: 1234, privileges: 10 });
    expect(calls[0]?.headers.get("Authorization")).toBe("Bearer id-token");
    expect(result).toMatchObject({ roomId: 1234, privileges: 10, privateMapKey: "eJx-private-map-key" });
    expect(result).not.toHaveProperty("strRoomId");
    source.close();
  });

  it("posts a string room with privilege names and a lifetime (not the source's UserSig lifetime)", async () => {
    const { source, calls } = setup((clock) => [mapKeyAnswer(clock, { strRoomId: "demo-room" })], {
      expireSeconds: 7200,
    });
    await source.getPrivateMapKey({
      strRoomId: "demo-room",
      privileges: ["EnterRoom", "RecvAudio"],
      expireSeconds: 600,
    });
    expect(calls[0]?.body).toEqual({
      strRoomId: "demo-room",
      privileges: ["EnterRoom", "RecvAudio"],
      expireSeconds: 600,
    });
    source.close();
  });

  it("caches per room and privileges, and shares concurrent requests", async () => {
    const { source, clock, calls } = setup((clock) => [
      mapKeyAnswer(clock, { strRoomId: "a" }),
      mapKeyAnswer(clock, { strRoomId: "b" }),
      mapKeyAnswer(clock, { strRoomId: "a" }),
    ]);
    const [a1, a2] = await Promise.all([
      source.getPrivateMapKey({ strRoomId: "a", privileges: ["EnterRoom", "RecvAudio"] }),
      source.getPrivateMapKey({ strRoomId: "a", privileges: ["RecvAudio", "EnterRoom"] }),
    ]);
    expect(a2).toBe(a1);
    await source.getPrivateMapKey({ strRoomId: "b", privileges: ["EnterRoom", "RecvAudio"] });
    expect(await source.getPrivateMapKey({ strRoomId: "a", privileges: ["EnterRoom", "RecvAudio"] })).toBe(a1);
    expect(calls).toHaveLength(2);
    await clock.advance(3_600_000 - 300_000);
    await source.getPrivateMapKey({ strRoomId: "a", privileges: ["EnterRoom", "RecvAudio"] });
    expect(calls).toHaveLength(3);
    source.close();
  });

  it("refuses malformed requests before sending anything", async () => {
    const { source, calls } = setup(() => []);
    const bad = [
      { privileges: 2 },
      { roomId: 1, strRoomId: "a", privileges: 2 },
      { roomId: 0, privileges: 2 },
      { roomId: 1.5, privileges: 2 },
      { strRoomId: "", privileges: 2 },
      { roomId: 1, privileges: 0 },
      { roomId: 1, privileges: 256 },
      { roomId: 1, privileges: [] },
      { roomId: 1, privileges: ["Fly"] },
    ];
    for (const request of bad) {
      expect(await rejectionOf(source.getPrivateMapKey(request as never))).toBeInstanceOf(TypeError);
    }
    expect(calls).toHaveLength(0);
    source.close();
  });

  it("for a guest without a ticket, gets a UserSig (and ticket) first, then sends the ticket", async () => {
    const { source, calls } = setup(
      (clock) => [
        sigAnswer(clock, { userId: "guest_1", guestTicket: "ticket-1" }),
        mapKeyAnswer(clock, { roomId: 1234 }),
      ],
      { guest: true },
    );
    await source.getPrivateMapKey({ roomId: 1234, privileges: ["EnterRoom"] });
    expect(calls.map((call) => [new URL(call.url).pathname, call.body])).toEqual([
      ["/v1/usersig", {}],
      ["/v1/privatemapkey", { roomId: 1234, privileges: ["EnterRoom"], guestTicket: "ticket-1" }],
    ]);
    source.close();
  });

  it("surfaces ROOM_NOT_ALLOWED with its code", async () => {
    const { source } = setup(() => [() => problem(403, "ROOM_NOT_ALLOWED", "Not this room.")]);
    expect(await rejectionOf(source.getPrivateMapKey({ roomId: 9, privileges: 2 }))).toMatchObject({
      status: 403,
      code: "ROOM_NOT_ALLOWED",
    });
    source.close();
  });

  it("knows exactly the core's privilege names (the client cannot import the core)", () => {
    expect([...PRIVILEGE_NAMES].sort()).toEqual(Object.keys(Privilege).sort());
  });
});
