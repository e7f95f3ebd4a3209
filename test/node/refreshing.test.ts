// The one stale-while-refresh cache (src/shared/refreshing.ts) the admin sets and the bans use, and
// the memory store tests inject failures with. Plain Node: no clock is read, every call brings nowMs.
import { describe, expect, it, vi } from "vitest";
import { FAILURE_BACKOFF_MS, RefreshingCache } from "../../src/shared/refreshing.js";
import { memoryStore } from "../../src/shared/storage.js";

const SOFT = 1_000;
const HARD = 30_000; // longer than FAILURE_BACKOFF_MS
const WAIT = 50;
const T0 = 1_800_000_000_000;

class Unavailable extends Error {
  constructor(readonly reason: string) {
    super("unavailable");
  }
}

function setup() {
  const logs: Record<string, unknown>[] = [];
  const pending: Promise<unknown>[] = [];
  let coldWaits = 0;
  const cache = new RefreshingCache<number, string>({
    softTtlMs: SOFT,
    hardTtlMs: HARD,
    waitMs: WAIT,
    event: "thing_unavailable",
    unavailable: (reason) => new Unavailable(reason),
    log: (line) => logs.push(line),
    onColdWait: () => {
      coldWaits++;
    },
  });
  let reads = 0;
  let next: () => Promise<string> = async () => `v${reads}`;
  const read = () => {
    reads++;
    return next();
  };
  const deps = (nowMs: number) => ({ nowMs, waitUntil: (p: Promise<unknown>) => pending.push(p) });
  const settle = async () => {
    await Promise.allSettled(pending.splice(0));
  };
  return {
    cache,
    logs,
    pending,
    deps,
    settle,
    read,
    get reads() {
      return reads;
    },
    get coldWaits() {
      return coldWaits;
    },
    answerWith(fn: () => Promise<string>) {
      next = fn;
    },
    /** The next read answers only when the returned function is called, with its value. */
    answerLater(): (value: string) => void {
      let finish: (value: string) => void = () => {};
      next = () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        });
      return (value) => finish(value);
    },
  };
}

describe("RefreshingCache", () => {
  it("fresh: one read when cold, then none while younger than softTtlMs", async () => {
    const t = setup();
    expect(await t.cache.get(1, t.read, t.deps(T0))).toBe("v1");
    for (let ms = 0; ms < SOFT; ms += 100) expect(await t.cache.get(1, t.read, t.deps(T0 + ms))).toBe("v1");
    expect(t.reads).toBe(1);
    expect(t.coldWaits).toBe(1);
    expect(t.pending).toHaveLength(0);
  });

  it("concurrent cold requests share one read", async () => {
    const t = setup();
    const all = await Promise.all([1, 2, 3].map(() => t.cache.get(1, t.read, t.deps(T0))));
    expect(all).toEqual(["v1", "v1", "v1"]);
    expect(t.reads).toBe(1);
  });

  it("stale: served at once while one background read refreshes it, stamped with that request's nowMs", async () => {
    const t = setup();
    await t.cache.get(1, t.read, t.deps(T0));
    const finish = t.answerLater();
    expect(await t.cache.get(1, t.read, t.deps(T0 + SOFT))).toBe("v1");
    expect(await t.cache.get(1, t.read, t.deps(T0 + SOFT + 1))).toBe("v1");
    expect(t.pending).toHaveLength(1);
    finish("v2");
    await t.settle();
    expect(t.reads).toBe(2);
    // The refreshed entry is as old as the request that started its read (T0 + SOFT) ...
    expect(await t.cache.get(1, t.read, t.deps(T0 + 2 * SOFT - 1))).toBe("v2");
    expect(t.pending).toHaveLength(0);
    // ... so it is stale again one softTtlMs after that, not after the read finished.
    t.answerWith(async () => "v3");
    expect(await t.cache.get(1, t.read, t.deps(T0 + 2 * SOFT))).toBe("v2");
    expect(t.pending).toHaveLength(1);
  });

  it("hard expiry fails closed: past hardTtlMs the stale value is never served when the read fails", async () => {
    const t = setup();
    await t.cache.get(1, t.read, t.deps(T0));
    t.answerWith(() => Promise.reject(new Error("down")));
    const error = await t.cache.get(1, t.read, t.deps(T0 + HARD)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Unavailable);
    expect((error as Unavailable).reason).toBe("read failed: Error");
    // and once the store answers again, so does the cache
    t.answerWith(async () => "back");
    expect(await t.cache.get(1, t.read, t.deps(T0 + HARD + 1))).toBe("back");
  });

  it("a cold read slower than waitMs is unavailable; the read still lands for the next request", async () => {
    const t = setup();
    const finish = t.answerLater();
    const error = await t.cache.get(1, t.read, t.deps(T0)).catch((e: unknown) => e);
    expect((error as Unavailable).reason).toBe(`read took over ${WAIT} ms`);
    finish("late");
    await Promise.resolve();
    expect(await t.cache.get(1, t.read, t.deps(T0 + 1))).toBe("late");
    expect(t.reads).toBe(1);
  });

  it("back-off: after a failed refresh no new read starts for FAILURE_BACKOFF_MS; the stale value is served", async () => {
    const t = setup();
    await t.cache.get(1, t.read, t.deps(T0));
    t.answerWith(() => Promise.reject(new Error("down")));
    const failedAt = T0 + SOFT;
    expect(await t.cache.get(1, t.read, t.deps(failedAt))).toBe("v1");
    await t.settle();
    expect(t.reads).toBe(2);
    for (const ms of [1, 100, FAILURE_BACKOFF_MS - 1]) {
      expect(await t.cache.get(1, t.read, t.deps(failedAt + ms))).toBe("v1");
    }
    expect(t.pending).toHaveLength(0);
    expect(t.reads).toBe(2);
    t.answerWith(async () => "fixed");
    expect(await t.cache.get(1, t.read, t.deps(failedAt + FAILURE_BACKOFF_MS - 1 + 1))).toBe("v1");
    expect(t.pending).toHaveLength(1);
    await t.settle();
    expect(await t.cache.get(1, t.read, t.deps(failedAt + FAILURE_BACKOFF_MS + 1))).toBe("fixed");
  });

  it("logs a failed cold read with the error's name only, never its message", async () => {
    const t = setup();
    t.answerWith(() => Promise.reject(new TypeError("key admins/v1/42 holds sk-SECRET")));
    await expect(t.cache.get(42, t.read, t.deps(T0))).rejects.toBeInstanceOf(Unavailable);
    expect(t.logs).toEqual([{ event: "thing_unavailable", key: "42", reason: "read failed: TypeError" }]);
    expect(JSON.stringify(t.logs)).not.toMatch(/SECRET|admins\/v1/);
  });

  it("a value set here while a read is in flight is newer: the read does not replace it", async () => {
    const t = setup();
    const finish = t.answerLater();
    const waiting = t.cache.get(1, t.read, t.deps(T0));
    t.cache.set(1, "edited", T0);
    finish("older");
    await waiting;
    expect(await t.cache.get(1, t.read, t.deps(T0 + 1))).toBe("edited");
    expect(t.cache.peek(1)).toBe("edited");
  });

  it("refuses a soft TTL above the hard TTL", () => {
    expect(
      () =>
        new RefreshingCache({ softTtlMs: 2, hardTtlMs: 1, waitMs: 1, event: "x", unavailable: () => new Error("x") }),
    ).toThrow(RangeError);
  });
});

describe("RefreshingCache.prefetch", () => {
  it("cold: starts the read at once, and the get that follows joins it (one read)", async () => {
    const t = setup();
    const finish = t.answerLater();
    t.cache.prefetch(1, t.read, t.deps(T0));
    expect(t.reads).toBe(1);
    expect(t.pending).toHaveLength(1);
    const got = t.cache.get(1, t.read, t.deps(T0 + 5));
    finish("early");
    expect(await got).toBe("early");
    expect(t.reads).toBe(1);
    // The get waited (for the read already in flight): counted once, by the get.
    expect(t.coldWaits).toBe(1);
    await t.settle();
    expect(t.logs).toEqual([]);
  });

  it("fresh, stale, or a read in flight: starts nothing", async () => {
    const t = setup();
    await t.cache.get(1, t.read, t.deps(T0));
    t.cache.prefetch(1, t.read, t.deps(T0 + SOFT - 1));
    t.cache.prefetch(1, t.read, t.deps(T0 + HARD - 1));
    expect(t.reads).toBe(1);
    t.answerLater();
    t.cache.prefetch(2, t.read, t.deps(T0));
    t.cache.prefetch(2, t.read, t.deps(T0));
    expect(t.reads).toBe(2);
    expect(t.coldWaits).toBe(1);
  });

  it("past hardTtlMs: reads again, as the next get would", async () => {
    const t = setup();
    await t.cache.get(1, t.read, t.deps(T0));
    t.cache.prefetch(1, t.read, t.deps(T0 + HARD));
    expect(t.reads).toBe(2);
    await t.settle();
    expect(await t.cache.get(1, t.read, t.deps(T0 + HARD + 1))).toBe("v2");
    expect(t.reads).toBe(2);
  });

  it("a read that hangs is kept alive no longer than a cold get would wait for it", async () => {
    vi.useFakeTimers();
    try {
      const t = setup();
      t.answerLater();
      t.cache.prefetch(1, t.read, t.deps(T0));
      let settled = false;
      void t.settle().then(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(WAIT - 1);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBe(true);
      expect(t.logs).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("after a failed read, no prefetch asks the store again for FAILURE_BACKOFF_MS", async () => {
    const t = setup();
    t.answerWith(async () => {
      throw new Error("down");
    });
    t.cache.prefetch(1, t.read, t.deps(T0));
    await t.settle();
    t.cache.prefetch(1, t.read, t.deps(T0 + FAILURE_BACKOFF_MS - 1));
    expect(t.reads).toBe(1);
    t.cache.prefetch(1, t.read, t.deps(T0 + FAILURE_BACKOFF_MS));
    expect(t.reads).toBe(2);
  });

  it("a failed prefetch throws and logs nothing; the get after it reads again and fails closed itself", async () => {
    const t = setup();
    t.answerWith(async () => {
      throw new Error("down");
    });
    t.cache.prefetch(1, t.read, t.deps(T0));
    await t.settle();
    expect(t.logs).toEqual([]);
    await expect(t.cache.get(1, t.read, t.deps(T0 + 1))).rejects.toBeInstanceOf(Unavailable);
    expect(t.reads).toBe(2);
    expect(t.logs).toEqual([{ event: "thing_unavailable", key: "1", reason: "read failed: Error" }]);
  });
});

describe("memoryStore", () => {
  it("lists by prefix in key order, in pages, with metadata", async () => {
    const store = memoryStore();
    for (const name of ["p/c", "p/a", "q/x", "p/b"]) await store.put(name, "", { metadata: { n: name } });
    const first = await store.list("p/", { limit: 2 });
    expect(first.keys).toEqual([
      { name: "p/a", metadata: { n: "p/a" } },
      { name: "p/b", metadata: { n: "p/b" } },
    ]);
    const second = await store.list("p/", { limit: 2, cursor: first.cursor });
    expect(second).toEqual({ keys: [{ name: "p/c", metadata: { n: "p/c" } }], cursor: undefined });
    expect(await store.get("p/a")).toEqual({ value: "", metadata: { n: "p/a" } });
    await store.delete("p/a");
    expect(await store.get("p/a")).toBeNull();
  });

  it("fails (or hangs) an operation on demand, without monkey-patching", async () => {
    const store = memoryStore();
    await store.put("k", "v");
    store.before = (operation) => {
      if (operation === "get") throw new Error("down");
    };
    await expect(store.get("k")).rejects.toThrow("down");
    await store.put("k2", "v2");
    store.before = undefined;
    expect(await store.get("k2")).toEqual({ value: "v2", metadata: null });
  });
});
