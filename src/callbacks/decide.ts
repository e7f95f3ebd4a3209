/**
 * What a verified callback does, and what it answers (pure: the state it needs is reached through
 * `CallbackPorts`, which the service layer binds to the app's moderation Durable Object).
 *
 * - TRTC 103 (enter): presence records the user in the room; a banned user is removed from it at
 *   once (the object calls RemoveUser / RemoveUserByStrRoomId, and retries with its alarm on a
 *   failure). TRTC 104 (exit): presence forgets the room. TRTC 102 (room dismissed): presence
 *   forgets everyone in the room. A redelivered event (the same `eventKey`) is acted on once. Any other event is ignored. The answer is always `{"code": 0}` with HTTP 200:
 *   Tencent "ignores the content of the response packet" and recommends that one
 *   (https://trtc.io/document/39558).
 * - Chat before-send (C2C and Group): a banned `From_Account` is refused with the app's
 *   `callbacks.beforeSendRefuseCode` (1, or 120001 to 130000, which Tencent passes to the sender);
 *   anyone else is allowed. The ban is read from the object, never from an isolate's cache, so a ban
 *   made through any isolate is seen by the next decision.
 * - Chat State.StateChange, `Login`: a banned user is kicked again (the object calls Tencent). Other
 *   actions (Logout, Disconnect) need nothing. Any other command is ignored. The answer is Tencent's
 *   usual `{"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}`.
 *
 * Each decision says, for the audit line, the event, the user, the room and the outcome; never a
 * key, a token, a signature or a message body.
 */

import type { ChatCallback } from "./chat.js";
import { beforeSendAnswer } from "./chat.js";
import type { TrtcCallback } from "./trtc.js";

/** What a Tencent call made by the object came to (the object's StepReport, src/bans/). */
export type StepOutcome = { ok: true } | { ok: false; reason: string; errorCode?: number | string; retrying: boolean };

/** A room event as the object records it. */
export interface RoomEvent {
  userId: string;
  room: number | string;
  /** The same for every delivery of one event (src/callbacks/trtc.ts). */
  eventKey: string;
  eventSeconds: number;
}

/** The app's moderation state, as the decisions need it. */
export interface CallbackPorts {
  enterRoom(event: RoomEvent): Promise<{ duplicate: boolean; banned: boolean; removal?: StepOutcome }>;
  exitRoom(event: RoomEvent): Promise<{ duplicate: boolean }>;
  /** TRTC 102: everyone's entry in the room, up to the dismissal, is gone. */
  roomDismissed(event: Omit<RoomEvent, "userId">): Promise<{ duplicate: boolean }>;
  /** Whether the app has banned `userId` (or a variant it matches), read from the object. */
  isBanned(userId: string): Promise<boolean>;
  loggedIn(login: {
    userId: string;
    eventKey: string;
  }): Promise<{ duplicate: boolean; banned: boolean; kick?: StepOutcome }>;
}

/** What the audit line says about a callback. */
export interface CallbackAudit {
  /** `trtc:103`, `C2C.CallbackBeforeSendMsg`, `State.StateChange:Login`, … */
  callbackEvent: string;
  userId?: string;
  room?: number | string;
  /** e.g. "present", "removed", "refused", "allowed", "kicked", "duplicate", "ignored". */
  outcome: string;
  /** A failed Tencent step: its fixed reason (never Tencent's free text) and its code. */
  stepReason?: string;
  tencentCode?: string;
}

export interface CallbackDecision<Answer> {
  answer: Answer;
  audit: CallbackAudit;
}

export type TrtcAnswer = { code: 0 };
export type ChatAnswer = { ActionStatus: "OK"; ErrorInfo: string; ErrorCode: number };

const TRTC_ANSWER: TrtcAnswer = { code: 0 };
const CHAT_OK: ChatAnswer = { ActionStatus: "OK", ErrorInfo: "", ErrorCode: 0 };

export async function decideTrtc(event: TrtcCallback, ports: CallbackPorts): Promise<CallbackDecision<TrtcAnswer>> {
  const callbackEvent = `trtc:${event.eventType}`;
  if (event.kind === "other") return { answer: TRTC_ANSWER, audit: { callbackEvent, outcome: "ignored" } };
  if (event.kind === "dismiss") {
    const { eventKey, eventSeconds, roomId: room } = event;
    const { duplicate } = await ports.roomDismissed({ room, eventKey, eventSeconds });
    return { answer: TRTC_ANSWER, audit: { callbackEvent, room, outcome: duplicate ? "duplicate" : "dismissed" } };
  }
  const roomEvent: RoomEvent = {
    userId: event.userId,
    room: event.roomId,
    eventKey: event.eventKey,
    eventSeconds: event.eventSeconds,
  };
  const base = { callbackEvent, userId: event.userId, room: event.roomId };
  if (event.kind === "exit") {
    const { duplicate } = await ports.exitRoom(roomEvent);
    return { answer: TRTC_ANSWER, audit: { ...base, outcome: duplicate ? "duplicate" : "left" } };
  }
  const entered = await ports.enterRoom(roomEvent);
  if (entered.duplicate) return { answer: TRTC_ANSWER, audit: { ...base, outcome: "duplicate" } };
  if (!entered.banned) return { answer: TRTC_ANSWER, audit: { ...base, outcome: "present" } };
  return { answer: TRTC_ANSWER, audit: { ...base, ...stepAudit("removed", "removal", entered.removal) } };
}

export async function decideChat(
  event: ChatCallback,
  ports: CallbackPorts,
  refuseCode: number,
): Promise<CallbackDecision<ChatAnswer>> {
  if (event.kind === "before-send") {
    const banned = await ports.isBanned(event.fromAccount);
    return {
      answer: beforeSendAnswer(banned, refuseCode),
      audit: { callbackEvent: event.command, userId: event.fromAccount, outcome: banned ? "refused" : "allowed" },
    };
  }
  if (event.kind === "other") return { answer: CHAT_OK, audit: { callbackEvent: event.command, outcome: "ignored" } };
  const base = { callbackEvent: `${event.command}:${event.action}`, userId: event.userId };
  if (event.action !== "Login") return { answer: CHAT_OK, audit: { ...base, outcome: "noted" } };
  const login = await ports.loggedIn({ userId: event.userId, eventKey: event.eventKey });
  if (login.duplicate) return { answer: CHAT_OK, audit: { ...base, outcome: "duplicate" } };
  if (!login.banned) return { answer: CHAT_OK, audit: { ...base, outcome: "logged-in" } };
  return { answer: CHAT_OK, audit: { ...base, ...stepAudit("kicked", "kick", login.kick) } };
}

/**
 * A banned user's step: done (`done`), queued for the object's alarm (`<step>-queued`), failed for
 * good (`<step>-failed`), or not possible here (`<step>-unavailable`: the object made no call, e.g.
 * the app has no `trtc` or `chat`).
 */
function stepAudit(
  done: string,
  step: string,
  outcome: StepOutcome | undefined,
): Pick<CallbackAudit, "outcome" | "stepReason" | "tencentCode"> {
  if (outcome === undefined) return { outcome: `${step}-unavailable` };
  if (outcome.ok) return { outcome: done };
  return {
    outcome: outcome.retrying ? `${step}-queued` : `${step}-failed`,
    stepReason: outcome.reason,
    ...(outcome.errorCode !== undefined ? { tencentCode: String(outcome.errorCode) } : {}),
  };
}
