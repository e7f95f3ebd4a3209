/**
 * RFC 9457 problem details: the one place where a domain error becomes an HTTP answer. DOMAIN_ERRORS
 * lists every BrokerError class once; the codes problemTable() must map are derived from it, so a
 * code without a mapping does not compile (and test/node/errors.test.ts fails for a class not listed).
 */

import { AdminsError } from "../admins/errors.js";
import { AuthError } from "../auth/errors.js";
import { BansError } from "../bans/errors.js";
import { CallbackError } from "../callbacks/errors.js";
import { ConfigError } from "../config/errors.js";
import { PolicyError } from "../issue/errors.js";
import { RateLimitError } from "../ratelimit/errors.js";
import type { BrokerError } from "../shared/errors.js";
import { ChatError, TencentError } from "../tencent/errors.js";
import { RequestError, TokenInvalidError } from "./errors.js";

/** Every domain error class, once: what `isDomainError` accepts and what problemTable() must map. */
export const DOMAIN_ERRORS = [
  RequestError,
  AuthError,
  PolicyError,
  AdminsError,
  RateLimitError,
  ConfigError,
  BansError,
  TencentError,
  ChatError,
  TokenInvalidError,
  CallbackError,
] as const satisfies readonly (abstract new (
  ...args: never[]
) => BrokerError)[];

/** Every domain error the broker can meet. */
export type DomainError = InstanceType<(typeof DOMAIN_ERRORS)[number]>;
/** Every code of every domain error class: the keys problemTable() must have. */
type ErrorCode = DomainError["code"];

interface Mapping {
  status: number;
  title: string;
  /** The wire code, when it is not the domain code itself. */
  code?: string;
  /** A fixed detail, instead of the error's own. */
  detail?: string;
  headers?: Record<string, string>;
}

/**
 * The status, title, wire code and fixed detail of every domain code. A function, called on the
 * first error answer of an isolate: as a top-level literal V8 compiles it (and runs it) in every
 * cold start, about 1M instructions, although a healthy first request answers no error
 * (BENCHMARKS.md, Cold start). test/node/errors.test.ts checks the first answer of a fresh module.
 */
function problemTable() {
  const BAD_REQUEST = { status: 400, title: "Bad request", code: "BAD_REQUEST" } as const;
  const FORBIDDEN = { status: 403, title: "Forbidden" } as const;
  const UNAVAILABLE = { status: 503, title: "Service unavailable" } as const;
  /** One detail for every credential failure: a prober learns nothing about which check failed. */
  const UNAUTHORIZED = {
    status: 401,
    title: "Unauthorized",
    code: "UNAUTHORIZED",
    detail: "The credentials are missing or not valid.",
  } as const;
  const USERSIG_INVALID = { status: 422, title: "UserSig not valid" } as const;

  return {
    // src/http
    BAD_REQUEST,
    BODY_UNREADABLE: { status: 400, title: "Bad request" },
    BODY_TOO_LARGE: { status: 413, title: "Body too large" },
    UNSUPPORTED_MEDIA_TYPE: {
      status: 415,
      title: "Unsupported media type",
      headers: { Accept: "application/json" },
    },
    NOT_FOUND: { status: 404, title: "Not found" },
    METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
    UNKNOWN_SDKAPPID: { status: 404, title: "Unknown app" },
    ORIGIN_NOT_ALLOWED: FORBIDDEN,
    OPERATOR_API_DISABLED: FORBIDDEN,
    INTERNAL: { status: 500, title: "Internal error", detail: "Something went wrong on our side." },
    // src/config
    CONFIG_ERROR: { status: 500, title: "Broker misconfigured" },
    // src/auth
    UNAUTHORIZED,
    IDP_UNAVAILABLE: UNAVAILABLE,
    USERID_CLAIM_MISSING: FORBIDDEN,
    TURNSTILE_FAILED: FORBIDDEN,
    TURNSTILE_UNAVAILABLE: UNAVAILABLE,
    // src/issue
    USERID_NOT_ALLOWED: FORBIDDEN,
    USERID_RULE: BAD_REQUEST,
    USERID_REQUIRED: BAD_REQUEST,
    ADMIN_IDENTITY_FORBIDDEN: FORBIDDEN,
    ADMIN_NOT_ALLOWED: FORBIDDEN,
    PRIVATEMAPKEY_NOT_ALLOWED: FORBIDDEN,
    ROOM_NOT_ALLOWED: FORBIDDEN,
    PRIVILEGES_NOT_ALLOWED: FORBIDDEN,
    TURNSTILE_REQUIRED: FORBIDDEN,
    GUESTS_DISABLED: UNAUTHORIZED,
    // Not a secret which check failed here: the detail says what is missing.
    GUEST_TICKET_REQUIRED: { status: 401, title: "Unauthorized", code: "UNAUTHORIZED" },
    // src/admins
    ADMIN_SET_UNAVAILABLE: UNAVAILABLE,
    ADMINS_STORE_UNAVAILABLE: UNAVAILABLE,
    NOT_AN_ADMIN_IDENTITY: FORBIDDEN,
    NOT_A_RUNTIME_ADMIN: { status: 404, title: "Not found", code: "NOT_AN_ADMIN_IDENTITY" },
    CONFIG_ADMIN: { status: 409, title: "Conflict" },
    ADMIN_ID_RULE: BAD_REQUEST,
    ADMIN_USERID_REQUIRED: BAD_REQUEST,
    RUNTIME_ADMINS_FULL: BAD_REQUEST,
    // src/ratelimit
    RATE_LIMITED: { status: 429, title: "Too many requests" },
    GUEST_BUDGET_EXHAUSTED: { status: 429, title: "Too many requests" },
    RATE_LIMIT_UNAVAILABLE: UNAVAILABLE,
    // src/callbacks (Tencent's inbound callbacks): the wire codes of the HTTP layer, nothing new to learn
    CALLBACK_TOO_LARGE: { status: 413, title: "Body too large", code: "BODY_TOO_LARGE" },
    CALLBACK_UNKNOWN_APP: { status: 404, title: "Unknown app", code: "UNKNOWN_SDKAPPID" },
    CALLBACK_BAD_SIGNATURE: UNAUTHORIZED,
    CALLBACK_STALE: UNAUTHORIZED,
    CALLBACK_MALFORMED: BAD_REQUEST,
    // src/bans (moderation)
    USER_BANNED: FORBIDDEN,
    BAN_LIST_UNAVAILABLE: UNAVAILABLE,
    BANS_STORE_UNAVAILABLE: UNAVAILABLE,
    ADMIN_NOT_BANNABLE: { status: 409, title: "Conflict" },
    ADMIN_NOT_KICKABLE: { status: 409, title: "Conflict" },
    ADMIN_NOT_REMOVABLE: { status: 409, title: "Conflict" },
    NOT_BANNED: { status: 404, title: "Not found" },
    BAN_EXPIRY_PAST: BAD_REQUEST,
    BAN_REASON_TOO_LONG: BAD_REQUEST,
    BANS_FULL: { status: 409, title: "Conflict" },
    MODERATION_NOT_ALLOWED: FORBIDDEN,
    // src/tencent: one wire code, 504 when Tencent did not answer in time, 502 otherwise.
    TENCENT_TIMEOUT: { status: 504, title: "Gateway timeout", code: "TENCENT_UNAVAILABLE" },
    TENCENT_UNREACHABLE: { status: 502, title: "Bad gateway", code: "TENCENT_UNAVAILABLE" },
    CHAT_COMMAND_NOT_ALLOWED: FORBIDDEN,
    CHAT_NOT_CONFIGURED: { status: 404, title: "Not found" },
    CHAT_TARGET_ADMIN: { status: 409, title: "Conflict" },
    // src/usersig, as POST /v1/verify reports it (TokenInvalidError): the caller's wording, not the core's.
    ERR_INVALID_INPUT: {
      ...USERSIG_INVALID,
      code: "USERSIG_INVALID_INPUT",
      detail: "The verification input is not valid.",
    },
    ERR_MALFORMED: { ...USERSIG_INVALID, code: "USERSIG_MALFORMED", detail: "This is not a UserSig." },
    ERR_TOO_LARGE: {
      ...USERSIG_INVALID,
      code: "USERSIG_TOO_LARGE",
      detail: "The UserSig is larger than any real one.",
    },
    ERR_SIGNATURE: {
      ...USERSIG_INVALID,
      code: "USERSIG_BAD_SIGNATURE",
      detail: "The signature does not match this app's secret key.",
    },
    ERR_EXPIRED: { ...USERSIG_INVALID, code: "USERSIG_EXPIRED", detail: "The UserSig has expired." },
    ERR_SDKAPPID_MISMATCH: {
      ...USERSIG_INVALID,
      code: "USERSIG_SDKAPPID_MISMATCH",
      detail: "The UserSig is for another app.",
    },
    ERR_USERID_MISMATCH: {
      ...USERSIG_INVALID,
      code: "USERSIG_USERID_MISMATCH",
      detail: "The UserSig is for another UserID.",
    },
  } as const satisfies Record<ErrorCode, Mapping>;
}

let problems: ReturnType<typeof problemTable> | undefined;

function mappingOf(code: ErrorCode): Mapping {
  problems ??= problemTable();
  return problems[code];
}

type WireCode<K extends ErrorCode> = ReturnType<typeof problemTable>[K] extends { code: infer W extends string }
  ? W
  : K;
/** Every `code` a problem answer can carry: clients switch on these. */
export type ProblemCode = { [K in ErrorCode]: WireCode<K> }[ErrorCode];

export interface Problem {
  status: number;
  code: ProblemCode;
  title: string;
  detail: string;
  headers: Record<string, string>;
  /** Members besides the standard ones, safe to show (e.g. `field`). */
  extra: Record<string, unknown>;
  /** For the log only. */
  reason: string | undefined;
}

const PROBLEM_CONTENT_TYPE = "application/problem+json";
const REALM = "usersig-broker";

export function isDomainError(error: unknown): error is DomainError {
  return DOMAIN_ERRORS.some((type) => error instanceof type);
}

/** The problem for a domain error; anything else is INTERNAL (a bug), with nothing of it shown. */
export function toProblem(error: unknown): Problem {
  if (!isDomainError(error)) return toProblem(new RequestError("INTERNAL", ""));
  const mapping = mappingOf(error.code);
  const data = error.data;
  const headers: Record<string, string> = { ...mapping.headers };
  if (data.retryAfterSeconds !== undefined) headers["Retry-After"] = String(data.retryAfterSeconds);
  if (data.challenge !== undefined) headers["WWW-Authenticate"] = challengeHeader(data);
  if (error instanceof RequestError && error.allow) headers.Allow = error.allow.join(", ");
  const extra: Record<string, unknown> = {};
  if (data.field !== undefined) extra.field = data.field;
  if (data.violatedPolicies !== undefined) extra["violated-policies"] = data.violatedPolicies;
  return {
    status: mapping.status,
    code: (mapping.code ?? error.code) as ProblemCode,
    title: mapping.title,
    detail: mapping.detail ?? error.message,
    headers,
    extra,
    reason: error.reason,
  };
}

function challengeHeader(data: BrokerError["data"]): string {
  if (data.challenge !== "Bearer") return `${data.challenge} realm="${REALM}"`;
  return data.credentialsGiven === false ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
}

export function problemBody(p: Problem, requestId: string | undefined): Record<string, unknown> {
  return {
    type: `urn:usersig-broker:problem:${p.code.toLowerCase().replaceAll("_", "-")}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    ...p.extra,
    ...(requestId ? { requestId } : {}),
  };
}

export function problemResponse(
  p: Problem,
  requestId: string | undefined,
  headers: Record<string, string> = {},
): Response {
  const all = new Headers({ ...p.headers, ...headers });
  all.set("Content-Type", PROBLEM_CONTENT_TYPE);
  all.set("Cache-Control", "no-store");
  return new Response(JSON.stringify(problemBody(p, requestId)), { status: p.status, headers: all });
}
