// The ban write path through the app's Durable Object, in workerd (Miniflare's SQLite-backed Durable
// Objects, the fakes of Tencent Chat and the TRTC Cloud API): stored first, kicked and muted in Chat
// (until expiresAt or for good), removed from every room presence knows; unban lifts the mute; kick
// also removes from rooms; every failure reported per step, queued, retried by the alarm with
// back-off, given up after the last attempt, never losing the ban; admins untouchable; the exact cap;
// KV's bans moved over once; presence bounds and expiry.

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { HARD_TTL_MS } from "../../src/admins/cache.js";
import { writeRuntimeAdmins } from "../../src/admins/store.js";
import { REKICK_AFTER_MS } from "../../src/bans/cache.js";
import { PRESENCE_MAX_PER_APP, PRESENCE_MAX_PER_USER, PRESENCE_TTL_SECONDS } from "../../src/bans/presence.js";
import {
  ALARM_CONFIG_RETRY_MS,
  ALARM_CONTINUE_AFTER_MS,
  ALARM_STEPS_PER_RUN,
  RETRY_MAX_ATTEMPTS,
} from "../../src/bans/retry.js";
import type { ObjectRef } from "../../src/objects/moderation.js";
import { kvStore } from "../../src/shared/storage.js";
import type { Json } from "../broker/helpers.js";
import {
  CHAT_ADMIN,
  moderatedApp,
  moderationEnv,
  objectCounts,
  objectOf,
  queuedTasks,
  runAlarmNow,
  scene,
  setupFakes,
} from "../support/moderation.js";
import { scriptTencent, tencentCalls } from "../tencent/helpers.js";
import { scriptTrtc, trtcCalls } from "../tencent/trtc-helpers.js";

const APP = 1400016101;
const ROOM = 7001;
const logs: string[] = [];

let events = 0;
const key = () => `bans-event-${++events}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function setup(sdkAppId = APP, overrides: Json = {}) {
  const s = scene(moderationEnv([moderatedApp(sdkAppId, overrides)]));
  const app = await s.app(sdkAppId);
  return { s, app, bans: (nowMs?: number) => s.broker(nowMs).bans };
}

/** What the fakes were asked, in order: Chat's command and account, TRTC's action, room and users. */
async function chatSteps() {
  return (await tencentCalls()).map((c) => [
    c.command,
    c.body?.UserID ?? c.body?.Set_Account,
    c.body?.C2CmsgNospeakingTime,
  ]);
}
async function trtcSteps() {
  return (await trtcCalls()).map((c) => [c.action, c.body?.RoomId, c.body?.UserIds]);
}

beforeAll(() => {
  const log = (...args: unknown[]) => {
    logs.push(args.map(String).join(" "));
  };
  vi.spyOn(console, "error").mockImplementation(log);
  vi.spyOn(console, "log").mockImplementation(log);
});

afterAll(() => {
  vi.restoreAllMocks();
});

beforeEach(async () => {
  logs.length = 0;
  await setupFakes([APP, APP + 1, APP + 2, APP + 3, APP + 4]);
  // No ban carries over from the test before (their queued steps go with them).
  const { app, bans } = await setup();
  for (const ban of await bans().list(app)) await bans().unban(app, ban.userId);
  await runAlarmNow(APP);
  await runInDurableObject(objectOf(APP), (_, state) => {
    state.storage.sql.exec("DELETE FROM presence");
  });
  await setupFakes([APP, APP + 1, APP + 2, APP + 3, APP + 4]);
});

describe("a ban reaches everything", () => {
  it("stored, kicked, muted for good, and removed from every room presence knows (the ID's variants too)", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    await bans().enterRoom(app, { userId: "mallory", room: ROOM, eventKey: key(), eventSeconds: t });
    await bans().enterRoom(app, { userId: "mallory", room: "stage", eventKey: key(), eventSeconds: t });
    await bans().enterRoom(app, { userId: "MALLORY", room: ROOM + 1, eventKey: key(), eventSeconds: t });
    await bans().enterRoom(app, { userId: "alice", room: ROOM, eventKey: key(), eventSeconds: t });
    const result = await bans().ban(app, "mallory", { reason: "spam" }, "operator");
    expect(result).toMatchObject({
      userId: "mallory",
      reason: "spam",
      created: true,
      kicked: true,
      muted: true,
      steps: { kick: { ok: true }, mute: { ok: true } },
    });
    expect(result.removedFrom.map(String).sort()).toEqual([String(ROOM), String(ROOM + 1), "stage"].sort());
    expect(result.steps.removals.every((removal) => removal.ok)).toBe(true);
    expect(await chatSteps()).toEqual([
      ["kick", "mallory", undefined],
      ["setnospeaking", "mallory", 4294967295],
    ]);
    const removed = (await trtcSteps()).map(String).sort();
    expect(removed).toEqual(
      [
        ["RemoveUser", ROOM, ["mallory"]],
        ["RemoveUser", ROOM + 1, ["MALLORY"]],
        ["RemoveUserByStrRoomId", "stage", ["mallory"]],
      ]
        .map(String)
        .sort(),
    );
    expect((await trtcCalls()).every((c) => c.verdict === "ok")).toBe(true);
    // Presence forgets the rooms Tencent confirmed; alice is untouched.
    expect((await bans().user(app, "mallory")).rooms).toEqual([]);
    expect((await bans().user(app, "alice")).rooms).toEqual([ROOM]);
    expect((await bans().user(app, "Mallory")).ban).toMatchObject({ userId: "mallory", reason: "spam" });
    // In force for issuance in this isolate at once, and in the list.
    await expect(bans().refuse(app, "Mallory")).rejects.toMatchObject({ code: "USER_BANNED" });
    expect((await bans().list(app)).map((ban) => ban.userId)).toEqual(["mallory"]);
    // The only step queued: the Chat kick once more, after every isolate has seen the ban.
    const [rekick, ...rest] = await queuedTasks(APP);
    expect(rest).toEqual([]);
    expect(rekick).toMatchObject({ kind: "rekick", user_id: "mallory", attempts: 0 });
    expect((rekick?.due_ms ?? 0) - Date.now()).toBeGreaterThan(REKICK_AFTER_MS - 5_000);
  });

  it("a temporary ban mutes until expiresAt; banning again answers created: false under the stored ID", async () => {
    const { app, bans } = await setup();
    const expiresAt = nowSeconds() + 600;
    expect((await bans().ban(app, "eve", { expiresAt }, "operator")).created).toBe(true);
    const seconds = (await chatSteps()).at(-1)?.[2] as number;
    expect(seconds).toBeGreaterThan(590);
    expect(seconds).toBeLessThanOrEqual(600);
    const again = await bans().ban(app, "EVE", { reason: "again" }, "apiKey:mod");
    expect(again).toMatchObject({ userId: "eve", created: false, reason: "again", bannedBy: "apiKey:mod" });
    expect(again.expiresAt).toBeUndefined();
    expect((await chatSteps()).at(-1)).toEqual(["setnospeaking", "eve", 4294967295]);
  });

  it("the stored actor is cut on a code point, and the answer equals the list", async () => {
    const { app, bans } = await setup();
    const actor = `idp:${"a".repeat(75)}\u{1F600}\u{1F600}@https://idp.example/`;
    const result = await bans().ban(app, "mallory", {}, actor);
    expect(result.bannedBy.isWellFormed()).toBe(true);
    expect([...result.bannedBy]).toHaveLength(80);
    expect((await bans().list(app))[0]?.bannedBy).toBe(result.bannedBy);
  });

  it("unban lifts the mute (setnospeaking 0) and the ban, and cancels the steps still queued for it", async () => {
    const { app, bans } = await setup();
    await bans().ban(app, "mallory", {}, "operator");
    expect((await queuedTasks(APP)).map((task) => task.kind)).toEqual(["rekick"]);
    const outcome = await bans().unban(app, "MALLORY");
    expect(outcome).toEqual({ lifted: ["mallory"], unmuted: [{ userId: "mallory", step: { ok: true } }] });
    expect((await chatSteps()).at(-1)).toEqual(["setnospeaking", "mallory", 0]);
    expect(await queuedTasks(APP)).toEqual([]);
    await expect(bans().refuse(app, "mallory")).resolves.toBeUndefined();
    await expect(bans().unban(app, "mallory")).rejects.toMatchObject({ code: "NOT_BANNED" });
  });

  it("kick (no ban) ends the Chat logins and removes from every known room; it mutes nobody", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "trent", room: "stage", eventKey: key(), eventSeconds: nowSeconds() });
    const result = await bans().kick(app, "trent");
    expect(result).toEqual({
      userId: "trent",
      kicked: true,
      removedFrom: ["stage"],
      steps: { kick: { ok: true }, removals: [{ room: "stage", ok: true }] },
    });
    expect(await chatSteps()).toEqual([["kick", "trent", undefined]]);
    expect(await trtcSteps()).toEqual([["RemoveUserByStrRoomId", "stage", ["trent"]]]);
    expect(await bans().bannedAs(app, "trent")).toBeUndefined();
  });

  it("an app without chat or trtc: the ban is stored, each missing step says why", async () => {
    const { app, bans } = await setup(APP + 1, { chat: undefined, trtc: undefined });
    await bans().enterRoom(app, { userId: "mallory", room: ROOM, eventKey: key(), eventSeconds: nowSeconds() });
    const result = await bans().ban(app, "mallory", {}, "operator");
    expect(result).toMatchObject({
      kicked: false,
      kickError: "chat not configured",
      muted: false,
      removedFrom: [],
      steps: {
        mute: { ok: false, reason: "chat not configured", retrying: false },
        removals: [{ room: ROOM, ok: false, reason: "trtc not configured", retrying: false }],
      },
    });
    expect(await tencentCalls()).toEqual([]);
    expect(await trtcCalls()).toEqual([]);
    expect(await queuedTasks(APP + 1)).toEqual([]);
    expect(await bans().bannedAs(app, "mallory")).toBeDefined();
  });
});

describe("Tencent failing: the ban stands, each failed step is reported and retried by the alarm", () => {
  it("Chat and TRTC down (5xx): retrying: true; the alarm's retry goes through and empties the queue", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "mallory", room: ROOM, eventKey: key(), eventSeconds: nowSeconds() });
    // Each client tries twice: the kick's two, the mute's two; TRTC's two.
    const down = { kind: "http", status: 503 } as const;
    await scriptTencent(down, down, down, down);
    await scriptTrtc(down, down);
    const result = await bans().ban(app, "mallory", {}, "operator");
    expect(result).toMatchObject({
      kicked: false,
      muted: false,
      removedFrom: [],
      steps: {
        kick: { ok: false, reason: "Tencent answered HTTP 503", retrying: true },
        mute: { ok: false, reason: "Tencent answered HTTP 503", retrying: true },
        removals: [{ room: ROOM, ok: false, reason: "Tencent could not be reached", retrying: true }],
      },
    });
    await expect(bans().refuse(app, "mallory")).rejects.toMatchObject({ code: "USER_BANNED" });
    const queued = await queuedTasks(APP);
    expect(queued.map((task) => [task.kind, task.room, task.attempts]).sort()).toEqual(
      [
        ["kick", "", 0],
        ["mute", "", 0],
        ["rekick", "", 0],
        ["remove", `n:${ROOM}`, 0],
      ].sort(),
    );
    // The first retry is due RETRY_BASE_MS (2 s) from now.
    const kick = queued.find((task) => task.kind === "kick");
    expect((kick?.due_ms ?? 0) - Date.now()).toBeGreaterThan(0);
    expect((kick?.due_ms ?? 0) - Date.now()).toBeLessThanOrEqual(2_000);
    expect(await runAlarmNow(APP)).toBe(true);
    expect(await queuedTasks(APP)).toEqual([]);
    expect((await chatSteps()).slice(-3).sort()).toEqual(
      [
        ["kick", "mallory", undefined],
        ["kick", "mallory", undefined],
        ["setnospeaking", "mallory", 4294967295],
      ].sort(),
    );
    expect((await trtcSteps()).at(-1)).toEqual(["RemoveUser", ROOM, ["mallory"]]);
    expect((await bans().user(app, "mallory")).rooms).toEqual([]);
  });

  it("still down at the alarm: each attempt waits longer; after the last the step is given up, the ban kept", async () => {
    const { app, bans } = await setup();
    // A kick without a ban is not retried (the moderator sees the failure and may ask again).
    await scriptTencent({ kind: "http", status: 500 }, { kind: "http", status: 500 });
    expect((await bans().kick(app, "eve")).steps.kick).toMatchObject({ ok: false, retrying: false });
    expect(await queuedTasks(APP)).toEqual([]);
    // A ban's is: Chat down for the kick (and the mute, whose retry is left out here).
    const down = { kind: "http", status: 500 } as const;
    await scriptTencent(down, down, down, down);
    await bans().ban(app, "eve", {}, "operator");
    await runInDurableObject(objectOf(APP), (_, state) => {
      state.storage.sql.exec("DELETE FROM tasks WHERE kind <> 'kick'");
    });
    const gaps: number[] = [];
    for (let attempt = 1; attempt <= RETRY_MAX_ATTEMPTS; attempt++) {
      await scriptTencent({ kind: "http", status: 502 }, { kind: "http", status: 502 });
      const before = Date.now();
      await runAlarmNow(APP);
      const [task] = await queuedTasks(APP);
      if (attempt < RETRY_MAX_ATTEMPTS) {
        expect(task?.attempts).toBe(attempt);
        gaps.push(Math.round(((task?.due_ms ?? 0) - before) / 1000));
      } else {
        expect(task).toBeUndefined();
      }
    }
    expect(gaps).toEqual([4, 8, 16, 32, 64, 128, 256, 300, 300]);
    const givenUp = logs.filter((line) => line.includes("moderation_step_given_up")).map((l) => JSON.parse(l) as Json);
    expect(givenUp).toEqual([
      {
        event: "moderation_step_given_up",
        app: APP,
        step: "kick",
        attempts: RETRY_MAX_ATTEMPTS,
        reason: "Tencent answered HTTP 502",
      },
    ]);
    expect(await bans().bannedAs(app, "eve")).toBeDefined();
  });

  it("a refusal that would repeat (Tencent's 70107, TRTC's RoomNotExist) is reported and not retried", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "mallory", room: ROOM, eventKey: key(), eventSeconds: nowSeconds() });
    await scriptTencent({ kind: "fail", code: 70107, info: "account not imported" });
    await scriptTrtc({ kind: "error", code: "FailedOperation.RoomNotExist" });
    const result = await bans().ban(app, "mallory", {}, "operator");
    expect(result.steps.kick).toEqual({
      ok: false,
      reason: "Tencent answered ErrorCode 70107",
      errorCode: 70107,
      retrying: false,
    });
    expect(result.kickErrorCode).toBe(70107);
    expect(result.steps.removals).toEqual([
      {
        room: ROOM,
        ok: false,
        reason: "Tencent answered Error.Code FailedOperation.RoomNotExist",
        errorCode: "FailedOperation.RoomNotExist",
        retrying: false,
      },
    ]);
    expect((await queuedTasks(APP)).map((task) => task.kind)).toEqual(["rekick"]);
  });

  it("Tencent hanging: each attempt bounded; the step reported as not answered in time and queued", async () => {
    const { app, bans } = await setup();
    await bans().enterRoom(app, { userId: "mallory", room: "stage", eventKey: key(), eventSeconds: nowSeconds() });
    await scriptTrtc({ kind: "hang", ms: 5_000 }, { kind: "hang", ms: 5_000 });
    const started = Date.now();
    const result = await bans().ban(app, "mallory", {}, "operator");
    expect(Date.now() - started).toBeLessThan(4_900);
    expect(result.steps.removals).toEqual([
      { room: "stage", ok: false, reason: "Tencent did not answer in time", retrying: true },
    ]);
    const answeredMs = Date.now();
    expect(result.kicked).toBe(true);
    const tasks = await queuedTasks(APP);
    expect(tasks.map((task) => task.kind).sort()).toEqual(["rekick", "remove"]);
    // The retry is due after the failure (2 s), not 2 s after the request began: not due yet.
    expect(tasks.find((task) => task.kind === "remove")?.due_ms).toBeGreaterThan(answeredMs);
  }, 15_000);

  it("an unmute that failed is retried; a ban made meanwhile cancels it", async () => {
    const { app, bans } = await setup();
    await bans().ban(app, "mallory", {}, "operator");
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    const outcome = await bans().unban(app, "mallory");
    expect(outcome.unmuted).toEqual([
      { userId: "mallory", step: { ok: false, reason: "Tencent answered HTTP 503", retrying: true } },
    ]);
    expect((await queuedTasks(APP)).map((task) => task.kind)).toEqual(["unmute"]);
    await runAlarmNow(APP);
    expect((await chatSteps()).at(-1)).toEqual(["setnospeaking", "mallory", 0]);
    expect(await queuedTasks(APP)).toEqual([]);
    // Failing again, then banned again before the alarm: the unmute must not undo the new mute.
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    await bans().ban(app, "mallory", {}, "operator");
    await bans().unban(app, "mallory");
    await bans().ban(app, "mallory", {}, "operator");
    expect((await queuedTasks(APP)).map((task) => task.kind)).toEqual(["rekick"]);
  });

  it("the re-kick, when due: kicks a user still banned; nothing for one unbanned since", async () => {
    const { app, bans } = await setup();
    await bans().ban(app, "mallory", {}, "operator");
    await bans().ban(app, "eve", {}, "operator");
    await bans().unban(app, "eve");
    const before = (await tencentCalls()).length;
    await runAlarmNow(APP);
    expect((await tencentCalls()).slice(before).map((c) => [c.command, c.body?.UserID])).toEqual([["kick", "mallory"]]);
    expect(await queuedTasks(APP)).toEqual([]);
  });
});

describe("admin identities are never removed, muted or kicked", () => {
  it("ban and kick of an admin or a variant are refused; so is removal from a room", async () => {
    const { app, bans } = await setup();
    for (const id of [CHAT_ADMIN, "ADMINISTRATOR", "ａｄｍｉｎｉｓｔｒａｔｏｒ"]) {
      await expect(bans().ban(app, id, {}, "operator")).rejects.toMatchObject({ code: "ADMIN_NOT_BANNABLE" });
      await expect(bans().kick(app, id)).rejects.toMatchObject({ code: "ADMIN_NOT_KICKABLE" });
      await expect(bans().removeFromRoom(app, id, ROOM)).rejects.toMatchObject({ code: "ADMIN_NOT_REMOVABLE" });
    }
    expect(await tencentCalls()).toEqual([]);
    expect(await trtcCalls()).toEqual([]);
    expect(await queuedTasks(APP)).toEqual([]);
  });

  it("a banned ID made a runtime admin since: not removed on re-entry, not re-kicked by the alarm", async () => {
    const sdkAppId = APP + 2;
    const { app, bans } = await setup(sdkAppId);
    const t0 = Date.now();
    await bans(t0).ban(app, "promoted", {}, "operator");
    await writeRuntimeAdmins(kvStore(env.ADMINS), sdkAppId, ["promoted"], { reads: 0, writes: 0 }, t0);
    // Once the object's admin cache has read the runtime admins again (its hard TTL).
    const later = t0 + HARD_TTL_MS + 1_000;
    const answer = await bans(later).enterRoom(app, {
      userId: "promoted",
      room: ROOM,
      eventKey: key(),
      eventSeconds: Math.floor(later / 1000),
    });
    expect(answer).toEqual({
      duplicate: false,
      banned: true,
      removal: { ok: false, reason: "admin identity: never removed", retrying: false },
    });
    const login = await bans(later).loggedIn(app, { userId: "promoted", eventKey: key() });
    expect(login.kick).toEqual({ ok: false, reason: "admin identity: never kicked", retrying: false });
    const before = (await tencentCalls()).length;
    await runAlarmNow(sdkAppId);
    expect((await tencentCalls()).slice(before)).toEqual([]);
    expect(await trtcCalls()).toEqual([]);
    await writeRuntimeAdmins(kvStore(env.ADMINS), sdkAppId, [], { reads: 0, writes: 0 }, later);
  });
});

describe("the cap, exact in the object", () => {
  function refOf(sdkAppId: number, maxBans: number): ObjectRef {
    const testEnv = moderationEnv([moderatedApp(sdkAppId)]) as Record<string, unknown>;
    const vars = Object.fromEntries(Object.entries(testEnv).filter(([, v]) => typeof v === "string")) as Record<
      string,
      string
    >;
    return { sdkAppId, vars, nowMs: Date.now(), maxBans };
  }

  it("ten bans at once against a cap of five: exactly five stored, five BANS_FULL; an update still passes", async () => {
    const sdkAppId = APP + 3;
    const stub = objectOf(sdkAppId);
    const ref = refOf(sdkAppId, 5);
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => stub.ban(ref, `user${i}`, {}, "operator")));
    expect(answers.filter((answer) => answer.ok)).toHaveLength(5);
    expect(answers.filter((answer) => !answer.ok).map((answer) => !answer.ok && answer.error.code)).toEqual(
      Array(5).fill("BANS_FULL"),
    );
    const listed = await stub.list(ref);
    expect(listed.ok && listed.value.length).toBe(5);
    const stored = listed.ok ? (listed.value[0]?.userId as string) : "";
    expect((await stub.ban(ref, stored.toUpperCase(), { reason: "update" }, "operator")).ok).toBe(true);
    // An expired ban frees its place.
    const temporary = await stub.unban(ref, stored);
    expect(temporary.ok).toBe(true);
    const soon = await stub.ban(ref, "brief", { expiresAt: Math.floor(Date.now() / 1000) + 1 }, "operator");
    expect(soon.ok).toBe(true);
    const full = await stub.ban(ref, "one-more", {}, "operator");
    expect(!full.ok && full.error.code).toBe("BANS_FULL");
    const afterExpiry = await stub.ban({ ...ref, nowMs: Date.now() + 2_000 }, "one-more", {}, "operator");
    expect(afterExpiry.ok).toBe(true);
  });
});

describe("KV's bans, moved over once", () => {
  it("the app's first call moves every ban KV held; a key written to KV later is not read", async () => {
    const sdkAppId = APP + 4;
    const kv = env.ADMINS;
    const t = nowSeconds();
    await kv.put(`bans-exist/v1/${sdkAppId}`, "1");
    await kv.put(`bans/v1/${sdkAppId}/${encodeURIComponent("Mallory")}`, "", {
      metadata: { b: t - 60, by: "operator", r: "spam" },
    });
    await kv.put(`bans/v1/${sdkAppId}/eve`, "", { metadata: { b: t - 30, by: "apiKey:mod", e: t + 3600 } });
    const { app, bans } = await setup(sdkAppId);
    expect(await bans().bannedAs(app, "mallory")).toEqual({
      userId: "Mallory",
      bannedAt: t - 60,
      bannedBy: "operator",
      reason: "spam",
    });
    expect((await bans().list(app)).map((ban) => ban.userId)).toEqual(["eve", "Mallory"]);
    await kv.put(`bans/v1/${sdkAppId}/late`, "", { metadata: { b: t, by: "operator" } });
    await bans().unban(app, "eve");
    expect((await bans().list(app)).map((ban) => ban.userId)).toEqual(["Mallory"]);
    expect(await bans().bannedAs(app, "late")).toBeUndefined();
  });
});

describe("presence bounds and expiry", () => {
  it("at most 50 rooms a user: the oldest entry goes first", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    for (let i = 0; i <= PRESENCE_MAX_PER_USER; i++) {
      await bans().enterRoom(app, { userId: "roamer", room: 100 + i, eventKey: key(), eventSeconds: t - 100 + i });
    }
    const rooms = (await bans().user(app, "roamer")).rooms;
    expect(rooms).toHaveLength(PRESENCE_MAX_PER_USER);
    expect(rooms).not.toContain(100);
    expect(rooms).toContain(100 + PRESENCE_MAX_PER_USER);
  });

  it("at most 20,000 entries an app: one more drops the oldest", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    await bans().user(app, "nobody");
    await runInDurableObject(objectOf(APP), (_, state) => {
      state.storage.sql.exec("DELETE FROM presence");
      for (let i = 0; i < PRESENCE_MAX_PER_APP; i++) {
        state.storage.sql.exec(
          "INSERT INTO presence (user_id, folded, room, seen_at) VALUES (?, ?, ?, ?)",
          `u${i}`,
          `u${i}`,
          "n:1",
          t - PRESENCE_MAX_PER_APP + i,
        );
      }
    });
    await bans().enterRoom(app, { userId: "newcomer", room: 2, eventKey: key(), eventSeconds: t });
    expect((await objectCounts(APP)).presence).toBe(PRESENCE_MAX_PER_APP);
    expect((await bans().user(app, "u0")).rooms).toEqual([]);
    expect((await bans().user(app, "u1")).rooms).toEqual([1]);
    expect((await bans().user(app, "newcomer")).rooms).toEqual([2]);
    await runInDurableObject(objectOf(APP), (_, state) => {
      state.storage.sql.exec("DELETE FROM presence");
    });
  }, 30_000);

  it("an entry without news for 24 h is gone, and a banned user's expired entry is not removed again", async () => {
    const { app, bans } = await setup();
    const t0 = Date.now();
    const t0s = Math.floor(t0 / 1000);
    await bans(t0).enterRoom(app, { userId: "ghost", room: ROOM, eventKey: key(), eventSeconds: t0s });
    expect((await bans(t0 + (PRESENCE_TTL_SECONDS - 1) * 1000).user(app, "ghost")).rooms).toEqual([ROOM]);
    const later = t0 + (PRESENCE_TTL_SECONDS + 1) * 1000;
    expect((await bans(later).user(app, "ghost")).rooms).toEqual([]);
  });

  it("an event key over 512 characters is refused, and nothing is recorded", async () => {
    const { app, bans } = await setup();
    await expect(
      bans().enterRoom(app, { userId: "x", room: ROOM, eventKey: "k".repeat(513), eventSeconds: nowSeconds() }),
    ).rejects.toThrow();
    expect((await bans().user(app, "x")).rooms).toEqual([]);
  });
});

describe("a callback is marked handled only once it can be acted on", () => {
  it("the admin set unreadable at a banned user's 103: refused, and Tencent's retry of it still removes", async () => {
    const sdkAppId = APP + 3;
    const { app, bans } = await setup(sdkAppId);
    const t0 = Date.now();
    await bans(t0).ban(app, "mallory", {}, "operator");
    // Past the object's admin cache's hard TTL, with KV failing: the admin check cannot answer.
    const later = t0 + HARD_TTL_MS + 1_000;
    const kv = await runInDurableObject(objectOf(sdkAppId), (instance) => {
      const own = instance as unknown as { env: Record<string, unknown> };
      const kept = own.env.ADMINS;
      const fail = () => Promise.reject(new Error("KV is down"));
      own.env = { ...own.env, ADMINS: { get: fail, put: fail, delete: fail, list: fail, getWithMetadata: fail } };
      return kept;
    });
    const event = { userId: "mallory", room: ROOM, eventKey: key(), eventSeconds: Math.floor(later / 1000) };
    try {
      await expect(bans(later).enterRoom(app, event)).rejects.toMatchObject({ code: "ADMIN_SET_UNAVAILABLE" });
      await expect(
        bans(later).loggedIn(app, { userId: "mallory", eventKey: `${event.eventKey}-login` }),
      ).rejects.toMatchObject({
        code: "ADMIN_SET_UNAVAILABLE",
      });
    } finally {
      await runInDurableObject(objectOf(sdkAppId), (instance) => {
        const own = instance as unknown as { env: Record<string, unknown> };
        own.env = { ...own.env, ADMINS: kv };
      });
    }
    // Tencent retries the same deliveries: acted on, not "duplicate".
    const before = (await trtcCalls()).length;
    expect(await bans(later).enterRoom(app, event)).toMatchObject({
      duplicate: false,
      banned: true,
      removal: { ok: true },
    });
    expect((await trtcSteps()).slice(before)).toEqual([["RemoveUser", ROOM, ["mallory"]]]);
    expect(await bans(later).loggedIn(app, { userId: "mallory", eventKey: `${event.eventKey}-login` })).toMatchObject({
      duplicate: false,
      kick: { ok: true },
    });
  });
});

describe("the alarm's steps and ban/unban, one after another", () => {
  it("an unban while the alarm's mute is in flight: its unmute is sent after the mute is answered", async () => {
    const { app, bans } = await setup();
    const down = { kind: "http", status: 503 } as const;
    // The kick passes; the mute fails twice (queued).
    await scriptTencent({ kind: "ok" }, down, down);
    const result = await bans().ban(app, "mallory", {}, "operator");
    expect(result.steps.mute).toMatchObject({ ok: false, retrying: true });
    // The alarm's mute retry is answered only after 600 ms (rekick first: it runs too, answered at once).
    await runInDurableObject(objectOf(APP), (_, state) => {
      state.storage.sql.exec("DELETE FROM tasks WHERE kind = 'rekick'");
    });
    await scriptTencent({ kind: "hang", ms: 600 });
    const order: string[] = [];
    const alarm = runAlarmNow(APP).then(() => order.push("alarm"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const unban = bans()
      .unban(app, "mallory")
      .then(() => order.push("unban"));
    await Promise.all([alarm, unban]);
    expect(order).toEqual(["alarm", "unban"]);
    expect((await chatSteps()).slice(-2)).toEqual([
      ["setnospeaking", "mallory", 4294967295],
      ["setnospeaking", "mallory", 0],
    ]);
    expect(await queuedTasks(APP)).toEqual([]);
  });
});

describe("the alarm never stops while steps are queued", () => {
  it("each run takes at most ALARM_STEPS_PER_RUN steps, and sets itself again for the rest", async () => {
    const sdkAppId = APP + 4;
    const { app, bans } = await setup(sdkAppId);
    await bans().list(app);
    const total = ALARM_STEPS_PER_RUN + 7;
    // Kicks queued for users not banned: each is done without a Tencent call.
    await runInDurableObject(objectOf(sdkAppId), async (_, state) => {
      for (let n = 0; n < total; n++) {
        state.storage.sql.exec(
          "INSERT INTO tasks (kind, user_id, room, attempts, due_ms) VALUES ('kick', ?, '', 0, 0)",
          `nobody-${n}`,
        );
      }
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    const before = Date.now();
    expect(await runDurableObjectAlarm(objectOf(sdkAppId))).toBe(true);
    const left = await runInDurableObject(objectOf(sdkAppId), async (_, state) => ({
      tasks: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks").one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(left.tasks).toBe(total - ALARM_STEPS_PER_RUN);
    expect(left.alarm).toBeGreaterThanOrEqual(before + ALARM_CONTINUE_AFTER_MS);
    await runAlarmNow(sdkAppId);
    expect(await queuedTasks(sdkAppId)).toEqual([]);
  });

  it("the app's config failing to load at the alarm: the steps stay queued and the alarm is set again", async () => {
    const sdkAppId = APP + 4;
    const { app, bans } = await setup(sdkAppId);
    await bans().list(app);
    const stored = await runInDurableObject(objectOf(sdkAppId), async (_, state) => {
      const value = state.storage.sql
        .exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sdkAppId'")
        .one().value;
      // An app the config does not have: the alarm's load fails.
      state.storage.sql.exec("UPDATE meta SET value = '1' WHERE key = 'sdkAppId'");
      state.storage.sql.exec(
        "INSERT INTO tasks (kind, user_id, room, attempts, due_ms) VALUES ('kick', 'nobody', '', 0, 0)",
      );
      await state.storage.setAlarm(Date.now() + 60_000);
      return value;
    });
    const before = Date.now();
    expect(await runDurableObjectAlarm(objectOf(sdkAppId))).toBe(true);
    const after = await runInDurableObject(objectOf(sdkAppId), async (_, state) => {
      const alarm = await state.storage.getAlarm();
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'sdkAppId'", stored);
      return alarm;
    });
    expect(after).toBeGreaterThanOrEqual(before + ALARM_CONFIG_RETRY_MS);
    expect((await queuedTasks(sdkAppId)).map((task) => task.user_id)).toEqual(["nobody"]);
    expect(logs.some((line) => line.includes('"outcome":"config_error"'))).toBe(true);
    await runAlarmNow(sdkAppId);
    expect(await queuedTasks(sdkAppId)).toEqual([]);
  });
});

describe("a variant ID asked for is another account at Tencent", () => {
  it("banning or kicking a variant of a stored ban kicks the stored ID and the variant; the mute stays on the stored ID", async () => {
    const { app, bans } = await setup();
    await bans().ban(app, "alice", {}, "operator");
    const before = (await tencentCalls()).length;
    const again = await bans().ban(app, "Alice", { reason: "again" }, "operator");
    expect(again).toMatchObject({ userId: "alice", created: false, kicked: true, muted: true });
    expect((await chatSteps()).slice(before)).toEqual([
      ["kick", "alice", undefined],
      ["kick", "Alice", undefined],
      ["setnospeaking", "alice", 4294967295],
    ]);
    expect((await queuedTasks(APP)).map((task) => [task.kind, task.user_id])).toEqual([
      ["rekick", "alice"],
      ["rekick", "Alice"],
    ]);
    const kicked = (await tencentCalls()).length;
    expect(await bans().kick(app, "ALICE")).toMatchObject({ userId: "alice", kicked: true });
    expect((await chatSteps()).slice(kicked)).toEqual([
      ["kick", "alice", undefined],
      ["kick", "ALICE", undefined],
    ]);
  });
});

describe("GET …/users/{userId}: the rooms as a ban would find them", () => {
  it("a variant's rooms are listed with the ID's, each room once, newest first", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    await bans().enterRoom(app, { userId: "carol", room: ROOM, eventKey: key(), eventSeconds: t - 20 });
    await bans().enterRoom(app, { userId: "CAROL", room: "stage", eventKey: key(), eventSeconds: t - 10 });
    await bans().enterRoom(app, { userId: "Carol", room: ROOM, eventKey: key(), eventSeconds: t });
    await bans().enterRoom(app, { userId: "dave", room: ROOM + 1, eventKey: key(), eventSeconds: t });
    expect((await bans().user(app, "carol")).rooms).toEqual([ROOM, "stage"]);
    expect((await bans().user(app, "CaRoL")).rooms).toEqual([ROOM, "stage"]);
  });
});

describe("a 104 delivered before its 103", () => {
  it("the late 103 adds no entry, so a later ban reports no removal from a room the user left; a later entry counts", async () => {
    const { app, bans } = await setup();
    const t = nowSeconds();
    await bans().exitRoom(app, { userId: "erin", room: ROOM, eventKey: key(), eventSeconds: t });
    await bans().enterRoom(app, { userId: "erin", room: ROOM, eventKey: key(), eventSeconds: t - 5 });
    expect((await bans().user(app, "erin")).rooms).toEqual([]);
    const result = await bans().ban(app, "erin", {}, "operator");
    expect(result.steps.removals).toEqual([]);
    expect(await trtcCalls()).toEqual([]);
    await bans().unban(app, "erin");
    await bans().enterRoom(app, { userId: "erin", room: ROOM, eventKey: key(), eventSeconds: t + 1 });
    expect((await bans().user(app, "erin")).rooms).toEqual([ROOM]);
  });
});
