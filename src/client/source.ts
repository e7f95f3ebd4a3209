/**
 * createUserSigSource(): a UserSig cache in the browser, shaped like livekit's TokenSource. It
 * fetches from the broker, shares one request among concurrent callers, refreshes in the background
 * ahead of expiry and tells the app (the "refresh" event) so it can hand the new UserSig to the SDK.
 * In guest mode it keeps the guest ticket (in memory, and in the app's storage if given) so renewals,
 * and page reloads with storage, keep the same UserID. invalidate() / invalidatePrivateMapKey() drop a
 * credential the SDK refused; the refetches that follow are spaced out (InvalidationBackoff). The
 * parsing of options and answers lives in options.ts and answers.ts.
 *
 * Must never: import anything outside src/client (it ships to browsers with no dependencies), sign
 * anything, log, or put a token, ticket, UserSig or PrivateMapKey into an error or an event other
 * than the result it belongs to.
 *
 * Expiry is tracked on the local clock from the moment the successful request was sent plus the
 * lifetime the broker issued (`expireSeconds`), not from the broker's `expiresAt`, so a device whose
 * clock is off by minutes still refreshes on time.
 */

import {
  decodeTicket,
  encodeTicket,
  type GuestTicket,
  readGuestTicket,
  readPrivateMapKeyAnswer,
  readUserSigAnswer,
} from "./answers.js";
import { CLIENT_ERROR_CODES, closedError, UserSigBrokerError } from "./errors.js";
import { type HttpContext, postJson, sleep } from "./http.js";
import { type Config, type RoomBody, readOptions, readRoomRequest } from "./options.js";
import { backoffDelayMs } from "./retry.js";
import type {
  GuestTicketStorage,
  PrivateMapKeyRequest,
  PrivateMapKeyResult,
  UserSigResult,
  UserSigSource,
  UserSigSourceEvent,
  UserSigSourceEvents,
  UserSigSourceOptions,
} from "./types.js";

export { PRIVILEGE_NAMES } from "./options.js";

/** Default refresh margin: 300 s, or 10% of the lifetime when that is shorter. */
const DEFAULT_REFRESH_BEFORE_SECONDS = 300;
const DEFAULT_REFRESH_BEFORE_FRACTION = 0.1;
/** An explicit margin above half the lifetime would refresh almost continuously. */
const MAX_REFRESH_BEFORE_FRACTION = 0.5;
/** setTimeout fires at once for delays above 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** PrivateMapKeys cached per room and privileges; an app rarely holds more than a few. */
const MAX_CACHED_PRIVATE_MAP_KEYS = 32;
/** Invalidations further apart than this (or twice the retry cap, if longer) start a new streak. */
const INVALIDATION_STREAK_RESET_MS = 60_000;

interface Cached<T> {
  value: T;
  /** Local ms after which get() fetches instead of answering from the cache. */
  freshUntilMs: number;
  /** Local ms at which the credential stops working. */
  expiresAtMs: number;
}

/**
 * Spaces out the fetches that follow invalidations: the first is immediate, each further one in a
 * streak waits a jittered, doubling delay, so an SDK that keeps rejecting fresh credentials cannot
 * make the app hammer the broker.
 */
class InvalidationBackoff {
  #streak = 0;
  #lastMs = Number.NEGATIVE_INFINITY;
  /** Local ms before which the next fetch must not be sent. */
  notBeforeMs = 0;

  note(nowMs: number, http: Config["http"]): void {
    const resetMs = Math.max(INVALIDATION_STREAK_RESET_MS, 2 * http.maxRetryDelayMs);
    if (nowMs - this.#lastMs > resetMs) this.#streak = 0;
    this.#lastMs = nowMs;
    const delayMs = this.#streak === 0 ? 0 : backoffDelayMs(this.#streak - 1, http.maxRetryDelayMs, http.random);
    this.#streak++;
    this.notBeforeMs = nowMs + delayMs;
  }
}

interface MapEntry {
  /** The room and privileges (without the lifetime): what invalidatePrivateMapKey() matches. */
  room: string;
  cached?: Cached<PrivateMapKeyResult>;
  inflight?: Promise<PrivateMapKeyResult>;
  backoff?: InvalidationBackoff;
}

export function createUserSigSource(options: UserSigSourceOptions): UserSigSource {
  return new Source(readOptions(options));
}

class Source implements UserSigSource {
  readonly #config: Config;
  readonly #closer = new AbortController();
  readonly #http: HttpContext;
  readonly #listeners: { [E in UserSigSourceEvent]: Set<(value: UserSigSourceEvents[E]) => void> } = {
    refresh: new Set(),
    error: new Set(),
  };
  #cached: Cached<UserSigResult> | undefined;
  #inflight: Promise<UserSigResult> | undefined;
  #timer: { handle: unknown } | undefined;
  #backgroundFailures = 0;
  #ticket: GuestTicket | undefined;
  #ticketLoaded: Promise<void> | undefined;
  readonly #backoff = new InvalidationBackoff();
  readonly #maps = new Map<string, MapEntry>();

  constructor(config: Config) {
    this.#config = config;
    this.#http = { ...config.http, closed: this.#closer.signal };
  }

  async get(): Promise<UserSigResult> {
    this.#assertOpen();
    const cached = this.#cached;
    if (cached && this.#now() < cached.freshUntilMs) return cached.value;
    return this.#fetchShared();
  }

  invalidate(userSig?: string): void {
    if (this.#closer.signal.aborted) return;
    const cached = this.#cached;
    // Another caller already replaced the rejected UserSig: the cached one is new, keep it.
    if (userSig !== undefined && cached?.value.userSig !== userSig) return;
    if (cached) {
      cached.freshUntilMs = Number.NEGATIVE_INFINITY;
      this.#clearTimer();
    }
    this.#backoff.note(this.#now(), this.#config.http);
  }

  async getPrivateMapKey(request: PrivateMapKeyRequest): Promise<PrivateMapKeyResult> {
    this.#assertOpen();
    const room = readRoomRequest(request);
    const roomKey = roomKeyOf(room);
    const key = JSON.stringify([roomKey, room.expireSeconds ?? null]);
    let entry = this.#maps.get(key);
    if (entry?.cached && this.#now() < entry.cached.freshUntilMs) return entry.cached.value;
    if (entry?.inflight) return entry.inflight;
    if (!entry) {
      entry = { room: roomKey };
      this.#maps.set(key, entry);
    }
    const slot = entry;
    const inflight = this.#waitUntil(slot.backoff?.notBeforeMs ?? 0)
      .then(() => this.#fetchPrivateMapKey(room))
      .then(({ value, sentAtMs }) => {
        if (!this.#closer.signal.aborted) {
          slot.cached = this.#cachedFor(value, sentAtMs);
          this.#pruneMaps();
        }
        return value;
      })
      .finally(() => {
        if (slot.inflight === inflight) delete slot.inflight;
      });
    slot.inflight = inflight;
    return inflight;
  }

  invalidatePrivateMapKey(request?: PrivateMapKeyRequest | string): void {
    if (this.#closer.signal.aborted) return;
    const room =
      typeof request === "object" ? roomKeyOf(readRoomRequest(request, "invalidatePrivateMapKey()")) : undefined;
    const now = this.#now();
    for (const entry of this.#maps.values()) {
      if (room !== undefined && entry.room !== room) continue;
      const cached = entry.cached;
      if (typeof request === "string" && cached?.value.privateMapKey !== request) continue;
      if (cached) cached.freshUntilMs = Number.NEGATIVE_INFINITY;
      entry.backoff ??= new InvalidationBackoff();
      entry.backoff.note(now, this.#config.http);
    }
  }

  on<E extends UserSigSourceEvent>(event: E, listener: (value: UserSigSourceEvents[E]) => void): () => void {
    this.#listenersFor(event).add(listener);
    return () => this.off(event, listener);
  }

  off<E extends UserSigSourceEvent>(event: E, listener: (value: UserSigSourceEvents[E]) => void): void {
    this.#listenersFor(event).delete(listener);
  }

  close(): void {
    if (this.#closer.signal.aborted) return;
    this.#clearTimer();
    this.#closer.abort();
    this.#listeners.refresh.clear();
    this.#listeners.error.clear();
  }

  // --- UserSig: one request at a time, cached, refreshed ahead of expiry -------------------------

  #fetchShared(): Promise<UserSigResult> {
    if (!this.#inflight) {
      const inflight = this.#waitUntil(this.#backoff.notBeforeMs)
        .then(() => this.#fetchUserSig())
        .finally(() => {
          if (this.#inflight === inflight) this.#inflight = undefined;
        });
      this.#inflight = inflight;
    }
    return this.#inflight;
  }

  async #fetchUserSig(): Promise<UserSigResult> {
    const ticket = this.#config.guest ? await this.#loadTicket() : undefined;
    try {
      return await this.#requestUserSig(ticket);
    } catch (error) {
      // A ticket past its lifetime (or from another deployment's key) is refused with 401: the
      // identity cannot be renewed any more, so continue as a new guest. `refresh` carries the new
      // userId, and the app sees it changed.
      if (ticket && error instanceof UserSigBrokerError && error.status === 401) {
        await this.#saveTicket(undefined);
        return this.#requestUserSig(undefined);
      }
      throw error;
    }
  }

  async #requestUserSig(ticket: GuestTicket | undefined): Promise<UserSigResult> {
    const { json, sentAtMs } = await postJson(this.#http, this.#config.usersigUrl, async () => {
      const body: Record<string, unknown> = this.#commonBody();
      if (this.#config.expireSeconds !== undefined) body["expireSeconds"] = this.#config.expireSeconds;
      if (ticket) body["guestTicket"] = ticket.ticket;
      else if (this.#config.guest?.getTurnstileToken) {
        body["turnstileToken"] = await callTokenHook(
          this.#config.guest.getTurnstileToken,
          CLIENT_ERROR_CODES.TURNSTILE_TOKEN_ERROR,
          "getTurnstileToken()",
        );
      }
      return { body, headers: await this.#authHeaders() };
    });
    const result = readUserSigAnswer(json);
    const newTicket = this.#config.guest ? readGuestTicket(json) : undefined;
    if (newTicket) await this.#saveTicket(newTicket);
    this.#assertOpen();
    this.#store(result, sentAtMs);
    return result;
  }

  #store(result: UserSigResult, sentAtMs: number): void {
    const previous = this.#cached;
    this.#cached = this.#cachedFor(result, sentAtMs);
    this.#backgroundFailures = 0;
    // PrivateMapKeys belong to a UserID: a new guest identity cannot use the old one's.
    if (previous && previous.value.userId !== result.userId) this.#maps.clear();
    this.#schedule(this.#cached.freshUntilMs);
    if (previous) this.#emit("refresh", result);
  }

  #cachedFor<T extends { expireSeconds: number }>(value: T, sentAtMs: number): Cached<T> {
    const expiresAtMs = sentAtMs + value.expireSeconds * 1000;
    return { value, expiresAtMs, freshUntilMs: expiresAtMs - this.#refreshBeforeMs(value.expireSeconds) };
  }

  #refreshBeforeMs(lifetimeSeconds: number): number {
    const explicit = this.#config.refreshBeforeSeconds;
    const seconds =
      explicit === undefined
        ? Math.min(DEFAULT_REFRESH_BEFORE_SECONDS, lifetimeSeconds * DEFAULT_REFRESH_BEFORE_FRACTION)
        : Math.min(explicit, lifetimeSeconds * MAX_REFRESH_BEFORE_FRACTION);
    return seconds * 1000;
  }

  #schedule(atMs: number): void {
    this.#clearTimer();
    if (this.#closer.signal.aborted) return;
    const delayMs = Math.min(Math.max(0, atMs - this.#now()), MAX_TIMER_DELAY_MS);
    const timer = {
      handle: this.#config.http.timers.setTimeout(() => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#onTimer(atMs);
      }, delayMs),
    };
    this.#timer = timer;
  }

  #clearTimer(): void {
    if (this.#timer) this.#config.http.timers.clearTimeout(this.#timer.handle);
    this.#timer = undefined;
  }

  #onTimer(atMs: number): void {
    if (this.#closer.signal.aborted) return;
    // A long wait is chained in steps (and a throttled tab may wake early or late): check the clock.
    if (this.#now() < atMs) {
      this.#schedule(atMs);
      return;
    }
    this.#fetchShared().catch((error: unknown) => this.#onBackgroundFailure(error));
  }

  #onBackgroundFailure(error: unknown): void {
    if (this.#closer.signal.aborted) return;
    const failure =
      error instanceof UserSigBrokerError
        ? error
        : new UserSigBrokerError({ status: 0, code: "UNEXPECTED", detail: "The refresh failed.", cause: error });
    this.#emit("error", failure);
    const cached = this.#cached;
    if (!cached) return;
    const attempt = this.#backgroundFailures++;
    const delayMs =
      failure.retryAfterSeconds !== undefined
        ? failure.retryAfterSeconds * 1000
        : backoffDelayMs(attempt, this.#config.http.maxRetryDelayMs, this.#config.http.random);
    const atMs = this.#now() + delayMs;
    // Retrying after the UserSig expired helps nobody in the background: the next get() fetches.
    if (atMs < cached.expiresAtMs) this.#schedule(atMs);
  }

  // --- PrivateMapKey ------------------------------------------------------------------------------

  async #fetchPrivateMapKey(room: RoomBody): Promise<{ value: PrivateMapKeyResult; sentAtMs: number }> {
    if (!this.#config.guest) return this.#requestPrivateMapKey(room, undefined);
    // A guest needs a ticket here, and gets one with its first UserSig.
    let ticket = await this.#loadTicket();
    if (!ticket) {
      await this.#fetchShared();
      ticket = await this.#loadTicket();
    }
    try {
      return await this.#requestPrivateMapKey(room, ticket);
    } catch (error) {
      if (!(ticket && error instanceof UserSigBrokerError && error.status === 401)) throw error;
      await this.#saveTicket(undefined);
      await this.#fetchShared();
      return this.#requestPrivateMapKey(room, await this.#loadTicket());
    }
  }

  async #requestPrivateMapKey(room: RoomBody, ticket: GuestTicket | undefined) {
    const { json, sentAtMs } = await postJson(this.#http, this.#config.privateMapKeyUrl, async () => {
      // The source's expireSeconds is the UserSig's; a PrivateMapKey's lifetime is its request's.
      const body: Record<string, unknown> = { ...this.#commonBody(), ...room };
      if (ticket) body["guestTicket"] = ticket.ticket;
      return { body, headers: await this.#authHeaders() };
    });
    this.#assertOpen();
    return { value: readPrivateMapKeyAnswer(json), sentAtMs };
  }

  #pruneMaps(): void {
    const now = this.#now();
    for (const [key, entry] of this.#maps) {
      if (entry.cached && entry.cached.expiresAtMs <= now && !entry.inflight) this.#maps.delete(key);
    }
    // Map iteration is insertion order: drop the oldest rooms first.
    for (const [key, entry] of this.#maps) {
      if (this.#maps.size <= MAX_CACHED_PRIVATE_MAP_KEYS) break;
      if (!entry.inflight) this.#maps.delete(key);
    }
  }

  // --- Shared pieces ------------------------------------------------------------------------------

  #commonBody(): Record<string, unknown> {
    return this.#config.sdkAppId !== undefined ? { sdkAppId: this.#config.sdkAppId } : {};
  }

  async #authHeaders(): Promise<Record<string, string>> {
    const getIdToken = this.#config.getIdToken;
    if (!getIdToken) return {};
    const token = await callTokenHook(getIdToken, CLIENT_ERROR_CODES.ID_TOKEN_ERROR, "getIdToken()");
    return { Authorization: `Bearer ${token}` };
  }

  async #loadTicket(): Promise<GuestTicket | undefined> {
    this.#ticketLoaded ??= this.#readStoredTicket();
    await this.#ticketLoaded;
    const ticket = this.#ticket;
    if (ticket?.expiresAt !== undefined && this.#now() / 1000 >= ticket.expiresAt) {
      await this.#saveTicket(undefined);
      return undefined;
    }
    return ticket;
  }

  async #readStoredTicket(): Promise<void> {
    const storage = this.#config.guest?.storage;
    if (!storage) return;
    try {
      const decoded = decodeTicket(await storage.get());
      // A ticket from a response that arrived meanwhile is newer than the stored one.
      if (this.#ticket === undefined) this.#ticket = decoded;
    } catch {
      // Storage is best effort (private mode, quota, a blocked origin): go on without it.
    }
  }

  async #saveTicket(ticket: GuestTicket | undefined): Promise<void> {
    const previous = this.#ticket;
    this.#ticket = ticket;
    const storage: GuestTicketStorage | undefined = this.#config.guest?.storage;
    if (!storage || previous?.ticket === ticket?.ticket) return;
    try {
      await storage.set(ticket ? encodeTicket(ticket) : null);
    } catch {
      // Best effort, as above.
    }
  }

  #emit<E extends UserSigSourceEvent>(event: E, value: UserSigSourceEvents[E]): void {
    for (const listener of [...this.#listenersFor(event)]) {
      try {
        listener(value);
      } catch (error) {
        // One broken listener must not stop the others or the refresh loop; report it like the
        // browser reports any uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #listenersFor<E extends UserSigSourceEvent>(event: E): Set<(value: UserSigSourceEvents[E]) => void> {
    const set = (this.#listeners as Record<string, Set<(value: UserSigSourceEvents[E]) => void>>)[event];
    if (!set) throw new TypeError(`usersig-broker/client: unknown event "${String(event)}"`);
    return set;
  }

  /** Waits (abortably, by close()) until the local clock reaches `atMs`. */
  async #waitUntil(atMs: number): Promise<void> {
    const delayMs = atMs - this.#now();
    if (delayMs > 0) await sleep(this.#http, delayMs);
  }

  #assertOpen(): void {
    if (this.#closer.signal.aborted) throw closedError();
  }

  #now(): number {
    return this.#config.http.now();
  }
}

async function callTokenHook(hook: () => string | Promise<string>, code: string, name: string): Promise<string> {
  let token: unknown;
  try {
    token = await hook();
  } catch (cause) {
    throw new UserSigBrokerError({ status: 0, code, detail: `${name} failed.`, cause });
  }
  if (typeof token !== "string" || token === "") {
    throw new UserSigBrokerError({ status: 0, code, detail: `${name} returned no token.` });
  }
  return token;
}

/** A room and its privileges, independent of the order the names were given in. */
function roomKeyOf(room: RoomBody): string {
  const privileges = typeof room.privileges === "number" ? room.privileges : [...room.privileges].sort();
  return JSON.stringify([room.roomId ?? null, room.strRoomId ?? null, privileges]);
}
