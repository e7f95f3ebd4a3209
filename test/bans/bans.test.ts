// Bans in Miniflare's KV and the isolate cache over them: layout and bounds, 0 KV operations when
// warm, background refresh, local changes in force at once (even over a stale KV read), variants
// matched through the fold, fail-closed when cold; and the re-kick selection.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { BAN_HARD_TTL_MS, BAN_SOFT_TTL_MS, BanCache, LOCAL_OVERLAY_MS } from "../../src/bans/cache.js";
import { BansError } from "../../src/bans/errors.js";
import { bansToRekick, REKICK_WINDOW_SECONDS } from "../../src/bans/rekick.js";
import {
  BAN_REASON_MAX_CHARS,
  type Ban,
  deleteBan,
  KV_MIN_EXPIRATION_AHEAD_SECONDS,
  listBans,
  newBanKvStats,
  writeBan,
} from "../../src/bans/store.js";

const APP = 1400000007;
const T0 = 1_800_000_000_000; // unix ms
const T0S = T0 / 1000;
// A stand-in for the admin guard's folding (case and Unicode compatibility).
const fold = (id: string) => id.normalize("NFKC").toUpperCase().toLowerCase();

const kv = env.ADMINS;
const stats = newBanKvStats();
let pending: Promise<unknown>[] = [];
const deps = (nowMs: number, store: KVNamespace = kv) => ({
  kv: store,
  nowMs,
  waitUntil: (p: Promise<unknown>) => {
    pending.push(p);
  },
});
const settle = async () => {
  await Promise.all(pending);
  pending = [];
};
const ban = (userId: string, extra: Partial<Ban> = {}): Ban => ({
  userId,
  bannedAt: T0S,
  bannedBy: "operator",
  ...extra,
});

beforeEach(async () => {
  pending = [];
  for (
    // "bans": the bans and each app's bans-exist marker.
    let keys = (await kv.list({ prefix: "bans" })).keys;
    keys.length > 0;
    keys = (await kv.list({ prefix: "bans" })).keys
  ) {
    await Promise.all(keys.map((key) => kv.delete(key.name)));
  }
});

describe("store", () => {
  it("one key per ban, details in metadata, read back by one list", async () => {
    await writeBan(kv, APP, ban("mallory", { reason: "spam", expiresAt: T0S + 3600 }), T0S, stats);
    await writeBan(kv, APP, ban("a/b c"), T0S, stats);
    await writeBan(kv, APP + 1, ban("other-app"), T0S, stats);
    const keys = (await kv.list({ prefix: `bans/v1/${APP}/` })).keys;
    expect(keys.map((k) => k.name).sort()).toEqual([`bans/v1/${APP}/a%2Fb%20c`, `bans/v1/${APP}/mallory`]);
    expect(await kv.get(`bans/v1/${APP}/mallory`)).toBe("");
    const bans = await listBans(kv, APP, stats);
    expect(bans.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
      { userId: "a/b c", bannedAt: T0S, bannedBy: "operator" },
      { userId: "mallory", bannedAt: T0S, bannedBy: "operator", reason: "spam", expiresAt: T0S + 3600 },
    ]);
  });

  it("bounds the reason so the metadata fits KV's 1024 bytes", async () => {
    await writeBan(kv, APP, ban("long", { reason: "😀".repeat(600), bannedBy: "x".repeat(500) }), T0S, stats);
    const [stored] = await listBans(kv, APP, stats);
    expect([...(stored?.reason ?? "")].length).toBe(BAN_REASON_MAX_CHARS);
    expect(stored?.bannedBy.length).toBeLessThanOrEqual(80);
  });

  it("a temporary ban's key expires with it; KV's 60 s minimum is respected", async () => {
    const now = Math.floor(Date.now() / 1000);
    await writeBan(kv, APP, ban("soon", { expiresAt: now + 5 }), now, stats);
    await writeBan(kv, APP, ban("later", { expiresAt: now + 7200 }), now, stats);
    const keys = (await kv.list({ prefix: `bans/v1/${APP}/` })).keys;
    const expiration = Object.fromEntries(keys.map((k) => [k.name.split("/").pop(), k.expiration]));
    expect(expiration).toEqual({ soon: now + KV_MIN_EXPIRATION_AHEAD_SECONDS, later: now + 7200 });
  });

  it("pages through more than one list page", async () => {
    await Promise.all(Array.from({ length: 5 }, (_, i) => writeBan(kv, APP, ban(`u${i}`), T0S, stats)));
    const before = stats.lists;
    expect((await listBans(kv, APP, stats, 2)).map((b) => b.userId).sort()).toEqual(["u0", "u1", "u2", "u3", "u4"]);
    expect(stats.lists - before).toBe(3);
  });

  it("an app that never had a ban costs one read and no list (KV lists are 1,000 a day on the Free plan)", async () => {
    const fresh = newBanKvStats();
    await writeBan(kv, APP + 1, ban("elsewhere"), T0S, fresh);
    const before = { ...fresh };
    expect(await listBans(kv, APP, fresh)).toEqual([]);
    expect(fresh.lists - before.lists).toBe(0);
    expect(fresh.reads - before.reads).toBe(1);
    // Its first ban writes the marker, and from then on its bans are listed.
    await writeBan(kv, APP, ban("mallory"), T0S, fresh);
    expect((await listBans(kv, APP, fresh)).map((b) => b.userId)).toEqual(["mallory"]);
    expect(fresh.lists - before.lists).toBe(1);
  });

  it("the marker stays after the last unban, and is written once, not per ban", async () => {
    const fresh = newBanKvStats();
    await writeBan(kv, APP, ban("a"), T0S, fresh);
    const afterFirst = fresh.writes;
    await writeBan(kv, APP, ban("b"), T0S, fresh);
    expect(fresh.writes - afterFirst).toBe(1);
    await deleteBan(kv, APP, "a", fresh);
    await deleteBan(kv, APP, "b", fresh);
    expect(await listBans(kv, APP, fresh)).toEqual([]);
    expect(await kv.get(`bans-exist/v1/${APP}`)).not.toBeNull();
  });

  it("delete removes the key", async () => {
    await writeBan(kv, APP, ban("mallory"), T0S, stats);
    await deleteBan(kv, APP, "mallory", stats);
    expect(await listBans(kv, APP, stats)).toEqual([]);
  });
});

describe("cache", () => {
  it("warm lookups make no KV operation; between soft and hard TTL it refreshes in the background", async () => {
    await writeBan(kv, APP, ban("mallory"), T0S, stats);
    const cache = new BanCache({ fold });
    const lists = () => cache.kvStats.lists;
    const start = lists();
    expect((await cache.find(APP, "mallory", deps(T0)))?.userId).toBe("mallory");
    expect(lists() - start).toBe(1);
    for (let i = 0; i < 50; i++) await cache.find(APP, i % 2 ? "mallory" : "alice", deps(T0 + BAN_SOFT_TTL_MS - 1));
    expect(lists() - start).toBe(1);
    expect(pending).toHaveLength(0);

    await writeBan(kv, APP, ban("eve"), T0S, stats);
    // Stale but usable: answered from the cache (eve not yet), refreshed behind the response.
    expect(await cache.find(APP, "eve", deps(T0 + BAN_SOFT_TTL_MS))).toBeUndefined();
    expect(pending).toHaveLength(1);
    // Only one background refresh at a time.
    await cache.find(APP, "eve", deps(T0 + BAN_SOFT_TTL_MS + 1));
    expect(pending).toHaveLength(1);
    await settle();
    expect(lists() - start).toBe(2);
    expect((await cache.find(APP, "eve", deps(T0 + BAN_SOFT_TTL_MS + 2)))?.userId).toBe("eve");
  });

  it("past the hard TTL the lookup waits for KV", async () => {
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "eve", deps(T0))).toBeUndefined();
    await writeBan(kv, APP, ban("eve"), T0S, stats);
    expect((await cache.find(APP, "eve", deps(T0 + BAN_HARD_TTL_MS)))?.userId).toBe("eve");
    expect(pending).toHaveLength(0);
  });

  it("concurrent cold lookups share one KV read", async () => {
    await writeBan(kv, APP, ban("someone"), T0S, stats);
    const cache = new BanCache({ fold });
    await Promise.all(Array.from({ length: 20 }, () => cache.find(APP, "x", deps(T0))));
    expect(cache.kvStats.reads).toBe(1);
    expect(cache.kvStats.lists).toBe(1);
  });

  it("matches the case and Unicode-compatibility variants the fold maps together", async () => {
    await writeBan(kv, APP, ban("Mallory"), T0S, stats);
    const cache = new BanCache({ fold });
    for (const variant of ["Mallory", "mallory", "MALLORY", "ＭＡＬＬＯＲＹ"]) {
      expect((await cache.find(APP, variant, deps(T0)))?.userId, variant).toBe("Mallory");
    }
    expect(await cache.find(APP, "mallory2", deps(T0))).toBeUndefined();
  });

  it("an expired temporary ban is not in force", async () => {
    await writeBan(kv, APP, ban("temp", { expiresAt: T0S + 10 }), T0S, stats);
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "temp", deps(T0 + 9_999))).toBeDefined();
    expect(await cache.find(APP, "temp", deps(T0 + 10_000))).toBeUndefined();
  });

  it("a ban or unban made here is in force here at once, even over a stale KV read", async () => {
    const cache = new BanCache({ fold });
    expect(await cache.find(APP, "mallory", deps(T0))).toBeUndefined();
    // Banned through this isolate; KV (as another location would) has not seen it.
    cache.banned(APP, ban("mallory"), T0 + 1);
    expect((await cache.find(APP, "MALLORY", deps(T0 + 2)))?.userId).toBe("mallory");
    // A refresh that reads KV without the ban does not lift it.
    expect(await cache.find(APP, "mallory", deps(T0 + BAN_HARD_TTL_MS + 5))).toBeDefined();
    // Unbanned here while KV still has the ban: lifted here at once.
    await writeBan(kv, APP, ban("eve"), T0S, stats);
    cache.unbanned(APP, "eve", T0 + BAN_HARD_TTL_MS + 6);
    expect(await cache.find(APP, "eve", deps(T0 + 2 * BAN_HARD_TTL_MS + 10))).toBeUndefined();
    // Past the overlay, KV is the truth again.
    expect(await cache.find(APP, "mallory", deps(T0 + LOCAL_OVERLAY_MS + 10 * BAN_HARD_TTL_MS))).toBeUndefined();
    expect(await cache.find(APP, "eve", deps(T0 + LOCAL_OVERLAY_MS + 10 * BAN_HARD_TTL_MS))).toBeDefined();
  });

  it("cold, with KV failing: BAN_LIST_UNAVAILABLE with a Retry-After, never 'not banned'", async () => {
    const broken = { list: () => Promise.reject(new Error("kv down")) } as unknown as KVNamespace;
    const cache = new BanCache({ fold });
    const error = await cache.find(APP, "mallory", deps(T0, broken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BansError);
    expect(error).toMatchObject({ code: "BAN_LIST_UNAVAILABLE", data: { retryAfterSeconds: 5 } });
  });

  it("cold, with KV hanging: refused after kvWaitMs", async () => {
    const hanging = { list: () => new Promise(() => undefined) } as unknown as KVNamespace;
    const cache = new BanCache({ fold, kvWaitMs: 50 });
    await expect(cache.find(APP, "mallory", deps(T0, hanging))).rejects.toMatchObject({ code: "BAN_LIST_UNAVAILABLE" });
  });

  it("warm, with KV failing in the background: keeps the last list until the hard TTL", async () => {
    await writeBan(kv, APP, ban("mallory"), T0S, stats);
    let fail = false;
    const flaky = {
      get: (key: string) => (fail ? Promise.reject(new Error("down")) : kv.get(key)),
      list: (options: KVNamespaceListOptions) => (fail ? Promise.reject(new Error("down")) : kv.list(options)),
    } as unknown as KVNamespace;
    const cache = new BanCache({ fold });
    await cache.find(APP, "mallory", deps(T0, flaky));
    fail = true;
    expect(await cache.find(APP, "mallory", deps(T0 + BAN_SOFT_TTL_MS, flaky))).toBeDefined();
    await settle();
    expect(await cache.find(APP, "mallory", deps(T0 + BAN_SOFT_TTL_MS + 1, flaky))).toBeDefined();
    await settle();
    await expect(cache.find(APP, "mallory", deps(T0 + BAN_HARD_TTL_MS, flaky))).rejects.toMatchObject({
      code: "BAN_LIST_UNAVAILABLE",
    });
  });

  it("refuses a soft TTL above the hard TTL", () => {
    expect(() => new BanCache({ fold, softTtlMs: 10, hardTtlMs: 5 })).toThrow(RangeError);
  });
});

describe("re-kick selection", () => {
  it("bans made within the window and still in force", () => {
    const now = T0S + 10_000;
    const bans = [
      ban("fresh", { bannedAt: now - 5 }),
      ban("edge", { bannedAt: now - REKICK_WINDOW_SECONDS }),
      ban("old", { bannedAt: now - REKICK_WINDOW_SECONDS - 1 }),
      ban("expired", { bannedAt: now - 30, expiresAt: now }),
      ban("temporary", { bannedAt: now - 30, expiresAt: now + 1 }),
    ];
    expect(bansToRekick(bans, now).map((b) => b.userId)).toEqual(["fresh", "edge", "temporary"]);
  });
});
