/**
 * createUserSigSource(): a UserSig cache in the browser, shaped like livekit's TokenSource. It
 * fetches from the broker, shares one request among concurrent callers, refreshes in the background
 * ahead of expiry and tells the app (the "refresh" event) so it can hand the new UserSig to the SDK.
 * In guest mode it keeps the guest ticket (in memory, and in the app's storage if given) so renewals,
 * and page reloads with storage, keep the same UserID.
 *
 * Must never: import anything outside src/client (it ships to browsers with no dependencies), sign
 * anything, log, or put a token, ticket, UserSig or PrivateMapKey into an error or an event other
 * than the result it belongs to.
 *
 * Expiry is tracked on the local clock from the moment the successful request was sent plus the
 * lifetime the broker issued (`expireSeconds`), not from the broker's `expiresAt`, so a device whose
 * clock is off by minutes still refreshes on time.
 */

import { CLIENT_ERROR_CODES, closedError, UserSigBrokerError } from "./errors.js";
import { type HttpContext, invalidResponse, postJson } from "./http.js";
import { backoffDelayMs } from "./retry.js";
import type {
  FetchLike,
  GuestOptions,
  GuestTicketStorage,
  PrivateMapKeyRequest,
  PrivateMapKeyResult,
  PrivilegeName,
  Timers,
  UserSigResult,
  UserSigSource,
  UserSigSourceEvent,
  UserSigSourceEvents,
  UserSigSourceOptions,
} from "./types.js";

/** Default refresh margin: 300 s, or 10% of the lifetime when that is shorter. */
const DEFAULT_REFRESH_BEFORE_SECONDS = 300;
const DEFAULT_REFRESH_BEFORE_FRACTION = 0.1;
/** An explicit margin above half the lifetime would refresh almost continuously. */
const MAX_REFRESH_BEFORE_FRACTION = 0.5;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** setTimeout fires at once for delays above 2^31-1 ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** PrivateMapKeys cached per room and privileges; an app rarely holds more than a few. */
const MAX_CACHED_PRIVATE_MAP_KEYS = 32;

/** Must match Privilege in src/usersig/privilege.ts (test/client checks). */
export const PRIVILEGE_NAMES: readonly PrivilegeName[] = [
  "CreateRoom",
  "EnterRoom",
  "SendAudio",
  "RecvAudio",
  "SendVideo",
  "RecvVideo",
  "SendSubVideo",
  "RecvSubVideo",
  "All",
];

interface Cached<T> {
  value: T;
  /** Local ms after which get() fetches instead of answering from the cache. */
  freshUntilMs: number;
  /** Local ms at which the credential stops working. */
  expiresAtMs: number;
}

interface GuestTicket {
  ticket: string;
  /** Unix seconds, by the broker's clock. */
  expiresAt: number | undefined;
}

interface Config {
  usersigUrl: string;
  privateMapKeyUrl: string;
  sdkAppId: number | undefined;
  expireSeconds: number | undefined;
  getIdToken: (() => string | Promise<string>) | undefined;
  guest: GuestOptions | undefined;
  refreshBeforeSeconds: number | undefined;
  http: Omit<HttpContext, "closed">;
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
  readonly #maps = new Map<string, { cached?: Cached<PrivateMapKeyResult>; inflight?: Promise<PrivateMapKeyResult> }>();

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

  async getPrivateMapKey(request: PrivateMapKeyRequest): Promise<PrivateMapKeyResult> {
    this.#assertOpen();
    const room = readRoomRequest(request);
    const privileges = typeof room.privileges === "number" ? room.privileges : [...room.privileges].sort();
    const key = JSON.stringify([room.roomId ?? null, room.strRoomId ?? null, privileges, room.expireSeconds ?? null]);
    let entry = this.#maps.get(key);
    if (entry?.cached && this.#now() < entry.cached.freshUntilMs) return entry.cached.value;
    if (entry?.inflight) return entry.inflight;
    if (!entry) {
      entry = {};
      this.#maps.set(key, entry);
    }
    const slot = entry;
    const inflight = this.#fetchPrivateMapKey(room)
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
      const inflight = this.#fetchUserSig().finally(() => {
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
    if (this.#config.guest && typeof json["guestTicket"] === "string" && json["guestTicket"].length > 0) {
      const expiresAt = json["guestTicketExpiresAt"];
      await this.#saveTicket({
        ticket: json["guestTicket"],
        expiresAt: typeof expiresAt === "number" ? expiresAt : undefined,
      });
    }
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
      await storage.set(ticket ? JSON.stringify({ v: 1, ticket: ticket.ticket, expiresAt: ticket.expiresAt }) : null);
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

  #assertOpen(): void {
    if (this.#closer.signal.aborted) throw closedError();
  }

  #now(): number {
    return this.#config.http.now();
  }
}

// --- Options and answers, checked once -------------------------------------------------------------

function readOptions(options: UserSigSourceOptions): Config {
  if (typeof options !== "object" || options === null) throw optionError("options must be an object");
  const { endpoint } = options;
  if (typeof endpoint !== "string" || endpoint.trim() === "") throw optionError("endpoint must be the broker's URL");
  const guest = options.guest === true ? {} : options.guest === false ? undefined : options.guest;
  if (guest !== undefined && (typeof guest !== "object" || guest === null)) {
    throw optionError("guest must be true or an object");
  }
  if (options.getIdToken !== undefined && typeof options.getIdToken !== "function") {
    throw optionError("getIdToken must be a function");
  }
  if ((options.getIdToken === undefined) === (guest === undefined)) {
    throw optionError("give exactly one of getIdToken (signed-in users) and guest (guests)");
  }
  const base = endpoint.trim().replace(/\/+$/, "");
  const userFetch = options.fetch;
  // Called as plain functions: a browser's fetch/setTimeout called as a method of another object
  // throws "Illegal invocation".
  const fetchFn: FetchLike = userFetch
    ? (input, init) => userFetch(input, init)
    : (input, init) => globalThis.fetch(input, init);
  const timers: Timers = options.timers ?? {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  };
  return {
    usersigUrl: `${base}/v1/usersig`,
    privateMapKeyUrl: `${base}/v1/privatemapkey`,
    sdkAppId: optionalInteger(options.sdkAppId, "sdkAppId", 1),
    expireSeconds: optionalInteger(options.expireSeconds, "expireSeconds", 1),
    getIdToken: options.getIdToken,
    guest,
    refreshBeforeSeconds: optionalNumber(options.refreshBeforeSeconds, "refreshBeforeSeconds", 0),
    http: {
      fetch: fetchFn,
      now: options.now ?? (() => Date.now()),
      timers,
      random: options.random ?? Math.random,
      maxRetries: optionalInteger(options.maxRetries, "maxRetries", 0) ?? DEFAULT_MAX_RETRIES,
      maxRetryDelayMs: optionalNumber(options.maxRetryDelayMs, "maxRetryDelayMs", 0) ?? DEFAULT_MAX_RETRY_DELAY_MS,
      requestTimeoutMs: optionalNumber(options.requestTimeoutMs, "requestTimeoutMs", 1) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
  };
}

function optionalNumber(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw optionError(`${name} must be a number >= ${min}`);
  }
  return value;
}

function optionalInteger(value: unknown, name: string, min: number): number | undefined {
  const number = optionalNumber(value, name, min);
  if (number !== undefined && !Number.isInteger(number)) throw optionError(`${name} must be an integer`);
  return number;
}

function optionError(message: string): TypeError {
  return new TypeError(`usersig-broker/client: ${message}`);
}

interface RoomBody {
  roomId?: number;
  strRoomId?: string;
  privileges: number | PrivilegeName[];
  expireSeconds?: number;
}

function readRoomRequest(request: PrivateMapKeyRequest): RoomBody {
  if (typeof request !== "object" || request === null) throw optionError("getPrivateMapKey() needs a request object");
  const { roomId, strRoomId, privileges, expireSeconds } = request;
  if ((roomId === undefined) === (strRoomId === undefined)) {
    throw optionError("give exactly one of roomId and strRoomId");
  }
  if (roomId !== undefined && (!Number.isInteger(roomId) || roomId < 1 || roomId > 4_294_967_294)) {
    throw optionError("roomId must be an integer from 1 to 4294967294");
  }
  if (strRoomId !== undefined && (typeof strRoomId !== "string" || strRoomId === "")) {
    throw optionError("strRoomId must be a non-empty string");
  }
  let normalized: number | PrivilegeName[];
  if (typeof privileges === "number") {
    if (!Number.isInteger(privileges) || privileges < 1 || privileges > 255) {
      throw optionError("privileges must be a bitmap from 1 to 255 or a list of names");
    }
    normalized = privileges;
  } else if (Array.isArray(privileges) && privileges.length > 0) {
    for (const name of privileges) {
      if (!PRIVILEGE_NAMES.includes(name)) throw optionError(`unknown privilege "${String(name)}"`);
    }
    normalized = [...new Set(privileges as PrivilegeName[])];
  } else {
    throw optionError("privileges must be a bitmap from 1 to 255 or a non-empty list of names");
  }
  return {
    ...(roomId !== undefined ? { roomId } : { strRoomId: strRoomId as string }),
    privileges: normalized,
    ...(expireSeconds !== undefined ? { expireSeconds: optionalInteger(expireSeconds, "expireSeconds", 1) } : {}),
  };
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

function decodeTicket(raw: string | null | undefined): GuestTicket | undefined {
  if (typeof raw !== "string" || raw === "") return undefined;
  try {
    const value = JSON.parse(raw) as { ticket?: unknown; expiresAt?: unknown };
    if (typeof value?.ticket === "string" && value.ticket !== "") {
      return { ticket: value.ticket, expiresAt: typeof value.expiresAt === "number" ? value.expiresAt : undefined };
    }
  } catch {
    // Not ours: ignore it rather than send it.
  }
  return undefined;
}

function readUserSigAnswer(json: Record<string, unknown>): UserSigResult {
  const { sdkAppId, userId, userSig, expiresAt, expireSeconds } = json;
  if (
    !isPositiveInteger(sdkAppId) ||
    typeof userId !== "string" ||
    typeof userSig !== "string" ||
    userSig === "" ||
    !isPositiveInteger(expiresAt) ||
    !isPositiveInteger(expireSeconds)
  ) {
    throw invalidResponse("The broker's answer is not a UserSig response.");
  }
  return { sdkAppId, userId, userSig, expiresAt, expireSeconds };
}

function readPrivateMapKeyAnswer(json: Record<string, unknown>): PrivateMapKeyResult {
  const { sdkAppId, userId, privateMapKey, roomId, strRoomId, privileges, privilegeNames, expiresAt, expireSeconds } =
    json;
  if (
    !isPositiveInteger(sdkAppId) ||
    typeof userId !== "string" ||
    typeof privateMapKey !== "string" ||
    privateMapKey === "" ||
    !isPositiveInteger(privileges) ||
    !isPositiveInteger(expiresAt) ||
    !isPositiveInteger(expireSeconds) ||
    (roomId !== undefined && !isPositiveInteger(roomId)) ||
    (strRoomId !== undefined && typeof strRoomId !== "string")
  ) {
    throw invalidResponse("The broker's answer is not a PrivateMapKey response.");
  }
  return {
    sdkAppId,
    userId,
    privateMapKey,
    ...(roomId !== undefined ? { roomId } : {}),
    ...(strRoomId !== undefined ? { strRoomId } : {}),
    privileges,
    privilegeNames: Array.isArray(privilegeNames) ? privilegeNames.filter((n) => typeof n === "string") : [],
    expiresAt,
    expireSeconds,
  };
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
