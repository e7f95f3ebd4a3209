/**
 * usersig-broker/client/trtc: enters a TRTC Web SDK v5 room (`trtc-sdk-v5`) with the source's UserSig
 * (and a PrivateMapKey when asked for privileges), re-enters when the UserSig or the key is refused,
 * and switches roles with a PrivateMapKey fresh enough for the role. It takes the TRTC instance and
 * never imports the SDK: TrtcLike below is the part of the `TRTC` class it calls, and
 * test/client/sdk-types.test.ts checks the real typings against it (and the constants below against
 * the SDK's), so a rename in the SDK fails the type check.
 *
 * What it does, per the SDK's typings (index.d.ts of trtc-sdk-v5 5.17.1), its ERROR_CODE values
 * (SERVER_ERROR = 5400 in trtc.esm.js; https://web.sdk.qcloud.com/trtc/webrtc/v5/doc/en/module-ERROR_CODE.html)
 * and Tencent's server codes (https://trtc.io/document/35142: -100018 "userSig verification failed",
 * -100006 "failed to verify the permission ticket", i.e. the PrivateMapKey; 70001 "UserSig expired",
 * 70003, 70009 from the account error codes, https://cloud.tencent.com/document/product/679/131708):
 * - enterRoom() rejected, or TRTC.EVENT.ERROR, with SERVER_ERROR and one of those extra codes:
 *   invalidate the refused credential and (re-)enter, at most `maxAttempts` times in a row.
 * - TRTC.EVENT.KICKED_OUT (`kick`: same UserID entered elsewhere; `banned`: removed by the server API,
 *   e.g. the broker's moderation; `room_disband`: room dismissed): report it and stop. Never re-enter.
 * - Any other error: reported, not retried (the SDK already retried what it could).
 *
 * Must never: log, or put a UserSig or PrivateMapKey into an event or an error.
 */

import { optionError, readRoomRequest } from "./options.js";
import {
  assertSource,
  emitTo,
  numericField,
  SessionControl,
  type SessionOptions,
  StoppedError,
  waitOutBrokerError,
} from "./session.js";
import type { PrivateMapKeyResult, PrivilegeName, RoomSelector, UserSigResult, UserSigSource } from "./types.js";

/** TRTC.EVENT values used here. */
export const TRTC_EVENT = { ERROR: "error", KICKED_OUT: "kicked-out" } as const;

/** TRTC.ERROR_CODE.SERVER_ERROR: the server refused something; `extraCode` says what. */
export const TRTC_SERVER_ERROR = 5400;

/** SERVER_ERROR extra codes that a new UserSig can fix. */
export const TRTC_USERSIG_EXTRA_CODES: readonly number[] = [-100018, 70001, 70003, 70009];

/** SERVER_ERROR extra code for a refused PrivateMapKey. */
export const TRTC_PRIVATE_MAP_KEY_EXTRA_CODE = -100006;

/** The `reason` of TRTC.EVENT.KICKED_OUT (the SDK's BannedReason, less `user_time_out`). */
export type TrtcKickReason = "kick" | "banned" | "room_disband";

export type TrtcRole = "anchor" | "audience";

/** The privileges each role needs, for the PrivateMapKey of switchTrtcRole() and enterTrtcRoom(). */
export const ROLE_PRIVILEGES: Readonly<Record<TrtcRole, readonly PrivilegeName[]>> = {
  anchor: [
    "CreateRoom",
    "EnterRoom",
    "SendAudio",
    "RecvAudio",
    "SendVideo",
    "RecvVideo",
    "SendSubVideo",
    "RecvSubVideo",
  ],
  audience: ["EnterRoom", "RecvAudio", "RecvVideo", "RecvSubVideo"],
};

/** What enterRoom() gets; the SDK's EnterRoomConfig has these fields (and more, via `enterParams`). */
export interface TrtcEnterParams {
  sdkAppId: number;
  userId: string;
  userSig: string;
  roomId?: number;
  strRoomId?: string;
  privateMapKey?: string;
}

/** An RtcError's fields that matter here. */
export interface TrtcErrorLike {
  code: number;
  extraCode?: number;
  message: string;
}

/** The calls the TRTC adapter makes; the real `TRTC` of trtc-sdk-v5 has all of them. */
export interface TrtcLike {
  enterRoom(params: TrtcEnterParams): Promise<void>;
  exitRoom(): Promise<void>;
  switchRole(role: TrtcRole, option?: { privateMapKey?: string }): Promise<void>;
  on(event: "error", handler: (error: TrtcErrorLike) => void): unknown;
  on(event: "kicked-out", handler: (event: { reason: TrtcKickReason }) => void): unknown;
  off(event: "error", handler: (error: TrtcErrorLike) => void): unknown;
  off(event: "kicked-out", handler: (event: { reason: TrtcKickReason }) => void): unknown;
}

export type TrtcSessionEvent =
  /** In the room: first (`start`), or again after the UserSig or PrivateMapKey was refused. */
  | {
      type: "entered";
      userId: string;
      reason: "start" | "usersig-rejected" | "privatemapkey-rejected";
      attempt: number;
    }
  | {
      type: "retrying";
      reason: "usersig-rejected" | "privatemapkey-rejected" | "broker-unavailable";
      attempt: number;
      delayMs: number;
      code?: number | string;
    }
  /** Removed from the room (see TrtcKickReason). Not retried; the session is stopped. */
  | { type: "kicked-out"; reason: string }
  /** TRTC.EVENT.ERROR that is not about a credential: reported as is, not retried. */
  | { type: "error"; error: unknown }
  /** Gave up re-entering: the SDK's or the broker's error. The session is stopped. */
  | { type: "failed"; error: unknown };

export type EnterTrtcRoomOptions = RoomSelector &
  SessionOptions & {
    /** Passed to enterRoom() (live scene); also picks the PrivateMapKey privileges when `privileges` is "role". */
    role?: TrtcRole;
    /**
     * Get a PrivateMapKey with these privileges and enter with it (rooms with advanced permission
     * control). "role": the privileges the role needs (ROLE_PRIVILEGES). Omitted: no PrivateMapKey.
     */
    privileges?: readonly PrivilegeName[] | number | "role";
    /** The PrivateMapKey's requested lifetime in seconds (the broker clamps it). */
    privateMapKeyExpireSeconds?: number;
    /** More EnterRoomConfig fields (scene, autoReceiveVideo…), passed through to enterRoom(). */
    enterParams?: Record<string, unknown>;
    onEvent?: (event: TrtcSessionEvent) => void;
    /** Overrides which errors mean "get a new UserSig and enter again" (default: SERVER_ERROR + TRTC_USERSIG_EXTRA_CODES). */
    isUserSigRejected?: (error: unknown) => boolean;
  };

export interface TrtcSession {
  readonly userId: string;
  /** Stops listening and re-entering. Does not leave the room: call trtc.exitRoom() for that. */
  stop(): void;
}

interface RoomState {
  room: { roomId: number } | { strRoomId: string };
  withPrivateMapKey: boolean;
  expireSeconds: number | undefined;
  source: UserSigSource;
}

/** The room each TRTC instance entered through enterTrtcRoom(), for switchTrtcRole(). */
const rooms = new WeakMap<object, RoomState>();

/**
 * Enters the room with a UserSig (and a PrivateMapKey if `privileges` is given) from `source`, and
 * re-enters when the SDK reports one of them refused. Resolves once in the room; rejects with the
 * SDK's or the broker's error if entering fails (after bounded retries for refused credentials).
 */
export async function enterTrtcRoom(
  trtc: TrtcLike,
  source: UserSigSource,
  options: EnterTrtcRoomOptions,
): Promise<TrtcSession> {
  assertTrtc(trtc, "enterTrtcRoom()");
  assertSource(source, "enterTrtcRoom()");
  if (typeof options !== "object" || options === null) {
    throw optionError('enterTrtcRoom() needs options, e.g. { strRoomId: "demo-room" } or { roomId: 1234 }');
  }
  // The same checks (and messages) as getPrivateMapKey(): roomId: "demo-room" points to strRoomId.
  const checked = readRoomRequest({ ...pickRoom(options), privileges: 1 } as never, "enterTrtcRoom()");
  const room = checked.roomId !== undefined ? { roomId: checked.roomId } : { strRoomId: checked.strRoomId as string };
  if (options.role !== undefined && options.role !== "anchor" && options.role !== "audience") {
    throw optionError(`enterTrtcRoom(): role must be "anchor" or "audience" (TRTC.TYPE.ROLE_ANCHOR / ROLE_AUDIENCE)`);
  }
  if (options.privileges === "role" && options.role === undefined) {
    throw optionError('enterTrtcRoom(): privileges: "role" needs a role ("anchor" or "audience")');
  }
  const session = new Session(trtc, source, options, room);
  await session.start();
  rooms.set(trtc, {
    room,
    withPrivateMapKey: options.privileges !== undefined,
    expireSeconds: options.privateMapKeyExpireSeconds,
    source,
  });
  return session;
}

/**
 * Switches the role in the room entered with enterTrtcRoom(). When that room was entered with a
 * PrivateMapKey (or `privileges` is given here), fetches one with the privileges the role needs
 * (fresh: at least the refresh margin left) and passes it: `switchRole(role, { privateMapKey })`
 * (trtc-sdk-v5 5.3.0+), because TRTC checks the key again at a role switch.
 */
export async function switchTrtcRole(
  trtc: TrtcLike,
  source: UserSigSource,
  role: TrtcRole,
  options: { privileges?: readonly PrivilegeName[] | number } = {},
): Promise<void> {
  assertTrtc(trtc, "switchTrtcRole()");
  assertSource(source, "switchTrtcRole()");
  if (role !== "anchor" && role !== "audience") {
    throw optionError('switchTrtcRole(): role must be "anchor" or "audience" (TRTC.TYPE.ROLE_ANCHOR / ROLE_AUDIENCE)');
  }
  const state = rooms.get(trtc);
  if (!state) throw optionError("switchTrtcRole(): enter the room with enterTrtcRoom() first");
  if (!state.withPrivateMapKey && options.privileges === undefined) {
    await trtc.switchRole(role);
    return;
  }
  const request = {
    ...state.room,
    privileges: options.privileges ?? ROLE_PRIVILEGES[role],
    ...(state.expireSeconds !== undefined ? { expireSeconds: state.expireSeconds } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    const key = await source.getPrivateMapKey(request);
    try {
      await trtc.switchRole(role, { privateMapKey: key.privateMapKey });
      return;
    } catch (error) {
      // One retry with a new key if TRTC refused this one (say, it expired on the server's clock).
      if (attempt > 1 || !isPrivateMapKeyRejected(error)) throw error;
      source.invalidatePrivateMapKey(key.privateMapKey);
    }
  }
}

class Session implements TrtcSession {
  readonly #trtc: TrtcLike;
  readonly #source: UserSigSource;
  readonly #options: EnterTrtcRoomOptions;
  readonly #room: { roomId: number } | { strRoomId: string };
  readonly #control: SessionControl;
  #sig: UserSigResult | undefined;
  #key: PrivateMapKeyResult | undefined;
  #reentering = false;

  constructor(
    trtc: TrtcLike,
    source: UserSigSource,
    options: EnterTrtcRoomOptions,
    room: { roomId: number } | { strRoomId: string },
  ) {
    this.#trtc = trtc;
    this.#source = source;
    this.#options = options;
    this.#room = room;
    this.#control = new SessionControl("enterTrtcRoom()", options);
  }

  get userId(): string {
    return this.#sig?.userId ?? "";
  }

  async start(): Promise<void> {
    this.#trtc.on(TRTC_EVENT.ERROR, this.#onError);
    this.#trtc.on(TRTC_EVENT.KICKED_OUT, this.#onKickedOut);
    try {
      await this.#enter("start");
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  stop(): void {
    if (this.#control.stopped) return;
    this.#control.stop();
    this.#trtc.off(TRTC_EVENT.ERROR, this.#onError);
    this.#trtc.off(TRTC_EVENT.KICKED_OUT, this.#onKickedOut);
  }

  readonly #onKickedOut = (event: { reason: TrtcKickReason }): void => {
    if (this.#control.stopped) return;
    // The SDK has left the room already. Re-entering would fight a second device or a moderator.
    emitTo(this.#options.onEvent, { type: "kicked-out", reason: String(event?.reason ?? "") });
    rooms.delete(this.#trtc);
    this.stop();
  };

  readonly #onError = (error: TrtcErrorLike): void => {
    if (this.#control.stopped) return;
    const refused = this.#refused(error);
    if (!refused) {
      emitTo(this.#options.onEvent, { type: "error", error });
      return;
    }
    if (this.#reentering) return;
    this.#reentering = true;
    this.#invalidate(refused);
    // The SDK gave up on the room: leave it cleanly, then enter with new credentials.
    this.#trtc
      .exitRoom()
      .catch(() => {})
      .then(() => this.#enter(refused === "usersig" ? "usersig-rejected" : "privatemapkey-rejected"))
      .catch((failure: unknown) => {
        if (failure instanceof StoppedError) return;
        emitTo(this.#options.onEvent, { type: "failed", error: failure });
        rooms.delete(this.#trtc);
        this.stop();
      })
      .finally(() => {
        this.#reentering = false;
      });
  };

  #refused(error: unknown): "usersig" | "privatemapkey" | undefined {
    if (this.#options.isUserSigRejected ? this.#options.isUserSigRejected(error) : isUserSigRejected(error)) {
      return "usersig";
    }
    return this.#key && isPrivateMapKeyRejected(error) ? "privatemapkey" : undefined;
  }

  #invalidate(what: "usersig" | "privatemapkey"): void {
    if (what === "usersig" && this.#sig) this.#source.invalidate(this.#sig.userSig);
    if (what === "privatemapkey" && this.#key) this.#source.invalidatePrivateMapKey(this.#key.privateMapKey);
  }

  async #enter(reason: "start" | "usersig-rejected" | "privatemapkey-rejected"): Promise<void> {
    const control = this.#control;
    const { role, privileges } = this.#options;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      control.assertRunning();
      if (!control.takeAttempt()) throw lastError ?? new Error("usersig-broker/client: enterTrtcRoom() gave up");
      let sig: UserSigResult;
      let key: PrivateMapKeyResult | undefined;
      try {
        sig = await this.#source.get();
        key =
          privileges === undefined
            ? undefined
            : await this.#source.getPrivateMapKey({
                ...this.#room,
                privileges: privileges === "role" ? ROLE_PRIVILEGES[role ?? "anchor"] : privileges,
                ...(this.#options.privateMapKeyExpireSeconds !== undefined
                  ? { expireSeconds: this.#options.privateMapKeyExpireSeconds }
                  : {}),
              });
      } catch (error) {
        lastError = error;
        await waitOutBrokerError(control, attempt, error, this.#options.onEvent);
        continue;
      }
      control.assertRunning();
      this.#sig = sig;
      this.#key = key;
      try {
        await this.#trtc.enterRoom({
          ...this.#options.enterParams,
          sdkAppId: sig.sdkAppId,
          userId: sig.userId,
          userSig: sig.userSig,
          ...this.#room,
          ...(role !== undefined ? { role } : {}),
          ...(key ? { privateMapKey: key.privateMapKey } : {}),
        } as TrtcEnterParams);
      } catch (error) {
        control.assertRunning();
        lastError = error;
        const refused = this.#refused(error);
        if (!refused) throw error;
        this.#invalidate(refused);
        const code = numericField(error, "extraCode");
        emitTo(this.#options.onEvent, {
          type: "retrying",
          reason: refused === "usersig" ? "usersig-rejected" : "privatemapkey-rejected",
          attempt,
          delayMs: 0,
          ...(code !== undefined ? { code } : {}),
        });
        continue;
      }
      control.assertRunning();
      control.succeeded();
      emitTo(this.#options.onEvent, { type: "entered", userId: sig.userId, reason, attempt });
      return;
    }
  }
}

function isServerError(error: unknown, extraCodes: readonly number[]): boolean {
  const extra = numericField(error, "extraCode");
  return numericField(error, "code") === TRTC_SERVER_ERROR && extra !== undefined && extraCodes.includes(extra);
}

/** The default test for "TRTC refused the UserSig". */
export function isUserSigRejected(error: unknown): boolean {
  return isServerError(error, TRTC_USERSIG_EXTRA_CODES);
}

function isPrivateMapKeyRejected(error: unknown): boolean {
  return isServerError(error, [TRTC_PRIVATE_MAP_KEY_EXTRA_CODE]);
}

function pickRoom(options: RoomSelector): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of ["roomId", "strRoomId", "roomID", "strRoomID", "room"]) {
    if (key in options) picked[key] = (options as Record<string, unknown>)[key];
  }
  return picked;
}

function assertTrtc(trtc: unknown, call: string): asserts trtc is TrtcLike {
  const t = trtc as Partial<TrtcLike> | null;
  if (typeof t !== "object" || t === null || typeof t.enterRoom !== "function" || typeof t.on !== "function") {
    throw new TypeError(
      `usersig-broker/client: ${call} needs the TRTC instance from TRTC.create() as its first argument`,
    );
  }
}
