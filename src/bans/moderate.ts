/**
 * Moderation, without HTTP: ban, unban, list, kick. The routes (src/http) authenticate the actor,
 * parse the request and map the BansError codes; everything decided about a ban is decided here.
 *
 * - A ban is stored first, then the user is kicked at Tencent (when the app has `chat`): a failed
 *   kick never loses the ban, and the answer says why it failed.
 * - The isolate cache learns of a ban or unban at once (BanCache.banned/unbanned).
 * - Admin identities, and their case/Unicode variants, cannot be banned or kicked.
 */

import { unavailableOnFailure } from "../shared/errors.js";
import type { KeyValueStore } from "../shared/storage.js";
import { cutCodePoints } from "../shared/text.js";
import { unixSeconds } from "../shared/units.js";
import type { KickOutcome } from "../tencent/kick.js";
import { BAN_SOFT_TTL_MS, type BanCache, inForce } from "./cache.js";
import { checkBanRequest } from "./decide.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "./errors.js";
import { BAN_ACTOR_MAX_CHARS, BANS_MAX, type Ban, deleteBan, listBans, readBan, writeBan } from "./store.js";

/** How the kick went, as the answer shows it. */
export interface KickReport {
  kicked: boolean;
  /** Why not: "chat not configured", Tencent's ErrorCode, or Tencent unreachable. */
  kickError?: string;
  /** Tencent's ErrorCode when it answered FAIL (also in the audit line). */
  kickErrorCode?: number;
}

export interface ModerationDeps {
  /** The ADMINS namespace. */
  store: KeyValueStore;
  bans: BanCache;
  sdkAppId: number;
  /** The request's time, unix ms. */
  nowMs: number;
  /** Is this ID (or a variant of it) an admin identity of the app? (The admin guard's check.) */
  isAdmin: (userId: string) => Promise<boolean>;
  /** BANS_MAX, unless a test lowers it. */
  maxBans?: number;
  /** Within this many bans of the cap, every ban counts from a fresh list (default 5% of the cap). */
  countMargin?: number;
  /** Kicks at Tencent; undefined when the app has no `chat`. */
  kick: ((userId: string) => Promise<KickOutcome>) | undefined;
}

export interface BanRequest {
  reason?: string | undefined;
  expiresAt?: number | undefined;
}

export type BanResult = Ban & KickReport & { created: boolean };

export async function banUser(
  userId: string,
  request: BanRequest,
  actor: string,
  deps: ModerationDeps,
): Promise<BanResult> {
  if (await deps.isAdmin(userId)) {
    throw new BansError("ADMIN_NOT_BANNABLE", "This identity is an admin of the app: admins cannot be banned.");
  }
  const nowSeconds = unixSeconds(deps.nowMs);
  checkBanRequest(request, nowSeconds);
  // A ban matches every variant of its user ID, so a ban of a variant is the same ban: it is updated
  // under the ID it was stored with (the canonical one), and that ID is kicked.
  const exact = await store(() => readBan(deps.store, deps.sdkAppId, userId, deps.bans.kvStats));
  const existing = exact && inForce(exact, nowSeconds) ? exact : await variantInForce(userId, deps);
  const target = existing?.userId ?? userId;
  // Every isolate keeps every ban in memory: refuse to grow past the cap (a key already stored, if
  // expired, is overwritten: no growth).
  const maxBans = deps.maxBans ?? BANS_MAX;
  if (!existing && !exact && (await storedBans(deps, maxBans)) >= maxBans) {
    throw new BansError("BANS_FULL", `This app has ${maxBans} bans, the most the broker keeps; lift some first.`);
  }
  const ban: Ban = {
    userId: target,
    bannedAt: nowSeconds,
    // Cut as stored (on a code point), so that the answer equals what the list shows later.
    bannedBy: cutCodePoints(actor, BAN_ACTOR_MAX_CHARS),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
  };
  await store(() => writeBan(deps.store, deps.sdkAppId, ban, nowSeconds, deps.bans.kvStats));
  deps.bans.banned(deps.sdkAppId, ban, deps.nowMs);
  const report = await kickReport(target, deps);
  return { ...ban, ...report, created: existing === undefined };
}

/**
 * How many bans the app has stored, exact for this isolate: its list with the bans and unbans made
 * here laid over it (BanCache.stored), so a ban made here counts at once, however old the list. The
 * list may be BAN_SOFT_TTL_MS old while the count is more than the margin below the cap; within it,
 * every ban lists afresh. What this cannot see: bans other isolates made since its list (more than
 * the margin within 20 s, far from the cap) or that KV has not yet shown to its list (about 60 s,
 * near the cap). By those the stored count can pass the cap; docs/moderation.md states the bound.
 */
async function storedBans(deps: ModerationDeps, maxBans: number): Promise<number> {
  const margin = deps.countMargin ?? Math.ceil(maxBans * BANS_COUNT_MARGIN);
  const lookup = { store: deps.store, nowMs: deps.nowMs };
  const count = (await store(() => deps.bans.stored(deps.sdkAppId, lookup, BAN_SOFT_TTL_MS))).size;
  if (count < maxBans - margin) return count;
  return (await store(() => deps.bans.stored(deps.sdkAppId, lookup, 0))).size;
}

/** Within this share of the cap (5%: 500 bans), every ban counts from a fresh list. */
const BANS_COUNT_MARGIN = 0.05;

/** A ban in force on a case/Unicode variant of `userId` (BanCache.variants: a list at most 20 s old). */
async function variantInForce(userId: string, deps: ModerationDeps): Promise<Ban | undefined> {
  const nowSeconds = unixSeconds(deps.nowMs);
  const lookup = { store: deps.store, nowMs: deps.nowMs };
  const variants = await store(() => deps.bans.variants(deps.sdkAppId, userId, lookup, BAN_SOFT_TTL_MS));
  return (
    variants.find((ban) => ban.userId === userId && inForce(ban, nowSeconds)) ??
    variants.find((ban) => inForce(ban, nowSeconds))
  );
}

/**
 * Lifts the ban that matches `userId`: its own, or that of any variant the ban matches (the same
 * folding as issuance), so that DELETE of "Mallory" lifts the ban of "mallory". Returns the stored
 * IDs lifted (usually one).
 */
export async function unbanUser(userId: string, deps: ModerationDeps): Promise<string[]> {
  const nowSeconds = unixSeconds(deps.nowMs);
  const exact = await store(() => readBan(deps.store, deps.sdkAppId, userId, deps.bans.kvStats));
  const lookup = { store: deps.store, nowMs: deps.nowMs };
  const variants = await store(() => deps.bans.variants(deps.sdkAppId, userId, lookup, BAN_SOFT_TTL_MS));
  const lifted = new Set<string>();
  for (const ban of [exact, ...variants]) if (ban && inForce(ban, nowSeconds)) lifted.add(ban.userId);
  if (lifted.size === 0) throw new BansError("NOT_BANNED", "This user is not banned.");
  for (const id of lifted) {
    await store(() => deleteBan(deps.store, deps.sdkAppId, id, deps.bans.kvStats));
    deps.bans.unbanned(deps.sdkAppId, id, deps.nowMs);
  }
  return [...lifted];
}

/** The bans in force, newest first (straight from KV: the operator sees what is stored). */
export async function bansInForce(deps: Pick<ModerationDeps, "store" | "sdkAppId" | "nowMs" | "bans">): Promise<Ban[]> {
  const nowSeconds = unixSeconds(deps.nowMs);
  const bans = await store(() => listBans(deps.store, deps.sdkAppId, deps.bans.kvStats));
  return bans.filter((ban) => inForce(ban, nowSeconds)).sort((a, b) => b.bannedAt - a.bannedAt);
}

/**
 * Ends the user's Chat sessions without a ban. Never an admin identity (or a variant): a kick voids
 * every earlier UserSig of the user at Tencent, the broker's own cached admin sig included.
 */
export async function kickOnly(userId: string, deps: ModerationDeps): Promise<KickReport & { userId: string }> {
  if (await deps.isAdmin(userId)) {
    throw new BansError("ADMIN_NOT_KICKABLE", "This identity is an admin of the app: admins cannot be kicked.");
  }
  // A banned user (or a variant of one) is kicked under the ID the ban is stored with.
  const target = (await variantInForce(userId, deps))?.userId ?? userId;
  return { userId: target, ...(await kickReport(target, deps)) };
}

async function kickReport(userId: string, deps: ModerationDeps): Promise<KickReport> {
  if (!deps.kick) return { kicked: false, kickError: "chat not configured" };
  const outcome = await deps.kick(userId);
  if (outcome.kicked) return { kicked: true };
  return {
    kicked: false,
    kickError: outcome.reason,
    ...(outcome.errorCode !== undefined ? { kickErrorCode: outcome.errorCode } : {}),
  };
}

/** The moderation routes read and write KV directly: a failure is a 503 the moderator can retry. */
function store<T>(operation: () => Promise<T>): Promise<T> {
  return unavailableOnFailure(
    operation,
    (kind) =>
      new BansError("BANS_STORE_UNAVAILABLE", "Bans cannot be read or written right now; try again shortly.", {
        reason: `bans kv: ${kind}`,
        data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
      }),
  );
}

/** The issuance pipeline's ban step: throws USER_BANNED when `userId` or a variant is banned. */
export async function refuseBanned(
  bans: BanCache,
  sdkAppId: number,
  userId: string,
  deps: Parameters<BanCache["find"]>[2],
): Promise<void> {
  const ban = await bans.find(sdkAppId, userId, deps);
  if (ban) {
    throw new BansError("USER_BANNED", "This user is banned from this app.", {
      reason: `banned by ${ban.bannedBy} at ${ban.bannedAt}${ban.expiresAt ? ` until ${ban.expiresAt}` : ""}`,
    });
  }
}
