/**
 * Rate limits as the routes see them:
 * - `enforceRateLimit(c, app, routeClass, caller)`: the one call a limited route makes, after the
 *   caller is authenticated and before any Turnstile call or signature. Refused: 429 (or 503 when
 *   KV is unavailable and the policy is fail-closed); a refused request counts nothing.
 * - `reserveNewGuest(c, app)`: the app-wide budget of new guest identities, taken just before a new
 *   guest is challenged and created; the returned function gives it back if that fails.
 * - `rateLimitHeaders()`: sets RateLimit-Policy and RateLimit on every response after the check,
 *   errors included.
 * - `rateLimitSnapshot()`: this isolate's counters, for GET /v1/admin/stats.
 *
 * Subjects: the client IP for guests (CF-Connecting-IP; IPv6 per /64), the UserID for IdP users, the
 * key name for API keys. In KV a subject appears only as a keyed hash (HMAC-SHA-256 under a key
 * derived from the app's secret key), so the namespace never holds a client IP or a UserID.
 */

import type { MiddlewareHandler } from "hono";
import type { LoadedApp } from "../config/load.js";
import type { Caller } from "../http/caller.js";
import type { BrokerContext, BrokerHono } from "../http/context.js";
import { Problem, problems } from "../http/problem.js";
import { type CallerKind, newGuestPolicy, type Policy, policyFor, type RouteClass } from "./config.js";
import {
  type Charge,
  type CounterSpec,
  consume,
  entryCount,
  isolateId,
  type LimiterDeps,
  peek,
  rateLimitStats,
  refund,
  resetLimiter,
} from "./limiter.js";
import { clientSubject, type Decision, policyName, rateLimitField, rateLimitPolicyField } from "./policy.js";
import { kvRateLimitStore, rateLimitKvStats } from "./store.js";

/** Retry-After of a 503 when KV cannot be read: the failure back-off, after which KV is tried again. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
const NEW_GUESTS_PREFIX = "newguests";
const KIND_IN_NAMES: Record<CallerKind, string> = { guest: "guest", idp: "idp", apiKey: "apikey" };

/** What this request's per-subject check decided, for the headers and a possible refund. */
interface RequestLimit {
  spec: CounterSpec;
  prefix: string;
  policyField: string;
  limitField: string;
  charge: Charge | undefined;
}

/**
 * In-flight requests' checks, removed by rateLimitHeaders() when the response is done (a Map rather
 * than a WeakMap: thousands of weak entries per second make every garbage collection slower). The
 * size cap only guards against a route that checks without that middleware mounted.
 */
const requestLimits = new Map<Request, RequestLimit>();
const IN_FLIGHT_MAX = 10_000;
let requestsSeen = 0;
const loggedOnce = new Set<string>();

export async function enforceRateLimit(
  c: BrokerContext,
  app: LoadedApp,
  routeClass: RouteClass,
  caller: Caller,
): Promise<void> {
  // A guest of an app without guests is refused next, at no cost: counting it would only cost KV.
  if (caller.kind === "guest" && !app.config.guests.enabled) return;
  const policy = policyFor(app.config.rateLimits, routeClass, caller.kind);
  if (!policy) return;
  const prefix = `${routeClass}-${KIND_IN_NAMES[caller.kind]}`;
  const spec = counterSpec(app, `${routeClass}/${caller.kind}`, subjectOf(c, caller), policy);
  const outcome = await consume(spec, deps(c));
  const state: RequestLimit = {
    spec,
    prefix,
    policyField: rateLimitPolicyField(prefix, policy.windows),
    limitField: rateLimitField(prefix, outcome.decision.tightest),
    charge: outcome.status === "allowed" ? outcome.charge : undefined,
  };
  if (requestLimits.size >= IN_FLIGHT_MAX) requestLimits.clear();
  requestLimits.set(c.req.raw, state);
  const where = { sdkAppId: app.config.sdkAppId, routeClass, callerKind: caller.kind };
  if (outcome.status === "refused") throw tooManyRequests(outcome.decision, prefix, state);
  if (outcome.status === "unavailable") {
    state.limitField = rateLimitField(prefix, unavailableView(outcome.decision));
    throw unavailable(where, outcome.reason, state);
  }
  if (outcome.degraded !== undefined) logFailOpen(where, outcome.degraded);
}

/** Takes one new guest identity from the app's daily budget; call the result to give it back. */
export async function reserveNewGuest(c: BrokerContext, app: LoadedApp): Promise<() => void> {
  const policy = newGuestPolicy(app.config.rateLimits);
  if (!policy) return () => {};
  const limiterDeps = deps(c);
  const outcome = await consume(counterSpec(app, "newguests/app", "all", policy), limiterDeps);
  const where = { sdkAppId: app.config.sdkAppId, routeClass: NEW_GUESTS_PREFIX, callerKind: "guest" };
  if (outcome.status === "allowed") {
    if (outcome.degraded !== undefined) logFailOpen(where, outcome.degraded);
    const charge = outcome.charge;
    return () => refund(charge, limiterDeps);
  }
  // Refused here, so this request takes nothing: give back what the per-IP check counted.
  const state = giveBack(c, limiterDeps);
  if (outcome.status === "unavailable") throw unavailable(where, outcome.reason, state);
  const retryAfter = outcome.decision.retryAfterSeconds ?? UNAVAILABLE_RETRY_AFTER_SECONDS;
  throw new Problem({
    status: 429,
    code: "GUEST_BUDGET_EXHAUSTED",
    title: "Too many requests",
    detail: `This app cannot create more guest identities today; try again in ${retryAfter} seconds.`,
    headers: { "Retry-After": String(retryAfter), ...fieldsOf(state) },
    extra: { "violated-policies": outcome.decision.violated.map((v) => policyName(NEW_GUESTS_PREFIX, v.seconds)) },
    logReason: "rate limit: new-guest budget exhausted",
  });
}

/** Sets the RateLimit fields on every response of a request that went through a check. */
export function rateLimitHeaders(): MiddlewareHandler<BrokerHono> {
  return async function rateLimitHeaders(c, next) {
    requestsSeen++;
    let state: RequestLimit | undefined;
    try {
      await next();
    } finally {
      state = requestLimits.get(c.req.raw);
      requestLimits.delete(c.req.raw);
    }
    if (!state) return;
    c.res.headers.set("RateLimit-Policy", state.policyField);
    c.res.headers.set("RateLimit", state.limitField);
  };
}

export function rateLimitSnapshot() {
  return {
    isolate: isolateId(),
    requests: requestsSeen,
    rateLimit: { entries: entryCount(), decisions: { ...rateLimitStats }, kv: { ...rateLimitKvStats } },
  };
}

/** For tests and the bench: forget every counter and statistic of this isolate. */
export function resetRateLimits(): void {
  resetLimiter();
  for (const key of Object.keys(rateLimitKvStats) as (keyof typeof rateLimitKvStats)[]) rateLimitKvStats[key] = 0;
  requestsSeen = 0;
  loggedOnce.clear();
}

// ---- Subjects -----------------------------------------------------------------------------------

function subjectOf(c: BrokerContext, caller: Caller): string {
  if (caller.kind === "idp") return caller.user.userId;
  if (caller.kind === "apiKey") return caller.key.name;
  const client = clientSubject(c.req.header("CF-Connecting-IP"));
  if (client.source === "missing") {
    logOnce("rate_limit_no_client_ip", "CF-Connecting-IP is missing (local dev?): every such guest shares one subject");
  } else if (client.source === "invalid") {
    logOnce("rate_limit_bad_client_ip", "CF-Connecting-IP is not an IP address: every such guest shares one subject");
  }
  return client.subject;
}

function counterSpec(app: LoadedApp, scope: string, subject: string, policy: Policy): CounterSpec {
  const sdkAppId = app.config.sdkAppId;
  return {
    // NUL cannot occur in a UserID, a key name or an IP: the parts cannot run into each other.
    id: `${sdkAppId}\u0000${scope}\u0000${subject}`,
    kvName: async () => `${sdkAppId}/${scope}/${await subjectTag(app, subject)}`,
    windows: policy.windows,
    failMode: policy.failMode,
  };
}

const tagKeys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

/** 128 bits of HMAC-SHA-256(subject), base64url: stable per app and secret key, not reversible. */
async function subjectTag(app: LoadedApp, subject: string): Promise<string> {
  const id = `${app.config.sdkAppId}:${app.secretKey}`;
  let key = tagKeys.get(id);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", encoder.encode(app.secretKey), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode("usersig-broker"),
          info: encoder.encode(`rate-limit-subject/v1/${app.config.sdkAppId}`),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    if (tagKeys.size > 64) tagKeys.clear();
    tagKeys.set(id, key);
  }
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(subject)));
  return btoa(String.fromCharCode(...mac.subarray(0, 16)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

// ---- Responses and logs -------------------------------------------------------------------------

function deps(c: BrokerContext): LimiterDeps {
  return {
    store: kvRateLimitStore(c.env.RATE_LIMITS),
    now: Date.now,
    waitUntil: (promise) => {
      try {
        c.executionCtx.waitUntil(promise);
      } catch {
        // No ExecutionContext (app.request() in a script): the promise runs unattended; it never rejects.
      }
    },
    log: (line) => console.error(JSON.stringify(line)),
  };
}

function fieldsOf(state: RequestLimit | undefined): Record<string, string> {
  return state ? { "RateLimit-Policy": state.policyField, RateLimit: state.limitField } : {};
}

function giveBack(c: BrokerContext, limiterDeps: LimiterDeps): RequestLimit | undefined {
  const state = requestLimits.get(c.req.raw);
  if (!state?.charge) return state;
  refund(state.charge, limiterDeps);
  state.charge = undefined;
  state.limitField = rateLimitField(state.prefix, peek(state.spec, limiterDeps.now()).tightest);
  return state;
}

function tooManyRequests(decision: Decision, prefix: string, state: RequestLimit): Problem {
  const retryAfter = decision.retryAfterSeconds ?? 1;
  const violated = decision.violated.map((v) => policyName(prefix, v.seconds));
  return new Problem({
    status: 429,
    code: "RATE_LIMITED",
    title: "Too many requests",
    detail: `Too many requests; try again in ${retryAfter} seconds.`,
    headers: { "Retry-After": String(retryAfter), ...fieldsOf(state) },
    extra: { "violated-policies": violated },
    logReason: `rate limit: ${violated.join(",")}`,
  });
}

/** While KV cannot be read, the client is told it has nothing left until the back-off ends. */
function unavailableView(decision: Decision) {
  return { seconds: decision.tightest.seconds, remaining: 0, resetSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS };
}

function unavailable(where: Record<string, unknown>, reason: string, state: RequestLimit | undefined): Problem {
  console.error(JSON.stringify({ event: "rate_limit_unavailable", failMode: "closed", ...where, reason }));
  const problem = problems.unavailable(
    "RATE_LIMIT_UNAVAILABLE",
    "The broker cannot check its rate limits right now; try again shortly.",
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    `rate limit: ${reason}`,
  );
  Object.assign(problem.headers, fieldsOf(state));
  return problem;
}

function logFailOpen(where: Record<string, unknown>, reason: string): void {
  console.warn(JSON.stringify({ event: "rate_limit_fail_open", failMode: "open", ...where, reason }));
}

function logOnce(event: string, detail: string): void {
  if (loggedOnce.has(event)) return;
  loggedOnce.add(event);
  console.warn(JSON.stringify({ event, detail }));
}
