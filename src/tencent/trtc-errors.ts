/**
 * The TRTC Cloud API client's one failure: Tencent could not be reached or gave no usable answer
 * (after the one retry). An answer Tencent did give, `Response.Error` included, is not an error: the
 * caller reads its `Error.Code`.
 *
 * A TencentError (same codes, TENCENT_TIMEOUT / TENCENT_UNREACHABLE, so the problem table maps it the
 * same way: 504 / 502 with Retry-After) whose texts name the TRTC Cloud API. They are fixed: never
 * Tencent's `Error.Message`, never the request's `Authorization` header or anything derived from the
 * SecretKey.
 */

import { TencentError, type TencentFailure } from "./errors.js";

export class TrtcError extends TencentError {
  // `name` stays "TencentError" (a literal type in the base class): the log tells them apart by `reason`.

  /** `reason`, for the log: e.g. "trtc RemoveUser: HTTP 503 (2 attempt(s))". */
  constructor(failure: TencentFailure, reason: string, attempts: number) {
    super(failure, reason, attempts);
    this.message =
      failure === "timeout"
        ? "Tencent's TRTC Cloud API did not answer in time; try again shortly."
        : "Tencent's TRTC Cloud API cannot be reached right now; try again shortly.";
  }
}
