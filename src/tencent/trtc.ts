/**
 * A client for Tencent's TRTC Cloud API (TencentCloud API 3.0, version 2019-07-22), with no HTTP
 * framework inside. The four room-control actions, as Tencent documents them:
 *
 * - RemoveUser (https://www.tencentcloud.com/document/api/647/34268): SdkAppId (Integer), RoomId
 *   (Integer), UserIds ("List of up to 10 users to be removed"); RemoveUserByStrRoomId
 *   (https://www.tencentcloud.com/document/product/647/39630): the same with RoomId a String.
 *   "A maximum of 20 requests can be initiated per second"; regions ap-beijing, ap-guangzhou,
 *   ap-singapore only.
 * - DismissRoom / DismissRoomByStrRoomId: SdkAppId, RoomId (Integer / String).
 *
 * The request (Signature v3, https://trtc.io/document/34264): `POST /` to the API's host with the JSON
 * body and the headers Content-Type `application/json; charset=utf-8`, Host, X-TC-Action,
 * X-TC-Version, X-TC-Timestamp, X-TC-Region and Authorization (TC3-HMAC-SHA256, tc3.ts). The answer
 * (Responses, e.g. https://tencentcloud.com/document/product/1031/32869) is `{"Response": {…,
 * "RequestId"}}`, with `Response.Error: {Code, Message}` when the request failed.
 *
 * What this module promises (like the Chat client, chat.ts):
 * - Each attempt is bounded (`timeoutMs`); the answer is read up to TRTC_ANSWER_MAX_BYTES; no
 *   redirect is followed (`redirect: "manual"`: a 3xx is an unusable answer).
 * - One retry, after a random 100 to 400 ms, on a network error, a timeout, HTTP 5xx, or Tencent's
 *   `InternalError`. Never more: the caller is waiting (the Durable Object's alarm retries later).
 * - The Authorization header and the SecretKey are never logged, never put into an error, never
 *   returned; nor is Tencent's `Error.Message` (free text): only its `Error.Code`, a fixed name.
 * - fetch, the randomness and the pause are injected; the clock is the caller's (`nowSeconds`).
 */

import { AnswerTooLarge, readBoundedText } from "./bounded-read.js";
import type { TencentFailure } from "./errors.js";
import { TC3_CONTENT_TYPE, tc3Sign } from "./tc3.js";
import { TrtcError } from "./trtc-errors.js";

export const TRTC_API_VERSION = "2019-07-22";
/** The product's name in TC3's credential scope (the host's first label). */
const TRTC_SERVICE = "trtc";
export const TRTC_ATTEMPT_TIMEOUT_MS = 5_000;
/** The four actions answer a RequestId and little else. */
export const TRTC_ANSWER_MAX_BYTES = 64 * 1024;
/** RemoveUser's documented maximum. */
export const TRTC_REMOVE_MAX_USERS = 10;
const RETRY_JITTER_MIN_MS = 100;
const RETRY_JITTER_SPAN_MS = 300;
const MAX_ATTEMPTS = 2;
/** Tencent's common error code for its own failure ("Internal error"): worth one more try. */
const TRY_AGAIN_CODES: ReadonlySet<string> = new Set(["InternalError"]);
/** Tencent's error codes are dotted names; anything else is not kept. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9.]{0,127}$/;

export type TrtcAction = "RemoveUser" | "RemoveUserByStrRoomId" | "DismissRoom" | "DismissRoomByStrRoomId";

/** A TRTC room: a number (RoomId, an Integer) or a string (strRoomId). */
export type TrtcRoom = number | string;

export interface TrtcTarget {
  /** An origin, e.g. https://trtc.tencentcloudapi.com. */
  apiBaseUrl: string;
  region: string;
  sdkAppId: number;
  secretId: string;
  secretKey: string;
}

export interface TrtcClientDeps {
  fetch: (request: Request) => Promise<Response>;
  /** A number in [0, 1): the retry's jitter. */
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export interface TrtcAnswer {
  /** Tencent's `Response.Error.Code`, when it answered one; absent on success. */
  errorCode?: string;
  requestId?: string;
  attempts: number;
}

/**
 * Calls `action` with `params` (SdkAppId is added) and returns Tencent's answer, errors included.
 * Throws TrtcError when no usable answer came after the retry.
 */
export async function callTrtc(
  target: TrtcTarget,
  action: TrtcAction,
  params: Record<string, unknown>,
  nowSeconds: number,
  deps: TrtcClientDeps,
): Promise<TrtcAnswer> {
  const payload = JSON.stringify({ SdkAppId: target.sdkAppId, ...params });
  const label = `trtc ${action}`;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await deps.sleep(RETRY_JITTER_MIN_MS + Math.floor(deps.random() * RETRY_JITTER_SPAN_MS));
    const request = await signedRequest(target, action, payload, nowSeconds);
    const outcome = await attemptOnce(request, deps);
    if ("answer" in outcome) {
      const code = outcome.answer.errorCode;
      if (attempt < MAX_ATTEMPTS && code !== undefined && TRY_AGAIN_CODES.has(code)) continue;
      return { ...outcome.answer, attempts: attempt };
    }
    if (!outcome.retry || attempt >= MAX_ATTEMPTS) {
      throw new TrtcError(outcome.failure, `${label}: ${outcome.reason} (${attempt} attempt(s))`, attempt);
    }
  }
}

export type TrtcOutcome =
  | { ok: true }
  /** `reason`: fixed words for the caller, with Tencent's Error.Code when it answered one. */
  | { ok: false; reason: string; errorCode?: string };

/**
 * Removes up to ten users from one room (RemoveUser for a numeric room, RemoveUserByStrRoomId for a
 * string one). Never throws for Tencent's failures: the outcome says what happened.
 */
export async function removeUsers(
  target: TrtcTarget,
  room: TrtcRoom,
  userIds: readonly string[],
  nowSeconds: number,
  deps: TrtcClientDeps,
): Promise<TrtcOutcome> {
  if (userIds.length < 1 || userIds.length > TRTC_REMOVE_MAX_USERS) {
    throw new RangeError(`RemoveUser takes 1 to ${TRTC_REMOVE_MAX_USERS} users per call`);
  }
  const action = typeof room === "number" ? "RemoveUser" : "RemoveUserByStrRoomId";
  return outcomeOf(() => callTrtc(target, action, { RoomId: checkRoom(room), UserIds: userIds }, nowSeconds, deps));
}

/** Ends a room for everyone in it (DismissRoom / DismissRoomByStrRoomId). */
export async function dismissRoom(
  target: TrtcTarget,
  room: TrtcRoom,
  nowSeconds: number,
  deps: TrtcClientDeps,
): Promise<TrtcOutcome> {
  const action = typeof room === "number" ? "DismissRoom" : "DismissRoomByStrRoomId";
  return outcomeOf(() => callTrtc(target, action, { RoomId: checkRoom(room) }, nowSeconds, deps));
}

function checkRoom(room: TrtcRoom): TrtcRoom {
  if (typeof room === "number" ? !Number.isSafeInteger(room) || room < 1 : room.length === 0) {
    throw new RangeError("a room is a positive integer or a non-empty string");
  }
  return room;
}

async function outcomeOf(call: () => Promise<TrtcAnswer>): Promise<TrtcOutcome> {
  try {
    const answer = await call();
    if (answer.errorCode === undefined) return { ok: true };
    return { ok: false, errorCode: answer.errorCode, reason: `Tencent answered Error.Code ${answer.errorCode}` };
  } catch (error) {
    if (error instanceof TrtcError) {
      return { ok: false, reason: error.timedOut ? "Tencent did not answer in time" : "Tencent could not be reached" };
    }
    throw error;
  }
}

async function signedRequest(
  target: TrtcTarget,
  action: TrtcAction,
  payload: string,
  nowSeconds: number,
): Promise<{ url: string; init: RequestInit }> {
  const url = new URL(target.apiBaseUrl);
  const timestampSeconds = Math.floor(nowSeconds);
  const { authorization } = await tc3Sign({
    secretId: target.secretId,
    secretKey: target.secretKey,
    service: TRTC_SERVICE,
    host: url.host,
    action,
    timestampSeconds,
    payload,
  });
  return {
    url: `${url.origin}/`,
    init: {
      method: "POST",
      redirect: "manual",
      headers: {
        Authorization: authorization,
        "Content-Type": TC3_CONTENT_TYPE,
        "X-TC-Action": action,
        "X-TC-Version": TRTC_API_VERSION,
        "X-TC-Timestamp": String(timestampSeconds),
        "X-TC-Region": target.region,
        Accept: "application/json",
      },
      body: payload,
    },
  };
}

type Attempt = { answer: Omit<TrtcAnswer, "attempts"> } | { failure: TencentFailure; reason: string; retry: boolean };

async function attemptOnce(request: { url: string; init: RequestInit }, deps: TrtcClientDeps): Promise<Attempt> {
  const timeoutMs = deps.timeoutMs ?? TRTC_ATTEMPT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const timedOut = (): Attempt => ({ failure: "timeout", reason: `no answer within ${timeoutMs} ms`, retry: true });
  try {
    let response: Response;
    try {
      response = await deps.fetch(new Request(request.url, { ...request.init, signal: controller.signal }));
    } catch (error) {
      if (controller.signal.aborted) return timedOut();
      return { failure: "network", reason: `network error (${errorName(error)})`, retry: true };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return { failure: "http_status", reason: `HTTP ${response.status}`, retry: response.status >= 500 };
    }
    let text: string;
    try {
      text = await readBoundedText(response, TRTC_ANSWER_MAX_BYTES);
    } catch (error) {
      if (controller.signal.aborted) return timedOut();
      if (error instanceof AnswerTooLarge) return { failure: "too_large", reason: error.message, retry: false };
      return { failure: "network", reason: `answer cut off (${errorName(error)})`, retry: true };
    }
    const answer = parseAnswer(text);
    if (!answer) return { failure: "not_json", reason: "the answer is not TencentCloud API JSON", retry: false };
    return { answer };
  } finally {
    clearTimeout(timer);
  }
}

/** `{"Response": {"RequestId": …, "Error"?: {"Code": …}}}`; anything else is no answer. */
function parseAnswer(text: string): Omit<TrtcAnswer, "attempts"> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const response = isObject(json) ? json.Response : undefined;
  if (!isObject(response)) return undefined;
  const requestId = typeof response.RequestId === "string" ? { requestId: response.RequestId.slice(0, 64) } : {};
  if (response.Error === undefined) return requestId;
  const error = response.Error;
  if (!isObject(error) || typeof error.Code !== "string" || !ERROR_CODE.test(error.Code)) return undefined;
  return { errorCode: error.Code, ...requestId };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}
