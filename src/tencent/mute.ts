/**
 * `v4/openconfigsvr/setnospeaking`: an account-level mute for one-to-one (C2C) and group messages
 * ("Setting Global Mute", https://www.tencentcloud.com/document/product/1047/34923; Chinese:
 * https://cloud.tencent.com/doc/product/269/4230). Body: `Set_Account`, and `C2CmsgNospeakingTime` /
 * `GroupmsgNospeakingTime` in seconds (at least one of the two): 0 lifts the mute, 4294967295
 * (0xFFFFFFFF) mutes for good, any other value for that long. A muted sender is refused by Tencent
 * itself (error 20012 for one-to-one, 10017 for group messages) and the before-send callbacks are not
 * even called, so a UserSig from a stale isolate cannot send either. At most 200 calls per second.
 * Errors: 130001 (JSON), 130004/130005 (Set_Account missing/invalid), 130008 (neither time given),
 * 130014 (system error: try again).
 */

import { type ChatClientDeps, type ChatTarget, callChat } from "./chat.js";
import { TencentError } from "./errors.js";
import { failureText } from "./kick.js";

/** Tencent's "permanently muted". */
export const MUTE_FOREVER_SECONDS = 0xffff_ffff;

export type MuteOutcome =
  | { muted: true }
  /** `reason`: fixed words (with Tencent's ErrorCode when it answered one), never its ErrorInfo. */
  | { muted: false; reason: string; errorCode?: number };

/**
 * How long a mute lasts for a ban that ends at `expiresAt` (unix seconds; none: for good), as of
 * `nowSeconds`: at least 1 s (0 would lift it), below MUTE_FOREVER_SECONDS for a temporary ban.
 */
export function muteSecondsUntil(expiresAt: number | undefined, nowSeconds: number): number {
  if (expiresAt === undefined) return MUTE_FOREVER_SECONDS;
  return Math.min(MUTE_FOREVER_SECONDS - 1, Math.max(1, Math.ceil(expiresAt - nowSeconds)));
}

/**
 * Mutes `userId` for `seconds` in one-to-one and group messages alike (0: lifts the mute). Never
 * throws for Tencent's failures: the outcome says what happened.
 */
export async function setNoSpeaking(
  target: ChatTarget,
  userId: string,
  seconds: number,
  deps: ChatClientDeps,
): Promise<MuteOutcome> {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MUTE_FOREVER_SECONDS) {
    throw new RangeError(`a mute lasts 0 to ${MUTE_FOREVER_SECONDS} whole seconds`);
  }
  const body = JSON.stringify({ Set_Account: userId, C2CmsgNospeakingTime: seconds, GroupmsgNospeakingTime: seconds });
  try {
    const answer = await callChat(target, "openconfigsvr", "setnospeaking", body, deps);
    if (answer.actionStatus === "OK" && answer.errorCode === 0) return { muted: true };
    return { muted: false, errorCode: answer.errorCode, reason: `Tencent answered ErrorCode ${answer.errorCode}` };
  } catch (error) {
    if (error instanceof TencentError) return { muted: false, reason: failureText(error) };
    throw error;
  }
}
