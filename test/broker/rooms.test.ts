// The moderators' room routes over HTTP (src/http/routes/rooms.ts), in workerd with the app's
// moderation Durable Object and the fake TRTC Cloud API: GET …/users/{userId} (ban and rooms),
// POST …/rooms/{roomId}/users/{userId}/remove, POST …/rooms/{roomId}/dismiss, with presence made by
// TRTC's own callbacks; numeric and string rooms in the path (`str:`), admins never removed, who may
// call them, bad paths, and the audit lines.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { banInObject, tencentCallbacks } from "../support/callbacks.js";
import { apiKey } from "../support/config.js";
import { moderatedApp, moderationEnv, setupFakes } from "../support/moderation.js";
import { bearer, withApiKey } from "../support/requests.js";
import { scriptTrtc, trtcCalls } from "../tencent/trtc-helpers.js";
import { call, type Json, problem } from "./helpers.js";

const APP = 1400016201;
const ROOM = 7070;
const TRTC_KEY = "RoomsCallbackKey0123456789";
const OPERATOR = "operator-token-for-the-room-tests-0123456789";
const PLAIN_KEY = "plain-api-key-for-the-room-tests-0123";
const SPA = "https://moderators.example.com";

let testEnv: Json;
const captured: string[] = [];
let run = 0;
let U = "";

beforeEach(async () => {
  run++;
  U = `carol${run}`;
  testEnv ??= moderationEnv(
    [
      moderatedApp(APP, {
        callbacks: { trtc: true },
        apiKeys: [await apiKey("plain", PLAIN_KEY)],
        cors: { origins: [SPA] },
      }),
    ],
    { [`TRTC_CALLBACK_KEY_${APP}`]: TRTC_KEY, ADMIN_API_TOKEN: OPERATOR },
  );
  await setupFakes([APP]);
  vi.spyOn(console, "log").mockImplementation((line: string) => void captured.push(line));
});
afterEach(() => vi.restoreAllMocks());

const send = (path: string, init: RequestInit = {}) => call(undefined, path, init, testEnv);
const { roomEvent, trtcCallback } = tencentCallbacks({
  sdkAppId: APP,
  trtcKey: TRTC_KEY,
  chatToken: "unused",
  room: ROOM,
  nowMs: () => Date.now(),
  send,
});
const op = bearer(OPERATOR);
const base = `/v1/admin/apps/${APP}`;

async function enter(userId: string, room: number | string): Promise<void> {
  expect((await trtcCallback(roomEvent(103, userId, room))).status).toBe(200);
}

async function rooms(userId: string): Promise<unknown[]> {
  const response = await send(`${base}/users/${encodeURIComponent(userId)}`, { headers: op });
  expect(response.status).toBe(200);
  return ((await response.json()) as { rooms: unknown[] }).rooms;
}

/** The audit line of the last request to `route` (a hono route path). */
const lastAudit = (route: string) =>
  captured
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Json)
    .filter((l) => l.route === route)
    .at(-1);
const REMOVE = "/v1/admin/apps/:sdkAppId/rooms/:roomId/users/:userId/remove";
const DISMISS = "/v1/admin/apps/:sdkAppId/rooms/:roomId/dismiss";

describe("GET …/users/{userId}", () => {
  it("the ban (or null) and the rooms the user is in now", async () => {
    const empty = await send(`${base}/users/${U}`, { headers: op });
    expect(await empty.json()).toEqual({ userId: U, ban: null, rooms: [] });
    expect(empty.headers.get("Cache-Control")).toBe("no-store");
    await enter(U, ROOM);
    await enter(U, "stage");
    const present = (await (await send(`${base}/users/${U}`, { headers: op })).json()) as Json;
    expect(present).toEqual({ userId: U, ban: null, rooms: expect.arrayContaining([ROOM, "stage"]) });
    expect(present.rooms).toHaveLength(2);
    expect(lastAudit("/v1/admin/apps/:sdkAppId/users/:userId")).toMatchObject({ userId: U, outcome: "looked-up" });
    await banInObject(APP, testEnv, U, Date.now());
    const view = (await (await send(`${base}/users/${U}`, { headers: op })).json()) as Json;
    expect(view.ban).toMatchObject({ userId: U, bannedBy: "operator" });
  });
});

describe("POST …/rooms/{roomId}/users/{userId}/remove", () => {
  it("a numeric room: RemoveUser, presence updated, no ban", async () => {
    await enter(U, ROOM);
    await enter(U, "lobby");
    const response = await send(`${base}/rooms/${ROOM}/users/${U}/remove`, { method: "POST", headers: op });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: U, room: ROOM, removal: { ok: true } });
    expect(await rooms(U)).toEqual(["lobby"]);
    const calls = (await trtcCalls()).filter((c) => (c.body?.UserIds as string[] | undefined)?.includes(U));
    expect(calls.map((c) => [c.action, c.body?.RoomId])).toEqual([["RemoveUser", ROOM]]);
    expect(lastAudit(REMOVE)).toMatchObject({ room: ROOM, userId: U, outcome: "removed", actor: "operator" });
    // No ban: they may come back.
    expect(((await (await send(`${base}/users/${U}`, { headers: op })).json()) as Json).ban).toBeNull();
  });

  it('a string room is str: and the percent-encoded strRoomId; str:1234 is the string room "1234"', async () => {
    await enter(U, "main stage/1");
    await enter(U, "1234");
    const path = `${base}/rooms/str:${encodeURIComponent("main stage/1")}/users/${U}/remove`;
    const response = await send(path, { method: "POST", headers: op });
    expect(await response.json()).toEqual({ userId: U, room: "main stage/1", removal: { ok: true } });
    const removed = await send(`${base}/rooms/str:1234/users/${U}/remove`, { method: "POST", headers: op });
    expect(((await removed.json()) as Json).room).toBe("1234");
    expect(await rooms(U)).toEqual([]);
    const calls = (await trtcCalls()).filter((c) => (c.body?.UserIds as string[] | undefined)?.includes(U));
    expect(calls.map((c) => [c.action, c.body?.RoomId])).toEqual([
      ["RemoveUserByStrRoomId", "main stage/1"],
      ["RemoveUserByStrRoomId", "1234"],
    ]);
  });

  it("Tencent's refusal is in the answer (200, removal.ok false) and the audit line", async () => {
    await enter(U, ROOM);
    await scriptTrtc({ kind: "error", code: "FailedOperation.UserNotExist" });
    const response = await send(`${base}/rooms/${ROOM}/users/${U}/remove`, { method: "POST", headers: op });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { removal: Json };
    expect(body.removal).toMatchObject({ ok: false, errorCode: "FailedOperation.UserNotExist" });
    expect(lastAudit(REMOVE)).toMatchObject({ outcome: "remove-failed", tencentCode: "FailedOperation.UserNotExist" });
  });

  it("an admin identity, or a variant of one, is never removed: 409, nothing called", async () => {
    await enter("administrator", ROOM);
    for (const admin of ["administrator", "Administrator"]) {
      await problem(
        await send(`${base}/rooms/${ROOM}/users/${admin}/remove`, { method: "POST", headers: op }),
        409,
        "ADMIN_NOT_REMOVABLE",
      );
    }
    expect((await trtcCalls()).filter((c) => c.action === "RemoveUser")).toEqual([]);
    expect(await rooms("administrator")).toEqual([ROOM]);
  });

  it("a room that is neither a number nor str:…: 400 naming roomId", async () => {
    for (const room of ["lobby", "0", "4294967295", "str:", `str:${"x".repeat(65)}`, "01"]) {
      const response = await send(`${base}/rooms/${room}/users/${U}/remove`, { method: "POST", headers: op });
      expect((await problem(response, 400, "BAD_REQUEST")).field, room).toBe("roomId");
    }
  });

  it("who may: not anonymous (401), not an API key without allowModeration (403)", async () => {
    await problem(await send(`${base}/rooms/${ROOM}/users/${U}/remove`, { method: "POST" }), 401, "UNAUTHORIZED");
    await problem(
      await send(`${base}/rooms/${ROOM}/users/${U}/remove`, { method: "POST", headers: withApiKey(PLAIN_KEY) }),
      403,
      "MODERATION_NOT_ALLOWED",
    );
    await problem(await send(`${base}/users/${U}`, { headers: withApiKey(PLAIN_KEY) }), 403, "MODERATION_NOT_ALLOWED");
  });
});

describe("POST …/rooms/{roomId}/dismiss", () => {
  it("DismissRoom (numeric) or DismissRoomByStrRoomId (str:), and the room's presence cleared", async () => {
    const other = `dave${run}`;
    await enter(U, ROOM);
    await enter(other, ROOM);
    const response = await send(`${base}/rooms/${ROOM}/dismiss`, { method: "POST", headers: op });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ room: ROOM, dismissal: { ok: true } });
    expect(await rooms(U)).toEqual([]);
    expect(await rooms(other)).toEqual([]);
    expect(lastAudit(DISMISS)).toMatchObject({ room: ROOM, outcome: "dismissed" });
    const stage = `stage${run}`;
    await enter(U, stage);
    await send(`${base}/rooms/str:${stage}/dismiss`, { method: "POST", headers: op });
    expect(
      (await trtcCalls()).filter((c) => c.action?.startsWith("Dismiss")).map((c) => [c.action, c.body?.RoomId]),
    ).toEqual([
      ["DismissRoom", ROOM],
      ["DismissRoomByStrRoomId", stage],
    ]);
  });

  it("Tencent's refusal: 200 with dismissal.ok false, presence kept", async () => {
    const stage = `closed${run}`;
    await enter(U, stage);
    await scriptTrtc({ kind: "error", code: "FailedOperation.RoomNotExist" });
    const body = (await (await send(`${base}/rooms/str:${stage}/dismiss`, { method: "POST", headers: op })).json()) as {
      dismissal: Json;
    };
    expect(body.dismissal).toMatchObject({ ok: false, errorCode: "FailedOperation.RoomNotExist", retrying: false });
    expect(await rooms(U)).toEqual([stage]);
    expect(lastAudit(DISMISS)).toMatchObject({
      outcome: "dismiss-failed",
      tencentCode: "FailedOperation.RoomNotExist",
    });
  });
});

describe("a single-page app's moderators (CORS)", () => {
  it("preflights from a listed origin name each route's method; the answers carry its origin", async () => {
    for (const [path, method] of [
      [`${base}/rooms/${ROOM}/users/${U}/remove`, "POST"],
      [`${base}/rooms/str:lobby/dismiss`, "POST"],
      [`${base}/users/${U}`, "GET"],
    ] as const) {
      const preflight = await send(path, {
        method: "OPTIONS",
        headers: {
          Origin: SPA,
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": "authorization",
        },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers.get("Access-Control-Allow-Methods"), path).toBe(method);
      expect(preflight.headers.get("Access-Control-Allow-Origin"), path).toBe(SPA);
    }
    const answer = await send(`${base}/users/${U}`, { headers: { ...op, Origin: SPA } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("Access-Control-Allow-Origin")).toBe(SPA);
  });

  it("an origin the app does not list is refused", async () => {
    const response = await send(`${base}/users/${U}`, { headers: { ...op, Origin: "https://elsewhere.example" } });
    await problem(response, 403, "ORIGIN_NOT_ALLOWED");
  });
});
