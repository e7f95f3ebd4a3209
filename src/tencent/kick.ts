/**
 * `v4/im_open_login_svc/kick`: invalidates every UserSig of one user issued before the call, for
 * Chat logins ("When the user uses the original UserSig to log in to Chat, the login fails"; a newly
 * generated UserSig works: https://www.tencentcloud.com/document/product/1047/34957). One account
 * per call; at most 200 calls per second.
 *
 * It says nothing about TRTC: a TRTC room session in progress is not ended, and TRTC's acceptance
 * of an unexpired UserSig is not documented to change (see README, "What a ban does not do").
 */

import { CHAT_ANSWER_MAX_BYTES, type ChatClientDeps, type ChatTarget, callChat } from "./chat.js";
import { TencentError } from "./errors.js";

export type KickOutcome =
  | { kicked: true }
  /**
   * `errorCode`: Tencent's ErrorCode when it answered FAIL; `reason`: a fixed description for the
   * caller (with the code), never Tencent's ErrorInfo.
   */
  | { kicked: false; reason: string; errorCode?: number };

/** Kicks `userId`; never throws for Tencent's failures: the outcome says what happened. */
export async function kickUser(target: ChatTarget, userId: string, deps: ChatClientDeps): Promise<KickOutcome> {
  try {
    const answer = await callChat(target, "im_open_login_svc", "kick", JSON.stringify({ UserID: userId }), deps);
    if (answer.actionStatus === "OK" && answer.errorCode === 0) return { kicked: true };
    // A fixed description and the code, never Tencent's ErrorInfo: free text that may quote the
    // request (its query carries the admin sig).
    return { kicked: false, errorCode: answer.errorCode, reason: `Tencent answered ErrorCode ${answer.errorCode}` };
  } catch (error) {
    if (error instanceof TencentError) return { kicked: false, reason: failureText(error) };
    throw error;
  }
}

/**
 * What really happened, in fixed words (the status is a number the broker read; nothing of
 * Tencent's text, nor the redirect's Location, is quoted).
 */
export function failureText(error: TencentError): string {
  switch (error.failure) {
    case "timeout":
      return "Tencent did not answer in time";
    case "network":
      return "Tencent could not be reached";
    case "redirect":
      return `Tencent answered with a redirect (HTTP ${error.httpStatus}), which is never followed`;
    case "http_status":
      return `Tencent answered HTTP ${error.httpStatus}`;
    case "not_json":
      return "Tencent's answer was not its JSON";
    case "too_large":
      return `Tencent's answer was larger than ${CHAT_ANSWER_MAX_BYTES} bytes`;
  }
}
