/**
 * TRTC's room callbacks, verified before anything in them is read (pure: WebCrypto only).
 *
 * As Tencent documents them ("Room&Media Webhooks", https://trtc.io/document/39558; Chinese:
 * https://cloud.tencent.com/document/practice/647/51586): a POST with a JSON body; headers `Sign`
 * (the signature) and `SdkAppId`; the signature is base64(HMAC-SHA256(callback key, the raw body)),
 * the key being the one set in the TRTC console (up to 32 letters and digits). The body:
 * `EventGroupId` (1: room events), `EventType` (102 room dismissed, 103 enter room, 104 exit room,
 * …), `CallbackTs` (unix ms: when the callback was sent), `EventInfo` (`RoomId`: a number, or a
 * string for string rooms; `EventTs`, unix s; `UserId`, on a user's events; `UniqueId`; …). Tencent waits 5 s for an answer (HTTP 200), retries at
 * once after a failure and then every 10 s for up to a minute: one event can arrive several times,
 * each with a new CallbackTs, so an event is known by its own fields (`eventKey`), not by the body.
 */

import {
  CALLBACK_MAX_SKEW_MS,
  CallbackError,
  checkSize,
  eventKeyOf,
  forIdentifiedApp,
  isObject,
  parseJsonObject,
  parseSdkAppId,
} from "./errors.js";

export const TRTC_EVENT_DISMISS_ROOM = 102;
export const TRTC_EVENT_ENTER_ROOM = 103;
export const TRTC_EVENT_EXIT_ROOM = 104;
const USER_ID_MAX_CHARS = 64;
const STR_ROOM_ID_MAX_CHARS = 64;
const ROOM_ID_MAX = 0xffff_fffe;

export interface TrtcCallbackInput {
  /** The `SdkAppId` header. */
  sdkAppId: string | null;
  /** The `Sign` header. */
  sign: string | null;
  /** The raw body, as received. */
  body: Uint8Array;
}

export type TrtcCallback =
  | {
      sdkAppId: number;
      kind: "enter" | "exit";
      eventType: number;
      roomId: number | string;
      userId: string;
      /** The event's own time, unix seconds (EventTs), or CallbackTs's when absent. */
      eventSeconds: number;
      /** The same for every delivery of one event (eventKeyOf: 64 hex digits). */
      eventKey: string;
    }
  | {
      sdkAppId: number;
      /** 102: the room was dismissed (no user: everyone in it is out). */
      kind: "dismiss";
      eventType: number;
      roomId: number | string;
      eventSeconds: number;
      eventKey: string;
    }
  | { sdkAppId: number; kind: "other"; eventType: number };

/**
 * Verifies and parses one callback. `keyFor` gives the callback key of a configured app, undefined
 * otherwise (then the app is unknown: refused). Throws CallbackError for every refusal; each one
 * after the app is identified names it (`sdkAppId`, for the audit line).
 */
export async function verifyTrtcCallback(
  input: TrtcCallbackInput,
  keyFor: (sdkAppId: number) => string | undefined,
  nowMs: number,
): Promise<TrtcCallback> {
  checkSize(input.body);
  const sdkAppId = parseSdkAppId(input.sdkAppId);
  const key = sdkAppId === undefined ? undefined : keyFor(sdkAppId);
  if (sdkAppId === undefined || key === undefined) {
    throw new CallbackError("CALLBACK_UNKNOWN_APP", "The callback's SdkAppId is not an app configured for callbacks.");
  }
  return forIdentifiedApp(sdkAppId, () => verifyForApp(sdkAppId, key, input, nowMs));
}

/** The signature, the freshness and Tencent's JSON of a callback for `sdkAppId`, whose key is `key`. */
async function verifyForApp(
  sdkAppId: number,
  key: string,
  input: TrtcCallbackInput,
  nowMs: number,
): Promise<TrtcCallback> {
  if (!(await signatureVerifies(key, input.sign, input.body))) {
    throw new CallbackError("CALLBACK_BAD_SIGNATURE", "The callback's Sign does not verify.");
  }
  const body = parseJsonObject(input.body);
  const callbackTs = body.CallbackTs;
  if (typeof callbackTs !== "number" || !Number.isFinite(callbackTs)) {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback has no CallbackTs.");
  }
  if (Math.abs(nowMs - callbackTs) > CALLBACK_MAX_SKEW_MS) {
    throw new CallbackError("CALLBACK_STALE", "The callback's CallbackTs is more than 60 s from the clock.");
  }
  const eventType = body.EventType;
  if (typeof eventType !== "number" || !Number.isInteger(eventType)) {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback has no EventType.");
  }
  if (
    eventType !== TRTC_EVENT_ENTER_ROOM &&
    eventType !== TRTC_EVENT_EXIT_ROOM &&
    eventType !== TRTC_EVENT_DISMISS_ROOM
  ) {
    return { sdkAppId, kind: "other", eventType };
  }
  const info = body.EventInfo;
  if (!isObject(info)) throw new CallbackError("CALLBACK_MALFORMED", "The callback has no EventInfo.");
  const roomId = info.RoomId;
  const validRoom =
    typeof roomId === "number"
      ? Number.isInteger(roomId) && roomId >= 1 && roomId <= ROOM_ID_MAX
      : typeof roomId === "string" && roomId.length >= 1 && roomId.length <= STR_ROOM_ID_MAX_CHARS;
  if (!validRoom) throw new CallbackError("CALLBACK_MALFORMED", "The callback's EventInfo.RoomId is not a room.");
  // Tencent documents EventTs (s) on every room event; without it, every 103 of one user and room
  // would share an event key, and a re-entry within the dedupe window would pass as a redelivery
  // (and every dismissal of one room ID, a later one included, would be one event).
  const eventTs = info.EventTs;
  if (typeof eventTs !== "number" || !Number.isInteger(eventTs) || eventTs < 0) {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback's EventInfo.EventTs is not unix seconds.");
  }
  const uniqueId = typeof info.UniqueId === "number" || typeof info.UniqueId === "string" ? info.UniqueId : "";
  if (eventType === TRTC_EVENT_DISMISS_ROOM) {
    return {
      sdkAppId,
      kind: "dismiss",
      eventType,
      roomId: roomId as number | string,
      eventSeconds: eventTs,
      eventKey: await eventKeyOf([eventType, roomId, eventTs, uniqueId]),
    };
  }
  const userId = info.UserId;
  if (typeof userId !== "string" || userId.length === 0 || userId.length > USER_ID_MAX_CHARS) {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback's EventInfo.UserId is not a UserID.");
  }
  return {
    sdkAppId,
    kind: eventType === TRTC_EVENT_ENTER_ROOM ? "enter" : "exit",
    eventType,
    roomId: roomId as number | string,
    userId,
    eventSeconds: eventTs,
    eventKey: await eventKeyOf([eventType, roomId, userId, eventTs, uniqueId]),
  };
}

/** base64(HMAC-SHA256(key, body)) against the header, in constant time (WebCrypto's verify). */
async function signatureVerifies(key: string, sign: string | null, body: Uint8Array): Promise<boolean> {
  if (!sign || sign.length > 128) return false;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = Uint8Array.from(atob(sign.trim()), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  if (signature.byteLength !== 32) return false;
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  return crypto.subtle.verify("HMAC", cryptoKey, signature, new Uint8Array(body));
}
