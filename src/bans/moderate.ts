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
import { codePointLength, cutCodePoints } from "../shared/text.js";
import type { KickOutcome } from "../tencent/kick.js";
import { type BanCache, inForce } from "./cache.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "./errors.js";
import {
  BAN_ACTOR_MAX_CHARS,
  BAN_REASON_MAX_CHARS,
  BANS_MAX,
  type Ban,
  deleteBan,
  listBans,
  readBan,
  writeBan,
} from "./store.js";

/** How the kick went, as the answer shows it. */
export interface KickReport {
  kicked: boolean;
  /** Why not: "chat not configured", Tencent's ErrorCode, or Tencent unreachable. */
  kickError?: string;
  /** Tencent's ErrorCode when it answered FAIL (also in the audit line). */
  kickErrorCode?: number;
}

export interface ModerationDeps {
  kv: KVNamespace;
  bans: BanCache;
  sdkAppId: number;
  /** The request's time, unix ms. */
  nowMs: number;
  /** Is this ID (or a variant of it) an admin identity of the app? (The admin guard's check.) */
  isAdmin: (userId: string) => Promise<boolean>;
  /** BANS_MAX, unless a test lowers it. */
  maxBans?: number;
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
  const nowSeconds = Math.floor(deps.nowMs / 1000);
  if (request.expiresAt !== undefined && request.expiresAt <= nowSeconds) {
    throw new BansError("BAN_EXPIRY_PAST", "expiresAt must be in the future (unix seconds).", {
      data: { field: "expiresAt" },
    });
  }
  // Code points: 150 emoji are 150 characters, not 300.
  if (request.reason !== undefined && codePointLength(request.reason) > BAN_REASON_MAX_CHARS) {
    throw new BansError("BAN_REASON_TOO_LONG", `reason is at most ${BAN_REASON_MAX_CHARS} characters.`, {
      data: { field: "reason" },
    });
  }
  const existing = await store(() => readBan(deps.kv, deps.sdkAppId, userId, deps.bans.kvStats));
  // Every isolate keeps every ban in memory: refuse to grow past what it reads.
  const maxBans = deps.maxBans ?? BANS_MAX;
  if (!existing && (await storedBans(deps, maxBans)) >= maxBans) {
    throw new BansError("BANS_FULL", `This app has ${maxBans} bans, the most the broker keeps; lift some first.`);
  }
  const ban: Ban = {
    userId,
    bannedAt: nowSeconds,
    // Cut as stored (on a code point), so that the answer equals what the list shows later.
    bannedBy: cutCodePoints(actor, BAN_ACTOR_MAX_CHARS),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
  };
  await store(() => writeBan(deps.kv, deps.sdkAppId, ban, nowSeconds, deps.bans.kvStats));
  deps.bans.banned(deps.sdkAppId, ban, deps.nowMs);
  const report = await kickReport(userId, deps);
  return { ...ban, ...report, created: existing === undefined || !inForce(existing, nowSeconds) };
}

/**
 * How many bans the app has stored: this isolate's count when it has one well below the cap (it may
 * be a minute old), else counted by listing KV (a cold isolate, or near the cap).
 */
async function storedBans(deps: ModerationDeps, maxBans: number): Promise<number> {
  const cached = deps.bans.storedCount(deps.sdkAppId);
  if (cached !== undefined && cached < maxBans * (1 - BANS_COUNT_MARGIN)) return cached;
  return (await store(() => listBans(deps.kv, deps.sdkAppId, deps.bans.kvStats, undefined, maxBans))).length;
}

/** Bans other isolates may have added since this one last listed: 5% of the cap (500), generously. */
const BANS_COUNT_MARGIN = 0.05;

export async function unbanUser(userId: string, deps: ModerationDeps): Promise<void> {
  const existing = await store(() => readBan(deps.kv, deps.sdkAppId, userId, deps.bans.kvStats));
  if (!existing || !inForce(existing, Math.floor(deps.nowMs / 1000))) {
    throw new BansError("NOT_BANNED", "This user is not banned.");
  }
  await store(() => deleteBan(deps.kv, deps.sdkAppId, userId, deps.bans.kvStats));
  deps.bans.unbanned(deps.sdkAppId, userId, deps.nowMs);
}

/** The bans in force, newest first (straight from KV: the operator sees what is stored). */
export async function bansInForce(deps: Pick<ModerationDeps, "kv" | "sdkAppId" | "nowMs" | "bans">): Promise<Ban[]> {
  const nowSeconds = Math.floor(deps.nowMs / 1000);
  const bans = await store(() => listBans(deps.kv, deps.sdkAppId, deps.bans.kvStats));
  return bans.filter((ban) => inForce(ban, nowSeconds)).sort((a, b) => b.bannedAt - a.bannedAt);
}

/**
 * Ends the user's Chat sessions without a ban. Never an admin identity (or a variant): a kick voids
 * every earlier UserSig of the user at Tencent, the broker's own cached admin sig included.
 */
export async function kickOnly(userId: string, deps: ModerationDeps): Promise<KickReport> {
  if (await deps.isAdmin(userId)) {
    throw new BansError("ADMIN_NOT_KICKABLE", "This identity is an admin of the app: admins cannot be kicked.");
  }
  return kickReport(userId, deps);
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
