/** Failures the HTTP layer finds itself: the request's shape, its route, its origin. */
import { BrokerError } from "../shared/errors.js";
import { UserSigError, type UserSigErrorCode } from "../usersig/index.js";

export type RequestErrorCode =
  | "BAD_REQUEST"
  /** The body could not be read to its end: truncated, or broken chunked framing. */
  | "BODY_UNREADABLE"
  | "BODY_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "UNKNOWN_SDKAPPID"
  | "ORIGIN_NOT_ALLOWED"
  /** Not a domain failure: a bug. onError answers it with a fixed body and logs only its class. */
  | "INTERNAL";

export class RequestError extends BrokerError<RequestErrorCode> {
  override readonly name = "RequestError";
  /** The methods a 405 answer allows. */
  readonly allow: readonly string[] | undefined;

  constructor(
    code: RequestErrorCode,
    detail: string,
    options: ConstructorParameters<typeof BrokerError>[2] & { allow?: readonly string[] } = {},
  ) {
    super(code, detail, options);
    this.allow = options.allow;
  }
}

export function badRequest(detail: string, field?: string): RequestError {
  return new RequestError("BAD_REQUEST", detail, field ? { data: { field } } : {});
}

/** POST /v1/verify: the UserSig is not valid, as the core said (only there: elsewhere a core error is a bug). */
export class TokenInvalidError extends BrokerError<UserSigErrorCode> {
  override readonly name = "TokenInvalidError";

  constructor(error: UserSigError) {
    super(error.code, error.message, { reason: `usersig: ${error.code}` });
  }
}

/** A `.catch` for POST /v1/verify: the core's UserSigError as TokenInvalidError; anything else passes through. */
export function tokenInvalid(error: unknown): never {
  throw error instanceof UserSigError ? new TokenInvalidError(error) : error;
}
