/**
 * A stale-while-refresh cache of values read from a store (the admin sets, the bans), one entry per
 * key. Must not: read a clock (every call brings the request's `nowMs`), serve a value past
 * `hardTtlMs`, or log more of a failure than its error name.
 *
 * - Younger than softTtlMs: served as is. Up to hardTtlMs: served, and refreshed in the background.
 * - Older, or never read: the request waits for one read (at most waitMs), shared by concurrent
 *   requests; if it fails, `unavailable(reason)` is thrown (fail closed).
 * - After a failed read, no background refresh starts for FAILURE_BACKOFF_MS (stale values are still served):
 *   a failing store is not asked again on every request. A cold request still reads: it has
 *   nothing else to answer with, and the store may be back.
 * - An entry is stamped with the `nowMs` of the request that started its read: the data is at least
 *   that old. A value `set` here while a read is in flight is newer, and that read does not replace it.
 * - `prefetch` starts the read a cold request would wait for, earlier, and returns at once: the
 *   `get` that follows joins that read. It never throws, logs or counts a cold wait (the `get` does).
 */

import { errorName } from "./errors.js";
import { bounded, TIMED_OUT } from "./timeout.js";

/** After a store failed, it is not asked again in the background for this long (the limiter's too). */
export const FAILURE_BACKOFF_MS = 5_000;

/** Whether a failure at `failedAtMs` still holds background reads (and writes) back at `nowMs`. */
export function backingOff(failedAtMs: number, nowMs: number): boolean {
  return nowMs - failedAtMs < FAILURE_BACKOFF_MS;
}

export interface RefreshingCacheOptions {
  softTtlMs: number;
  hardTtlMs: number;
  /** A cold read that takes longer than this is a failure. */
  waitMs: number;
  /** The error a cold request gets when there is nothing it may serve. `reason` is for the log. */
  unavailable: (reason: string) => Error;
  /** The log line's `event` for a failed read, e.g. "admin_set_unavailable". */
  event: string;
  /** Default: one JSON line to console.error. */
  log?: (line: Record<string, unknown>) => void;
  /** Called when a request has to wait for a read (the stats' coldWaits). */
  onColdWait?: () => void;
}

export interface RefreshDeps {
  /** The request's clock, milliseconds since the epoch. */
  nowMs: number;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
}

interface Entry<V> {
  /** undefined until the first read lands. */
  value: V | undefined;
  fetchedAt: number;
  refreshing: Promise<V> | undefined;
  failedAt: number;
}

export class RefreshingCache<K, V> {
  readonly #options: RefreshingCacheOptions;
  readonly #log: (line: Record<string, unknown>) => void;
  readonly #entries = new Map<K, Entry<V>>();

  constructor(options: RefreshingCacheOptions) {
    if (!(options.softTtlMs <= options.hardTtlMs)) throw new RangeError("softTtlMs must not exceed hardTtlMs");
    this.#options = options;
    this.#log = options.log ?? ((line) => console.error(JSON.stringify(line)));
  }

  /** The value for `key`, read with `read` when it is missing or stale (see the header). */
  async get(key: K, read: () => Promise<V>, deps: RefreshDeps): Promise<V> {
    const { softTtlMs, hardTtlMs, waitMs } = this.#options;
    const entry = this.#entries.get(key);
    const age = entry?.value !== undefined ? deps.nowMs - entry.fetchedAt : Number.POSITIVE_INFINITY;
    if (entry?.value !== undefined && age < softTtlMs) return entry.value;
    if (entry?.value !== undefined && age < hardTtlMs) {
      if (!entry.refreshing && !backingOff(entry.failedAt, deps.nowMs)) {
        deps.waitUntil(this.#read(key, read, deps.nowMs).catch(() => undefined));
      }
      return entry.value;
    }
    let reason: string;
    this.#options.onColdWait?.();
    try {
      const value = await bounded(entry?.refreshing ?? this.#read(key, read, deps.nowMs), waitMs);
      if (value !== TIMED_OUT) return value;
      this.#failed(key, deps.nowMs);
      reason = `read took over ${waitMs} ms`;
    } catch (error) {
      reason = `read failed: ${errorName(error)}`;
    }
    this.#log({ event: this.#options.event, key: String(key), reason });
    throw this.#options.unavailable(reason);
  }

  /**
   * When `key` has no value a request may serve (none yet, or past hardTtlMs), no read is in flight and
   * the store has not failed in the last FAILURE_BACKOFF_MS:
   * starts that read now, kept alive by `waitUntil` (for at most waitMs), so that the `get` to come
   * waits for less. A stale
   * or fresh value: nothing (`get` serves it and refreshes in the background itself).
   */
  prefetch(key: K, read: () => Promise<V>, deps: RefreshDeps): void {
    const entry = this.#entries.get(key);
    const servable = entry?.value !== undefined && deps.nowMs - entry.fetchedAt < this.#options.hardTtlMs;
    // A store that just failed is not asked again from here: the get that follows reads (or not) itself.
    if (servable || entry?.refreshing || (entry && backingOff(entry.failedAt, deps.nowMs))) return;
    // Kept alive no longer than a cold get would wait for it: a read that hangs holds nothing up.
    deps.waitUntil(bounded(this.#read(key, read, deps.nowMs), this.#options.waitMs).catch(() => undefined));
  }

  /** A value known here to be current (a change made through this isolate): fresh at once. */
  set(key: K, value: V, nowMs: number): void {
    this.#entries.set(key, { value, fetchedAt: nowMs, refreshing: undefined, failedAt: Number.NEGATIVE_INFINITY });
  }

  /** The last value read or set for `key`, whatever its age; undefined when there is none. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  #read(key: K, read: () => Promise<V>, startedAtMs: number): Promise<V> {
    const promise: Promise<V> = read().then(
      (value) => {
        const current = this.#entries.get(key);
        // set() replaced the entry while this read was in flight: that value is newer, keep it.
        if (current && current.refreshing !== promise && current.value !== undefined) return current.value;
        this.#entries.set(key, {
          value,
          fetchedAt: startedAtMs,
          refreshing: undefined,
          failedAt: Number.NEGATIVE_INFINITY,
        });
        return value;
      },
      (error: unknown) => {
        const current = this.#entries.get(key);
        if (current?.refreshing === promise) current.refreshing = undefined;
        this.#failed(key, startedAtMs);
        throw error;
      },
    );
    const entry = this.#entries.get(key);
    if (entry) entry.refreshing = promise;
    else {
      // A placeholder when cold, so that concurrent cold requests share this one read.
      this.#entries.set(key, {
        value: undefined,
        fetchedAt: Number.NEGATIVE_INFINITY,
        refreshing: promise,
        failedAt: Number.NEGATIVE_INFINITY,
      });
    }
    return promise;
  }

  #failed(key: K, atMs: number): void {
    const entry = this.#entries.get(key);
    if (entry) entry.failedAt = Math.max(entry.failedAt, atMs);
  }
}
