/**
 * The public shapes of usersig-broker/client. They mirror the broker's JSON (src/http/schemas.ts)
 * by hand, because the client must not import the server code; test/client checks the two agree.
 */

import type { UserSigBrokerError } from "./errors.js";

/** What get() resolves to: hand `sdkAppId`, `userId` and `userSig` to the TRTC or Chat SDK. */
export interface UserSigResult {
  sdkAppId: number;
  userId: string;
  /** A bearer credential for `userId`: never log it. */
  userSig: string;
  /** Unix seconds, by the broker's clock. */
  expiresAt: number;
  /** The lifetime actually issued, in seconds. */
  expireSeconds: number;
}

/** TRTC's privilege names (the bits of a PrivateMapKey); `All` is every bit. */
export type PrivilegeName =
  | "CreateRoom"
  | "EnterRoom"
  | "SendAudio"
  | "RecvAudio"
  | "SendVideo"
  | "RecvVideo"
  | "SendSubVideo"
  | "RecvSubVideo"
  | "All";

export type RoomSelector = { roomId: number; strRoomId?: never } | { strRoomId: string; roomId?: never };

export type PrivateMapKeyRequest = RoomSelector & {
  /** A bitmap 1..255, or names such as ["EnterRoom", "RecvAudio"]. */
  privileges: number | readonly PrivilegeName[];
  /** Requested lifetime; the broker clamps it to the app's maximum. */
  expireSeconds?: number;
};

export interface PrivateMapKeyResult {
  sdkAppId: number;
  userId: string;
  /** Pass as `privateMapKey` to trtc.enterRoom(); never log it. */
  privateMapKey: string;
  roomId?: number;
  strRoomId?: string;
  privileges: number;
  privilegeNames: string[];
  /** Unix seconds, by the broker's clock. */
  expiresAt: number;
  expireSeconds: number;
}

/**
 * Where a guest's ticket survives a page reload, e.g. over sessionStorage or localStorage. The value
 * is opaque to the app; `null` means "forget it". Failures are ignored (storage is best effort).
 */
export interface GuestTicketStorage {
  get(): string | null | undefined | Promise<string | null | undefined>;
  set(value: string | null): void | Promise<void>;
}

export interface GuestOptions {
  /** Called for a new guest (no ticket yet) when the app requires Cloudflare Turnstile. */
  getTurnstileToken?: () => string | Promise<string>;
  /** Keeps the guest ticket across page reloads, so the guest keeps the same UserID. */
  storage?: GuestTicketStorage;
}

/** The clock's timer half; inject a fake one in tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface UserSigSourceOptions {
  /** The broker's base URL, e.g. "https://sig.example.com" (a path prefix is kept). */
  endpoint: string;
  /** The Tencent SDKAppID; may be omitted when the broker serves one app. */
  sdkAppId?: number;
  /** IdP mode: returns the signed-in user's ID token; called for every HTTP request. */
  getIdToken?: () => string | Promise<string>;
  /** Guest mode: the broker chooses the UserID and returns a ticket that renews it. */
  guest?: boolean | GuestOptions;
  /** Requested UserSig lifetime in seconds; the broker clamps it. */
  expireSeconds?: number;
  /**
   * How long before expiry to refresh. Default: 300 s, or 10% of the lifetime when that is shorter.
   * A value above half the lifetime is treated as half.
   */
  refreshBeforeSeconds?: number;
  /** Retries after the first attempt of one request (429, 502-504, network errors, timeouts). Default 3. */
  maxRetries?: number;
  /** The longest the client waits in line before a retry. Default 30 000 ms. */
  maxRetryDelayMs?: number;
  /** Per HTTP attempt. Default 15 000 ms. */
  requestTimeoutMs?: number;
  /** Default: globalThis.fetch. */
  fetch?: FetchLike;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
  /** Default: globalThis.setTimeout/clearTimeout. */
  timers?: Timers;
  /** [0, 1) for backoff jitter. Default: Math.random. */
  random?: () => number;
}

export interface UserSigSourceEvents {
  /** A cached UserSig was replaced by a new one (not fired for the first). Hand it to the SDK. */
  refresh: UserSigResult;
  /** A background refresh failed; the source retries with backoff until the cached UserSig expires. */
  error: UserSigBrokerError;
}

export type UserSigSourceEvent = keyof UserSigSourceEvents;

export interface UserSigSource {
  /** A UserSig valid for at least the refresh margin: cached, or fetched (one request for all callers). */
  get(): Promise<UserSigResult>;
  /**
   * Drops the cached UserSig (say, because the SDK rejected it), so the next get() fetches a new one.
   * Pass the rejected UserSig to drop it only if it is still the cached one: when two SDKs report the
   * same rejected UserSig, one new UserSig is fetched, not two. Repeated invalidations are spaced
   * out: the first refetch is immediate, each further one within a minute waits a growing,
   * jittered delay (capped by maxRetryDelayMs). The next get() shares one request as usual.
   */
  invalidate(userSig?: string): void;
  /**
   * A PrivateMapKey for one room, for the same identity as get(); cached and de-duplicated per room,
   * privileges and lifetime, and fetched again once less than the refresh margin is left.
   */
  getPrivateMapKey(request: PrivateMapKeyRequest): Promise<PrivateMapKeyResult>;
  /**
   * Drops cached PrivateMapKeys so the next getPrivateMapKey() fetches: those of one room and
   * privileges (a request), the one equal to a rejected key (a string), or all (no argument).
   * Spaced out like invalidate().
   */
  invalidatePrivateMapKey(request?: PrivateMapKeyRequest | string): void;
  /** Subscribes; returns the function that unsubscribes. */
  on<E extends UserSigSourceEvent>(event: E, listener: (value: UserSigSourceEvents[E]) => void): () => void;
  off<E extends UserSigSourceEvent>(event: E, listener: (value: UserSigSourceEvents[E]) => void): void;
  /** Stops the refresh timer, aborts requests in flight and rejects later calls with CLOSED. */
  close(): void;
}
