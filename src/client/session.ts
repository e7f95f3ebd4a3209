/**
 * What the Chat and TRTC adapters share: a budget of attempts that refills once a login has held for
 * a while, waits that stop() cancels, and the check that an argument really is a UserSigSource.
 * Bundled into each adapter (no state is shared between them); imports only types and retry.ts.
 *
 * Must never: put a UserSig or PrivateMapKey into an event or an error.
 */

import { backoffDelayMs } from "./retry.js";
import type { Timers, UserSigSource } from "./types.js";

/** A login or room entry that held this long refills the attempt budget. */
export const STABLE_AFTER_MS = 60_000;
const DEFAULT_MAX_ATTEMPTS = 4;
const MAX_WAIT_MS = 30_000;

/** Options both adapters take. */
export interface SessionOptions {
  /**
   * Attempts per recovery (the first login or entry included), and at most this many recoveries in a
   * row that each fail within a minute. Default 4.
   */
  maxAttempts?: number;
  /** Tests: the clock and jitter. Default: Date.now, globalThis.setTimeout, Math.random. */
  now?: () => number;
  timers?: Timers;
  random?: () => number;
}

export class StoppedError extends Error {
  override readonly name = "StoppedError";
  constructor(what: string) {
    super(`usersig-broker/client: ${what} was stopped`);
  }
}

/** Retries, waits and stop() for one adapter session. */
export class SessionControl {
  readonly maxAttempts: number;
  readonly now: () => number;
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #what: string;
  readonly #pending = new Set<{ handle: unknown; reject: (error: unknown) => void }>();
  #attempts = 0;
  #stableSinceMs = Number.NEGATIVE_INFINITY;
  stopped = false;

  constructor(what: string, options: SessionOptions) {
    this.#what = what;
    const max = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`${what}: maxAttempts must be an integer >= 1`);
    this.maxAttempts = max;
    this.now = options.now ?? (() => Date.now());
    this.#timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
    };
    this.#random = options.random ?? Math.random;
  }

  /** Counts one attempt; false when the budget is spent. The budget refills after a stable login. */
  takeAttempt(): boolean {
    if (this.now() - this.#stableSinceMs >= STABLE_AFTER_MS) this.#attempts = 0;
    this.#stableSinceMs = Number.POSITIVE_INFINITY; // not stable until the next success
    if (this.#attempts >= this.maxAttempts) return false;
    this.#attempts++;
    return true;
  }

  /** Call when a login or entry succeeded: from now on it may become stable. */
  succeeded(): void {
    this.#stableSinceMs = this.now();
  }

  /** The jittered backoff before the next attempt after `failures` failures (1-based). */
  backoffMs(failures: number): number {
    return backoffDelayMs(Math.max(0, failures - 1), MAX_WAIT_MS, this.#random);
  }

  /** Waits `ms`; rejects with StoppedError when stop() comes first. */
  wait(ms: number): Promise<void> {
    this.assertRunning();
    return new Promise((resolve, reject) => {
      const entry = {
        handle: undefined as unknown,
        reject,
      };
      entry.handle = this.#timers.setTimeout(() => {
        this.#pending.delete(entry);
        resolve();
      }, ms);
      this.#pending.add(entry);
    });
  }

  /**
   * `promise`, or `onTimeout()`'s error once `ms` have passed first (the promise itself is left to
   * settle; its outcome is then ignored).
   */
  within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const handle = this.#timers.setTimeout(() => reject(onTimeout()), ms);
      promise.then(
        (value) => {
          this.#timers.clearTimeout(handle);
          resolve(value);
        },
        (error: unknown) => {
          this.#timers.clearTimeout(handle);
          reject(error);
        },
      );
    });
  }

  assertRunning(): void {
    if (this.stopped) throw new StoppedError(this.#what);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const entry of this.#pending) {
      this.#timers.clearTimeout(entry.handle);
      entry.reject(new StoppedError(this.#what));
    }
    this.#pending.clear();
  }
}

/** Calls every listener; one that throws does not stop the others (its error is rethrown async). */
export function emitTo<T>(listener: ((event: T) => void) | undefined, event: T): void {
  if (!listener) return;
  try {
    listener(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

export function assertSource(source: unknown, call: string): asserts source is UserSigSource {
  const s = source as Partial<UserSigSource> | null;
  if (typeof s !== "object" || s === null || typeof s.get !== "function" || typeof s.invalidate !== "function") {
    throw new TypeError(
      `usersig-broker/client: ${call} needs the source from createUserSigSource() as its second argument`,
    );
  }
}

/** A broker failure worth waiting out (network, timeout, 429, 502-504), as UserSigBrokerError marks it. */
export function isRetryableBrokerError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "UserSigBrokerError" &&
    (error as { retryable?: unknown }).retryable === true
  );
}

/** What both adapters report before waiting out a broker failure. */
export interface BrokerRetryEvent {
  type: "retrying";
  reason: "broker-unavailable";
  attempt: number;
  delayMs: number;
  code?: number | string;
}

/**
 * After fetching from the broker failed: throws what waiting cannot cure; otherwise reports
 * `retrying` and waits out this attempt's backoff (stop() ends the wait).
 */
export async function waitOutBrokerError(
  control: SessionControl,
  attempt: number,
  error: unknown,
  onEvent: ((event: BrokerRetryEvent) => void) | undefined,
): Promise<void> {
  if (!isRetryableBrokerError(error)) throw error;
  const delayMs = control.backoffMs(attempt);
  emitTo(onEvent, {
    type: "retrying",
    reason: "broker-unavailable",
    attempt,
    delayMs,
    code: (error as { code?: string }).code,
  });
  await control.wait(delayMs);
}

/** A numeric `code` (the Chat SDK's) or `extraCode` (TRTC's) from an SDK error, if it has one. */
export function numericField(error: unknown, field: "code" | "extraCode"): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === "number" ? value : undefined;
}
