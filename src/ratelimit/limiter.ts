/**
 * The isolate's counters: decisions are made here, in memory; KV only tells this isolate what the
 * others have counted, and learns what this one has.
 *
 * - Each counter (app, route class, caller kind, subject) keeps, per window, this isolate's own count
 *   and the sum of the other isolates' counts as last read from KV.
 * - Warm (read from KV less than six sync intervals ago): decided at once, no KV read. At most once
 *   per sync interval (policy.ts: a sixth of the shortest window, 10 to 60 s) a request also
 *   refreshes the others' counts in the background (waitUntil).
 * - Cold (never read, or idle that long): the request waits for one read, at most COLD_WAIT_MS.
 *   Concurrent requests on a cold counter share that read, then decide one after another without
 *   awaiting anything (JS runs one continuation at a time), so one isolate never lets more than the
 *   limit through. If the read fails or is slow, the policy's failMode decides: closed refuses (503),
 *   open allows and the caller logs it; for FAILURE_BACKOFF_MS after a failure, KV is not waited on.
 *   Either way, what this isolate has counted itself is still enforced.
 * - Exhausted windows are answered from memory: a refused request touches nothing and counts nothing.
 * - Allowed requests are written to this isolate's own shard (store.ts) at most once per flush
 *   interval per counter (policy.ts: a twelfth of the shortest window, 1 to 30 s; never more than one
 *   write a second), through waitUntil: the first write of a quiet counter at once, later ones by the
 *   next request this isolate serves once the interval has passed (no timers: a timer held in
 *   waitUntil would hold every response's context open until it fires).
 *
 * Accuracy across isolates and locations: docs/rate-limits.md.
 */

import { bounded, TIMED_OUT } from "../shared/timeout.js";
import type { FailMode, WindowPolicy } from "./config.js";
import {
  type Decision,
  decide,
  flushIntervalMs,
  STALE_SYNC_INTERVALS,
  shardTtlSeconds,
  syncIntervalMs,
  windowIndex,
} from "./policy.js";
import type { RateLimitStore, Shard, ShardCount } from "./store.js";

/** How long a request waits for a cold counter's read before its failMode applies. */
const COLD_WAIT_MS = 1_000;
/** How long a background read or write may hold a request's waitUntil. */
const BACKGROUND_WAIT_MS = 2_000;
/** After a KV failure on a counter, its requests do not wait on KV for this long. */
export const FAILURE_BACKOFF_MS = 5_000;
/** Counters kept in the isolate (least recently used evicted): bounds memory under a flood of IPs. */
export const COUNTERS_IN_MEMORY_MAX = 10_000;
/** Due writes of other counters are looked for at most this often ... */
const SWEEP_INTERVAL_MS = 250;
/** ... and at most this many are started per request (KV operations count as subrequests). */
const SWEEP_WRITES_MAX = 16;

export interface CounterSpec {
  /** The counter's identity in memory: app, route class, caller kind, subject. */
  id: string;
  /** Its name in KV (the subject hashed): computed once per counter, only when KV is touched. */
  kvName: () => Promise<string>;
  windows: readonly WindowPolicy[];
  failMode: FailMode;
}

export interface LimiterDeps {
  store: RateLimitStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Keeps a background read or write alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  log: (line: Record<string, unknown>) => void;
}

export type Outcome =
  /** `degraded`: allowed without the other isolates' counts (KV failed, failMode open). */
  | { status: "allowed"; decision: Decision; degraded: string | undefined; charge: Charge }
  | { status: "refused"; decision: Decision }
  /** KV failed or was slow and the policy is fail-closed. Nothing was counted. */
  | { status: "unavailable"; decision: Decision; reason: string };

/** What an allowed request added, so that it can be given back (refund). */
export interface Charge {
  id: string;
  indices: ReadonlyMap<number, number>;
}

interface WindowCount {
  index: number;
  local: number;
  others: number;
}

interface Entry {
  id: string;
  makeKvName: () => Promise<string>;
  kvName: Promise<string> | undefined;
  counts: Map<number, WindowCount>;
  syncedAt: number;
  syncing: Promise<boolean> | undefined;
  failedAt: number;
  lastError: string | undefined;
  dirty: boolean;
  putting: boolean;
  lastPutAt: number;
  putFailedAt: number;
  /** The windows last asked for: what the shard holds and how long it lives. */
  windows: readonly WindowPolicy[];
  flushMs: number;
  syncMs: number;
}

/**
 * This isolate's decisions (GET /v1/admin/stats). coldWaits counts requests that waited for a cold
 * counter's read (concurrent ones share one read); backgroundReads counts reads started in waitUntil.
 */
export interface LimiterStats {
  checks: number;
  allowed: number;
  refused: number;
  unavailable: number;
  failOpen: number;
  coldWaits: number;
  backgroundReads: number;
  refunds: number;
}

export interface Limiter {
  /** Counts one request against every window of the counter, if all have room. */
  consume(spec: CounterSpec, deps: LimiterDeps): Promise<Outcome>;
  /** Gives back an allowed request's count (in the windows it was counted in, if still current). */
  refund(charge: Charge, deps: LimiterDeps): void;
  /** The windows as they stand, without counting anything (e.g. for headers after a refund). */
  peek(spec: CounterSpec, nowMs: number): Decision;
  /** This isolate's shard name: random, made on first use (random values are not allowed at global scope). */
  isolateId(): string;
  entryCount(): number;
  readonly stats: Readonly<LimiterStats>;
}

/**
 * One isolate's counters: created with the app (src/isolate.ts); a test makes a fresh one.
 * `isolateId`: the shard name to write under (default: random, made on first use).
 */
export function createLimiter(options: { isolateId?: string } = {}): Limiter {
  const stats: LimiterStats = {
    checks: 0,
    allowed: 0,
    refused: 0,
    unavailable: 0,
    failOpen: 0,
    coldWaits: 0,
    backgroundReads: 0,
    refunds: 0,
  };
  const entries = new Map<string, Entry>();
  const dirty = new Set<Entry>();
  let lastSweepAt = Number.NEGATIVE_INFINITY;
  let isolate: string | undefined = options.isolateId;

  function isolateId(): string {
    isolate ??= crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    return isolate;
  }

  async function consume(spec: CounterSpec, deps: LimiterDeps): Promise<Outcome> {
    stats.checks++;
    const entry = entryFor(spec);
    let now = deps.now();
    let degraded: string | undefined;
    if (now - entry.syncedAt >= STALE_SYNC_INTERVALS * entry.syncMs) {
      if (now - entry.failedAt < FAILURE_BACKOFF_MS) {
        degraded = `KV failed ${now - entry.failedAt} ms ago: ${entry.lastError ?? "unknown"}`;
      } else {
        stats.coldWaits++;
        const synced = await bounded(sync(entry, deps), COLD_WAIT_MS);
        now = deps.now();
        if (synced === TIMED_OUT) {
          entry.failedAt = now;
          entry.lastError = `KV list took over ${COLD_WAIT_MS} ms`;
        }
        if (synced !== true) degraded = entry.lastError ?? "KV read failed";
      }
    } else if (now - entry.syncedAt >= entry.syncMs && !entry.syncing && now - entry.failedAt >= FAILURE_BACKOFF_MS) {
      stats.backgroundReads++;
      deps.waitUntil(bounded(sync(entry, deps), BACKGROUND_WAIT_MS));
    }

    // From here to the end nothing is awaited: deciding and counting are one step.
    const decision = decide(uses(entry, spec.windows, now), now);
    if (!decision.allowed) {
      stats.refused++;
      sweep(now, deps);
      return { status: "refused", decision };
    }
    if (degraded !== undefined && spec.failMode === "closed") {
      stats.unavailable++;
      sweep(now, deps);
      return { status: "unavailable", decision, reason: degraded };
    }
    const charge = add(entry, spec.windows, now, 1);
    markDirty(entry, now, deps);
    sweep(now, deps);
    stats.allowed++;
    if (degraded !== undefined) stats.failOpen++;
    return { status: "allowed", decision, degraded, charge };
  }

  function refund(charge: Charge, deps: LimiterDeps): void {
    const entry = entries.get(charge.id);
    if (!entry) return;
    const now = deps.now();
    let changed = false;
    for (const [seconds, index] of charge.indices) {
      const count = entry.counts.get(seconds);
      if (count && count.index === index && count.local > 0) {
        count.local--;
        changed = true;
      }
    }
    if (!changed) return;
    stats.refunds++;
    markDirty(entry, now, deps);
  }

  function peek(spec: CounterSpec, nowMs: number): Decision {
    const entry = entries.get(spec.id);
    const windows = entry ? uses(entry, spec.windows, nowMs) : spec.windows.map((w) => ({ ...w, used: 0 }));
    return decide(windows, nowMs, 0);
  }

  // ---- Counters in memory -------------------------------------------------------------------------

  function entryFor(spec: CounterSpec): Entry {
    let entry = entries.get(spec.id);
    if (entry) {
      // Most recently used last: eviction takes the first.
      entries.delete(spec.id);
    } else {
      entry = {
        id: spec.id,
        makeKvName: spec.kvName,
        kvName: undefined,
        counts: new Map(),
        syncedAt: Number.NEGATIVE_INFINITY,
        syncing: undefined,
        failedAt: Number.NEGATIVE_INFINITY,
        lastError: undefined,
        dirty: false,
        putting: false,
        lastPutAt: Number.NEGATIVE_INFINITY,
        putFailedAt: Number.NEGATIVE_INFINITY,
        windows: spec.windows,
        flushMs: flushIntervalMs(spec.windows),
        syncMs: syncIntervalMs(spec.windows),
      };
    }
    if (entry.windows !== spec.windows) {
      entry.windows = spec.windows;
      entry.flushMs = flushIntervalMs(spec.windows);
      entry.syncMs = syncIntervalMs(spec.windows);
    }
    entries.set(spec.id, entry);
    if (entries.size > COUNTERS_IN_MEMORY_MAX) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
    return entry;
  }

  /** The window's count, reset when `nowMs` is in a later window than the one counted. */
  function current(entry: Entry, seconds: number, nowMs: number): WindowCount {
    const index = windowIndex(nowMs, seconds);
    let count = entry.counts.get(seconds);
    if (!count || count.index < index) {
      count = { index, local: 0, others: 0 };
      entry.counts.set(seconds, count);
    }
    return count;
  }

  function uses(entry: Entry, windows: readonly WindowPolicy[], nowMs: number) {
    return windows.map((w) => {
      const count = current(entry, w.seconds, nowMs);
      return { ...w, used: count.local + count.others };
    });
  }

  function add(entry: Entry, windows: readonly WindowPolicy[], nowMs: number, delta: number): Charge {
    const indices = new Map<number, number>();
    for (const w of windows) {
      const count = current(entry, w.seconds, nowMs);
      count.local = Math.max(0, count.local + delta);
      indices.set(w.seconds, count.index);
    }
    return { id: entry.id, indices };
  }

  // ---- Reading the others' counts -----------------------------------------------------------------

  function kvNameOf(entry: Entry): Promise<string> {
    entry.kvName ??= entry.makeKvName().catch((error: unknown) => {
      entry.kvName = undefined;
      throw error;
    });
    return entry.kvName;
  }

  /** One read of the counter's shards, shared by everyone asking while it runs. Never rejects. */
  function sync(entry: Entry, deps: LimiterDeps): Promise<boolean> {
    if (entry.syncing) return entry.syncing;
    const run = (async () => {
      try {
        const shards = await deps.store.readShards(await kvNameOf(entry));
        const now = deps.now();
        apply(entry, shards, now);
        entry.syncedAt = now;
        entry.failedAt = Number.NEGATIVE_INFINITY;
        entry.lastError = undefined;
        return true;
      } catch (error) {
        entry.failedAt = deps.now();
        entry.lastError = `KV list failed: ${errorName(error)}`;
        deps.log({ event: "rate_limit_kv_error", op: "list", reason: entry.lastError });
        return false;
      } finally {
        entry.syncing = undefined;
      }
    })();
    entry.syncing = run;
    return run;
  }

  /**
   * Others: the sum of the other isolates' shards for the current window. Counts only grow within a
   * window, so a read that sees less than an earlier one (another KV cache) does not lower it. Our own
   * shard in KV can be ahead of memory if this counter was evicted and made again: take the larger.
   */
  function apply(entry: Entry, shards: readonly Shard[], nowMs: number): void {
    const me = isolateId();
    for (const w of entry.windows) {
      const count = current(entry, w.seconds, nowMs);
      let others = 0;
      for (const shard of shards) {
        const found = shard.counts.find((c) => c.seconds === w.seconds && c.index === count.index);
        if (!found) continue;
        if (shard.isolate === me) count.local = Math.max(count.local, found.count);
        else others += found.count;
      }
      count.others = Math.max(count.others, others);
    }
  }

  // ---- Writing this isolate's counts --------------------------------------------------------------

  function markDirty(entry: Entry, nowMs: number, deps: LimiterDeps): void {
    entry.dirty = true;
    dirty.delete(entry);
    dirty.add(entry);
    flushIfDue(entry, nowMs, deps);
  }

  /** Starts this counter's write if one is due: at most one per flush interval, none in flight. */
  function flushIfDue(entry: Entry, nowMs: number, deps: LimiterDeps): boolean {
    if (!entry.dirty || entry.putting) return false;
    if (nowMs - entry.lastPutAt < entry.flushMs || nowMs - entry.putFailedAt < FAILURE_BACKOFF_MS) return false;
    entry.putting = true;
    entry.dirty = false;
    dirty.delete(entry);
    entry.lastPutAt = nowMs;
    const counts: ShardCount[] = entry.windows.map((w) => {
      const count = current(entry, w.seconds, nowMs);
      return { seconds: w.seconds, index: count.index, count: count.local };
    });
    const ttl = shardTtlSeconds(entry.windows, nowMs);
    const write = kvNameOf(entry).then((name) => deps.store.writeShard(name, isolateId(), counts, ttl));
    deps.waitUntil(
      bounded(
        write.then(
          () => true,
          (error: unknown) => {
            deps.log({ event: "rate_limit_kv_error", op: "put", reason: `KV put failed: ${errorName(error)}` });
            return false;
          },
        ),
        BACKGROUND_WAIT_MS,
      ).then((ok) => {
        entry.putting = false;
        if (ok !== true) {
          entry.putFailedAt = deps.now();
          markDirtyQuietly(entry);
        }
      }),
    );
    return true;
  }

  function markDirtyQuietly(entry: Entry): void {
    entry.dirty = true;
    dirty.add(entry);
  }

  /** Writes other counters' counts that have waited a second, a few per request. */
  function sweep(nowMs: number, deps: LimiterDeps): void {
    if (dirty.size === 0 || nowMs - lastSweepAt < SWEEP_INTERVAL_MS) return;
    lastSweepAt = nowMs;
    let started = 0;
    // Deleting from a Set while iterating it is well defined: flushIfDue removes what it starts.
    for (const entry of dirty) {
      if (started >= SWEEP_WRITES_MAX) break;
      if (flushIfDue(entry, nowMs, deps)) started++;
    }
  }

  return { consume, refund, peek, isolateId, entryCount: () => entries.size, stats };
}

// ---- Helpers ------------------------------------------------------------------------------------

/** Only the error's class: a KV error message may quote the key. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
