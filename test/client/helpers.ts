// Test doubles for the browser client: a fake clock (now + timers) that the test advances, and a
// scripted fetch that records each request and answers from a list. Runtime-agnostic (no node:*),
// so these tests run under plain Node and inside workerd alike.
import {
  createUserSigSource,
  type FetchLike,
  type Timers,
  type UserSigSource,
  type UserSigSourceOptions,
} from "../../src/client/index.js";

export const START_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

export class FakeClock implements Timers {
  nowMs = START_MS;
  #timers: PendingTimer[] = [];
  #nextId = 1;

  readonly now = (): number => this.nowMs;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.nowMs + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** Pending timers, soonest first (absolute ms). */
  get pending(): number[] {
    return this.#timers.map((timer) => timer.at).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order, settling in between. */
  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.callback();
      await settle();
    }
    this.nowMs = target;
    await settle();
  }
}

/** Lets promise chains (fetch → text() → JSON → cache) run to completion. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

export interface RecordedCall {
  url: string;
  headers: Headers;
  body: Record<string, unknown>;
  signal: AbortSignal | undefined;
}

export type Answer = (call: RecordedCall) => Response | Promise<Response>;

/** A fetch that answers the n-th request with the n-th answer; a request beyond the script fails the test. */
export function scriptedFetch(...answers: Answer[]) {
  const calls: RecordedCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const call: RecordedCall = {
      url,
      headers: new Headers(init.headers),
      body: JSON.parse(String(init.body)) as Record<string, unknown>,
      signal: init.signal ?? undefined,
    };
    calls.push(call);
    const answer = answers[calls.length - 1];
    if (!answer) throw new Error(`unexpected request #${calls.length} to ${url}`);
    return answer(call);
  };
  return { fetch, calls, answers };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json", ...headers },
  });
}

export function problem(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
  extra = {},
) {
  return json(
    status,
    { type: `urn:usersig-broker:problem:${code.toLowerCase()}`, title: "Title", status, detail, code, ...extra },
    headers,
  );
}

export interface SigFields {
  userId?: string;
  userSig?: string;
  expireSeconds?: number;
  sdkAppId?: number;
  guestTicket?: string;
  guestTicketExpiresAt?: number;
  /** The broker's clock, if it differs from the test's. */
  brokerNowSeconds?: number;
}

/** A 200 answer of POST /v1/usersig, issued "now" by `clock`. */
export function sigAnswer(clock: FakeClock, fields: SigFields = {}): Answer {
  return () => {
    const expireSeconds = fields.expireSeconds ?? 3600;
    const now = fields.brokerNowSeconds ?? Math.floor(clock.nowMs / 1000);
    return json(200, {
      sdkAppId: fields.sdkAppId ?? 1400000000,
      userId: fields.userId ?? "alice",
      userSig: fields.userSig ?? "eJyrVkrOLCjISVWyUjIxMDJU0lHKTFGyMjQ3MjEyNTI1AgA",
      expireSeconds,
      expiresAt: now + expireSeconds,
      ...(fields.guestTicket
        ? { guestTicket: fields.guestTicket, guestTicketExpiresAt: fields.guestTicketExpiresAt ?? now + 86400 }
        : {}),
    });
  };
}

/** A source over a fake clock and a scripted fetch; IdP mode unless `options` says otherwise. */
export function setup(
  script: (clock: FakeClock) => Answer[],
  options: Partial<UserSigSourceOptions> = {},
): { source: UserSigSource; clock: FakeClock; calls: RecordedCall[] } {
  const clock = new FakeClock();
  const scripted = scriptedFetch(...script(clock));
  const source = createUserSigSource({
    endpoint: "https://broker.test",
    ...(options.guest === undefined && options.getIdToken === undefined ? { getIdToken: () => "id-token" } : {}),
    fetch: scripted.fetch,
    now: clock.now,
    timers: clock,
    random: () => 1,
    ...options,
  });
  return { source, clock, calls: scripted.calls };
}

/** Resolves to the rejection of `promise` (failing if it fulfils), without an unhandled rejection meanwhile. */
export function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

/** Advances the fake clock in steps until `promise` settles (or `limitMs` passed). */
export async function drive<T>(clock: FakeClock, promise: Promise<T>, limitMs = 120_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => {
    settled = true;
  });
  watched.catch(() => {});
  for (let waited = 0; !settled && waited < limitMs; waited += 100) await clock.advance(100);
  return watched;
}

/** A fetch answer for "offline": what a browser's fetch() does without a network. */
export const offline: Answer = () => Promise.reject(new TypeError("Failed to fetch"));
