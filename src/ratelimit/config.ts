/**
 * The `rateLimits` member of an app in BROKER_CONFIG: who may call how often, and what happens when
 * the counters cannot be read. Imported into config/schema.ts; every field has a default, so an app
 * that says nothing gets the limits below.
 *
 * A policy is (route class, caller kind): its windows (limit per `seconds`, all enforced at once) and
 * its failMode. `false` turns a policy, a whole route class, or (with `enabled: false`) everything off.
 * The subject a policy counts per: the client IP for guests (IPv6 per /64), the UserID for IdP users,
 * the key name for API keys. `newGuests` is app-wide: new guest identities per UTC day.
 *
 * The schema itself is src/ratelimit/schema.ts (zod), so that the Worker, which reads these
 * policies on every request, does not load zod to do it (BENCHMARKS.md, Cold start).
 */

import type { CallerKind } from "../shared/callers.js";
import { DAY_SECONDS, MINUTE_SECONDS } from "../shared/units.js";
import type { RateLimitsConfig } from "./schema.js";

export const ROUTE_CLASSES = ["usersig", "privatemapkey", "verify", "admin", "moderation", "chat", "operator"] as const;
export type RouteClass = (typeof ROUTE_CLASSES)[number];
/** Who a policy counts: a public route's caller kinds, and the operator (its bearer token, one subject). */
export type LimitedKind = CallerKind | "operator";
export type FailMode = "open" | "closed";

/** Longer windows make KV shards live that long (their TTL follows the window) for little gain. */
export const WINDOW_SECONDS_MAX = 31 * DAY_SECONDS;
/** Each window is one more count in every KV shard's metadata and one more header item. */
export const WINDOWS_PER_POLICY_MAX = 4;
/** Far above any sane limit; keeps counts well inside a safe integer and headers short. */
export const LIMIT_MAX = 1_000_000_000;

export interface WindowPolicy {
  seconds: number;
  limit: number;
}

export interface Policy {
  windows: WindowPolicy[];
  failMode: FailMode;
}

/** No two windows of a policy with the same length (the schema's refinement: src/ratelimit/schema.ts). */
export function distinctWindowSeconds(policy: { windows: readonly WindowPolicy[] }): boolean {
  return new Set(policy.windows.map((w) => w.seconds)).size === policy.windows.length;
}

/**
 * Without side effects: DEFAULT_POLICIES is for the schema (the build) and the tests, and a bundle
 * that never reads it (the Worker's) drops it instead of building it at load.
 */
const perMinuteAndDay = /* @__NO_SIDE_EFFECTS__ */ (perMinute: number, perDay: number, mode: FailMode): Policy => ({
  windows: [
    { seconds: MINUTE_SECONDS, limit: perMinute },
    { seconds: DAY_SECONDS, limit: perDay },
  ],
  failMode: mode,
});

/** The defaults, also shown in demo/config.json and docs/rate-limits.md. */
export const DEFAULT_POLICIES = {
  guest: perMinuteAndDay(10, 100, "closed"),
  idp: perMinuteAndDay(30, 1000, "open"),
  apiKey: { windows: [{ seconds: MINUTE_SECONDS, limit: 600 }], failMode: "open" } satisfies Policy,
  verifyApiKey: { windows: [{ seconds: MINUTE_SECONDS, limit: 600 }], failMode: "open" } satisfies Policy,
  adminApiKey: { windows: [{ seconds: MINUTE_SECONDS, limit: 60 }], failMode: "open" } satisfies Policy,
  /** Moderators are people (or a trust-and-safety job): a ban or kick a second is plenty. */
  moderation: { windows: [{ seconds: MINUTE_SECONDS, limit: 60 }], failMode: "open" } satisfies Policy,
  /**
   * The operator (ADMIN_API_TOKEN) on the moderation and admin-identity routes, per app: two a
   * second, so that a runaway script (or a leaked token) fills no ban list in minutes; 10,000 bans
   * take at least 80 minutes.
   */
  operator: { windows: [{ seconds: MINUTE_SECONDS, limit: 120 }], failMode: "open" } satisfies Policy,
  /** The Chat REST gateway: Tencent allows most commands 200 per second per app. */
  chatApiKey: { windows: [{ seconds: MINUTE_SECONDS, limit: 600 }], failMode: "open" } satisfies Policy,
};
export const DEFAULT_NEW_GUESTS_PER_DAY = 10_000;

/** An app's `rateLimits`, as its schema (src/ratelimit/schema.ts) outputs it. */
export type { RateLimitsConfig };

/** The policy for this route class and caller kind, or undefined when it is off. */
export function policyFor(config: RateLimitsConfig, routeClass: RouteClass, kind: LimitedKind): Policy | undefined {
  if (!config.enabled) return undefined;
  const byKind = config[routeClass];
  if (byKind === false) return undefined;
  const found = (byKind as Partial<Record<LimitedKind, Policy | false>>)[kind];
  return found === false || found === undefined ? undefined : found;
}

/** The app-wide new-guest budget as a policy, or undefined when it is off. */
export function newGuestPolicy(config: RateLimitsConfig): Policy | undefined {
  if (!config.enabled || config.newGuests === false) return undefined;
  return { windows: [{ seconds: DAY_SECONDS, limit: config.newGuests.perDay }], failMode: config.newGuests.failMode };
}
