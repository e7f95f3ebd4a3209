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
 */

import { problems } from "../http/problem.js";
import { readRuntimeAdmins } from "./store.js";

export const SOFT_TTL_MS = 30_000;
export const HARD_TTL_MS = 120_000;
/** A cold read that takes longer than this is treated as a KV failure. */
const KV_WAIT_MS = 3_000;

interface Entry {
  runtime: ReadonlySet<string>;
  fetchedAt: number;
  refreshing: Promise<ReadonlySet<string>> | undefined;
}

const entries = new Map<number, Entry>();

export interface AdminSetDeps {
  kv: KVNamespace;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  now?: number;
}

/** Config admins ∪ runtime admins, for the guard. */
export async function adminSet(
  sdkAppId: number,
  configAdmins: ReadonlySet<string>,
  deps: AdminSetDeps,
): Promise<ReadonlySet<string>> {
  const runtime = await runtimeAdmins(sdkAppId, deps);
  if (runtime.size === 0) return configAdmins;
  return new Set([...configAdmins, ...runtime]);
}

export async function runtimeAdmins(sdkAppId: number, deps: AdminSetDeps): Promise<ReadonlySet<string>> {
  const now = deps.now ?? Date.now();
  const entry = entries.get(sdkAppId);
  if (entry && now - entry.fetchedAt < SOFT_TTL_MS) return entry.runtime;
  if (entry && now - entry.fetchedAt < HARD_TTL_MS) {
    if (!entry.refreshing) deps.waitUntil(refresh(sdkAppId, deps.kv, entry).catch(() => undefined));
    return entry.runtime;
  }
  try {
    return await withTimeout(entry?.refreshing ?? refresh(sdkAppId, deps.kv, entry), KV_WAIT_MS);
  } catch (error) {
    console.error(JSON.stringify({ event: "admin_set_unavailable", sdkAppId, reason: String(error) }));
    throw problems.unavailable(
      "ADMIN_SET_UNAVAILABLE",
      "The broker cannot read this app's admin identities right now; try again shortly.",
      5,
    );
  }
}

/** After an operator edit: this isolate sees the change at once. */
export function setRuntimeAdmins(sdkAppId: number, userIds: Iterable<string>, now = Date.now()): void {
  entries.set(sdkAppId, { runtime: new Set(userIds), fetchedAt: now, refreshing: undefined });
}

/** For tests and the bench: forget everything. */
export function clearAdminCache(): void {
  entries.clear();
}

function refresh(sdkAppId: number, kv: KVNamespace, entry: Entry | undefined): Promise<ReadonlySet<string>> {
  const promise: Promise<ReadonlySet<string>> = readRuntimeAdmins(kv, sdkAppId).then(
    (ids) => {
      const current = entries.get(sdkAppId);
      // setRuntimeAdmins() replaced the entry while this read was in flight: that set is newer
      // than what this read saw, so keep it (an operator edit takes effect at once here).
      if (current && current.refreshing !== promise) return current.runtime;
      const runtime = new Set(ids);
      entries.set(sdkAppId, { runtime, fetchedAt: Date.now(), refreshing: undefined });
      return runtime;
    },
    (error: unknown) => {
      const current = entries.get(sdkAppId);
      if (current?.refreshing === promise) current.refreshing = undefined;
      throw error;
    },
  );
  if (entry) entry.refreshing = promise;
  else entries.set(sdkAppId, { runtime: new Set(), fetchedAt: Number.NEGATIVE_INFINITY, refreshing: promise });
  return promise;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV read took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
