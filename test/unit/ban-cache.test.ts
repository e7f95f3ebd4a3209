// The isolate's cache of each app's bans (src/bans/cache.ts), refreshed from the app's Durable
// Object (here a stand-in `read`): no read when warm, a background refresh between the soft and the
// hard TTL, one shared cold read, variants through the fold, bans and unbans made here in force at
// once until a list read after them comes back, and fail-closed when cold. Plain Node.
import { describe, expect, it } from "vitest";
import { BAN_HARD_TTL_MS, BAN_SOFT_TTL_MS, BanCache } from "../../src/bans/cache.js";
import type { Ban } from "../../src/bans/decide.js";
import { BansError } from "../../src/bans/errors.js";

const APP = 1400000007;
const T0 = 1_800_000_000_000; // unix ms
const T0S = T0 / 1000;
// A stand-in for the admin guard's folding (case and Unicode compatibility).
const fold = (id: string) => id.normalize("NFKC").toUpperCase().toLowerCase();

const ban = (userId: string, extra: Partial<Ban> = {}): Ban => ({
  userId,
  bannedAt: T0S,
  bannedBy: "operator",
  ...extra,
});

/** The object's ban list, as the cache reads it: counted, and made to fail or hang on demand. */
function objectOf(...initial: Ban[]) {
  const source = {
    bans: [...initial],
    reads: 0,
    mode: "ok" as "ok" | "fail" | "hang",
    pending: [] as Promise<unknown>[],
    read: async (): Promise<Ban[]> => {
      source.reads++;
      if (source.mode === "fail") throw new Error("object down");
      if (source.mode === "hang") return new Promise<never>(() => undefined);
      return [...source.bans];
    },
    deps: (nowMs: number) => ({
      read: source.read,
      nowMs,
      waitUntil: (p: Promise<unknown>) => {
        source.pending.push(p);
      },
    }),
    settle: async () => {
      await Promise.all(source.pending);
      source.pending = [];
    },
  };
  return source;
}

describe("the isolate's ban cache", () => {
  it("warm lookups make no read; between soft and hard TTL it refreshes in the background", async () => {
    const object = objectOf(ban("mallory"));
    const cache = new BanCache({ fold });
    expect((await cache.find(APP, "mallory", object.deps(T0)))?.userId).toBe("mallory");
    expect(object.reads).toBe(1);
    for (let i = 0; i < 50; i++) {
      await cache.find(APP, i % 2 ? "mallory" : "alice", object.deps(T0 + BAN_SOFT_TTL_MS - 1));
    }
    expect(object.reads).toBe(1);
    expect(cache.stats).toEqual({ lists: 1, coldWaits: 1 });
    expect(object.pending).toHaveLength(0);

    object.bans.push(ban("eve"));
    // Stale but usable: answered from the cache (eve not yet), refreshed behind the response.
    expect(await cache.find(APP, "eve", object.deps(T0 + BAN_SOFT_TTL_MS))).toBeUndefined();
    expect(object.pending).toHaveLength(1);
    // Only one background refresh at a time.
    await cache.find(APP, "eve", object.deps(T0 + BAN_SOFT_TTL_MS + 1));
    expect(object.pending).toHaveLength(1);
    await object.settle();
    expect(object.reads).toBe(2);
    expect((await cache.find(APP, "eve", object.deps(T0 + BAN_SOFT_TTL_MS + 2)))?.userId).toBe("eve");
    expect(cache.stats.coldWaits).toBe(1);
  });

  it("past the hard TTL the lookup waits for a read", async () => {
    const object = objectOf();
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "eve", object.deps(T0))).toBeUndefined();
    object.bans.push(ban("eve"));
    expect((await cache.find(APP, "eve", object.deps(T0 + BAN_HARD_TTL_MS)))?.userId).toBe("eve");
    expect(object.pending).toHaveLength(0);
    expect(cache.stats.coldWaits).toBe(2);
  });

  it("concurrent cold lookups share one read", async () => {
    const object = objectOf(ban("someone"));
    const cache = new BanCache({ fold });
    await Promise.all(Array.from({ length: 20 }, () => cache.find(APP, "x", object.deps(T0))));
    expect(object.reads).toBe(1);
  });

  it("matches the case and Unicode-compatibility variants the fold maps together", async () => {
    const object = objectOf(ban("Mallory"));
    const cache = new BanCache({ fold });
    for (const variant of ["Mallory", "mallory", "MALLORY", "ＭＡＬＬＯＲＹ"]) {
      expect((await cache.find(APP, variant, object.deps(T0)))?.userId, variant).toBe("Mallory");
    }
    expect(await cache.find(APP, "mallory2", object.deps(T0))).toBeUndefined();
  });

  it("an expired temporary ban is not in force", async () => {
    const object = objectOf(ban("temp", { expiresAt: T0S + 10 }));
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "temp", object.deps(T0 + 9_999))).toBeDefined();
    expect(await cache.find(APP, "temp", object.deps(T0 + 10_000))).toBeUndefined();
  });

  it("a ban or unban made here is in force here at once, until a list read after it comes back", async () => {
    const object = objectOf(ban("eve"));
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "mallory", object.deps(T0))).toBeUndefined();
    // Banned and unbanned through this isolate; the list the cache holds was read before.
    cache.banned(APP, ban("mallory"));
    cache.unbanned(APP, "eve");
    expect((await cache.find(APP, "MALLORY", object.deps(T0 + 2)))?.userId).toBe("mallory");
    expect(await cache.find(APP, "eve", object.deps(T0 + 2))).toBeUndefined();
    // A read started after them holds the truth (the object is strongly consistent): here, that
    // another isolate has since lifted mallory's ban and banned eve again.
    object.bans = [ban("eve")];
    expect(await cache.find(APP, "mallory", object.deps(T0 + BAN_HARD_TTL_MS))).toBeUndefined();
    expect(await cache.find(APP, "eve", object.deps(T0 + BAN_HARD_TTL_MS))).toBeDefined();
  });

  it("a read already in flight when a ban is made here does not lift it", async () => {
    const object = objectOf();
    const cache = new BanCache({ fold });
    await cache.find(APP, "x", object.deps(T0));
    let release: (bans: Ban[]) => void = () => undefined;
    object.read = () => new Promise<Ban[]>((resolve) => (release = resolve));
    // A background refresh starts (before the ban), the ban is made, then the refresh lands.
    await cache.find(APP, "x", object.deps(T0 + BAN_SOFT_TTL_MS));
    cache.banned(APP, ban("mallory"));
    release([]);
    await object.settle();
    expect((await cache.find(APP, "mallory", object.deps(T0 + BAN_SOFT_TTL_MS + 1)))?.userId).toBe("mallory");
  });

  it("cold, with the object failing: BAN_LIST_UNAVAILABLE with a Retry-After, never 'not banned'", async () => {
    const object = objectOf(ban("mallory"));
    object.mode = "fail";
    const cache = new BanCache({ fold });
    const error = await cache.find(APP, "mallory", object.deps(T0)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BansError);
    expect(error).toMatchObject({ code: "BAN_LIST_UNAVAILABLE", data: { retryAfterSeconds: 5 } });
  });

  it("cold, with the object hanging: refused after readWaitMs", async () => {
    const object = objectOf();
    object.mode = "hang";
    const cache = new BanCache({ fold, readWaitMs: 50 });
    await expect(cache.find(APP, "mallory", object.deps(T0))).rejects.toMatchObject({ code: "BAN_LIST_UNAVAILABLE" });
  });

  it("warm, with the object failing in the background: keeps the last list until the hard TTL", async () => {
    const object = objectOf(ban("mallory"));
    const cache = new BanCache({ fold });
    await cache.find(APP, "mallory", object.deps(T0));
    object.mode = "fail";
    expect(await cache.find(APP, "mallory", object.deps(T0 + BAN_SOFT_TTL_MS))).toBeDefined();
    await object.settle().catch(() => undefined);
    expect(await cache.find(APP, "mallory", object.deps(T0 + BAN_SOFT_TTL_MS + 1))).toBeDefined();
    await expect(cache.find(APP, "mallory", object.deps(T0 + BAN_HARD_TTL_MS))).rejects.toMatchObject({
      code: "BAN_LIST_UNAVAILABLE",
    });
  });

  it("refuses a soft TTL above the hard TTL", () => {
    expect(() => new BanCache({ fold, softTtlMs: 10, hardTtlMs: 5 })).toThrow(RangeError);
  });
});
