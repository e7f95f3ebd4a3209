/**
 * Moderation's answers, without HTTP. The app's Durable Object (src/objects/moderation.ts) stores
 * the ban and runs the Tencent steps (the rules: decide.ts); this file says what a moderator is told
 * of them, and refuses a banned user at issuance from the isolate's cache (cache.ts).
 *
 * A ban's answer keeps the fields it always had (`kicked`, `kickError?`, `kickErrorCode?`) and adds
 * `muted` and `removedFrom` (the rooms Tencent confirmed), and `steps`: every step's StepReport
 * (steps.ts), so each failure comes with its reason, Tencent's code and whether the object retries.
 */

import type { TrtcRoom } from "../tencent/trtc.js";
import type { BanCache } from "./cache.js";
import type { Ban } from "./decide.js";
import { BansError } from "./errors.js";
import type { BanOutcome, BanSteps, StepReport } from "./steps.js";

export type { BanRequest } from "./decide.js";

/** How the kick went, as the answer shows it. */
export interface KickReport {
  kicked: boolean;
  /** Why not: "chat not configured", Tencent's ErrorCode, or Tencent unreachable. */
  kickError?: string;
  /** Tencent's ErrorCode when it answered FAIL (also in the audit line). */
  kickErrorCode?: number;
}

/** Every step of a ban or kick, as the answer shows it. */
export interface StepsReport extends KickReport {
  /** The rooms Tencent confirmed the user was removed from. */
  removedFrom: TrtcRoom[];
  steps: {
    kick: StepReport;
    mute?: StepReport;
    removals: ({ room: TrtcRoom } & StepReport)[];
  };
}

export type BanResult = Ban & StepsReport & { muted: boolean; created: boolean };

export type KickResult = { userId: string } & StepsReport;

export function banResult(outcome: BanOutcome): BanResult {
  return {
    ...outcome.ban,
    ...stepsReport(outcome.steps),
    muted: outcome.steps.mute?.ok === true,
    created: outcome.created,
  };
}

export function kickResult(userId: string, steps: BanSteps): KickResult {
  return { userId, ...stepsReport(steps) };
}

function stepsReport(steps: BanSteps): StepsReport {
  const kick = steps.kick;
  const code = kick.ok ? undefined : kick.errorCode;
  return {
    kicked: kick.ok,
    ...(kick.ok ? {} : { kickError: kick.reason }),
    ...(typeof code === "number" ? { kickErrorCode: code } : {}),
    removedFrom: steps.removals.filter((removal) => removal.step.ok).map((removal) => removal.room),
    steps: {
      kick,
      ...(steps.mute ? { mute: steps.mute } : {}),
      removals: steps.removals.map((removal) => ({ room: removal.room, ...removal.step })),
    },
  };
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
