// Moderation without HTTP: ban (stored first, then kicked; a failed kick keeps the ban), unban, list,
// kick only, the admin refusal, the issuance pipeline's ban step, and the Cron Trigger's re-kick
// against the fake Tencent.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { adminSetOf, foldUserId, isAdminLike } from "../../src/admins/set.js";
import { BanCache } from "../../src/bans/cache.js";
import {
  bansInForce,
  banUser,
  kickOnly,
  type ModerationDeps,
  refuseBanned,
  unbanUser,
} from "../../src/bans/moderate.js";
import { REKICK_WINDOW_SECONDS, rekickRecentBans } from "../../src/bans/rekick.js";
import { listBans, newBanKvStats, writeBan } from "../../src/bans/store.js";
import { type KeyValueStore, kvStore, memoryStore } from "../../src/shared/storage.js";
import type { ChatClientDeps } from "../../src/tencent/chat.js";
import { type KickOutcome, kickUser } from "../../src/tencent/kick.js";
import { signUserSig } from "../../src/usersig/index.js";
import { SECRET_KEY } from "../broker/helpers.js";
import { scriptTencent, setupTencent, TENCENT_BASE, tencentCalls } from "../tencent/helpers.js";

const APP = 1400000009;
const ADMIN = "administrator";
const raw = env.ADMINS;
const kv = kvStore(raw);
const stats = newBanKvStats();
const NOW = Date.now();

const clientDeps: ChatClientDeps = {
  fetch: (r) => fetch(r),
  random: Math.random,
  sleep: async () => {},
  timeoutMs: 500,
};
const realKick =
  (sdkAppId = APP) =>
  (userId: string) =>
    kickUser(
      {
        apiBaseUrl: TENCENT_BASE,
        sdkAppId,
        adminUserId: ADMIN,
        adminUserSig: () => signUserSig({ sdkAppId, userId: ADMIN, expireSeconds: 3600 }, SECRET_KEY),
      },
      userId,
      clientDeps,
    );

let bans: BanCache;
const deps = (overrides: Partial<ModerationDeps> = {}): ModerationDeps => ({
  store: kv,
  bans,
  sdkAppId: APP,
  nowMs: NOW,
  isAdmin: async (id) => isAdminLike(id, [adminSetOf([ADMIN])]),
  kick: realKick(),
  ...overrides,
});
const notAdmin = async () => false;
const lookup = (nowMs = NOW) => ({ store: kv, nowMs, waitUntil: () => undefined });

beforeEach(async () => {
  bans = new BanCache({ fold: foldUserId });
  for (const key of (await raw.list({ prefix: "bans/" })).keys) await raw.delete(key.name);
  await setupTencent([
    { sdkAppId: APP, secretKey: SECRET_KEY, admins: [ADMIN] },
    { sdkAppId: APP + 1, secretKey: SECRET_KEY, admins: [ADMIN] },
  ]);
});

describe("banUser", () => {
  it("stores the ban, kicks at Tencent, and is in force in this isolate at once", async () => {
    const result = await banUser("mallory", { reason: "spam" }, "operator", deps());
    expect(result).toEqual({
      userId: "mallory",
      reason: "spam",
      bannedAt: Math.floor(NOW / 1000),
      bannedBy: "operator",
      kicked: true,
      created: true,
    });
    expect(await listBans(kv, APP, stats)).toEqual([
      { userId: "mallory", reason: "spam", bannedAt: Math.floor(NOW / 1000), bannedBy: "operator" },
    ]);
    expect(await tencentCalls()).toMatchObject([{ command: "kick", body: { UserID: "mallory" }, verdict: "ok" }]);
    await expect(refuseBanned(bans, APP, "MALLORY", lookup())).rejects.toMatchObject({ code: "USER_BANNED" });
  });

  it("banning again answers created: false and replaces reason and expiry", async () => {
    await banUser("mallory", { reason: "spam" }, "operator", deps());
    const again = await banUser("mallory", { expiresAt: Math.floor(NOW / 1000) + 3600 }, "apiKey:mod", deps());
    expect(again).toMatchObject({ created: false, bannedBy: "apiKey:mod", expiresAt: Math.floor(NOW / 1000) + 3600 });
    expect(again.reason).toBeUndefined();
  });

  it("a failed kick keeps the ban and says why: Tencent's code, unreachable, or chat not configured", async () => {
    await scriptTencent({ kind: "fail", code: 70107, info: "account not imported" });
    expect(await banUser("a", {}, "operator", deps())).toMatchObject({
      kicked: false,
      kickErrorCode: 70107,
      kickError: "Tencent answered ErrorCode 70107",
    });
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    expect(await banUser("b", {}, "operator", deps())).toMatchObject({
      kicked: false,
      kickError: "Tencent answered HTTP 503",
    });
    expect(await banUser("c", {}, "operator", deps({ kick: undefined }))).toMatchObject({
      kicked: false,
      kickError: "chat not configured",
    });
    expect((await listBans(kv, APP, stats)).map((b) => b.userId).sort()).toEqual(["a", "b", "c"]);
  });

  it("refuses admins and their variants, a past expiry, an overlong reason; nothing stored or kicked", async () => {
    for (const id of [ADMIN, "Administrator", "ＡＤＭＩＮＩＳＴＲＡＴＯＲ"]) {
      await expect(banUser(id, {}, "operator", deps())).rejects.toMatchObject({ code: "ADMIN_NOT_BANNABLE" });
    }
    await expect(banUser("x", { expiresAt: Math.floor(NOW / 1000) }, "operator", deps())).rejects.toMatchObject({
      code: "BAN_EXPIRY_PAST",
      data: { field: "expiresAt" },
    });
    await expect(banUser("x", { reason: "r".repeat(201) }, "operator", deps())).rejects.toMatchObject({
      code: "BAN_REASON_TOO_LONG",
    });
    expect(await listBans(kv, APP, stats)).toEqual([]);
    expect(await tencentCalls()).toEqual([]);
  });

  it("KV failing: BANS_STORE_UNAVAILABLE with a Retry-After, and no kick", async () => {
    const broken = memoryStore();
    broken.before = () => Promise.reject(new Error("down"));
    await expect(banUser("x", {}, "operator", deps({ store: broken }))).rejects.toMatchObject({
      code: "BANS_STORE_UNAVAILABLE",
      data: { retryAfterSeconds: 5 },
    });
    expect(await tencentCalls()).toEqual([]);
  });
});

describe("unban, list, kick", () => {
  it("unban lifts the ban here at once; unbanning someone not banned is NOT_BANNED", async () => {
    await banUser("mallory", {}, "operator", deps());
    await unbanUser("mallory", deps());
    await expect(refuseBanned(bans, APP, "mallory", lookup())).resolves.toBeUndefined();
    expect(await listBans(kv, APP, stats)).toEqual([]);
    await expect(unbanUser("mallory", deps())).rejects.toMatchObject({ code: "NOT_BANNED" });
  });

  it("lists bans in force, newest first", async () => {
    const now = Math.floor(NOW / 1000);
    await writeBan(kv, APP, { userId: "old", bannedAt: now - 100, bannedBy: "operator" }, now, stats);
    await writeBan(kv, APP, { userId: "new", bannedAt: now - 1, bannedBy: "operator" }, now, stats);
    await writeBan(kv, APP, { userId: "over", bannedAt: now - 50, bannedBy: "operator", expiresAt: now }, now, stats);
    expect((await bansInForce(deps())).map((b) => b.userId)).toEqual(["new", "old"]);
  });

  it("kick only: admin identities and their variants are refused (409), nothing sent to Tencent", async () => {
    for (const id of [ADMIN, "ADMINISTRATOR", "ＡＤＭＩＮＩＳＴＲＡＴＯＲ"]) {
      await expect(kickOnly(id, deps())).rejects.toMatchObject({ code: "ADMIN_NOT_KICKABLE" });
    }
    expect(await tencentCalls()).toEqual([]);
  });

  it("kick only: no ban stored", async () => {
    expect(await kickOnly("eve", deps())).toEqual({ userId: "eve", kicked: true });
    expect(await listBans(kv, APP, stats)).toEqual([]);
    expect(await kickOnly("eve", deps({ kick: undefined }))).toEqual({
      userId: "eve",
      kicked: false,
      kickError: "chat not configured",
    });
  });
});

// The cap: test/bans/cap.test.ts.

describe("writeBan", () => {
  it("refuses metadata over KV's 1024 bytes with BAN_REASON_TOO_LONG (field reason), before any put", async () => {
    const now = Math.floor(NOW / 1000);
    const ban = { userId: "x", bannedAt: now, bannedBy: "operator", reason: "\u0001".repeat(200) };
    await expect(writeBan(kv, APP, ban, now, stats)).rejects.toMatchObject({
      code: "BAN_REASON_TOO_LONG",
      data: { field: "reason" },
    });
    await expect(banUser("x", { reason: ban.reason }, "operator", deps())).rejects.toMatchObject({
      code: "BAN_REASON_TOO_LONG",
    });
    expect(await listBans(kv, APP, stats)).toEqual([]);
  });
});

describe("re-kick (the Cron Trigger's tick)", () => {
  it("kicks again the bans made within the window, per app, and reports failures", async () => {
    const now = Math.floor(NOW / 1000);
    await writeBan(kv, APP, { userId: "recent", bannedAt: now - 30, bannedBy: "operator" }, now, stats);
    await writeBan(
      kv,
      APP,
      { userId: "old", bannedAt: now - REKICK_WINDOW_SECONDS - 1, bannedBy: "operator" },
      now,
      stats,
    );
    await writeBan(kv, APP + 1, { userId: "other", bannedAt: now - 5, bannedBy: "operator" }, now, stats);
    await scriptTencent({ kind: "ok" }, { kind: "fail", code: 70107 });
    const summaries = await rekickRecentBans(
      [
        { sdkAppId: APP, kick: realKick(APP), isAdmin: notAdmin },
        { sdkAppId: APP + 1, kick: realKick(APP + 1), isAdmin: notAdmin },
      ],
      { store: kv, nowMs: NOW, stats },
    );
    expect(summaries).toEqual([
      { event: "rekick", app: APP, bans: 1, kicked: 1, failed: 0 },
      { event: "rekick", app: APP + 1, bans: 1, kicked: 0, failed: 1, errors: [70107] },
    ]);
    const calls = await tencentCalls();
    expect(calls.map((c) => [c.query.sdkappid, c.body?.UserID, c.verdict])).toEqual([
      [String(APP), "recent", "ok"],
      [String(APP + 1), "other", "ok"],
    ]);
  });

  it("skips a banned ID that is now an admin identity (a kick would void the broker's admin sig)", async () => {
    const now = Math.floor(NOW / 1000);
    await writeBan(kv, APP, { userId: "promoted", bannedAt: now - 30, bannedBy: "operator" }, now, stats);
    await writeBan(kv, APP, { userId: "mallory", bannedAt: now - 20, bannedBy: "operator" }, now, stats);
    const kicks: string[] = [];
    const kick = async (userId: string): Promise<KickOutcome> => {
      kicks.push(userId);
      return { kicked: true };
    };
    const summaries = await rekickRecentBans(
      [{ sdkAppId: APP, kick, isAdmin: async (id) => isAdminLike(id, [adminSetOf(["promoted"])]) }],
      { store: kv, nowMs: NOW, stats },
    );
    expect(summaries).toEqual([{ event: "rekick", app: APP, bans: 1, kicked: 1, failed: 0, admins: 1 }]);
    expect(kicks).toEqual(["mallory"]);
    // The admin set cannot be read: nobody is kicked.
    kicks.length = 0;
    const unread = await rekickRecentBans(
      [{ sdkAppId: APP, kick, isAdmin: () => Promise.reject(new Error("kv down")) }],
      { store: kv, nowMs: NOW, stats },
    );
    expect(unread).toEqual([{ event: "rekick", app: APP, bans: 0, kicked: 0, failed: 0, errors: ["unlisted"] }]);
    expect(kicks).toEqual([]);
  });

  it("an app whose bans cannot be listed is reported; the others still run", async () => {
    const now = Math.floor(NOW / 1000);
    await writeBan(kv, APP, { userId: "recent", bannedAt: now - 30, bannedBy: "operator" }, now, stats);
    // An old ban, so that APP + 1 has bans to list (an app that never had one is not listed at all).
    await writeBan(kv, APP + 1, { userId: "old", bannedAt: now - 86_400, bannedBy: "operator" }, now, stats);
    let listed = 0;
    const flaky: KeyValueStore = {
      ...kv,
      list: (prefix, options) => (listed++ === 0 ? Promise.reject(new Error("down")) : kv.list(prefix, options)),
    };
    const kicks: string[] = [];
    const kick = async (userId: string): Promise<KickOutcome> => {
      kicks.push(userId);
      return { kicked: true };
    };
    const summaries = await rekickRecentBans(
      [
        { sdkAppId: APP + 1, kick, isAdmin: notAdmin },
        { sdkAppId: APP, kick, isAdmin: notAdmin },
      ],
      { store: flaky, nowMs: NOW, stats },
    );
    expect(summaries[0]).toMatchObject({ app: APP + 1, errors: ["unlisted"] });
    expect(summaries[1]).toMatchObject({ app: APP, bans: 1, kicked: 1 });
    expect(kicks).toEqual(["recent"]);
  });
});
