/**
 * The `rateLimits` member of an app in BROKER_CONFIG: who may call how often, and what happens when
 * the counters cannot be read. Imported into config/schema.ts; every field has a default, so an app
 * that says nothing gets the limits below.
 *
 * A policy is (route class, caller kind): its windows (limit per `seconds`, all enforced at once) and
 * its failMode. `false` turns a policy, a whole route class, or (with `enabled: false`) everything off.
 * The subject a policy counts per: the client IP for guests (IPv6 per /64), the UserID for IdP users,
 * the key name for API keys. `newGuests` is app-wide: new guest identities per UTC day.
 */

// zod/mini directly (config/ is a higher layer); config/zod.ts sets the messages for every parse.
import * as z from "zod/mini";
import type { CallerKind } from "../shared/callers.js";
import { DAY_SECONDS, MINUTE_SECONDS } from "../shared/units.js";

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
const LIMIT_MAX = 1_000_000_000;

export interface WindowPolicy {
  seconds: number;
  limit: number;
}

export interface Policy {
  windows: WindowPolicy[];
  failMode: FailMode;
}

const windowSchema = z.strictObject({
  /** The window's length: counts reset when `floor(unix time / seconds)` changes (fixed windows). */
  seconds: z.int().check(z.minimum(1), z.maximum(WINDOW_SECONDS_MAX)),
  /** Requests allowed per subject in one window. */
  limit: z.int().check(z.minimum(1), z.maximum(LIMIT_MAX)),
});

const failMode = z.enum(["open", "closed"]);

/** A policy, or `false` for none. Omitted fields take this caller kind's defaults. */
const policy = (defaults: Policy) =>
  z.prefault(
    z.union([
      z.literal(false),
      z
        .strictObject({
          windows: z._default(
            z.array(windowSchema).check(z.minLength(1), z.maxLength(WINDOWS_PER_POLICY_MAX)),
            defaults.windows,
          ),
          /** When KV cannot be read in time: "closed" refuses (503), "open" allows and logs. */
          failMode: z._default(failMode, defaults.failMode),
        })
        .check(
          z.refine((p) => new Set(p.windows.map((w) => w.seconds)).size === p.windows.length, {
            message: "two windows with the same seconds",
            path: ["windows"],
          }),
        ),
    ]),
    {},
  );

const perMinuteAndDay = (perMinute: number, perDay: number, mode: FailMode): Policy => ({
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

const issuing = () =>
  z.prefault(
    z.union([
      z.literal(false),
      z.strictObject({
        guest: policy(DEFAULT_POLICIES.guest),
        idp: policy(DEFAULT_POLICIES.idp),
        apiKey: policy(DEFAULT_POLICIES.apiKey),
      }),
    ]),
    {},
  );

/** Built on first use (the first configuration parse), not when the Worker's module is loaded. */
export const rateLimitsSchema = z.lazy(() =>
  z.prefault(
    z.strictObject({
      /** `false`: no limits, no headers, no KV traffic for this app. */
      enabled: z._default(z.boolean(), true),
      usersig: issuing(),
      privatemapkey: issuing(),
      verify: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.verifyApiKey) })]),
        {},
      ),
      admin: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.adminApiKey) })]),
        {},
      ),
      /** Bans and kicks by API keys and IdP moderators (the operator is not limited). */
      moderation: z.prefault(
        z.union([
          z.literal(false),
          z.strictObject({ apiKey: policy(DEFAULT_POLICIES.moderation), idp: policy(DEFAULT_POLICIES.moderation) }),
        ]),
        {},
      ),
      /** The operator's bans, unbans, kicks and admin-identity edits, per app (one subject: the token). */
      operator: z.prefault(
        z.union([z.literal(false), z.strictObject({ operator: policy(DEFAULT_POLICIES.operator) })]),
        {},
      ),
      /** POST /v1/chat/{service}/{command}, per API key. */
      chat: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.chatApiKey) })]),
        {},
      ),
      /** App-wide: new guest identities per UTC day, charged only when one is about to be created. */
      newGuests: z.prefault(
        z.union([
          z.literal(false),
          z.strictObject({
            perDay: z._default(z.int().check(z.minimum(1), z.maximum(LIMIT_MAX)), DEFAULT_NEW_GUESTS_PER_DAY),
            failMode: z._default(failMode, "closed"),
          }),
        ]),
        {},
      ),
    }),
    {},
  ),
);

export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;

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
