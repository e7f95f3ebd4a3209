/**
 * The ban rules the app's Durable Object applies (src/objects/moderation.ts stores and calls; the
 * rules are here, pure, with unit tests under plain Node: test/unit/ban-rules.test.ts).
 */

import { codePointLength, cutCodePoints } from "../shared/text.js";
import { BansError } from "./errors.js";
import { BAN_REASON_MAX_CHARS } from "./limits.js";

/** Bans per app: every isolate keeps the app's bans in memory (about 1 MB at most). */
export const BANS_MAX = 10_000;
/** Code points of `bannedBy` kept. */
export const BAN_ACTOR_MAX_CHARS = 80;

export interface Ban {
  userId: string;
  reason?: string;
  /** Unix seconds; none for a permanent ban. */
  expiresAt?: number;
  /** Unix seconds. */
  bannedAt: number;
  /** Who banned: "operator", "apiKey:<name>", "idp:<userId>@<issuer>" (bans/moderators.ts, actorName). */
  bannedBy: string;
}

export interface BanRequest {
  reason?: string | undefined;
  expiresAt?: number | undefined;
}

export function inForce(ban: Ban, nowSeconds: number): boolean {
  return ban.expiresAt === undefined || nowSeconds < ban.expiresAt;
}

/** BAN_EXPIRY_PAST, BAN_REASON_TOO_LONG: a request's own faults, before anything is read. */
export function checkBanRequest(request: BanRequest, nowSeconds: number): void {
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
}

/**
 * The ban in force for `userId` among `candidates` (the stored bans whose user ID folds like it):
 * its own first, else a variant's. The same folding as issuance, so a callback and issuance agree.
 */
export function banFor(candidates: readonly Ban[], userId: string, nowSeconds: number): Ban | undefined {
  return (
    candidates.find((ban) => ban.userId === userId && inForce(ban, nowSeconds)) ??
    candidates.find((ban) => inForce(ban, nowSeconds))
  );
}

/**
 * The ban to store: a ban of a variant updates the ban already in force under the ID it was stored
 * with. BANS_FULL when it would be one more than `maxBans` in force (`inForceCount`: exact, counted
 * by the one object that holds the app's bans).
 */
export function banToStore(
  userId: string,
  request: BanRequest,
  actor: string,
  existing: Ban | undefined,
  inForceCount: number,
  maxBans: number,
  nowSeconds: number,
): Ban {
  if (!existing && inForceCount >= maxBans) {
    throw new BansError("BANS_FULL", `This app has ${maxBans} bans, the most the broker keeps; lift some first.`);
  }
  return {
    userId: existing?.userId ?? userId,
    bannedAt: nowSeconds,
    bannedBy: cutCodePoints(actor, BAN_ACTOR_MAX_CHARS),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
  };
}
