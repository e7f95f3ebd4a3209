// The isolate's counters against an in-memory store and a hand-driven clock: when KV is read and
// written, what is decided from memory, how other isolates' shards count, and what KV failures do.
// Imports nothing from cloudflare:*: runs in workerd and in plain Node.
import { beforeEach, describe, expect, it } from "vitest";
import type { FailMode, WindowPolicy } from "../../src/ratelimit/config.js";
import { type CounterSpec, createLimiter, type Limiter, type LimiterDeps } from "../../src/ratelimit/limiter.js";
import { COUNTERS_IN_MEMORY_MAX } from "../../src/ratelimit/memory.js";
import { flushIntervalMs, STALE_SYNC_INTERVALS, syncIntervalMs } from "../../src/ratelimit/policy.js";
import type { RateLimitStore, Shard, ShardCount } from "../../src/ratelimit/store.js";
import { FAILURE_BACKOFF_MS } from "../../src/shared/refreshing.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE_10: WindowPolicy[] = [{ seconds: 60, limit: 10 }];
/** For minute windows: a write at most every 5 s, a background read every 10 s, cold after 60 s. */
const FLUSH_MS = flushIntervalMs(MINUTE_10);
const SYNC_MS = syncIntervalMs(MINUTE_10);
const STALE_MS = STALE_SYNC_INTERVALS * SYNC_MS;

interface Put {
  counter: string;
  isolate: string;
  counts: ShardCount[];
  ttl: number;
}

/** Shards per counter, like KV with list metadata; every call is recorded; failures on demand. */
class FakeStore implements RateLimitStore {
  shards = new Map<string, Map<string, ShardCount[]>>();
  reads = 0;
  puts: Put[] = [];
  mode: "ok" | "reject" | "hang" = "ok";

  readShards(counter: string): Promise<Shard[]> {
    this.reads++;
    if (this.mode === "reject") return Promise.reject(new Error("KV down"));
    if (this.mode === "hang") return new Promise(() => {});
    const shards = [...(this.shards.get(counter) ?? new Map()).entries()].map(([isolate, counts]) => ({
      isolate,
      counts,
    }));
    return Promise.resolve(shards);
  }

  writeShard(counter: string, isolate: string, counts: readonly ShardCount[], ttl: number): Promise<void> {
    this.puts.push({ counter, isolate, counts: [...counts], ttl });
    if (this.mode === "reject") return Promise.reject(new Error("KV down"));
    if (this.mode === "hang") return new Promise(() => {});
    let byIsolate = this.shards.get(counter);
    if (!byIsolate) {
      byIsolate = new Map();
      this.shards.set(counter, byIsolate);
    }
    byIsolate.set(isolate, [...counts]);
    return Promise.resolve();
  }

  other(counter: string, isolate: string, counts: ShardCount[]): void {
    let byIsolate = this.shards.get(counter);
    if (!byIsolate) {
      byIsolate = new Map();
      this.shards.set(counter, byIsolate);
    }
    byIsolate.set(isolate, counts);
  }
}

let store: FakeStore;
let now: number;
let background: Promise<unknown>[];
let logs: Record<string, unknown>[];
let deps: LimiterDeps;
let limiter: Limiter;

function spec(id = "app/usersig/guest/1.2.3.4", windows = MINUTE_10, failMode: FailMode = "closed"): CounterSpec {
  return { id, kvName: async () => `kv:${id}`, windows, failMode };
}

async function settle(): Promise<void> {
  while (background.length > 0) await Promise.all(background.splice(0));
}

beforeEach(() => {
  limiter = createLimiter();
  store = new FakeStore();
  now = T0;
  background = [];
  logs = [];
  deps = {
    store,
    now: () => now,
    waitUntil: (p) => background.push(p),
    log: (line) => logs.push(line),
  };
});

describe("limiter", () => {
  it("reads KV once when cold, then decides from memory; refreshes in the background", async () => {
    const s = spec();
    expect((await limiter.consume(s, deps)).status).toBe("allowed");
    expect(store.reads).toBe(1);
    for (let i = 0; i < 5; i++) {
      now += 100;
      await limiter.consume(s, deps);
    }
    expect(store.reads).toBe(1);
    now = T0 + SYNC_MS;
    await limiter.consume(s, deps);
    expect(store.reads).toBe(2); // in the background: the request did not wait for it
    now += 100;
    await limiter.consume(s, deps);
    expect(store.reads).toBe(2);
  });

  it("lets exactly the limit through in one isolate, then refuses from memory", async () => {
    const s = spec();
    const statuses: string[] = [];
    for (let i = 0; i < 15; i++) {
      now += 10;
      statuses.push((await limiter.consume(s, deps)).status);
    }
    expect(statuses.filter((x) => x === "allowed")).toHaveLength(10);
    expect(statuses.slice(10)).toEqual(Array(5).fill("refused"));
    const readsBefore = store.reads;
    const putsBefore = store.puts.length;
    const refused = await limiter.consume(s, deps);
    expect(refused.status).toBe("refused");
    expect(refused.decision.retryAfterSeconds).toBe(60);
    expect(store.reads).toBe(readsBefore);
    expect(store.puts.length).toBe(putsBefore);
  });

  it("a burst on a cold counter shares one read and admits exactly the limit", async () => {
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => limiter.consume(spec(), deps)));
    expect(outcomes.filter((o) => o.status === "allowed")).toHaveLength(10);
    expect(outcomes.filter((o) => o.status === "refused")).toHaveLength(40);
    expect(store.reads).toBe(1);
  });

  it("counts what other isolates wrote", async () => {
    const index = Math.floor(T0 / 60_000);
    store.other("kv:app/usersig/guest/1.2.3.4", "other-isolate", [{ seconds: 60, index, count: 7 }]);
    store.other("kv:app/usersig/guest/1.2.3.4", "older-window", [{ seconds: 60, index: index - 1, count: 50 }]);
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await limiter.consume(spec(), deps)).status);
    expect(statuses).toEqual(["allowed", "allowed", "allowed", "refused", "refused"]);
  });

  it("learns others' counts at the next background read", async () => {
    const s = spec();
    await limiter.consume(s, deps);
    const index = Math.floor(T0 / 60_000);
    store.other("kv:app/usersig/guest/1.2.3.4", "other-isolate", [{ seconds: 60, index, count: 8 }]);
    now += SYNC_MS;
    expect((await limiter.consume(s, deps)).status).toBe("allowed"); // decided before the read lands
    await settle();
    now += 10;
    expect((await limiter.consume(s, deps)).status).toBe("refused");
  });

  it("writes its own shard blindly, once per flush interval, with the absolute count", async () => {
    const s = spec("app/usersig/apiKey/backend", [{ seconds: 60, limit: 10_000 }]);
    expect(FLUSH_MS).toBe(5_000);
    for (let i = 0; i < 100; i++) {
      now = T0 + i * 5; // 100 requests in half a second
      await limiter.consume(s, deps);
    }
    await settle();
    expect(store.puts).toHaveLength(1);
    expect(store.puts[0]).toMatchObject({ isolate: limiter.isolateId(), counts: [{ seconds: 60, count: 1 }] });
    now = T0 + FLUSH_MS;
    await limiter.consume(s, deps);
    await settle();
    expect(store.puts).toHaveLength(2);
    expect(store.puts[1]?.counts[0]?.count).toBe(101);
    // 30 seconds of steady traffic, 20 requests a second: one write per 5 s.
    for (let t = 1; t <= 30_000; t += 50) {
      now = T0 + FLUSH_MS + t;
      await limiter.consume(s, deps);
      await settle(); // time passes between requests: a write started earlier has landed
    }
    // Due again 5 s after each write: at +10.001 s, +15.001 s, ... +30.001 s (the loop ends at +35 s).
    expect(store.puts).toHaveLength(2 + 5);
    const counts = store.puts.map((p) => p.counts[0]?.count ?? 0);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it("never writes one counter more than once a second, even with short windows", async () => {
    const s = spec("short-windows", [{ seconds: 5, limit: 1_000_000 }]);
    expect(flushIntervalMs([{ seconds: 5 }])).toBe(1_000);
    const times: number[] = [];
    const write = store.writeShard.bind(store);
    store.writeShard = (...args) => {
      times.push(now);
      return write(...args);
    };
    for (let t = 0; t < 10_000; t += 10) {
      now = T0 + t;
      await limiter.consume(s, deps);
      await settle();
    }
    expect(times).toHaveLength(10);
    for (let i = 1; i < times.length; i++) {
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
    }
  });

  it("writes a quiet counter's last counts with the next request of any counter, once due", async () => {
    const a = spec("a", [{ seconds: 60, limit: 100 }]);
    const b = spec("b", [{ seconds: 60, limit: 100 }]);
    await limiter.consume(a, deps);
    now += 10;
    await limiter.consume(a, deps); // too soon after the first write: kept in memory
    await settle();
    expect(store.puts.filter((p) => p.counter === "kv:a").map((p) => p.counts[0]?.count)).toEqual([1]);
    now += FLUSH_MS;
    await limiter.consume(b, deps);
    await settle();
    expect(store.puts.filter((p) => p.counter === "kv:a").map((p) => p.counts[0]?.count)).toEqual([1, 2]);
  });

  it("a failed write is tried again after the back-off, by the next request of any counter", async () => {
    const a = spec("a", [{ seconds: 60, limit: 100 }]);
    await limiter.consume(a, deps);
    await settle();
    now += FLUSH_MS;
    store.mode = "reject";
    await limiter.consume(a, deps); // warm: no read; its write fails
    await settle();
    expect(logs.filter((l) => l.op === "put")).toHaveLength(1);
    store.mode = "ok";
    now += FAILURE_BACKOFF_MS;
    await limiter.consume(spec("b", [{ seconds: 60, limit: 100 }]), deps);
    await settle();
    expect(store.puts.filter((p) => p.counter === "kv:a").map((p) => p.counts[0]?.count)).toEqual([1, 2, 2]);
    expect(store.shards.get("kv:a")?.get(limiter.isolateId())?.[0]?.count).toBe(2);
  });

  it("every write's TTL is at least 60 s and outlives the longest window", async () => {
    const windows = [
      { seconds: 1, limit: 1000 },
      { seconds: 10, limit: 1000 },
      { seconds: 3600, limit: 1000 },
    ];
    for (let i = 0; i < 5; i++) {
      now = T0 + i * 1_500;
      await limiter.consume(spec("ttl", windows), deps);
      await limiter.consume(spec("short", [{ seconds: 1, limit: 5 }]), deps);
      await settle();
    }
    await settle();
    expect(store.puts.length).toBeGreaterThan(5);
    for (const put of store.puts) expect(put.ttl).toBeGreaterThanOrEqual(60);
    const long = store.puts.filter((p) => p.counter === "kv:ttl");
    expect(long.length).toBeGreaterThan(0);
    for (const put of long) expect(put.ttl).toBeGreaterThan(3000);
  });

  it("starts every window afresh when it rolls over", async () => {
    const s = spec();
    for (let i = 0; i < 10; i++) await limiter.consume(s, deps);
    expect((await limiter.consume(s, deps)).status).toBe("refused");
    now = T0 + 60_000;
    const next = await limiter.consume(s, deps);
    expect(next.status).toBe("allowed");
    expect(next.decision.tightest.remaining).toBe(9);
  });

  it("fail closed: KV failing on a cold counter refuses and counts nothing", async () => {
    store.mode = "reject";
    const outcome = await limiter.consume(spec(), deps);
    expect(outcome.status).toBe("unavailable");
    expect(logs.some((l) => l.event === "rate_limit_kv_error")).toBe(true);
    // During the back-off KV is not asked again.
    now += 1_000;
    expect((await limiter.consume(spec(), deps)).status).toBe("unavailable");
    expect(store.reads).toBe(1);
    expect(store.puts).toHaveLength(0);
    // Once KV is back, after the back-off, the counter is read and nothing was counted.
    store.mode = "ok";
    now += FAILURE_BACKOFF_MS;
    const back = await limiter.consume(spec(), deps);
    expect(back.status).toBe("allowed");
    expect(back.decision.tightest.remaining).toBe(9);
  });

  it("fail open: allows while KV fails, but still enforces what this isolate counted", async () => {
    store.mode = "reject";
    const s = spec("open", MINUTE_10, "open");
    const outcomes = [];
    for (let i = 0; i < 12; i++) outcomes.push(await limiter.consume(s, deps));
    expect(outcomes.slice(0, 10).every((o) => o.status === "allowed" && o.degraded !== undefined)).toBe(true);
    expect(outcomes.slice(10).map((o) => o.status)).toEqual(["refused", "refused"]);
    expect(store.reads).toBe(1);
  });

  it("a hanging KV costs a cold request at most the bounded wait", async () => {
    store.mode = "hang";
    const started = performance.now();
    const outcome = await limiter.consume(spec(), deps);
    const waited = performance.now() - started;
    expect(outcome.status).toBe("unavailable");
    expect(waited).toBeGreaterThanOrEqual(900);
    // Generous: only "bounded, not hanging" is the point (a loaded CI machine is slow).
    expect(waited).toBeLessThan(10_000);
    const again = performance.now();
    expect((await limiter.consume(spec(), deps)).status).toBe("unavailable");
    // The second request does not wait out the bound again.
    expect(performance.now() - again).toBeLessThan(900);
  });

  it("a counter idle for six sync intervals is read again before deciding", async () => {
    const s = spec();
    await limiter.consume(s, deps);
    now += STALE_MS;
    store.mode = "reject";
    expect((await limiter.consume(s, deps)).status).toBe("unavailable");
  });

  it("refund gives a count back, only in the window it was taken from", async () => {
    const s = spec();
    const first = await limiter.consume(s, deps);
    if (first.status !== "allowed") throw new Error("expected allowed");
    expect(limiter.peek(s, now).tightest.remaining).toBe(9);
    limiter.refund(first.charge, deps);
    expect(limiter.peek(s, now).tightest.remaining).toBe(10);
    const second = await limiter.consume(s, deps);
    if (second.status !== "allowed") throw new Error("expected allowed");
    now = T0 + 60_000;
    await limiter.consume(s, deps);
    limiter.refund(second.charge, deps); // its window is over: nothing to give back
    expect(limiter.peek(s, now).tightest.remaining).toBe(9);
  });

  it("after losing its memory, an isolate resumes from its own shard", async () => {
    const s = spec();
    for (let i = 0; i < 4; i++) {
      now += FLUSH_MS;
      await limiter.consume(s, deps);
      await settle();
    }
    await settle();
    limiter = createLimiter({ isolateId: limiter.isolateId() }); // the same isolate, its memory gone
    const outcome = await limiter.consume(s, deps);
    expect(outcome.decision.tightest.remaining).toBe(5);
  });

  it("keeps at most COUNTERS_IN_MEMORY_MAX counters", async () => {
    for (let i = 0; i <= COUNTERS_IN_MEMORY_MAX; i++) await limiter.consume(spec(`subject-${i}`), deps);
    expect(limiter.entryCount()).toBe(COUNTERS_IN_MEMORY_MAX);
  });
});
