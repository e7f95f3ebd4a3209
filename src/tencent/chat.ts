/**
 * A client for Tencent Chat's REST API (server-side administration), with no HTTP framework inside.
 *
 * The request, as Tencent documents it (RESTful API Overview,
 * https://www.tencentcloud.com/document/product/1047/34620):
 *
 *     POST https://{host}/v4/{service}/{command}?sdkappid=…&identifier={admin}&usersig={admin sig}
 *          &random={uint32}&contenttype=json
 *
 * with a JSON body. HTTPS only; parameter names and values are case-sensitive; `identifier` must be
 * an App admin and `usersig` that admin's UserSig. The answer is JSON with `ActionStatus` ("OK" or
 * "FAIL"), `ErrorCode` (0 = success) and `ErrorInfo`, plus the command's own fields. Tencent answers
 * HTTP 200 unless there is a network error such as a 502 (e.g. the kick command's page,
 * https://cloud.tencent.com/document/product/269/3853).
 *
 * What this module promises:
 * - Each attempt is bounded (`timeoutMs`); the answer is read up to CHAT_ANSWER_MAX_BYTES.
 * - A redirect is never followed (`redirect: "manual"`): a 3xx is a failure of its own ("redirect").
 *   Tencent documents none; following one would send the body to another host, and count that
 *   host's answer (without the `usersig`, which is in the query) as Tencent's.
 * - One retry, after a random 100 to 400 ms, on a network error, a timeout, HTTP 5xx, or one of
 *   Tencent's "try again later" codes (TRY_AGAIN_CODES); or, at once, with a newly signed admin sig
 *   when Tencent says the admin sig is invalid (SIG_INVALID_CODES: the cached one was voided, e.g.
 *   by a kick of the admin identity). Never more than one retry: the caller is waiting.
 * - The URL carries the admin's UserSig, so it is never logged, never put into an error, and never
 *   returned; failures name only the service, the command and what went wrong.
 * - fetch, the randomness and the pause before the retry are injected (tests use fakes and no sleep).
 */

import { CHAT_NAME } from "../config/rules.js";
import { AnswerTooLarge, readBoundedText } from "./bounded-read.js";
import { TencentError, type TencentFailure } from "./errors.js";

/** One attempt may take this long: Tencent's own internal timeout (70169) answers well within it. */
export const CHAT_ATTEMPT_TIMEOUT_MS = 5_000;
/** Tencent's answers are small JSON; a list command can be large, but never this large. */
export const CHAT_ANSWER_MAX_BYTES = 1024 * 1024;
const RETRY_JITTER_MIN_MS = 100;
const RETRY_JITTER_SPAN_MS = 300;
/** The first attempt and one retry. */
const MAX_ATTEMPTS = 2;

/**
 * ErrorCodes Tencent documents as "try again later":
 * - 70169 "internal server timeout, please try again later" and 70500 "internal server error, please
 *   try again later" (e.g. https://www.tencentcloud.com/document/product/1047/34957);
 * - 60008 "service request timed out or HTTP request format error, please check and retry" (the REST
 *   API's common error codes).
 * The rate-limit codes (60007, 60011, 60018, 60019: "too frequent") are not retried at once: a retry
 * 100 ms later only adds to the load; the caller sees Tencent's answer.
 */
const TRY_AGAIN_CODES: ReadonlySet<number> = new Set([60008, 70169, 70500]);

/**
 * ErrorCodes by which Tencent says the request's UserSig is not (or no longer) valid, from the REST
 * API's account error codes (https://cloud.tencent.com/document/product/679/131708): 70001 "UserSig
 * expired", 70003 "parse failed" (a truncated sig), 70009 "UserSig verification failed". A newly
 * signed sig can cure these. Not the ones a new sig cannot cure (70013/70014: another UserID or
 * SDKAppID; 70016/70020: no such key or app in that data center), nor 70050 (verification failed
 * and rate limited: retry after a minute).
 */
const SIG_INVALID_CODES: ReadonlySet<number> = new Set([70001, 70003, 70009]);

export interface ChatTarget {
  /** An origin: one of Tencent's regional hosts, e.g. https://adminapisgp.im.qcloud.com. */
  apiBaseUrl: string;
  sdkAppId: number;
  /** The App admin the call is made as (`identifier`). */
  adminUserId: string;
  /** That admin's UserSig (from the broker's admin-sig cache); asked once per call. */
  adminUserSig: () => Promise<string>;
  /**
   * Drops the cached admin sig and signs a new one: asked at most once per call, when Tencent
   * answered SIG_INVALID_CODES. Absent: such an answer is returned as is.
   */
  renewAdminUserSig?: () => Promise<string>;
}

export interface ChatClientDeps {
  fetch: (request: Request) => Promise<Response>;
  /** A number in [0, 1): the `random` parameter and the retry's jitter. */
  random: () => number;
  /** The pause before the retry. */
  sleep: (ms: number) => Promise<void>;
  /** Per attempt; CHAT_ATTEMPT_TIMEOUT_MS unless a test shortens it. */
  timeoutMs?: number;
}

export interface ChatAnswer {
  actionStatus: string;
  errorCode: number;
  errorInfo: string;
  /** The whole answer, parsed. */
  body: Record<string, unknown>;
  /** The whole answer as Tencent sent it (the gateway returns it unchanged). */
  text: string;
  /** 1, or 2 when the first attempt was retried. */
  attempts: number;
}

export function isValidChatName(name: string): boolean {
  return CHAT_NAME.test(name);
}

/**
 * Calls `v4/{service}/{command}` with `body` (a JSON text) and returns Tencent's answer, FAIL
 * answers included. Throws TencentError when no usable answer came after the retry.
 */
export async function callChat(
  target: ChatTarget,
  service: string,
  command: string,
  body: string,
  deps: ChatClientDeps,
): Promise<ChatAnswer> {
  if (!isValidChatName(service) || !isValidChatName(command)) {
    throw new TypeError("service and command must be 1 to 64 letters, digits or underscores");
  }
  const label = `${service}/${command}`;
  let userSig = await target.adminUserSig();
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 && !renewed) {
      await deps.sleep(RETRY_JITTER_MIN_MS + Math.floor(deps.random() * RETRY_JITTER_SPAN_MS));
    }
    const outcome = await attemptOnce(chatUrl(target, service, command, userSig, uint32(deps.random)), body, deps);
    if ("answer" in outcome) {
      if (attempt < MAX_ATTEMPTS && TRY_AGAIN_CODES.has(outcome.answer.errorCode)) continue;
      if (attempt < MAX_ATTEMPTS && target.renewAdminUserSig && SIG_INVALID_CODES.has(outcome.answer.errorCode)) {
        userSig = await target.renewAdminUserSig();
        renewed = true;
        continue;
      }
      return { ...outcome.answer, attempts: attempt };
    }
    if (!outcome.retry || attempt >= MAX_ATTEMPTS) {
      throw new TencentError(
        outcome.failure,
        `${label}: ${outcome.reason} (${attempt} attempt(s))`,
        attempt,
        outcome.httpStatus,
      );
    }
  }
}

/** The request URL. Never logged, never returned: its query carries the admin's UserSig. */
function chatUrl(target: ChatTarget, service: string, command: string, userSig: string, random: number): string {
  const query = new URLSearchParams({
    sdkappid: String(target.sdkAppId),
    identifier: target.adminUserId,
    usersig: userSig,
    random: String(random),
    contenttype: "json",
  });
  return `${target.apiBaseUrl.replace(/\/+$/, "")}/v4/${service}/${command}?${query}`;
}

function uint32(random: () => number): number {
  return Math.floor(random() * 0x1_0000_0000) >>> 0;
}

type Attempt =
  | { answer: Omit<ChatAnswer, "attempts"> }
  | { failure: TencentFailure; reason: string; retry: boolean; httpStatus?: number };

async function attemptOnce(url: string, body: string, deps: ChatClientDeps): Promise<Attempt> {
  const timeoutMs = deps.timeoutMs ?? CHAT_ATTEMPT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await deps.fetch(
        new Request(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body,
          signal: controller.signal,
          redirect: "manual",
        }),
      );
    } catch (error) {
      // The error's message may quote the URL: only its kind is kept.
      if (controller.signal.aborted)
        return { failure: "timeout", reason: `no answer within ${timeoutMs} ms`, retry: true };
      return { failure: "network", reason: `network error (${errorName(error)})`, retry: true };
    }
    const httpStatus = response.status;
    if (httpStatus !== 200) await response.body?.cancel();
    if (httpStatus >= 500) return { failure: "http_status", reason: `HTTP ${httpStatus}`, retry: true, httpStatus };
    if (httpStatus >= 300 && httpStatus < 400) {
      // Its Location is not logged: it may echo the query (the admin sig).
      return { failure: "redirect", reason: `HTTP ${httpStatus} redirect, not followed`, retry: false, httpStatus };
    }
    if (httpStatus !== 200) return { failure: "http_status", reason: `HTTP ${httpStatus}`, retry: false, httpStatus };
    let text: string;
    try {
      text = await readBoundedText(response, CHAT_ANSWER_MAX_BYTES);
    } catch (error) {
      if (controller.signal.aborted)
        return { failure: "timeout", reason: `no answer within ${timeoutMs} ms`, retry: true };
      if (error instanceof AnswerTooLarge) return { failure: "too_large", reason: error.message, retry: false };
      return { failure: "network", reason: `answer cut off (${errorName(error)})`, retry: true };
    }
    const answer = parseAnswer(text);
    if (!answer) return { failure: "not_json", reason: "the answer is not Tencent's JSON", retry: false };
    return { answer };
  } finally {
    clearTimeout(timer);
  }
}

function parseAnswer(text: string): Omit<ChatAnswer, "attempts"> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  const body = json as Record<string, unknown>;
  const { ActionStatus, ErrorCode, ErrorInfo } = body;
  if (typeof ActionStatus !== "string" || typeof ErrorCode !== "number" || !Number.isInteger(ErrorCode)) {
    return undefined;
  }
  return {
    actionStatus: ActionStatus,
    errorCode: ErrorCode,
    errorInfo: typeof ErrorInfo === "string" ? ErrorInfo : "",
    body,
    text,
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "unknown";
}
