/**
 * The one error type of the browser client. Callers switch on `code` (the broker's stable problem
 * code, or one of CLIENT_ERROR_CODES for failures that never reached a broker answer).
 *
 * Must never: put an ID token, a Turnstile token, a guest ticket, a UserSig or a PrivateMapKey into
 * `message` or any other field. The message is built only from the status, the code and the broker's
 * `detail`, which the broker itself promises is free of secrets (src/http/problem.ts).
 */

/** Codes for failures with no usable broker answer (`status` is 0 for all of them). */
export const CLIENT_ERROR_CODES = {
  /** fetch() failed: offline, DNS, refused connection, or a CORS refusal (browsers do not tell which). */
  NETWORK_ERROR: "NETWORK_ERROR",
  /** No complete answer within `requestTimeoutMs`. */
  TIMEOUT: "TIMEOUT",
  /** A 2xx answer that is not the JSON the broker sends (e.g. a captive portal's HTML page). */
  INVALID_RESPONSE: "INVALID_RESPONSE",
  /** The app's getIdToken() threw or returned no token. */
  ID_TOKEN_ERROR: "ID_TOKEN_ERROR",
  /** The app's getTurnstileToken() threw or returned no token. */
  TURNSTILE_TOKEN_ERROR: "TURNSTILE_TOKEN_ERROR",
  /** The source was closed. */
  CLOSED: "CLOSED",
} as const;

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];

export interface UserSigBrokerErrorInit {
  /** The HTTP status, or 0 when there was no usable broker answer. */
  status: number;
  code: string;
  detail: string;
  title?: string | undefined;
  type?: string | undefined;
  field?: string | undefined;
  retryAfterSeconds?: number | undefined;
  requestId?: string | undefined;
  retryable?: boolean | undefined;
  cause?: unknown;
}

export class UserSigBrokerError extends Error {
  override readonly name = "UserSigBrokerError";
  /** The HTTP status, or 0 when there was no usable broker answer (see CLIENT_ERROR_CODES). */
  readonly status: number;
  /** Stable: switch on this, not on the text. */
  readonly code: string;
  /** For people; never contains a token. */
  readonly detail: string;
  readonly title: string | undefined;
  /** The problem's `type` URI, when the broker sent one. */
  readonly type: string | undefined;
  /** The request field that was wrong, for 400s that name one. */
  readonly field: string | undefined;
  /** From the answer's Retry-After (429 and 503), in seconds. */
  readonly retryAfterSeconds: number | undefined;
  /** The broker's request id: quote it when asking the operator about a failure. */
  readonly requestId: string | undefined;
  /** Whether the same request may succeed later (429, 502, 503, 504, network errors, timeouts). */
  readonly retryable: boolean;

  constructor(init: UserSigBrokerErrorInit) {
    const where = init.status > 0 ? ` (HTTP ${init.status})` : "";
    super(
      `usersig-broker: ${init.code}${where}: ${init.detail}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.title = init.title;
    this.type = init.type;
    this.field = init.field;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.requestId = init.requestId;
    this.retryable = init.retryable ?? false;
  }
}

export function closedError(): UserSigBrokerError {
  return new UserSigBrokerError({ status: 0, code: CLIENT_ERROR_CODES.CLOSED, detail: "The source was closed." });
}
