/**
 * usersig-broker/client/chat: logs a Tencent Chat SDK instance (`@tencentcloud/chat`) in with the
 * source's UserSig and logs it in again when the UserSig expires or is refused. It takes the SDK
 * instance and never imports the SDK: ChatLike below is the part of `ChatSDK` it calls, and
 * test/client/sdk-types.test.ts checks the real typings against it (and the constants below against
 * the SDK's enums), so a rename in the SDK fails the type check.
 *
 * What it does, per the Chat SDK's typings (index.d.ts of @tencentcloud/chat 3.6.6) and Tencent's
 * account error codes (https://cloud.tencent.com/document/product/679/131708):
 * - login() rejected with 70001 (UserSig expired), 70003 (UserSig malformed) or 70009 (signature does
 *   not verify): invalidate that UserSig, log in again with a new one (bounded, spaced out).
 * - KICKED_OUT with type KICKED_OUT_USERSIG_EXPIRED: the same.
 * - KICKED_OUT for any other reason (another device or page with the same UserID, a REST API kick
 *   such as the broker's moderation): report "kicked-out" and stop; never log in again by itself.
 * - The broker unreachable: wait with backoff and try again, within the attempt budget.
 *
 * Must never: log, or put a UserSig into an event or an error.
 */

import {
  assertSource,
  emitTo,
  numericField,
  SessionControl,
  type SessionOptions,
  StoppedError,
  waitOutBrokerError,
} from "./session.js";
import type { UserSigResult, UserSigSource } from "./types.js";

/** TencentCloudChat.EVENT.KICKED_OUT's value. */
export const CHAT_EVENT_KICKED_OUT = "kickedOut";

/** TencentCloudChat.TYPES.KICKED_OUT_*: why the SDK logged the user out. */
export const CHAT_KICKED_OUT_TYPES = {
  USERSIG_EXPIRED: "userSigExpired",
  MULT_ACCOUNT: "multipleAccount",
  MULT_DEVICE: "multipleDevice",
  REST_API: "REST_API_Kick",
} as const;

/** Chat account errors at login that a new UserSig can fix. */
export const CHAT_USERSIG_ERROR_CODES: readonly number[] = [70001, 70003, 70009];

/** Chat account errors at login that say the UserSig is for another user or app: a config mistake. */
const CHAT_IDENTITY_MISMATCH: Record<number, string> = {
  70013: "the UserSig's UserID is not the one logging in",
  70014:
    "the UserSig was issued for another SDKAppID: create the Chat instance with the sdkAppId from source.get() (TencentCloudChat.create({ SDKAppID: sdkAppId }))",
};

/** The calls loginChat() makes; the real `ChatSDK` of @tencentcloud/chat has all of them. */
export interface ChatLike {
  login(options: { userID: string; userSig: string }): Promise<unknown>;
  on(eventName: string, handler: (event: ChatKickedOutEvent) => void): void;
  off(eventName: string, handler: (event: ChatKickedOutEvent) => void): void;
}

/** The payload of TencentCloudChat.EVENT.KICKED_OUT. */
export interface ChatKickedOutEvent {
  name?: string;
  data?: { type?: string };
}

export type ChatLoginReason = "start" | "usersig-expired" | "usersig-rejected";

export type ChatSessionEvent =
  /** Logged in: first (`start`), or again after the UserSig expired or was refused. */
  | { type: "logged-in"; userId: string; reason: ChatLoginReason; attempt: number }
  /** An attempt failed and another follows after `delayMs` (0: the source spaces out the new UserSig). */
  | {
      type: "retrying";
      reason: "usersig-expired" | "usersig-rejected" | "broker-unavailable";
      attempt: number;
      delayMs: number;
      code?: number | string;
    }
  /** chat.login() did not settle within `loginTimeoutMs` (Tencent unreachable?): that login fails with ChatLoginTimeoutError. */
  | { type: "login-timeout"; attempt: number; timeoutMs: number }
  /** The SDK logged the user out for a reason other than expiry (see CHAT_KICKED_OUT_TYPES). Not retried. */
  | { type: "kicked-out"; kickType: string }
  /** Gave up: the error is the SDK's or the broker's (a UserSigBrokerError). The session is stopped. */
  | { type: "failed"; error: unknown };

/** How long one chat.login() may take before it counts as failed. */
export const DEFAULT_LOGIN_TIMEOUT_MS = 20_000;

/**
 * chat.login() did not settle in time. Not retried: the SDK may still be connecting, and a second
 * login() on top of a pending one is not what its guide describes. The first loginChat() rejects
 * with it; a re-login reports it as `failed`.
 */
export class ChatLoginTimeoutError extends Error {
  override readonly name = "ChatLoginTimeoutError";
  readonly code = "CHAT_LOGIN_TIMEOUT";
  constructor(readonly timeoutMs: number) {
    super(`usersig-broker/client: chat.login() did not settle within ${timeoutMs} ms (is Tencent reachable?)`);
  }
}

export interface LoginChatOptions extends SessionOptions {
  onEvent?: (event: ChatSessionEvent) => void;
  /** How long one chat.login() may take (default DEFAULT_LOGIN_TIMEOUT_MS, 20 s); then `login-timeout`. */
  loginTimeoutMs?: number;
  /** Overrides which login errors mean "get a new UserSig and try again" (default: CHAT_USERSIG_ERROR_CODES). */
  isUserSigRejected?: (error: unknown) => boolean;
}

export interface ChatSession {
  /** The UserID logged in (a guest's may change if its ticket expired; see `logged-in`). */
  readonly userId: string;
  /** Stops listening and retrying. Does not log out: call chat.logout() for that. */
  stop(): void;
}

/**
 * Logs `chat` in with a UserSig from `source` and keeps it logged in across UserSig expiry.
 * Resolves once logged in; rejects with the SDK's or the broker's error if the first login fails
 * (after retries for a refused UserSig or an unreachable broker).
 */
export async function loginChat(
  chat: ChatLike,
  source: UserSigSource,
  options: LoginChatOptions = {},
): Promise<ChatSession> {
  const c = chat as Partial<ChatLike> | null;
  if (typeof c !== "object" || c === null || typeof c.login !== "function" || typeof c.on !== "function") {
    throw new TypeError(
      "usersig-broker/client: loginChat() needs the Chat SDK instance from TencentCloudChat.create({ SDKAppID }) as its first argument",
    );
  }
  assertSource(source, "loginChat()");
  const session = new Session(chat, source, options);
  await session.start();
  return session;
}

class Session implements ChatSession {
  readonly #chat: ChatLike;
  readonly #source: UserSigSource;
  readonly #options: LoginChatOptions;
  readonly #control: SessionControl;
  #current: UserSigResult | undefined;
  #relogging = false;

  readonly #loginTimeoutMs: number;

  constructor(chat: ChatLike, source: UserSigSource, options: LoginChatOptions) {
    this.#chat = chat;
    this.#source = source;
    this.#options = options;
    this.#control = new SessionControl("loginChat()", options);
    const timeoutMs = options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new TypeError(
        "usersig-broker/client: loginChat(): loginTimeoutMs must be a positive integer (milliseconds)",
      );
    }
    this.#loginTimeoutMs = timeoutMs;
  }

  get userId(): string {
    return this.#current?.userId ?? "";
  }

  async start(): Promise<void> {
    // Listen before logging in: the SDK's guide asks for it, so that no event is missed.
    this.#chat.on(CHAT_EVENT_KICKED_OUT, this.#onKickedOut);
    try {
      await this.#login("start");
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  stop(): void {
    if (this.#control.stopped) return;
    this.#control.stop();
    this.#chat.off(CHAT_EVENT_KICKED_OUT, this.#onKickedOut);
  }

  readonly #onKickedOut = (event: ChatKickedOutEvent): void => {
    if (this.#control.stopped) return;
    const kickType = String(event?.data?.type ?? "");
    if (kickType !== CHAT_KICKED_OUT_TYPES.USERSIG_EXPIRED) {
      // Another device or page took over, or a REST API kick (moderation): logging in again would
      // only kick the other one, or be kicked again. The app decides.
      emitTo(this.#options.onEvent, { type: "kicked-out", kickType });
      this.stop();
      return;
    }
    if (this.#relogging) return;
    if (this.#current) this.#source.invalidate(this.#current.userSig);
    this.#relogging = true;
    this.#login("usersig-expired")
      .catch((error: unknown) => {
        if (error instanceof StoppedError) return;
        emitTo(this.#options.onEvent, { type: "failed", error });
        this.stop();
      })
      .finally(() => {
        this.#relogging = false;
      });
  };

  async #login(reason: ChatLoginReason): Promise<void> {
    const control = this.#control;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      control.assertRunning();
      if (!control.takeAttempt()) throw lastError ?? new Error("usersig-broker/client: loginChat() gave up");
      let sig: UserSigResult;
      try {
        sig = await this.#source.get();
      } catch (error) {
        lastError = error;
        await waitOutBrokerError(control, attempt, error, this.#options.onEvent);
        continue;
      }
      control.assertRunning();
      try {
        await control.within(
          this.#chat.login({ userID: sig.userId, userSig: sig.userSig }),
          this.#loginTimeoutMs,
          () => {
            if (control.stopped) return new StoppedError("loginChat()");
            emitTo(this.#options.onEvent, { type: "login-timeout", attempt, timeoutMs: this.#loginTimeoutMs });
            return new ChatLoginTimeoutError(this.#loginTimeoutMs);
          },
        );
      } catch (error) {
        control.assertRunning();
        if (error instanceof ChatLoginTimeoutError) throw error;
        lastError = error;
        const code = numericField(error, "code");
        const mismatch = code === undefined ? undefined : CHAT_IDENTITY_MISMATCH[code];
        if (mismatch) {
          throw new TypeError(`usersig-broker/client: Chat refused the login (${code}): ${mismatch}`, { cause: error });
        }
        const rejected = this.#options.isUserSigRejected
          ? this.#options.isUserSigRejected(error)
          : code !== undefined && CHAT_USERSIG_ERROR_CODES.includes(code);
        if (!rejected) throw error;
        this.#source.invalidate(sig.userSig);
        emitTo(this.#options.onEvent, {
          type: "retrying",
          reason: code === 70001 ? "usersig-expired" : "usersig-rejected",
          attempt,
          delayMs: 0,
          ...(code !== undefined ? { code } : {}),
        });
        continue;
      }
      control.assertRunning();
      this.#current = sig;
      control.succeeded();
      emitTo(this.#options.onEvent, { type: "logged-in", userId: sig.userId, reason, attempt });
      return;
    }
  }
}
