// The cap on bans per app (issue 18, item 1), without HTTP: exact for the bans an isolate makes itself,
// however old its list; the margin across isolates (bans another isolate made since this one's list
// are seen at its next list, and within the margin of the cap every ban lists afresh).

import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { foldUserId } from "../../src/admins/set.js";
import { BAN_SOFT_TTL_MS, BanCache } from "../../src/bans/cache.js";
import { banUser, type ModerationDeps, unbanUser } from "../../src/bans/moderate.js";
import { listBans, newBanKvStats } from "../../src/bans/store.js";
import { kvStore } from "../../src/shared/storage.js";

const APP = 1400000182;
const raw = env.ADMINS;
const kv = kvStore(raw);
const T0 = Date.now();

const deps = (bans: BanCache, nowMs: number, overrides: Partial<ModerationDeps> = {}): ModerationDeps => ({
  store: kv,
  bans,
  sdkAppId: APP,
  nowMs,
  isAdmin: async () => false,
  kick: undefined,
  ...overrides,
});
const lookup = (nowMs: number) => ({ store: kv, nowMs, waitUntil: () => undefined });
const stored = async () => (await listBans(kv, APP, newBanKvStats())).length;

beforeEach(async () => {
  for (const key of (await raw.list({ prefix: "bans" })).keys) await raw.delete(key.name);
});

describe("exact per isolate", () => {
  it("a warm isolate counts the bans it made since its list, not only the list (the issue's 10,100 bans)", async () => {
    const bans = new BanCache({ fold: foldUserId });
    await bans.find(APP, "nobody", lookup(T0)); // warm: it has listed the app's (zero) bans
    const listsBefore = bans.kvStats.lists;
    // A margin of 0: the count lists again only at the cap itself; below it, the list from before the
    // first ban (0 bans) plus the isolate's own bookkeeping is all it has.
    const at = (i: number) => deps(bans, T0 + i, { maxBans: 5, countMargin: 0 });
    for (let i = 0; i < 5; i++) expect((await banUser(`u${i}`, {}, "operator", at(i))).created).toBe(true);
    await expect(banUser("u5", {}, "operator", at(5))).rejects.toMatchObject({ code: "BANS_FULL" });
    expect(bans.kvStats.lists - listsBefore).toBe(1);
    expect(await stored()).toBe(5);
    // Re-banning a banned user (or a variant of one) does not grow the count; an unban frees a place.
    expect((await banUser("U0", { reason: "again" }, "operator", at(6))).created).toBe(false);
    await unbanUser("u1", at(7));
    expect((await banUser("u6", {}, "operator", at(8))).created).toBe(true);
    await expect(banUser("u7", {}, "operator", at(9))).rejects.toMatchObject({ code: "BANS_FULL" });
    expect(await stored()).toBe(5);
  });

  it("a list older than BAN_SOFT_TTL_MS is listed again before it is counted", async () => {
    const bans = new BanCache({ fold: foldUserId });
    await bans.find(APP, "nobody", lookup(T0));
    const other = new BanCache({ fold: foldUserId });
    for (let i = 0; i < 3; i++) await banUser(`o${i}`, {}, "operator", deps(other, T0, { maxBans: 3 }));
    const later = deps(bans, T0 + BAN_SOFT_TTL_MS + 1, { maxBans: 3, countMargin: 0 });
    await expect(banUser("late", {}, "operator", later)).rejects.toMatchObject({ code: "BANS_FULL" });
  });
});

describe("the margin across isolates", () => {
  it("bans made elsewhere since this isolate's list: exact at the cap while they are within the margin", async () => {
    const a = new BanCache({ fold: foldUserId });
    const b = new BanCache({ fold: foldUserId });
    await a.find(APP, "nobody", lookup(T0));
    // Another isolate bans 4 after A listed (A's list says 0); the margin is 5 of a cap of 10.
    for (let i = 0; i < 4; i++) await banUser(`b${i}`, {}, "operator", deps(b, T0, { maxBans: 10 }));
    const atA = deps(a, T0 + 1, { maxBans: 10, countMargin: 5 });
    let taken = 0;
    for (let i = 0; i < 20; i++) {
      const outcome = await banUser(`a${i}`, {}, "operator", atA).catch((e: { code?: string }) => e.code);
      if (outcome === "BANS_FULL") break;
      taken++;
    }
    expect(taken).toBe(6);
    expect(await stored()).toBe(10);
  });

  it("more than the margin within one list's age: the store passes the cap by the excess, and no more", async () => {
    const a = new BanCache({ fold: foldUserId });
    const b = new BanCache({ fold: foldUserId });
    await a.find(APP, "nobody", lookup(T0));
    for (let i = 0; i < 8; i++) await banUser(`b${i}`, {}, "operator", deps(b, T0, { maxBans: 10 }));
    const atA = deps(a, T0 + 1, { maxBans: 10, countMargin: 5 });
    for (let i = 0; i < 20; i++) {
      if ((await banUser(`a${i}`, {}, "operator", atA).catch((e: { code?: string }) => e.code)) === "BANS_FULL") break;
    }
    // A took 5 on its old list (0 + its own 5 reach the margin), then listed and stopped: 8 + 5 = 13,
    // 3 over the cap: the 8 made elsewhere minus the margin of 5.
    expect(await stored()).toBe(13);
    // Every one of them is still read (never a shortened list) and enforced.
    const fresh = new BanCache({ fold: foldUserId });
    for (const id of ["b0", "b7", "a0", "a4"]) expect(await fresh.find(APP, id, lookup(T0 + 2))).toBeDefined();
  });
});
