// Verifying Tencent's callbacks (src/callbacks/) under plain Node, with signatures computed here
// independently with node:crypto: TRTC's Sign = base64(HMAC-SHA256(key, raw body)) and Chat's
// Sign = hex(SHA-256(token + RequestTime)). Every refusal has its case.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { beforeSendAnswer, verifyChatCallback } from "../../src/callbacks/chat.js";
import { CALLBACK_BODY_MAX_BYTES, CallbackError } from "../../src/callbacks/errors.js";
import { verifyTrtcCallback } from "../../src/callbacks/trtc.js";

const APP = 1400000001;
const KEY = "TrtcCallbackKey0123456789abcdefG";
const TOKEN = "chat-callback-token-0123456789";
const NOW_MS = 1_767_000_000_000;
const enc = new TextEncoder();

const trtcBody = (fields: Record<string, unknown> = {}, info: Record<string, unknown> = {}) =>
  JSON.stringify({
    EventGroupId: 1,
    EventType: 103,
    CallbackTs: NOW_MS - 1_000,
    EventInfo: { RoomId: 12345, EventTs: 1_766_999_999, UserId: "mallory", UniqueId: 1615554922656, Role: 20, ...info },
    ...fields,
  });
const trtcSign = (body: string, key = KEY) => createHmac("sha256", key).update(body).digest("base64");
const trtc = (body: string, headers: { sign?: string | null; sdkAppId?: string | null } = {}, nowMs = NOW_MS) =>
  verifyTrtcCallback(
    {
      sdkAppId: headers.sdkAppId === undefined ? String(APP) : headers.sdkAppId,
      sign: headers.sign === undefined ? trtcSign(body) : headers.sign,
      body: enc.encode(body),
    },
    (id) => (id === APP ? KEY : undefined),
    nowMs,
  );

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallbackError);
  return (error as CallbackError).code;
}

describe("TRTC room callbacks", () => {
  it("a signed 103 is an enter: app, room, user, event key", async () => {
    expect(await trtc(trtcBody())).toEqual({
      sdkAppId: APP,
      kind: "enter",
      eventType: 103,
      roomId: 12345,
      userId: "mallory",
      eventSeconds: 1_766_999_999,
      eventKey: createHash("sha256")
        .update(JSON.stringify([103, 12345, "mallory", 1_766_999_999, 1615554922656]))
        .digest("hex"),
    });
  });

  it("a 104 in a string room is an exit; other events are 'other'", async () => {
    const exit = await trtc(trtcBody({ EventType: 104 }, { RoomId: "room-a" }));
    expect(exit).toMatchObject({ kind: "exit", roomId: "room-a", userId: "mallory" });
    expect(await trtc(trtcBody({ EventType: 201 }))).toEqual({ sdkAppId: APP, kind: "other", eventType: 201 });
  });

  it("a signed 102 is a room dismissed: app, room, event key; no UserId needed, EventTs required", async () => {
    const body = trtcBody({ EventType: 102 }, { RoomId: "stage", UserId: undefined, Role: undefined });
    expect(await trtc(body)).toEqual({
      sdkAppId: APP,
      kind: "dismiss",
      eventType: 102,
      roomId: "stage",
      eventSeconds: 1_766_999_999,
      eventKey: createHash("sha256")
        .update(JSON.stringify([102, "stage", 1_766_999_999, 1615554922656]))
        .digest("hex"),
    });
    // Verified first, like every other event: signature, app, freshness.
    expect(await refusal(trtc(body, { sign: trtcSign(body, "another-key") }))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(trtc(body, { sdkAppId: "1400000002" }))).toBe("CALLBACK_UNKNOWN_APP");
    expect(await refusal(trtc(body, {}, NOW_MS + 61_000))).toBe("CALLBACK_STALE");
    for (const info of [{ EventTs: undefined }, { RoomId: 0 }, { RoomId: "" }]) {
      expect(await refusal(trtc(trtcBody({ EventType: 102 }, info))), JSON.stringify(info)).toBe("CALLBACK_MALFORMED");
    }
  });

  it("the event key has a fixed length, whatever the event's fields hold", async () => {
    const wide = await trtc(
      trtcBody({}, { RoomId: "\u0001".repeat(64), UserId: "\u0002".repeat(64), UniqueId: "u".repeat(5000) }),
    );
    expect(wide.kind === "enter" && wide.eventKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a redelivery (new CallbackTs) has the same event key", async () => {
    const first = await trtc(trtcBody());
    const again = await trtc(trtcBody({ CallbackTs: NOW_MS - 200 }));
    expect(first.kind === "enter" && again.kind === "enter" && first.eventKey === again.eventKey).toBe(true);
  });

  it("refuses a wrong, missing, non-base64 or truncated Sign", async () => {
    const body = trtcBody();
    expect(await refusal(trtc(body, { sign: trtcSign(body, "another-key") }))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(trtc(body, { sign: null }))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(trtc(body, { sign: "%%%not base64%%%" }))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(trtc(body, { sign: trtcSign(body).slice(0, 20) }))).toBe("CALLBACK_BAD_SIGNATURE");
    // a body changed after signing
    expect(await refusal(trtc(body.replace("mallory", "mallorz"), { sign: trtcSign(body) }))).toBe(
      "CALLBACK_BAD_SIGNATURE",
    );
  });

  it("refuses an unknown, missing or malformed SdkAppId", async () => {
    const body = trtcBody();
    for (const sdkAppId of ["1400000002", null, "01400000001", "14e8", "-1"]) {
      expect(await refusal(trtc(body, { sdkAppId })), String(sdkAppId)).toBe("CALLBACK_UNKNOWN_APP");
    }
  });

  it("refuses a CallbackTs more than 60 s from the clock, either way", async () => {
    expect(await refusal(trtc(trtcBody({ CallbackTs: NOW_MS - 60_001 })))).toBe("CALLBACK_STALE");
    expect(await refusal(trtc(trtcBody({ CallbackTs: NOW_MS + 60_001 })))).toBe("CALLBACK_STALE");
    expect((await trtc(trtcBody({ CallbackTs: NOW_MS - 60_000 }))).kind).toBe("enter");
  });

  it("refuses a body over 64 KiB before anything else", async () => {
    const big = trtcBody({ Padding: "x".repeat(CALLBACK_BODY_MAX_BYTES) });
    expect(await refusal(trtc(big, { sdkAppId: "1400000002" }))).toBe("CALLBACK_TOO_LARGE");
  });

  it("refuses signed bodies that are not Tencent's JSON", async () => {
    for (const body of [
      "not json",
      "[1]",
      trtcBody({ CallbackTs: "soon" }),
      trtcBody({ EventType: "103" }),
      trtcBody({ EventInfo: null }),
      trtcBody({}, { RoomId: 0 }),
      trtcBody({}, { RoomId: "" }),
      trtcBody({}, { RoomId: 1.5 }),
      trtcBody({}, { UserId: "" }),
      trtcBody({}, { UserId: 7 }),
      // Without EventTs, a re-entry would share the first entry's event key (a "duplicate").
      trtcBody({}, { EventTs: undefined }),
      trtcBody({}, { EventTs: "1766999999" }),
      trtcBody({}, { EventTs: 1.5 }),
    ]) {
      expect(await refusal(trtc(body)), body).toBe("CALLBACK_MALFORMED");
    }
  });
});

const REQUEST_TIME = String(NOW_MS / 1000 - 2);
const chatSign = (token: string, time: string) => createHash("sha256").update(`${token}${time}`).digest("hex");
const chatQuery = (overrides: Record<string, string | null> = {}) => {
  const params: Record<string, string | null> = {
    SdkAppid: String(APP),
    CallbackCommand: "C2C.CallbackBeforeSendMsg",
    contenttype: "json",
    ClientIP: "203.0.113.9",
    OptPlatform: "Web",
    RequestTime: REQUEST_TIME,
    Sign: chatSign(TOKEN, REQUEST_TIME),
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null) query.append(name, value);
  return query;
};
const beforeSend = JSON.stringify({
  CallbackCommand: "C2C.CallbackBeforeSendMsg",
  From_Account: "mallory",
  To_Account: "alice",
  MsgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: "hi" } }],
});
const chat = (query: URLSearchParams, body = beforeSend, nowMs = NOW_MS) =>
  verifyChatCallback({ query, body: enc.encode(body) }, (id) => (id === APP ? TOKEN : undefined), nowMs);

describe("Chat callbacks", () => {
  it("a signed C2C or Group before-send names its sender", async () => {
    expect(await chat(chatQuery())).toEqual({
      sdkAppId: APP,
      command: "C2C.CallbackBeforeSendMsg",
      kind: "before-send",
      fromAccount: "mallory",
    });
    const group = await chat(chatQuery({ CallbackCommand: "Group.CallbackBeforeSendMsg" }));
    expect(group).toMatchObject({ kind: "before-send", fromAccount: "mallory" });
  });

  it("State.StateChange: the action and the user; a redelivery has the same key", async () => {
    const body = JSON.stringify({
      CallbackCommand: "State.StateChange",
      EventTime: 1_766_999_998_000,
      Info: { Action: "Login", To_Account: "mallory", Reason: "Register" },
    });
    const query = chatQuery({ CallbackCommand: "State.StateChange" });
    const first = await chat(query, body);
    expect(first).toMatchObject({ kind: "state", action: "Login", userId: "mallory" });
    const laterTime = String(Number(REQUEST_TIME) + 5);
    const again = await chat(
      chatQuery({ CallbackCommand: "State.StateChange", RequestTime: laterTime, Sign: chatSign(TOKEN, laterTime) }),
      body,
    );
    expect(first.kind === "state" && again.kind === "state" && first.eventKey === again.eventKey).toBe(true);
  });

  it("any other command is verified and ignored", async () => {
    expect(await chat(chatQuery({ CallbackCommand: "Group.CallbackAfterNewMemberJoin" }), "{}")).toEqual({
      sdkAppId: APP,
      command: "Group.CallbackAfterNewMemberJoin",
      kind: "other",
    });
  });

  it("refuses a wrong, missing, repeated or malformed Sign, and a missing RequestTime", async () => {
    expect(await refusal(chat(chatQuery({ Sign: chatSign("another-token", REQUEST_TIME) })))).toBe(
      "CALLBACK_BAD_SIGNATURE",
    );
    expect(await refusal(chat(chatQuery({ Sign: null })))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(chat(chatQuery({ Sign: "zz".repeat(32) })))).toBe("CALLBACK_BAD_SIGNATURE");
    expect(await refusal(chat(chatQuery({ RequestTime: null })))).toBe("CALLBACK_BAD_SIGNATURE");
    const twice = chatQuery();
    twice.append("Sign", chatSign(TOKEN, REQUEST_TIME));
    expect(await refusal(chat(twice))).toBe("CALLBACK_BAD_SIGNATURE");
    // the Sign of another RequestTime
    const other = String(Number(REQUEST_TIME) - 1);
    expect(await refusal(chat(chatQuery({ Sign: chatSign(TOKEN, other) })))).toBe("CALLBACK_BAD_SIGNATURE");
  });

  it("Tencent's published example verifies: Token xxxxyyyy, RequestTime 1669872112 (https://cloud.tencent.com/document/product/269/32431)", async () => {
    const query = chatQuery({
      RequestTime: "1669872112",
      Sign: "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061",
    });
    const verified = await verifyChatCallback(
      { query, body: enc.encode(beforeSend) },
      (id) => (id === APP ? "xxxxyyyy" : undefined),
      1669872112_000,
    );
    expect(verified.kind).toBe("before-send");
  });

  it("accepts the Sign in upper case hex too (a digest is a digest)", async () => {
    expect((await chat(chatQuery({ Sign: chatSign(TOKEN, REQUEST_TIME).toUpperCase() }))).kind).toBe("before-send");
  });

  it("refuses an unknown, missing or repeated SdkAppid", async () => {
    expect(await refusal(chat(chatQuery({ SdkAppid: "1400000002" })))).toBe("CALLBACK_UNKNOWN_APP");
    expect(await refusal(chat(chatQuery({ SdkAppid: null })))).toBe("CALLBACK_UNKNOWN_APP");
    const twice = chatQuery();
    twice.append("SdkAppid", String(APP));
    expect(await refusal(chat(twice))).toBe("CALLBACK_UNKNOWN_APP");
  });

  it("refuses a RequestTime more than 60 s from the clock, even correctly signed", async () => {
    for (const offset of [-61, 61]) {
      const time = String(NOW_MS / 1000 + offset);
      expect(await refusal(chat(chatQuery({ RequestTime: time, Sign: chatSign(TOKEN, time) })))).toBe("CALLBACK_STALE");
    }
  });

  it("refuses a body over 64 KiB, a body that is not JSON, and a before-send without From_Account", async () => {
    expect(await refusal(chat(chatQuery(), "x".repeat(CALLBACK_BODY_MAX_BYTES + 1)))).toBe("CALLBACK_TOO_LARGE");
    expect(await refusal(chat(chatQuery(), "{"))).toBe("CALLBACK_MALFORMED");
    expect(await refusal(chat(chatQuery(), JSON.stringify({ To_Account: "alice" })))).toBe("CALLBACK_MALFORMED");
    expect(await refusal(chat(chatQuery({ CallbackCommand: "no/slash" })))).toBe("CALLBACK_MALFORMED");
  });

  it("the before-send answer: 0 sends, the refusal code refuses", () => {
    expect(beforeSendAnswer(false, 1)).toEqual({ ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 });
    expect(beforeSendAnswer(true, 1).ErrorCode).toBe(1);
    expect(beforeSendAnswer(true, 120001).ErrorCode).toBe(120001);
  });
});
