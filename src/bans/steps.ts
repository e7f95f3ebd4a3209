/**
 * What one Tencent step of a moderation call did, as the answer shows it (the contract between the
 * Durable Object and the routes): confirmed by Tencent, or not, with fixed words for why, Tencent's
 * code when it answered one, and whether the object's alarm will try again.
 */

import type { KickOutcome } from "../tencent/kick.js";
import type { MuteOutcome } from "../tencent/mute.js";
import type { TrtcOutcome, TrtcRoom } from "../tencent/trtc.js";
import type { Ban } from "./decide.js";

export type StepReport =
  | { ok: true }
  | {
      ok: false;
      /** Fixed words ("Tencent answered ErrorCode 70107", "trtc not configured"), never Tencent's text. */
      reason: string;
      /** Tencent's ErrorCode (Chat, a number) or Error.Code (TRTC, a dotted name). */
      errorCode?: number | string;
      /** Queued: the object's alarm tries again (bounded, with back-off: retry.ts). */
      retrying: boolean;
    };

export const STEP_OK: StepReport = { ok: true };

/** A step that cannot run (nothing configured for it, an admin identity): never retried. */
export function skipped(reason: string): StepReport {
  return { ok: false, reason, retrying: false };
}

/** A Tencent outcome (kick, mute or TRTC) as a step; `retrying` when a failure was queued. */
export function stepOf(outcome: KickOutcome | MuteOutcome | TrtcOutcome, retrying: boolean): StepReport {
  if ("kicked" in outcome ? outcome.kicked : "muted" in outcome ? outcome.muted : outcome.ok) return STEP_OK;
  const failed = outcome as { reason: string; errorCode?: number | string };
  return {
    ok: false,
    reason: failed.reason,
    ...(failed.errorCode !== undefined ? { errorCode: failed.errorCode } : {}),
    retrying,
  };
}

/** One kind of step made for several IDs (the stored ID and the variant asked for): the first failure, else ok. */
export function allOf(steps: readonly StepReport[]): StepReport {
  return steps.find((step) => !step.ok) ?? STEP_OK;
}

/** The Chat accounts a ban or kick reaches: the stored ID, and the ID asked for when it differs. */
export function chatIdsOf(storedId: string, askedId: string): string[] {
  return storedId === askedId ? [storedId] : [storedId, askedId];
}

/**
 * Whether a failed step is worth the alarm's retry: Tencent unreachable or slow, or its own
 * failure. A refusal that repeats the same way (a bad credential, an unknown account) is not.
 */
export function worthRetrying(outcome: { errorCode?: number | string | undefined }): boolean {
  const code = outcome.errorCode;
  if (code === undefined) return true;
  return RETRYABLE_CODES.has(code);
}

/**
 * Tencent's "try again" answers: Chat's system errors (130014 for setnospeaking; 70169 and 90994
 * are server-side timeouts), TRTC's InternalError and its rate limit (RequestLimitExceeded).
 */
const RETRYABLE_CODES: ReadonlySet<number | string> = new Set([
  130014,
  70169,
  90994,
  "InternalError",
  "RequestLimitExceeded",
  "FailedOperation",
]);

/** A TRTC room event as the callbacks hand it over (src/callbacks/ parses and verifies it). */
export interface RoomEvent {
  userId: string;
  room: TrtcRoom;
  /** The callback's identity (src/callbacks/): a redelivery carries the same key. */
  eventKey: string;
  /** When Tencent says it happened (unix seconds). */
  eventSeconds: number;
}

export interface RoomRemoval {
  room: TrtcRoom;
  step: StepReport;
}

/** What a ban or a kick did at Tencent, step by step. */
export interface BanSteps {
  /** Chat logins ended (im_open_login_svc/kick). */
  kick: StepReport;
  /** Muted in Chat until expiresAt or for good (setnospeaking); a kick without a ban does not mute. */
  mute?: StepReport;
  /** One entry per room presence knew the user (or a variant of the ID) in. */
  removals: RoomRemoval[];
}

export interface BanOutcome {
  ban: Ban;
  created: boolean;
  steps: BanSteps;
}

export interface UnbanOutcome {
  /** The stored user IDs lifted (the ban of the ID, or of a variant it matches). */
  lifted: string[];
  /** The Chat mute lifted, per lifted ID. */
  unmuted: { userId: string; step: StepReport }[];
}

export interface UserView {
  userId: string;
  ban: Ban | null;
  rooms: TrtcRoom[];
}
