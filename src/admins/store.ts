/**
 * The one module that reads and writes runtime admins (the ADMINS namespace, through a KeyValueStore).
 *
 * Key layout: `admins/v1/<sdkAppId>` -> JSON `{ "userIds": string[], "updatedAt": unix ms }`: the
 * admin identities added at run time through the operator API. The config's `admins` are never
 * stored here: they are admins whatever KV holds.
 *
 * KV facts this relies on: reads are cached at each location (about 60 s), a write can take 60 s or
 * more to be seen elsewhere, there is no compare-and-set (two operators editing at once can lose
 * one edit: the operator API is for people, not for scripts racing each other).
 */

import type { KeyValueStore } from "../shared/storage.js";

const KEY_PREFIX = "admins/v1/";
/** At most this many runtime admins per app: bounds the KV value and the isolate cache. */
export const RUNTIME_ADMINS_MAX = 1000;

/** KV operations on the ADMINS namespace made by this isolate (GET /v1/admin/stats, the bench). */
export interface AdminsKvStats {
  reads: number;
  writes: number;
}

export async function readRuntimeAdmins(
  store: KeyValueStore,
  sdkAppId: number,
  stats: AdminsKvStats,
): Promise<string[]> {
  stats.reads++;
  const entry = await store.get(KEY_PREFIX + sdkAppId);
  if (entry === null) return [];
  const ids = (JSON.parse(entry.value) as { userIds?: unknown } | null)?.userIds;
  if (!Array.isArray(ids)) return [];
  return ids.filter((id): id is string => typeof id === "string").slice(0, RUNTIME_ADMINS_MAX);
}

export async function writeRuntimeAdmins(
  store: KeyValueStore,
  sdkAppId: number,
  userIds: string[],
  stats: AdminsKvStats,
  nowMs: number,
): Promise<void> {
  stats.writes++;
  await store.put(KEY_PREFIX + sdkAppId, JSON.stringify({ userIds, updatedAt: nowMs }));
}
