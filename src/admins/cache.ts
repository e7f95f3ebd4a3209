/**
 * The admin identities of each app, cached in the isolate so that issuance never waits on KV once
 * warm.
 *
 * - Younger than SOFT_TTL_MS: used as is.
 * - Between SOFT_TTL_MS and HARD_TTL_MS: used as is, and refreshed from KV in the background.
 * - Older than HARD_TTL_MS (an idle isolate) or never read: the request waits for KV. If KV fails
 *   then, the request is refused (503): the guard never silently forgets a runtime admin.
 *
 * So a change made through the operator API takes effect at once in the isolate that made it, and
 * everywhere else within HARD_TTL_MS plus KV's propagation delay (about 60 s): 3 minutes at most.
 * Config admins are always in the set, with no delay.
 *
 * One AdminCache per isolate, in the isolate state (src/isolate.ts); tests make a fresh one.
 */

import { bounded, TIMED_OUT } from "../shared/timeout.js";
import { ADMINS_RETRY_AFTER_SECONDS, AdminsError } from "./errors.js";
import { type AdminSet, adminSetOf, NO_ADMINS } from "./set.js";
import { type AdminsKvStats, readRuntimeAdmins } from "./store.js";

export const SOFT_TTL_MS = 30_000;
export const HARD_TTL_MS = 120_000;
/** A cold read that takes longer than this is treated as a KV failure. */
const KV_WAIT_MS = 3_000;

interface Entry {
  runtime: AdminSet;
  fetchedAt: number;
  refreshing: Promise<AdminSet> | undefined;
}

export interface AdminSetDeps {
  kv: KVNamespace;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's clock, milliseconds since the epoch. */
  nowMs: number;
}

export interface AdminCache {
  /** The config admins and the runtime admins, for the guard. */
  adminSets(sdkAppId: number, configAdmins: AdminSet, deps: AdminSetDeps): Promise<readonly AdminSet[]>;
  runtimeAdmins(sdkAppId: number, deps: AdminSetDeps): Promise<AdminSet>;
  /** After an operator edit: this isolate sees the change at once. */
  setRuntimeAdmins(sdkAppId: number, userIds: Iterable<string>, nowMs: number): void;
  /** This isolate's ADMINS KV operations. */
  readonly kvStats: AdminsKvStats;
}

/** `clock` (milliseconds since the epoch) stamps a background read when it completes. */
export function createAdminCache(clock: () => number): AdminCache {
  const entries = new Map<number, Entry>();
  const kvStats: AdminsKvStats = { reads: 0, writes: 0 };

  async function runtimeAdmins(sdkAppId: number, deps: AdminSetDeps): Promise<AdminSet> {
    const { nowMs } = deps;
    const entry = entries.get(sdkAppId);
    if (entry && nowMs - entry.fetchedAt < SOFT_TTL_MS) return entry.runtime;
    if (entry && nowMs - entry.fetchedAt < HARD_TTL_MS) {
      if (!entry.refreshing) deps.waitUntil(refresh(sdkAppId, deps.kv, entry).catch(() => undefined));
      return entry.runtime;
    }
    let reason: string;
    try {
      const runtime = await bounded(entry?.refreshing ?? refresh(sdkAppId, deps.kv, entry), KV_WAIT_MS);
      if (runtime !== TIMED_OUT) return runtime;
      reason = `KV read took over ${KV_WAIT_MS} ms`;
    } catch (error) {
      reason = String(error);
    }
    console.error(JSON.stringify({ event: "admin_set_unavailable", sdkAppId, reason }));
    throw new AdminsError(
      "ADMIN_SET_UNAVAILABLE",
      "The broker cannot read this app's admin identities right now; try again shortly.",
      { reason: `admins kv: ${reason}`, data: { retryAfterSeconds: ADMINS_RETRY_AFTER_SECONDS } },
    );
  }

  function refresh(sdkAppId: number, kv: KVNamespace, entry: Entry | undefined): Promise<AdminSet> {
    const promise: Promise<AdminSet> = readRuntimeAdmins(kv, sdkAppId, kvStats).then(
      (ids) => {
        const current = entries.get(sdkAppId);
        // setRuntimeAdmins() replaced the entry while this read was in flight: that set is newer
        // than what this read saw, so keep it (an operator edit takes effect at once here).
        if (current && current.refreshing !== promise) return current.runtime;
        const runtime = adminSetOf(ids);
        entries.set(sdkAppId, { runtime, fetchedAt: clock(), refreshing: undefined });
        return runtime;
      },
      (error: unknown) => {
        const current = entries.get(sdkAppId);
        if (current?.refreshing === promise) current.refreshing = undefined;
        throw error;
      },
    );
    if (entry) entry.refreshing = promise;
    else entries.set(sdkAppId, { runtime: NO_ADMINS, fetchedAt: Number.NEGATIVE_INFINITY, refreshing: promise });
    return promise;
  }

  return {
    async adminSets(sdkAppId, configAdmins, deps) {
      return [configAdmins, await runtimeAdmins(sdkAppId, deps)];
    },
    runtimeAdmins,
    setRuntimeAdmins(sdkAppId, userIds, nowMs) {
      entries.set(sdkAppId, { runtime: adminSetOf(userIds), fetchedAt: nowMs, refreshing: undefined });
    },
    kvStats,
  };
}
