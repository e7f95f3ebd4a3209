/**
 * Rate limits as a request meets them, without HTTP: the routes' adapter (src/http/ratelimit.ts)
 * hands over the subject, keeps the returned check in the request's context for the headers, and
 * throws the refusal.
 *
 * - `checkLimit`: the one check a limited route makes, after the caller is authenticated and before
 *   any Turnstile call or signature. A refused request counts nothing.
 * - `reserveNewGuest`: the app-wide budget of new guest identities, taken just before a new guest is
 *   challenged and created; the returned function gives it back if that fails.
 *
 * In KV a subject appears only as a keyed hash (HMAC-SHA-256 under a key derived from the app's
 * secret key, src/shared/keys.ts), so the namespace never holds a client IP or a UserID.
 */

import type { Keyring } from "../shared/keys.js";
import { FAILURE_BACKOFF_MS } from "../shared/refreshing.js";
import { SECOND_MS } from "../shared/units.js";
import {
  type LimitedKind,
  newGuestPolicy,
  type Policy,
  policyFor,
  type RateLimitsConfig,
  type RouteClass,
} from "./config.js";
import { RateLimitError } from "./errors.js";
import type { Charge, CounterSpec, Limiter, LimiterDeps } from "./limiter.js";
import { type Decision, policyName, rateLimitField, rateLimitPolicyField } from "./policy.js";

/** Retry-After of a 503 when KV cannot be read: the failure back-off, after which KV is tried again. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = FAILURE_BACKOFF_MS / SECOND_MS;
/** Retry-After of a 429 whose decision names no reset (cannot happen with a window; a floor). */
const REFUSED_RETRY_AFTER_MIN_SECONDS = 1;
/** Bytes of the subject's HMAC kept in its KV name: 128 bits, collisions out of reach. */
const SUBJECT_TAG_BYTES = 16;
const NEW_GUESTS_PREFIX = "newguests";
const KIND_IN_NAMES: Record<LimitedKind, string> = {
  guest: "guest",
  idp: "idp",
  apiKey: "apikey",
  operator: "operator",
};

/** What the limits need of an app (config/load.ts's LoadedApp has it). */
export interface LimitedApp {
  secretKey: string;
  config: { sdkAppId: number; rateLimits: RateLimitsConfig };
}

export interface RateLimitDeps extends LimiterDeps {
  limiter: Limiter;
  keys: Keyring;
  /** A warning line (fail-open); `log` is for errors. */
  warn: (line: Record<string, unknown>) => void;
}

/** What a request's per-subject check decided: the header fields, and what a refund gives back. */
export interface LimitCheck {
  spec: CounterSpec;
  prefix: string;
  /** RateLimit-Policy. */
  policyField: string;
  /** RateLimit. */
  limitField: string;
  charge: Charge | undefined;
}

/**
 * Counts the request for `subject`. Returns the check (undefined when no policy applies) and, when
 * the request is refused, the error to throw once the check is recorded for the headers.
 */
export async function checkLimit(
  deps: RateLimitDeps,
  app: LimitedApp,
  routeClass: RouteClass,
  kind: LimitedKind,
  subject: string,
): Promise<{ check: LimitCheck | undefined; refusal: RateLimitError | undefined }> {
  const policy = policyFor(app.config.rateLimits, routeClass, kind);
  if (!policy) return { check: undefined, refusal: undefined };
  const prefix = `${routeClass}-${KIND_IN_NAMES[kind]}`;
  const spec = counterSpec(deps.keys, app, `${routeClass}/${kind}`, subject, policy);
  const outcome = await deps.limiter.consume(spec, deps);
  const check: LimitCheck = {
    spec,
    prefix,
    policyField: rateLimitPolicyField(prefix, policy.windows),
    limitField: rateLimitField(prefix, outcome.decision.tightest),
    charge: outcome.status === "allowed" ? outcome.charge : undefined,
  };
  const where = { sdkAppId: app.config.sdkAppId, routeClass, callerKind: kind };
  if (outcome.status === "refused") return { check, refusal: tooManyRequests(outcome.decision, prefix) };
  if (outcome.status === "unavailable") {
    check.limitField = rateLimitField(prefix, unavailableView(outcome.decision));
    return { check, refusal: unavailable(deps, where, outcome.reason) };
  }
  if (outcome.degraded !== undefined) logFailOpen(deps, where, outcome.degraded);
  return { check, refusal: undefined };
}

/**
 * Takes one new guest identity from the app's daily budget; call the result to give it back. When
 * refused, this request's per-subject count (`perSubject`) is given back too: it takes nothing.
 */
export async function reserveNewGuest(
  deps: RateLimitDeps,
  app: LimitedApp,
  perSubject: LimitCheck | undefined,
): Promise<() => void> {
  const policy = newGuestPolicy(app.config.rateLimits);
  if (!policy) return () => {};
  const outcome = await deps.limiter.consume(counterSpec(deps.keys, app, "newguests/app", "all", policy), deps);
  const where = { sdkAppId: app.config.sdkAppId, routeClass: NEW_GUESTS_PREFIX, callerKind: "guest" };
  if (outcome.status === "allowed") {
    if (outcome.degraded !== undefined) logFailOpen(deps, where, outcome.degraded);
    const charge = outcome.charge;
    return () => deps.limiter.refund(charge, deps);
  }
  giveBack(deps, perSubject);
  if (outcome.status === "unavailable") throw unavailable(deps, where, outcome.reason);
  const retryAfter = outcome.decision.retryAfterSeconds ?? UNAVAILABLE_RETRY_AFTER_SECONDS;
  throw new RateLimitError(
    "GUEST_BUDGET_EXHAUSTED",
    `This app cannot create more guest identities today; try again in ${retryAfter} seconds.`,
    {
      reason: "rate limit: new-guest budget exhausted",
      data: {
        retryAfterSeconds: retryAfter,
        violatedPolicies: outcome.decision.violated.map((v) => policyName(NEW_GUESTS_PREFIX, v.seconds)),
      },
    },
  );
}

function counterSpec(keys: Keyring, app: LimitedApp, scope: string, subject: string, policy: Policy): CounterSpec {
  const sdkAppId = app.config.sdkAppId;
  return {
    // NUL cannot occur in a UserID, a key name or an IP: the parts cannot run into each other.
    id: `${sdkAppId}\u0000${scope}\u0000${subject}`,
    kvName: async () => `${sdkAppId}/${scope}/${await subjectTag(keys, app, subject)}`,
    windows: policy.windows,
    failMode: policy.failMode,
  };
}

const encoder = new TextEncoder();

/** SUBJECT_TAG_BYTES of HMAC-SHA-256(subject), base64url: stable per app and secret key, not reversible. */
async function subjectTag(keys: Keyring, app: LimitedApp, subject: string): Promise<string> {
  const key = await keys.hmacKey(app.secretKey, app.config.sdkAppId, "rate-limit-subject");
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(subject)));
  return btoa(String.fromCharCode(...mac.subarray(0, SUBJECT_TAG_BYTES)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Gives back what the per-subject check counted, and shows the windows as they now stand. */
function giveBack(deps: RateLimitDeps, check: LimitCheck | undefined): void {
  if (!check?.charge) return;
  deps.limiter.refund(check.charge, deps);
  check.charge = undefined;
  check.limitField = rateLimitField(check.prefix, deps.limiter.peek(check.spec, deps.now()).tightest);
}

function tooManyRequests(decision: Decision, prefix: string): RateLimitError {
  const retryAfter = decision.retryAfterSeconds ?? REFUSED_RETRY_AFTER_MIN_SECONDS;
  const violated = decision.violated.map((v) => policyName(prefix, v.seconds));
  return new RateLimitError("RATE_LIMITED", `Too many requests; try again in ${retryAfter} seconds.`, {
    reason: `rate limit: ${violated.join(",")}`,
    data: { retryAfterSeconds: retryAfter, violatedPolicies: violated },
  });
}

/** While KV cannot be read, the client is told it has nothing left until the back-off ends. */
function unavailableView(decision: Decision) {
  return { seconds: decision.tightest.seconds, remaining: 0, resetSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS };
}

function unavailable(deps: RateLimitDeps, where: Record<string, unknown>, reason: string): RateLimitError {
  deps.log({ event: "rate_limit_unavailable", failMode: "closed", ...where, reason });
  return new RateLimitError(
    "RATE_LIMIT_UNAVAILABLE",
    "The broker cannot check its rate limits right now; try again shortly.",
    { reason: `rate limit: ${reason}`, data: { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS } },
  );
}

function logFailOpen(deps: RateLimitDeps, where: Record<string, unknown>, reason: string): void {
  deps.warn({ event: "rate_limit_fail_open", failMode: "open", ...where, reason });
}
