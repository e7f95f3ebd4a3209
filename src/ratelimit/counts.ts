/** One counter's counts per fixed window: this isolate's own and the others' (as last read). Pure. */

import type { WindowPolicy } from "./config.js";
import { type WindowUse, windowIndex } from "./policy.js";
import type { Shard, ShardCount } from "./store.js";

export interface WindowCount {
  /** Which window of this length the counts are for (policy.ts windowIndex). */
  index: number;
  local: number;
  others: number;
}

export class WindowCounts {
  /** By window length in seconds. */
  readonly #bySeconds = new Map<number, WindowCount>();

  /** The window's count, started afresh when `nowMs` is in a later window than the one counted. */
  current(seconds: number, nowMs: number): WindowCount {
    const index = windowIndex(nowMs, seconds);
    let count = this.#bySeconds.get(seconds);
    if (!count || count.index < index) {
      count = { index, local: 0, others: 0 };
      this.#bySeconds.set(seconds, count);
    }
    return count;
  }

  /** Each window with what is known to be used in it (this isolate's and the others'). */
  uses(windows: readonly WindowPolicy[], nowMs: number): WindowUse[] {
    return windows.map((w) => {
      const count = this.current(w.seconds, nowMs);
      return { ...w, used: count.local + count.others };
    });
  }

  /** Counts one request in every window; returns each window's index, for a refund. */
  add(windows: readonly WindowPolicy[], nowMs: number): Map<number, number> {
    const indices = new Map<number, number>();
    for (const w of windows) {
      const count = this.current(w.seconds, nowMs);
      count.local++;
      indices.set(w.seconds, count.index);
    }
    return indices;
  }

  /** Takes one request back from each window it was counted in, if that window is still current. */
  giveBack(indices: ReadonlyMap<number, number>): boolean {
    let changed = false;
    for (const [seconds, index] of indices) {
      const count = this.#bySeconds.get(seconds);
      if (count && count.index === index && count.local > 0) {
        count.local--;
        changed = true;
      }
    }
    return changed;
  }

  /**
   * What a read of the shards says. Others: the sum of the other isolates' shards for the current
   * window; counts only grow within a window, so a read that sees less than an earlier one (another
   * KV cache) does not lower it. Our own shard (`isolate`) can be ahead of memory if this counter was
   * evicted and made again: the larger is kept.
   */
  learn(shards: readonly Shard[], windows: readonly WindowPolicy[], nowMs: number, isolate: string): void {
    for (const w of windows) {
      const count = this.current(w.seconds, nowMs);
      let others = 0;
      for (const shard of shards) {
        const found = shard.counts.find((c) => c.seconds === w.seconds && c.index === count.index);
        if (!found) continue;
        if (shard.isolate === isolate) count.local = Math.max(count.local, found.count);
        else others += found.count;
      }
      count.others = Math.max(count.others, others);
    }
  }

  /** This isolate's shard: its own count in each current window. */
  shard(windows: readonly WindowPolicy[], nowMs: number): ShardCount[] {
    return windows.map((w) => {
      const count = this.current(w.seconds, nowMs);
      return { seconds: w.seconds, index: count.index, count: count.local };
    });
  }
}
