/**
 * One counter in this isolate's memory: its counts, and when it must read the others' shards or
 * write its own. Decides only from the `nowMs` it is given; the limiter does the I/O.
 */

import { backingOff } from "../shared/refreshing.js";
import type { FailMode, WindowPolicy } from "./config.js";
import { WindowCounts } from "./counts.js";
import { flushIntervalMs, STALE_SYNC_INTERVALS, syncIntervalMs } from "./policy.js";
import type { ShardCount } from "./store.js";

export interface CounterSpec {
  /** The counter's identity in memory: app, route class, caller kind, subject. */
  id: string;
  /** Its name in KV (the subject hashed): computed once per counter, only when KV is touched. */
  kvName: () => Promise<string>;
  windows: readonly WindowPolicy[];
  failMode: FailMode;
}

/**
 * What a request does about the others' counts before deciding:
 * - `warm`: nothing, memory is recent enough;
 * - `refresh`: decides from memory and starts a read in the background (one per sync interval);
 * - `wait`: cold (never read, or not for STALE_SYNC_INTERVALS sync intervals): waits for a read;
 * - `degraded`: cold, but KV failed less than FAILURE_BACKOFF_MS ago: decides without the others.
 */
export type ReadPlan = { kind: "warm" } | { kind: "refresh" } | { kind: "wait" } | { kind: "degraded"; reason: string };

const WARM: ReadPlan = { kind: "warm" };
const REFRESH: ReadPlan = { kind: "refresh" };
const WAIT: ReadPlan = { kind: "wait" };

export class Counter {
  readonly id: string;
  readonly counts = new WindowCounts();
  /** The windows last asked for: what the shard holds and how long it lives. */
  windows: readonly WindowPolicy[] = [];
  flushMs = 0;
  syncMs = 0;

  // Reading the others' shards.
  syncedAtMs = Number.NEGATIVE_INFINITY;
  /** The read in flight, shared by everyone asking while it runs. */
  syncing: Promise<boolean> | undefined;
  failedAtMs = Number.NEGATIVE_INFINITY;
  /** Why the last read failed, for the log: an error name, never a message. */
  lastError: string | undefined;

  // Writing this isolate's shard.
  dirty = false;
  writing = false;
  lastWriteAtMs = Number.NEGATIVE_INFINITY;
  writeFailedAtMs = Number.NEGATIVE_INFINITY;

  readonly #makeKvName: () => Promise<string>;
  #kvName: Promise<string> | undefined;

  constructor(spec: CounterSpec) {
    this.id = spec.id;
    this.#makeKvName = spec.kvName;
    this.useWindows(spec.windows);
  }

  /** The policy may change with the config: the intervals follow it. */
  useWindows(windows: readonly WindowPolicy[]): void {
    if (windows === this.windows) return;
    this.windows = windows;
    this.flushMs = flushIntervalMs(windows);
    this.syncMs = syncIntervalMs(windows);
  }

  /** Its KV name, made once (a failure is not kept: the next call tries again). */
  kvName(): Promise<string> {
    this.#kvName ??= this.#makeKvName().catch((error: unknown) => {
      this.#kvName = undefined;
      throw error;
    });
    return this.#kvName;
  }

  readPlan(nowMs: number): ReadPlan {
    const sinceRead = nowMs - this.syncedAtMs;
    if (sinceRead >= STALE_SYNC_INTERVALS * this.syncMs) {
      if (!backingOff(this.failedAtMs, nowMs)) return WAIT;
      return {
        kind: "degraded",
        reason: `KV failed ${nowMs - this.failedAtMs} ms ago: ${this.lastError ?? "unknown"}`,
      };
    }
    if (sinceRead >= this.syncMs && !this.syncing && !backingOff(this.failedAtMs, nowMs)) return REFRESH;
    return WARM;
  }

  readSucceeded(nowMs: number): void {
    this.syncedAtMs = nowMs;
    this.failedAtMs = Number.NEGATIVE_INFINITY;
    this.lastError = undefined;
  }

  readFailed(nowMs: number, reason: string): void {
    this.failedAtMs = nowMs;
    this.lastError = reason;
  }

  /** A write is due: something to write, none in flight, a flush interval since the last, no back-off. */
  writeDue(nowMs: number): boolean {
    if (!this.dirty || this.writing) return false;
    return nowMs - this.lastWriteAtMs >= this.flushMs && !backingOff(this.writeFailedAtMs, nowMs);
  }

  /** Starts a write: what to write (the counts as they stand now). */
  startWrite(nowMs: number): ShardCount[] {
    this.writing = true;
    this.dirty = false;
    this.lastWriteAtMs = nowMs;
    return this.counts.shard(this.windows, nowMs);
  }

  /** A failed write is tried again once the back-off has passed. */
  writeEnded(ok: boolean, nowMs: number): void {
    this.writing = false;
    if (ok) return;
    this.writeFailedAtMs = nowMs;
    this.dirty = true;
  }
}
