/**
 * The one module that touches the RATE_LIMITS KV namespace, behind RateLimitStore (the limiter is
 * tested against an in-memory one). KV has no atomic increment, so nothing is read-modified-written:
 * each isolate blindly overwrites its own key per counter (its shard), and a counter's total is the
 * sum of its shards, read with one `list` (the counts ride in each key's metadata, the value is
 * empty). KV's other limits (a write a second per key, eventual reads): docs/rate-limits.md.
 *
 * Key: rl/v1/<counter>/<isolateId>, metadata { "w": [[windowSeconds, windowIndex, count], ...] }.
 * <counter> is the KV name enforce.ts gives the counter (counterSpec):
 * <sdkAppId>/<routeClass>/<callerKind>/<subjectTag>, or <sdkAppId>/newguests/app/<subjectTag> for
 * the new-guest budget; <subjectTag> is a keyed hash of the subject (enforce.ts subjectTag), so KV
 * never holds a client IP or a UserID.
 */

import { KV_EXPIRATION_TTL_MIN_SECONDS } from "./policy.js";

const KEY_PREFIX = "rl/v1/";
/** A list page holds up to 1000 keys: one shard per isolate that counted this subject recently. */
const LIST_PAGE_KEYS = 1000;
/** Bounds a sync's cost: past 3000 shards, the rest are not counted (see docs/rate-limits.md). */
const LIST_PAGES_MAX = 3;
/** A count per window; metadata is capped at 1024 bytes by KV, four windows take under 100. */
const WINDOWS_IN_METADATA_MAX = 8;

export interface ShardCount {
  seconds: number;
  index: number;
  count: number;
}

export interface Shard {
  isolate: string;
  counts: ShardCount[];
}

export interface RateLimitStore {
  /** Every isolate's shard of this counter, as this location currently sees them. */
  readShards(counter: string): Promise<Shard[]>;
  /** Overwrites this isolate's shard of the counter: a blind put, never a read-modify-write. */
  writeShard(counter: string, isolate: string, counts: readonly ShardCount[], ttlSeconds: number): Promise<void>;
}

/** KV operations made by this isolate (GET /v1/admin/stats, the bench). */
export interface RateLimitKvStats {
  lists: number;
  puts: number;
  errors: number;
}

export function newRateLimitKvStats(): RateLimitKvStats {
  return { lists: 0, puts: 0, errors: 0 };
}

interface ShardMetadata {
  w?: unknown;
}

/** The store over one KV binding, counting its operations into `stats`. */
export function kvRateLimitStore(kv: KVNamespace | undefined, stats: RateLimitKvStats): RateLimitStore {
  if (!kv) return missingBinding;
  return {
    async readShards(counter) {
      const prefix = `${KEY_PREFIX}${counter}/`;
      const shards: Shard[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < LIST_PAGES_MAX; page++) {
        stats.lists++;
        let result: KVNamespaceListResult<ShardMetadata, string>;
        try {
          result = await kv.list<ShardMetadata>({ prefix, limit: LIST_PAGE_KEYS, ...(cursor ? { cursor } : {}) });
        } catch (error) {
          stats.errors++;
          throw error;
        }
        for (const key of result.keys) {
          const counts = parseCounts(key.metadata);
          if (counts.length > 0) shards.push({ isolate: key.name.slice(prefix.length), counts });
        }
        if (result.list_complete) break;
        cursor = result.cursor;
      }
      return shards;
    },
    async writeShard(counter, isolate, counts, ttlSeconds) {
      stats.puts++;
      const metadata = { w: counts.slice(0, WINDOWS_IN_METADATA_MAX).map((c) => [c.seconds, c.index, c.count]) };
      try {
        await kv.put(`${KEY_PREFIX}${counter}/${isolate}`, "", {
          // KV refuses an expirationTtl under 60 s, whatever the caller asks for.
          expirationTtl: Math.max(KV_EXPIRATION_TTL_MIN_SECONDS, Math.ceil(ttlSeconds)),
          metadata,
        });
      } catch (error) {
        stats.errors++;
        throw error;
      }
    },
  };
}

/** Shards written by another version, or tampered with, are ignored field by field. */
function parseCounts(metadata: ShardMetadata | null | undefined): ShardCount[] {
  const raw = metadata?.w;
  if (!Array.isArray(raw)) return [];
  const out: ShardCount[] = [];
  for (const item of raw.slice(0, WINDOWS_IN_METADATA_MAX)) {
    if (!Array.isArray(item) || item.length !== 3) continue;
    const [seconds, index, count] = item as unknown[];
    if (![seconds, index, count].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) continue;
    out.push({ seconds: seconds as number, index: index as number, count: count as number });
  }
  return out;
}

/** No RATE_LIMITS binding (a deploy without it): every operation fails, so each policy's failMode applies. */
const missingBinding: RateLimitStore = {
  readShards: () => Promise.reject(new Error("the RATE_LIMITS KV binding is missing")),
  writeShard: () => Promise.reject(new Error("the RATE_LIMITS KV binding is missing")),
};
