// The app's Durable Object through the service layer (BansService), in workerd with Miniflare's
// SQLite-backed Durable Objects: the calls the callback and moderator routes make (the contract
// between i16-object and i16-edges in TEAM.md), against the fakes of Tencent's APIs.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { moderatedApp, moderationEnv, scene, setupFakes } from "../support/moderation.js";
import { scriptTrtc, trtcCalls } from "../tencent/trtc-helpers.js";

const APP = 1400016001;
const ROOM = 4242;

async function setup() {
  const s = scene(moderationEnv([moderatedApp(APP)]));
  return { s, app: await s.app(APP), bans: () => s.broker().bans };
}

/** A ban made straight through the object (the moderation routes' path is tested in bans.test.ts). */
async function banInObject(userId: string) {
  const stub = env.MODERATION.get(env.MODERATION.idFromName(String(APP)));
  const testEnv = moderationEnv([moderatedApp(APP)]) as Record<string, unknown>;
  const vars = Object.fromEntries(Object.entries(testEnv).filter(([, v]) => typeof v === "string")) as Record<
    string,
    string
  >;
  const answer = await stub.ban({ sdkAppId: APP, vars, nowMs: Date.now() }, userId, {}, "operator");
  if (!answer.ok) throw new Error(answer.error.code);
  return answer.value;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
let events = 0;
const key = () => `event-${++events}`;

beforeEach(async () => {
  await setupFakes([APP]);
});

describe("presence (enterRoom, exitRoom, user)", () => {
  it("records the rooms a user enters, forgets the one they leave, and acts on a redelivery once", async () => {
    const { app, bans } = await setup();
    const enter = { userId: "alice", room: ROOM, eventKey: key(), eventSeconds: nowSeconds() };
    expect(await bans().enterRoom(app, enter)).toEqual({ duplicate: false, banned: false });
    expect(await bans().enterRoom(app, { ...enter, room: "lobby", eventKey: key() })).toEqual({
      duplicate: false,
      banned: false,
    });
    expect(await bans().enterRoom(app, enter)).toEqual({ duplicate: true, banned: false });
    const view = await bans().user(app, "alice");
    expect(view.ban).toBeNull();
    expect(view.rooms.sort()).toEqual([ROOM, "lobby"].sort());
    expect(await bans().exitRoom(app, { ...enter, eventKey: key(), eventSeconds: nowSeconds() + 1 })).toEqual({
      duplicate: false,
    });
    expect((await bans().user(app, "alice")).rooms).toEqual(["lobby"]);
    // A string room and a numeric room of the same digits are two rooms.
    await bans().enterRoom(app, { ...enter, room: String(ROOM), eventKey: key() });
    expect((await bans().user(app, "alice")).rooms.sort()).toEqual([String(ROOM), "lobby"].sort());
    expect(await trtcCalls()).toEqual([]);
  });

  it("an exit older than the entry changes nothing (a 104 delivered after a later 103)", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    await bans().enterRoom(app, { userId: "bob", room: ROOM, eventKey: key(), eventSeconds: t });
    expect(await bans().exitRoom(app, { userId: "bob", room: ROOM, eventKey: key(), eventSeconds: t - 5 })).toEqual({
      duplicate: false,
    });
    expect((await bans().user(app, "bob")).rooms).toEqual([ROOM]);
  });
});

describe("a banned user (bannedAs, enterRoom, loggedIn)", () => {
  it("bannedAs reads the object: the ban, for the ID and its case variants; none for others", async () => {
    const { app, bans } = await setup();
    expect(await bans().bannedAs(app, "mallory")).toBeUndefined();
    await banInObject("mallory");
    expect((await bans().bannedAs(app, "mallory"))?.userId).toBe("mallory");
    expect((await bans().bannedAs(app, "MALLORY"))?.userId).toBe("mallory");
    expect(await bans().bannedAs(app, "alice")).toBeUndefined();
  });

  it("enterRoom of a banned user removes them from that room at once (RemoveUser, signed)", async () => {
    const { app, bans } = await setup();
    await banInObject("mallory");
    const before = (await trtcCalls()).length;
    const answer = await bans().enterRoom(app, {
      userId: "mallory",
      room: ROOM,
      eventKey: key(),
      eventSeconds: nowSeconds(),
    });
    expect(answer).toEqual({ duplicate: false, banned: true, removal: { ok: true } });
    const calls = (await trtcCalls()).slice(before);
    expect(calls.map((c) => [c.action, c.verdict, c.body?.RoomId, c.body?.UserIds])).toEqual([
      ["RemoveUser", "ok", ROOM, ["mallory"]],
    ]);
    expect((await bans().user(app, "mallory")).rooms).toEqual([]);
    // A string room: RemoveUserByStrRoomId.
    await bans().enterRoom(app, { userId: "mallory", room: "stage", eventKey: key(), eventSeconds: nowSeconds() });
    expect((await trtcCalls()).at(-1)?.action).toBe("RemoveUserByStrRoomId");
  });

  it("a failed removal is reported with Tencent's code and queued for the alarm", async () => {
    const { app, bans } = await setup();
    await banInObject("mallory");
    await scriptTrtc({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    const answer = await bans().enterRoom(app, {
      userId: "mallory",
      room: ROOM,
      eventKey: key(),
      eventSeconds: nowSeconds(),
    });
    expect(answer.banned).toBe(true);
    expect(answer.removal).toMatchObject({ ok: false, retrying: true });
    expect((await bans().user(app, "mallory")).rooms).toEqual([ROOM]);
  });

  it("loggedIn of a banned user kicks them in Chat again; of anyone else, nothing", async () => {
    const { app, bans } = await setup();
    await banInObject("mallory");
    expect(await bans().loggedIn(app, { userId: "alice", eventKey: key() })).toEqual({
      duplicate: false,
      banned: false,
    });
    const k = key();
    expect(await bans().loggedIn(app, { userId: "mallory", eventKey: k })).toEqual({
      duplicate: false,
      banned: true,
      kick: { ok: true },
    });
    expect(await bans().loggedIn(app, { userId: "mallory", eventKey: k })).toEqual({ duplicate: true, banned: true });
  });
});

describe("the moderators' room calls (removeFromRoom, dismissRoom)", () => {
  it("removeFromRoom takes a user out of one room and updates presence; never an admin", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "carol", room: ROOM, eventKey: key(), eventSeconds: nowSeconds() });
    await bans().enterRoom(app, { userId: "carol", room: "lobby", eventKey: key(), eventSeconds: nowSeconds() });
    expect(await bans().removeFromRoom(app, "carol", ROOM)).toEqual({ ok: true });
    expect((await bans().user(app, "carol")).rooms).toEqual(["lobby"]);
    await expect(bans().removeFromRoom(app, "Administrator", ROOM)).rejects.toMatchObject({
      code: "ADMIN_NOT_REMOVABLE",
    });
    expect((await trtcCalls()).map((c) => c.body?.UserIds)).toEqual([["carol"]]);
  });

  it("dismissRoom ends the room and clears its presence; Tencent's refusal is reported, presence kept", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "dave", room: "stage", eventKey: key(), eventSeconds: nowSeconds() });
    await scriptTrtc({ kind: "error", code: "FailedOperation.RoomNotExist" });
    expect(await bans().dismissRoom(app, "stage")).toEqual({
      ok: false,
      reason: "Tencent answered Error.Code FailedOperation.RoomNotExist",
      errorCode: "FailedOperation.RoomNotExist",
      retrying: false,
    });
    expect((await bans().user(app, "dave")).rooms).toEqual(["stage"]);
    expect(await bans().dismissRoom(app, "stage")).toEqual({ ok: true });
    expect((await bans().user(app, "dave")).rooms).toEqual([]);
    expect((await trtcCalls()).map((c) => [c.action, c.body?.RoomId])).toEqual([
      ["DismissRoomByStrRoomId", "stage"],
      ["DismissRoomByStrRoomId", "stage"],
    ]);
  });
});
