/**
 * Each app's runtime admin identities, cached in the isolate (shared/refreshing.ts) so that a warm
 * issuance never waits on KV. Must not: answer without the runtime admins (a cold isolate that
 * cannot read them refuses, 503). An edit through this isolate counts here at once; elsewhere
 * within HARD_TTL_MS plus KV's propagation (about 60 s). Config admins are always in the set.
 */

import { RefreshingCache } from "../shared/refreshing.js";
import type { KeyValueStore } from "../shared/storage.js";
import { ADMINS_RETRY_AFTER_SECONDS, AdminsError } from "./errors.js";
import { type AdminSet, adminSetOf } from "./set.js";
import { type AdminsKvStats, readRuntimeAdmins } from "./store.js";

export const SOFT_TTL_MS = 30_000;
export const HARD_TTL_MS = 120_000;
/** A cold read that takes longer than this is treated as a KV failure. */
const KV_WAIT_MS = 3_000;

export interface AdminSetDeps {
  /** The ADMINS namespace. */
  store: KeyValueStore;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's clock, milliseconds since the epoch. */
  nowMs: number;
}

export interface AdminCache {
  /** The config admins and the runtime admins, for the guard. */
  adminSets(sdkAppId: number, configAdmins: AdminSet, deps: AdminSetDeps): Promise<readonly AdminSet[]>;
  runtimeAdmins(sdkAppId: number, deps: AdminSetDeps): Promise<AdminSet>;
  /** A cold isolate: starts the read the next adminSets would wait for (RefreshingCache.prefetch). */
  prefetch(sdkAppId: number, deps: AdminSetDeps): void;
  /** After an operator edit: this isolate sees the change at once. */
  setRuntimeAdmins(sdkAppId: number, userIds: Iterable<string>, nowMs: number): void;
  /** This isolate's ADMINS KV operations. */
  readonly kvStats: AdminsKvStats;
}

export function createAdminCache(): AdminCache {
  const kvStats: AdminsKvStats = { reads: 0, writes: 0 };
  const cache = new RefreshingCache<number, AdminSet>({
    softTtlMs: SOFT_TTL_MS,
    hardTtlMs: HARD_TTL_MS,
    waitMs: KV_WAIT_MS,
    event: "admin_set_unavailable",
    unavailable: (reason) =>
      new AdminsError(
        "ADMIN_SET_UNAVAILABLE",
        "The broker cannot read this app's admin identities right now; try again shortly.",
        { reason: `admins kv: ${reason}`, data: { retryAfterSeconds: ADMINS_RETRY_AFTER_SECONDS } },
      ),
  });

  const reader = (sdkAppId: number, deps: AdminSetDeps) => async () =>
    adminSetOf(await readRuntimeAdmins(deps.store, sdkAppId, kvStats));

  function runtimeAdmins(sdkAppId: number, deps: AdminSetDeps): Promise<AdminSet> {
    return cache.get(sdkAppId, reader(sdkAppId, deps), deps);
  }

  return {
    async adminSets(sdkAppId, configAdmins, deps) {
      return [configAdmins, await runtimeAdmins(sdkAppId, deps)];
    },
    runtimeAdmins,
    prefetch(sdkAppId, deps) {
      cache.prefetch(sdkAppId, reader(sdkAppId, deps), deps);
    },
    setRuntimeAdmins(sdkAppId, userIds, nowMs) {
      cache.set(sdkAppId, adminSetOf(userIds), nowMs);
    },
    kvStats,
  };
}
