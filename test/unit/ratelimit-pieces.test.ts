// The limiter's pieces under plain Node, without a store: the counts per window (src/ratelimit/counts.ts),
// when a counter reads or writes (counter.ts, with the shared back-off), and the bounded memory with
// its write queue (memory.ts). The limiter that joins them: test/ratelimit/limiter.test.ts.
import { describe, expect, it } from "vitest";
import type { WindowPolicy } from "../../src/ratelimit/config.js";
import { Counter, type CounterSpec } from "../../src/ratelimit/counter.js";
import { WindowCounts } from "../../src/ratelimit/counts.js";
import { CounterMemory, SWEEP_INTERVAL_MS, SWEEP_WRITES_MAX } from "../../src/ratelimit/memory.js";
import { flushIntervalMs, STALE_SYNC_INTERVALS, syncIntervalMs } from "../../src/ratelimit/policy.js";
import { FAILURE_BACKOFF_MS } from "../../src/shared/refreshing.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE: WindowPolicy[] = [{ seconds: 60, limit: 10 }];
const MINUTE_AND_DAY: WindowPolicy[] = [
  { seconds: 60, limit: 10 },
  { seconds: 86_400, limit: 100 },
];
const SYNC_MS = syncIntervalMs(MINUTE);
const FLUSH_MS = flushIntervalMs(MINUTE);

function spec(id = "c", windows: readonly WindowPolicy[] = MINUTE): CounterSpec {
  return { id, kvName: async () => `kv:${id}`, windows, failMode: "closed" };
}

describe("WindowCounts", () => {
  it("counts in every window and starts a window afresh when it rolls over", () => {
    const counts = new WindowCounts();
    counts.add(MINUTE_AND_DAY, T0);
    counts.add(MINUTE_AND_DAY, T0 + 59_000);
    expect(counts.uses(MINUTE_AND_DAY, T0 + 59_000).map((w) => w.used)).toEqual([2, 2]);
    // The next minute: the minute window is empty, the day still counts both.
    expect(counts.uses(MINUTE_AND_DAY, T0 + 60_000).map((w) => w.used)).toEqual([0, 2]);
  });

  it("gives back only in the window the request was counted in", () => {
    const counts = new WindowCounts();
    const indices = counts.add(MINUTE_AND_DAY, T0);
    counts.current(60, T0 + 60_000); // the minute rolls over
    expect(counts.giveBack(indices)).toBe(true);
    expect(counts.uses(MINUTE_AND_DAY, T0 + 60_000).map((w) => w.used)).toEqual([0, 0]);
    // Nothing left to give back: never below zero.
    expect(counts.giveBack(indices)).toBe(false);
  });

  it("learns the others' counts of the current window, never lower than before; its own shard only raises its own", () => {
    const counts = new WindowCounts();
    counts.add(MINUTE, T0);
    const index = Math.floor(T0 / 60_000);
    counts.learn(
      [
        { isolate: "b", counts: [{ seconds: 60, index, count: 3 }] },
        { isolate: "c", counts: [{ seconds: 60, index, count: 4 }] },
        { isolate: "old", counts: [{ seconds: 60, index: index - 1, count: 50 }] },
        { isolate: "me", counts: [{ seconds: 60, index, count: 5 }] },
      ],
      MINUTE,
      T0,
      "me",
    );
    expect(counts.current(60, T0)).toEqual({ index, local: 5, others: 7 });
    // A later read from a lagging KV cache sees less: the counts stay.
    counts.learn([{ isolate: "b", counts: [{ seconds: 60, index, count: 1 }] }], MINUTE, T0, "me");
    expect(counts.current(60, T0)).toEqual({ index, local: 5, others: 7 });
    expect(counts.shard(MINUTE, T0)).toEqual([{ seconds: 60, index, count: 5 }]);
  });
});

describe("Counter: when it reads the others' shards", () => {
  it("cold until read; warm for a sync interval; then a background read; cold again after STALE_SYNC_INTERVALS", () => {
    const counter = new Counter(spec());
    expect(counter.readPlan(T0)).toEqual({ kind: "wait" });
    counter.readSucceeded(T0);
    expect(counter.readPlan(T0 + SYNC_MS - 1)).toEqual({ kind: "warm" });
    expect(counter.readPlan(T0 + SYNC_MS)).toEqual({ kind: "refresh" });
    expect(counter.readPlan(T0 + STALE_SYNC_INTERVALS * SYNC_MS - 1)).toEqual({ kind: "refresh" });
    expect(counter.readPlan(T0 + STALE_SYNC_INTERVALS * SYNC_MS)).toEqual({ kind: "wait" });
  });

  it("no second background read while one is in flight", () => {
    const counter = new Counter(spec());
    counter.readSucceeded(T0);
    counter.syncing = new Promise(() => {});
    expect(counter.readPlan(T0 + SYNC_MS)).toEqual({ kind: "warm" });
  });

  it("after a failed read: FAILURE_BACKOFF_MS without KV (cold: degraded, with the reason; warm: no refresh)", () => {
    const cold = new Counter(spec());
    cold.readFailed(T0, "KV list failed: Error");
    expect(cold.readPlan(T0 + 1_200)).toEqual({
      kind: "degraded",
      reason: "KV failed 1200 ms ago: KV list failed: Error",
    });
    expect(cold.readPlan(T0 + FAILURE_BACKOFF_MS - 1).kind).toBe("degraded");
    expect(cold.readPlan(T0 + FAILURE_BACKOFF_MS)).toEqual({ kind: "wait" });

    const warm = new Counter(spec());
    warm.readSucceeded(T0);
    warm.readFailed(T0 + SYNC_MS, "KV list failed: Error");
    expect(warm.readPlan(T0 + SYNC_MS + FAILURE_BACKOFF_MS - 1)).toEqual({ kind: "warm" });
    expect(warm.readPlan(T0 + SYNC_MS + FAILURE_BACKOFF_MS)).toEqual({ kind: "refresh" });
  });

  it("a read that succeeds clears the failure", () => {
    const counter = new Counter(spec());
    counter.readFailed(T0, "KV list failed: Error");
    counter.readSucceeded(T0 + 1);
    expect(counter.lastError).toBeUndefined();
    expect(counter.readPlan(T0 + 2)).toEqual({ kind: "warm" });
  });

  it("its intervals follow the windows asked for", () => {
    const counter = new Counter(spec("c", [{ seconds: 3600, limit: 5 }]));
    expect(counter.syncMs).toBe(syncIntervalMs([{ seconds: 3600 }]));
    counter.useWindows(MINUTE);
    expect([counter.syncMs, counter.flushMs]).toEqual([SYNC_MS, FLUSH_MS]);
  });

  it("makes its KV name once, and again after a failure", async () => {
    let made = 0;
    let fail = true;
    const counter = new Counter({
      ...spec(),
      kvName: async () => {
        made++;
        if (fail) throw new Error("no key");
        return "name";
      },
    });
    await expect(counter.kvName()).rejects.toThrow("no key");
    fail = false;
    expect(await counter.kvName()).toBe("name");
    expect(await counter.kvName()).toBe("name");
    expect(made).toBe(2);
  });
});

describe("Counter: when it writes its shard", () => {
  it("only with something to write, one write at a time, at most once per flush interval", () => {
    const counter = new Counter(spec());
    expect(counter.writeDue(T0)).toBe(false);
    counter.counts.add(MINUTE, T0);
    counter.dirty = true;
    expect(counter.writeDue(T0)).toBe(true);
    expect(counter.startWrite(T0)).toEqual([{ seconds: 60, index: Math.floor(T0 / 60_000), count: 1 }]);
    counter.dirty = true;
    expect(counter.writeDue(T0 + FLUSH_MS)).toBe(false); // still writing
    counter.writeEnded(true, T0 + 10);
    expect(counter.writeDue(T0 + FLUSH_MS - 1)).toBe(false);
    expect(counter.writeDue(T0 + FLUSH_MS)).toBe(true);
  });

  it("a failed write keeps the counts to write and waits FAILURE_BACKOFF_MS", () => {
    const counter = new Counter(spec());
    counter.dirty = true;
    counter.startWrite(T0);
    expect(counter.dirty).toBe(false);
    counter.writeEnded(false, T0 + 100);
    expect(counter.dirty).toBe(true);
    expect(counter.writeDue(T0 + 100 + FAILURE_BACKOFF_MS - 1)).toBe(false);
    expect(counter.writeDue(T0 + 100 + FAILURE_BACKOFF_MS)).toBe(true);
  });
});

describe("CounterMemory", () => {
  it("keeps at most its bound, evicting the least recently used", () => {
    const memory = new CounterMemory(2);
    const a = memory.use(spec("a"));
    memory.use(spec("b"));
    expect(memory.use(spec("a"))).toBe(a); // a is now the most recently used
    memory.use(spec("c"));
    expect([memory.get("a"), memory.get("b"), memory.size]).toEqual([a, undefined, 2]);
    expect(memory.get("c")).toBeDefined();
  });

  it("offers queued counters oldest first, at most SWEEP_WRITES_MAX, at most every SWEEP_INTERVAL_MS", () => {
    const memory = new CounterMemory();
    const counters = Array.from({ length: SWEEP_WRITES_MAX + 2 }, (_, i) => memory.use(spec(`c${i}`)));
    for (const counter of counters) memory.changed(counter);
    memory.changed(counters[0] as Counter); // counted again: queued last
    const offered: string[] = [];
    const write = (counter: Counter) => {
      offered.push(counter.id);
      memory.written(counter);
      return true;
    };
    memory.sweep(T0, write);
    expect(offered).toEqual(counters.slice(1, SWEEP_WRITES_MAX + 1).map((c) => c.id));
    offered.length = 0;
    memory.sweep(T0 + SWEEP_INTERVAL_MS - 1, write);
    expect(offered).toEqual([]);
    memory.sweep(T0 + SWEEP_INTERVAL_MS, write);
    expect(offered).toEqual([`c${SWEEP_WRITES_MAX + 1}`, "c0"]);
  });

  it("a counter offered but not written stays queued; a requeued one is offered again", () => {
    const memory = new CounterMemory();
    const a = memory.use(spec("a"));
    memory.changed(a);
    const offered: string[] = [];
    memory.sweep(T0, (counter) => {
      offered.push(counter.id);
      return false;
    });
    memory.written(a);
    memory.requeue(a);
    expect(a.dirty).toBe(true);
    memory.sweep(T0 + SWEEP_INTERVAL_MS, (counter) => {
      offered.push(counter.id);
      return false;
    });
    expect(offered).toEqual(["a", "a"]);
  });
});
