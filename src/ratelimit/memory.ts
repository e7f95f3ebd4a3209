/** The isolate's counters: bounded (least recently used evicted), and the queue of unwritten counts. */

import { Counter, type CounterSpec } from "./counter.js";

/** Counters kept in the isolate (least recently used evicted): bounds memory under a flood of IPs. */
export const COUNTERS_IN_MEMORY_MAX = 10_000;
/** Due writes of other counters are looked for at most this often ... */
export const SWEEP_INTERVAL_MS = 250;
/** ... and at most this many are started per request (KV operations count as subrequests). */
export const SWEEP_WRITES_MAX = 16;

export class CounterMemory {
  readonly #counters = new Map<string, Counter>();
  /** Counters with counts not yet written, oldest first (an evicted one stays until written). */
  readonly #unwritten = new Set<Counter>();
  readonly #max: number;
  #lastSweepAtMs = Number.NEGATIVE_INFINITY;

  constructor(max = COUNTERS_IN_MEMORY_MAX) {
    this.#max = max;
  }

  get size(): number {
    return this.#counters.size;
  }

  get(id: string): Counter | undefined {
    return this.#counters.get(id);
  }

  /** The spec's counter, made if missing, now the most recently used; evicts the least. */
  use(spec: CounterSpec): Counter {
    let counter = this.#counters.get(spec.id);
    if (counter) this.#counters.delete(spec.id);
    else counter = new Counter(spec);
    counter.useWindows(spec.windows);
    this.#counters.set(spec.id, counter);
    if (this.#counters.size > this.#max) {
      const oldest = this.#counters.keys().next().value as string;
      this.#counters.delete(oldest);
    }
    return counter;
  }

  /** Counted just now: queued last. */
  changed(counter: Counter): void {
    counter.dirty = true;
    this.#unwritten.delete(counter);
    this.#unwritten.add(counter);
  }

  /** A failed write: queued again, in its old place if it still has one. */
  requeue(counter: Counter): void {
    counter.dirty = true;
    this.#unwritten.add(counter);
  }

  written(counter: Counter): void {
    this.#unwritten.delete(counter);
  }

  /** Whether a sweep would look at anything now (lets a caller skip building its `write`). */
  sweepDue(nowMs: number): boolean {
    return this.#unwritten.size > 0 && nowMs - this.#lastSweepAtMs >= SWEEP_INTERVAL_MS;
  }

  /**
   * Offers queued counters to `write` (which returns whether it started a write), oldest first: at
   * most every SWEEP_INTERVAL_MS, at most SWEEP_WRITES_MAX writes.
   */
  sweep(nowMs: number, write: (counter: Counter) => boolean): void {
    if (!this.sweepDue(nowMs)) return;
    this.#lastSweepAtMs = nowMs;
    let started = 0;
    // Deleting from a Set while iterating it is well defined: `write` removes what it starts.
    for (const counter of this.#unwritten) {
      if (started >= SWEEP_WRITES_MAX) break;
      if (write(counter)) started++;
    }
  }
}
