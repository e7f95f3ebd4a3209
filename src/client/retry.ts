/**
 * Retry policy as pure functions: which answers are worth repeating, how long Retry-After asks us to
 * wait, and the jittered exponential backoff used when it does not say. No clock is read here: the
 * current time and the random source are arguments.
 */

/**
 * Worth repeating later: rate limited (429), and the broker or the way to it briefly unavailable
 * (502, 503, 504). A 500 is not: the broker answers 500 only for a broken configuration.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** First backoff step; doubled per attempt up to the cap. */
export const BASE_RETRY_DELAY_MS = 500;

/**
 * Parses a Retry-After value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns whole
 * seconds from `nowMs` (0 for a date in the past), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number.parseInt(trimmed, 10);
  // Only an HTTP-date: Date.parse accepts far more (e.g. "5"), which must not count as a date.
  if (!/^[A-Za-z]{3},? /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/**
 * "Equal jitter" backoff: attempt 0, 1, 2… waits between half and all of min(cap, base·2^attempt),
 * so concurrent clients spread out while each still waits at least half the step.
 */
export function backoffDelayMs(attempt: number, capMs: number, random: () => number, baseMs = BASE_RETRY_DELAY_MS) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}
