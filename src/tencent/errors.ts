/**
 * The Tencent Chat REST client's one failure: Tencent could not be reached or gave no usable answer
 * (after the one retry). An answer Tencent did give, `ActionStatus: "FAIL"` included, is not an
 * error: the caller reads its `ErrorCode`.
 *
 * Neither `message` nor `reason` ever contains the request URL or any part of its query string
 * (the query carries the admin's UserSig): only the service, the command and what went wrong.
 */

import { BrokerError } from "../shared/errors.js";

/** Both reach the caller as TENCENT_UNAVAILABLE: 504 after a timeout, 502 otherwise. */
export type TencentErrorCode = "TENCENT_TIMEOUT" | "TENCENT_UNREACHABLE";

/**
 * Why the call failed, for the log, for the kick's `kickError` (tencent/kick.ts) and for choosing 504
 * (timeout) or 502 (everything else): no answer in time; no connection (or the answer was cut off);
 * a 3xx (never followed: the `usersig` would not go along, and another host's answer is not
 * Tencent's); another HTTP status; an answer that is not Tencent's JSON; one over
 * CHAT_ANSWER_MAX_BYTES.
 */
export type TencentFailure = "timeout" | "network" | "redirect" | "http_status" | "not_json" | "too_large";

/** Refusals of the Chat REST gateway, before anything is sent to Tencent. */
export type ChatErrorCode =
  /** The API key's chatCommands does not list this service/command. */
  | "CHAT_COMMAND_NOT_ALLOWED"
  /** The app has no `chat` configured. */
  | "CHAT_NOT_CONFIGURED"
  /** The body names an admin identity for a command that acts on that account (gateway-targets.ts). */
  | "CHAT_TARGET_ADMIN";

export class ChatError extends BrokerError<ChatErrorCode> {
  override readonly name = "ChatError";
}

/** Retry-After for a caller when Tencent is unavailable: a little longer than one call with its retry. */
export const TENCENT_RETRY_AFTER_SECONDS = 10;

export class TencentError extends BrokerError<TencentErrorCode> {
  override readonly name = "TencentError";
  readonly failure: TencentFailure;
  readonly attempts: number;
  /** The HTTP status Tencent answered with, for "redirect" and "http_status". */
  readonly httpStatus: number | undefined;

  /** `reason`, for the log: e.g. "im_open_login_svc/kick: HTTP 503 (2 attempt(s))". Never the URL. */
  constructor(failure: TencentFailure, reason: string, attempts: number, httpStatus?: number) {
    super(
      failure === "timeout" ? "TENCENT_TIMEOUT" : "TENCENT_UNREACHABLE",
      failure === "timeout"
        ? "Tencent's Chat REST API did not answer in time; try again shortly."
        : "Tencent's Chat REST API cannot be reached right now; try again shortly.",
      { reason, data: { retryAfterSeconds: TENCENT_RETRY_AFTER_SECONDS } },
    );
    this.failure = failure;
    this.attempts = attempts;
    this.httpStatus = httpStatus;
  }

  /** A timeout is a gateway timeout (504); anything else a bad gateway (502). */
  get timedOut(): boolean {
    return this.failure === "timeout";
  }
}
