// Tencent's callbacks over HTTP, sent exactly as Tencent sends them (signatures computed here with
// WebCrypto, independently of src/callbacks/): TRTC's room events to POST /v1/callbacks/trtc (headers
// SdkAppId and Sign = base64(HMAC-SHA256(key, raw body))) and Chat's webhooks to POST
// /v1/callbacks/chat (SdkAppid, CallbackCommand, contenttype, ClientIP, OptPlatform, RequestTime and
// Sign = hex(SHA-256(token + RequestTime)) in the query). The real Worker in workerd, the app's
// moderation Durable Object in Miniflare, Tencent's Chat REST and TRTC Cloud APIs played by the fakes.
// Every refusal leaves nothing recorded and calls nothing; every callback has its audit line, and no
// captured output holds the key, the token or a signature.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  banInObject,
  c2cBeforeSend,
  hmacBase64,
  sha256Hex,
  stateChange as stateChangeAt,
  tencentCallbacks,
} from "../support/callbacks.js";
import { moderatedApp, moderationEnv, queuedTasks, setupFakes } from "../support/moderation.js";
import { bearer } from "../support/requests.js";
import { tencentCalls } from "../tencent/helpers.js";
import { scriptTrtc, trtcCalls } from "../tencent/trtc-helpers.js";
import { call, fakeClock, freshIsolate, type Json, problem } from "./helpers.js";

const APP = 1400016101;
/** An app of this broker that has not switched its callbacks on. */
const QUIET_APP = 1400016102;
const ROOM = 5150;
const TRTC_KEY = "TrtcCallbackKey0123456789abcdefG";
const CHAT_TOKEN = "chat-callback-token-0123456789-abcdef";
const OPERATOR = "operator-token-for-the-callback-tests-0123456789";
const REFUSE_CODE = 120_001;

const apps = [
  moderatedApp(APP, { callbacks: { trtc: true, chat: true, beforeSendRefuseCode: REFUSE_CODE } }),
  moderatedApp(QUIET_APP),
];
const testEnv = moderationEnv(apps, {
  [`TRTC_CALLBACK_KEY_${APP}`]: TRTC_KEY,
  [`CHAT_CALLBACK_TOKEN_${APP}`]: CHAT_TOKEN,
  ADMIN_API_TOKEN: OPERATOR,
});

const clock = fakeClock();
const captured: string[] = [];
/**
 * The app's object lives for the whole file (its bans, presence, seen events and retry queue), so
 * each test has users of its own: M (banned in most tests), A, E.
 */
let run = 0;
let M = "";
let A = "";
let E = "";

beforeEach(async () => {
  run++;
  M = `mallory${run}`;
  A = `alice${run}`;
  E = `eve${run}`;
  clock.set(Date.now());
  freshIsolate({ clock: clock.read });
  await setupFakes([APP, QUIET_APP]);
  for (const method of ["log", "error", "warn"] as const) {
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void captured.push(args.map(String).join(" ")),
    );
  }
});
afterEach(() => vi.restoreAllMocks());

const send = (path: string, init: RequestInit) => call(undefined, path, init, testEnv);
const { roomEvent, trtcCallback, chatUrl, chatPost } = tencentCallbacks({
  sdkAppId: APP,
  trtcKey: TRTC_KEY,
  chatToken: CHAT_TOKEN,
  room: ROOM,
  nowMs: () => clock.ms,
  send,
});

const c2c = (from: string): Json => c2cBeforeSend(from, clock.ms);
const group = (from: string): Json => ({
  CallbackCommand: "Group.CallbackBeforeSendMsg",
  GroupId: "@TGS#2J4SZEAEL",
  Type: "Public",
  From_Account: from,
  Operator_Account: from,
  Random: 123456,
  MsgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: "hello" } }],
});
const stateChange = (userId: string, action = "Login"): Json => stateChangeAt(userId, clock.ms, action);

/** A ban in the app's object, as the moderation routes make it. */
const ban = (userId: string) => banInObject(APP, testEnv, userId, clock.ms);

/** The TRTC Cloud API calls the fake saw for `userId` (an earlier test's retries may still arrive). */
async function trtcCallsFor(userId: string) {
  return (await trtcCalls()).filter((c) => (c.body?.UserIds as string[] | undefined)?.includes(userId));
}

/** GET …/users/{userId} as the operator. */
async function userView(
  userId: string,
  sdkAppId = APP,
): Promise<{ userId: string; ban: Json | null; rooms: unknown[] }> {
  const response = await send(`/v1/admin/apps/${sdkAppId}/users/${encodeURIComponent(userId)}`, {
    headers: bearer(OPERATOR),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

/** The audit lines written since `from`, parsed. */
function auditLines(from = 0): Json[] {
  return captured
    .slice(from)
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Json)
    .filter((line) => line.event === "decision");
}

describe("TRTC room callbacks", () => {
  it("103 and 104 keep presence; the answer is HTTP 200 {code: 0}", async () => {
    const entered = await trtcCallback(roomEvent(103, A));
    expect(entered.status).toBe(200);
    expect(await entered.json()).toEqual({ code: 0 });
    await trtcCallback(roomEvent(103, A, "lobby"));
    expect((await userView(A)).rooms.sort()).toEqual([ROOM, "lobby"].sort());
    clock.advance(1000);
    expect((await trtcCallback(roomEvent(104, A))).status).toBe(200);
    expect((await userView(A)).rooms).toEqual(["lobby"]);
    expect(await trtcCallsFor(A)).toEqual([]);
  });

  it("a banned user entering a room is removed from it at once (RemoveUser, signed; the string room: …ByStrRoomId)", async () => {
    await ban(M);
    const from = captured.length;
    expect((await trtcCallback(roomEvent(103, M))).status).toBe(200);
    const calls = await trtcCallsFor(M);
    expect(calls.map((c) => [c.action, c.verdict, c.body?.RoomId, c.body?.UserIds])).toEqual([
      ["RemoveUser", "ok", ROOM, [M]],
    ]);
    expect(auditLines(from).at(-1)).toMatchObject({
      route: "/v1/callbacks/trtc",
      status: 200,
      app: APP,
      callbackEvent: "trtc:103",
      userId: M,
      room: ROOM,
      outcome: "removed",
    });
    await trtcCallback(roomEvent(103, M, "stage"));
    expect((await trtcCallsFor(M)).at(-1)).toMatchObject({ action: "RemoveUserByStrRoomId", verdict: "ok" });
    const view = await userView(M);
    expect(view.ban).toMatchObject({ userId: M });
    expect(view.rooms).toEqual([]);
  });

  it("a case variant of a banned UserID is removed too", async () => {
    await ban(M);
    await trtcCallback(roomEvent(103, M.toUpperCase()));
    expect((await trtcCallsFor(M.toUpperCase())).map((c) => c.body?.UserIds)).toEqual([[M.toUpperCase()]]);
  });

  it("a removal Tencent refused is in the audit line (queued for the object's alarm), and the answer is still 200", async () => {
    await ban(M);
    await scriptTrtc({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    const from = captured.length;
    expect((await trtcCallback(roomEvent(103, M))).status).toBe(200);
    expect(auditLines(from).at(-1)).toMatchObject({ outcome: "removal-queued", stepReason: expect.any(String) });
  });

  it("a redelivery of one 103 (Tencent retries with a new CallbackTs) is acted on once", async () => {
    await ban(M);
    const event = roomEvent(103, M);
    await trtcCallback(event);
    clock.advance(10_000);
    const from = captured.length;
    const again = await trtcCallback({ ...event, CallbackTs: clock.ms });
    expect(again.status).toBe(200);
    expect(auditLines(from).at(-1)).toMatchObject({ outcome: "duplicate" });
    expect((await trtcCallsFor(M)).length).toBe(1);
  });

  it("only POST: another method is 405 with Allow", async () => {
    for (const path of ["/v1/callbacks/trtc", "/v1/callbacks/chat"]) {
      const response = await send(path, { method: "GET" });
      await problem(response, 405, "METHOD_NOT_ALLOWED");
      expect(response.headers.get("Allow")).toBe("POST");
    }
  });

  it("another event type is answered and ignored", async () => {
    const response = await trtcCallback(roomEvent(201, A));
    expect(await response.json()).toEqual({ code: 0 });
    expect((await userView(A)).rooms).toEqual([]);
  });
});

describe("TRTC 102: a room dismissed", () => {
  /**
   * A room of each test's own: the object (which lives for the whole file) remembers a dismissal for
   * 10 minutes, and the fake clock of an earlier test may be ahead of this one's.
   */
  let R = 0;
  beforeEach(() => {
    R = 60_000 + run;
  });
  /** A 102 as Tencent sends it: the room and the time, no user. */
  const dismissal = (room: number | string = R, info: Json = {}): Json =>
    roomEvent(102, "", room, {
      UserId: undefined,
      Role: undefined,
      TerminalType: undefined,
      UserType: undefined,
      Reason: undefined,
      ...info,
    });

  it("clears everyone's presence in that room (no other room); a redelivery once; a later entry stays", async () => {
    await trtcCallback(roomEvent(103, A, R));
    await trtcCallback(roomEvent(103, E, R));
    await trtcCallback(roomEvent(103, A, "lobby"));
    clock.advance(1000);
    const event = dismissal();
    const from = captured.length;
    const dismissed = await trtcCallback(event);
    expect(dismissed.status).toBe(200);
    expect(await dismissed.json()).toEqual({ code: 0 });
    expect(auditLines(from).at(-1)).toMatchObject({
      route: "/v1/callbacks/trtc",
      status: 200,
      app: APP,
      callbackEvent: "trtc:102",
      room: R,
      outcome: "dismissed",
    });
    expect((await userView(A)).rooms).toEqual(["lobby"]);
    expect((await userView(E)).rooms).toEqual([]);
    // Tencent's retry of the same 102 (a new CallbackTs): acted on once.
    clock.advance(10_000);
    const again = captured.length;
    expect((await trtcCallback({ ...event, CallbackTs: clock.ms })).status).toBe(200);
    expect(auditLines(again).at(-1)).toMatchObject({ callbackEvent: "trtc:102", outcome: "duplicate" });
    // A 103 of the room delivered late, its entry before the dismissal: adds nothing.
    const dismissedAt = (event.EventInfo as Json).EventTs as number;
    await trtcCallback(roomEvent(103, E, R, { EventTs: dismissedAt - 1 }));
    expect((await userView(E)).rooms).toEqual([]);
    // A later entry into a room of the same ID: a new session, present.
    await trtcCallback(roomEvent(103, A, R));
    expect((await userView(A)).rooms.sort()).toEqual([R, "lobby"].sort());
    expect(await trtcCallsFor(A)).toEqual([]);
  });

  it("drops the removals from that room still queued for the alarm (a failed RemoveUser), not another room's", async () => {
    await trtcCallback(roomEvent(103, M, R));
    await trtcCallback(roomEvent(103, M, R + 1));
    clock.advance(1000);
    // Tencent fails both removals of the ban (each tried twice): each is queued for the alarm.
    const down = { kind: "http", status: 503 } as const;
    await scriptTrtc(down, down, down, down);
    await ban(M);
    const removals = async () =>
      (await queuedTasks(APP)).filter((task) => task.kind === "remove" && task.user_id === M).map((task) => task.room);
    expect((await removals()).sort()).toEqual([`n:${R}`, `n:${R + 1}`].sort());
    clock.advance(1000);
    expect((await trtcCallback(dismissal())).status).toBe(200);
    expect(await removals()).toEqual([`n:${R + 1}`]);
  });

  it("a string room's 102 clears that room only, not the numeric room of the same digits", async () => {
    await trtcCallback(roomEvent(103, A, String(R)));
    await trtcCallback(roomEvent(103, A, R));
    clock.advance(1000);
    expect((await trtcCallback(dismissal(String(R)))).status).toBe(200);
    expect((await userView(A)).rooms).toEqual([R]);
  });

  it("a 102 that does not verify (another key, no Sign, stale, another app, no EventTs) clears nothing", async () => {
    await trtcCallback(roomEvent(103, A, R));
    clock.advance(1000);
    const event = dismissal();
    await problem(await trtcCallback(event, { key: "AnotherKey0123456789" }), 401, "UNAUTHORIZED");
    await problem(await trtcCallback(event, { sign: null }), 401, "UNAUTHORIZED");
    await problem(await trtcCallback(event, { sdkAppId: String(QUIET_APP) }), 404, "UNKNOWN_SDKAPPID");
    await problem(await trtcCallback(dismissal(R, { EventTs: undefined })), 400, "BAD_REQUEST");
    clock.advance(61_000);
    await problem(await trtcCallback(event), 401, "UNAUTHORIZED");
    expect((await userView(A)).rooms).toEqual([R]);
  });
});

describe("a ban made through the moderation route", () => {
  it("is enforced by the next callbacks: re-entry removed, messages refused", async () => {
    const put = await send(`/v1/admin/apps/${APP}/bans/${M}`, {
      method: "PUT",
      headers: { ...bearer(OPERATOR), "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "spam" }),
    });
    expect(put.status).toBe(201);
    await trtcCallback(roomEvent(103, M));
    expect((await trtcCallsFor(M)).map((c) => [c.action, c.body?.RoomId])).toEqual([["RemoveUser", ROOM]]);
    const refused = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), c2c(M));
    expect(((await refused.json()) as Json).ErrorCode).toBe(REFUSE_CODE);
  });
});

describe("TRTC callbacks that do not verify: a problem, nothing recorded, nothing called", () => {
  async function nothingHappened() {
    expect((await userView(M)).rooms).toEqual([]);
    expect(await trtcCallsFor(M)).toEqual([]);
  }

  beforeEach(async () => {
    await ban(M);
  });

  it("a Sign made with another key, a missing Sign, a Sign of another body: 401", async () => {
    const event = roomEvent(103, M);
    await problem(await trtcCallback(event, { key: "AnotherKey0123456789" }), 401, "UNAUTHORIZED");
    await problem(await trtcCallback(event, { sign: null }), 401, "UNAUTHORIZED");
    const signed = await hmacBase64(TRTC_KEY, JSON.stringify(event));
    await problem(await trtcCallback({ ...event, EventType: 104 }, { sign: signed }), 401, "UNAUTHORIZED");
    await nothingHappened();
  });

  it("a CallbackTs more than 60 s old (a replay) or ahead: 401", async () => {
    const event = roomEvent(103, M);
    clock.advance(61_000);
    await problem(await trtcCallback(event), 401, "UNAUTHORIZED");
    await problem(await trtcCallback({ ...event, CallbackTs: clock.ms + 61_000 }), 401, "UNAUTHORIZED");
    await nothingHappened();
  });

  it("an app this broker does not serve, one without callbacks.trtc, or no SdkAppId: 404", async () => {
    const event = roomEvent(103, M);
    await problem(await trtcCallback(event, { sdkAppId: "1400099999" }), 404, "UNKNOWN_SDKAPPID");
    await problem(await trtcCallback(event, { sdkAppId: String(QUIET_APP) }), 404, "UNKNOWN_SDKAPPID");
    await problem(await trtcCallback(event, { sdkAppId: null }), 404, "UNKNOWN_SDKAPPID");
    await nothingHappened();
  });

  it("a body over 64 KiB: 413", async () => {
    const big = roomEvent(103, M, ROOM, { Padding: "x".repeat(64 * 1024) });
    await problem(await trtcCallback(big), 413, "BODY_TOO_LARGE");
    await nothingHappened();
  });

  it("signed, but not Tencent's JSON: 400", async () => {
    for (const body of ["not json", "[]", JSON.stringify({ ...roomEvent(103, M), EventInfo: { RoomId: ROOM } })]) {
      await problem(await trtcCallback(body), 400, "BAD_REQUEST");
    }
    await nothingHappened();
  });
});

describe("Chat before-send callbacks", () => {
  it("a banned sender's one-to-one and group messages are refused with the app's code; others are sent", async () => {
    await ban(M);
    const refused = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), c2c(M));
    expect(refused.status).toBe(200);
    expect(await refused.json()).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: REFUSE_CODE });
    const inGroup = await chatPost(await chatUrl("Group.CallbackBeforeSendMsg"), group(`M${M.slice(1)}`));
    expect(((await inGroup.json()) as Json).ErrorCode).toBe(REFUSE_CODE);
    const from = captured.length;
    const allowed = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), c2c(A));
    expect(await allowed.json()).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
    expect(auditLines(from).at(-1)).toMatchObject({
      route: "/v1/callbacks/chat",
      app: APP,
      callbackEvent: "C2C.CallbackBeforeSendMsg",
      userId: A,
      outcome: "allowed",
    });
  });

  it("a long message (20 KiB, over the 8 KiB of the broker's own routes) is decided, not refused as too large", async () => {
    const long = { ...c2c(M), MsgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: "x".repeat(20 * 1024) } }] };
    const response = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), long);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).ErrorCode).toBe(0);
  });

  it("a ban made just now is seen by the next callback (the object, not an isolate's cache)", async () => {
    const before = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), c2c(E));
    expect(((await before.json()) as Json).ErrorCode).toBe(0);
    await ban(E);
    const after = await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), c2c(E));
    expect(((await after.json()) as Json).ErrorCode).toBe(REFUSE_CODE);
  });

  it("an app without beforeSendRefuseCode refuses with 1", async () => {
    const plainEnv = moderationEnv([moderatedApp(APP, { callbacks: { chat: true } })], {
      [`CHAT_CALLBACK_TOKEN_${APP}`]: CHAT_TOKEN,
    });
    await ban(M);
    const response = await call(
      undefined,
      await chatUrl("C2C.CallbackBeforeSendMsg"),
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(c2c(M)),
      },
      plainEnv,
    );
    expect(((await response.json()) as Json).ErrorCode).toBe(1);
  });
});

describe("Chat State.StateChange", () => {
  it("a banned user's Login is kicked again in Chat; a redelivery once; others and Logout: nothing", async () => {
    await ban(M);
    const kicksBefore = (await tencentCalls()).filter((c) => c.command === "kick").length;
    const body = stateChange(M);
    const response = await chatPost(await chatUrl("State.StateChange"), body);
    expect(await response.json()).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
    clock.advance(5_000);
    const from = captured.length;
    await chatPost(await chatUrl("State.StateChange"), body);
    expect(auditLines(from).at(-1)).toMatchObject({ callbackEvent: "State.StateChange:Login", outcome: "duplicate" });
    await chatPost(await chatUrl("State.StateChange"), stateChange(A));
    await chatPost(await chatUrl("State.StateChange"), stateChange(M, "Logout"));
    const kicks = (await tencentCalls()).filter((c) => c.command === "kick");
    expect(kicks.length - kicksBefore).toBe(1);
  });

  it("any other command is verified, answered OK and ignored", async () => {
    const response = await chatPost(await chatUrl("Group.CallbackAfterSendMsg"), {
      CallbackCommand: "Group.CallbackAfterSendMsg",
    });
    expect(await response.json()).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
  });
});

describe("Chat callbacks that do not verify: a problem, nothing read or done", () => {
  beforeEach(async () => {
    await ban(M);
  });

  /** No kick since the ban's own. */
  async function noKick() {
    expect((await tencentCalls()).filter((c) => c.command === "kick" && c.body?.UserID === M)).toHaveLength(1);
  }

  it("a Sign made with another token, no Sign, a Sign of another RequestTime: 401", async () => {
    const body = stateChange(M);
    await problem(
      await chatPost(await chatUrl("State.StateChange", { token: "another-token" }), body),
      401,
      "UNAUTHORIZED",
    );
    await problem(await chatPost(await chatUrl("State.StateChange", { sign: null }), body), 401, "UNAUTHORIZED");
    const earlier = String(Math.floor(clock.ms / 1000) - 1);
    const wrongTime = await chatUrl("State.StateChange", { sign: await sha256Hex(`${CHAT_TOKEN}${earlier}`) });
    await problem(await chatPost(wrongTime, body), 401, "UNAUTHORIZED");
    await noKick();
  });

  it("the same signed request replayed more than 60 s later: 401", async () => {
    const url = await chatUrl("State.StateChange");
    clock.advance(61_000);
    await problem(await chatPost(url, stateChange(M)), 401, "UNAUTHORIZED");
    await noKick();
  });

  it("an app this broker does not serve, or one without callbacks.chat: 404", async () => {
    for (const sdkAppId of ["1400099999", String(QUIET_APP)]) {
      await problem(
        await chatPost(await chatUrl("State.StateChange", { sdkAppId }), stateChange(M)),
        404,
        "UNKNOWN_SDKAPPID",
      );
    }
    await noKick();
  });

  it("a body over 64 KiB: 413; signed, but not Tencent's JSON: 400", async () => {
    const big = { ...c2c(M), Padding: "x".repeat(64 * 1024) };
    await problem(await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), big), 413, "BODY_TOO_LARGE");
    await problem(await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), "{not json"), 400, "BAD_REQUEST");
    await problem(await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg"), { From_Account: 7 }), 400, "BAD_REQUEST");
    await problem(await chatPost(await chatUrl("State.StateChange"), { Info: { To_Account: M } }), 400, "BAD_REQUEST");
    await noKick();
  });
});

describe("captured output", () => {
  it("every callback has an audit line; none holds the key, the token or a signature", async () => {
    await ban(M);
    const from = captured.length;
    const event = roomEvent(103, M);
    const trtcSign = await hmacBase64(TRTC_KEY, JSON.stringify(event));
    await trtcCallback(event);
    await trtcCallback(event, { key: "AnotherKey0123456789" });
    const url = await chatUrl("C2C.CallbackBeforeSendMsg");
    await chatPost(url, c2c(M));
    const chatSign = new URL(url, "https://x").searchParams.get("Sign") as string;
    const lines = auditLines(from);
    expect(lines.map((l) => [l.route, l.status, l.outcome])).toEqual([
      ["/v1/callbacks/trtc", 200, "removed"],
      ["/v1/callbacks/trtc", 401, "refused"],
      ["/v1/callbacks/chat", 200, "refused"],
    ]);
    const text = captured.join("\n");
    for (const secret of [TRTC_KEY, CHAT_TOKEN, trtcSign, chatSign, OPERATOR]) expect(text).not.toContain(secret);
  });

  it("a refusal after the app was identified from Tencent's parameter names the app; an unknown app is not named", async () => {
    const from = captured.length;
    const event = roomEvent(103, A);
    const forgedSign = await hmacBase64("AnotherKey0123456789", JSON.stringify(event));
    await trtcCallback(event, { sign: forgedSign });
    await trtcCallback({ ...event, CallbackTs: clock.ms - 61_000 });
    await trtcCallback(JSON.stringify({ ...event, EventInfo: { RoomId: ROOM } }));
    await trtcCallback(event, { sdkAppId: "1400099999" });
    await trtcCallback(event, { sdkAppId: String(QUIET_APP) });
    const badChat = await chatUrl("C2C.CallbackBeforeSendMsg", { token: "another-token" });
    await chatPost(badChat, c2c(M));
    const staleChat = await chatUrl("C2C.CallbackBeforeSendMsg", {
      requestTime: String(Math.floor(clock.ms / 1000) - 61),
    });
    await chatPost(staleChat, c2c(M));
    await chatPost(await chatUrl("C2C.CallbackBeforeSendMsg", { sdkAppId: "1400099999" }), c2c(M));
    const lines = auditLines(from);
    expect(lines.map((l) => [l.route, l.status, l.outcome, l.code, l.app])).toEqual([
      ["/v1/callbacks/trtc", 401, "refused", "UNAUTHORIZED", APP],
      ["/v1/callbacks/trtc", 401, "refused", "UNAUTHORIZED", APP],
      ["/v1/callbacks/trtc", 400, "refused", "BAD_REQUEST", APP],
      ["/v1/callbacks/trtc", 404, "refused", "UNKNOWN_SDKAPPID", undefined],
      ["/v1/callbacks/trtc", 404, "refused", "UNKNOWN_SDKAPPID", undefined],
      ["/v1/callbacks/chat", 401, "refused", "UNAUTHORIZED", APP],
      ["/v1/callbacks/chat", 401, "refused", "UNAUTHORIZED", APP],
      ["/v1/callbacks/chat", 404, "refused", "UNKNOWN_SDKAPPID", undefined],
    ]);
    // Still never the key, the token, a Sign (the forged ones too) or the query.
    const text = captured.slice(from).join("\n");
    const signs = [badChat, staleChat].map((url) => new URL(url, "https://x").searchParams.get("Sign") as string);
    for (const secret of [TRTC_KEY, CHAT_TOKEN, forgedSign, ...signs]) expect(text).not.toContain(secret);
    for (const queryPart of ["RequestTime", "SdkAppid=", "ClientIP", "203.0.113.7", "?"]) {
      expect(text).not.toContain(queryPart);
    }
  });
});
