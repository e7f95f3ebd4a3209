/**
 * The Durable Object's retry schedule for a failed Tencent step (a mute, a kick, a removal from a
 * room): bounded and with back-off, so a Tencent outage costs a few calls per step, not a storm.
 * Attempt n (1 = the first retry) waits RETRY_BASE_MS * 2^(n-1), at most RETRY_MAX_DELAY_MS; after
 * RETRY_MAX_ATTEMPTS the step is given up (logged; the ban itself is never lost, and issuance and
 * the callbacks still refuse the user).
 */

export const RETRY_BASE_MS = 2_000;
export const RETRY_MAX_DELAY_MS = 5 * 60_000;
/** Retries 2, 4, 8, … 256 s apart, then 300 s twice: the last about 18.5 minutes after the failure. */
export const RETRY_MAX_ATTEMPTS = 10;

/** When the next attempt is due (unix ms), or undefined when `attempts` retries were made already. */
export function nextAttemptAt(attempts: number, nowMs: number): number | undefined {
  if (!Number.isInteger(attempts) || attempts < 0) throw new RangeError("attempts is a whole number");
  if (attempts >= RETRY_MAX_ATTEMPTS) return undefined;
  return nowMs + Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_MS * 2 ** attempts);
}

/**
 * At most this many queued steps per alarm run (each may take two bounded Tencent attempts): after
 * a mass ban during an outage, one run stays far inside the alarm's wall-time limit, and the rest
 * run in the next.
 */
export const ALARM_STEPS_PER_RUN = 50;
/** A run that stopped at its cap continues this long after, so calls waiting on the object get a turn. */
export const ALARM_CONTINUE_AFTER_MS = 1_000;
/** When the app's config cannot be loaded for the alarm: tried again this long after, never dropped. */
export const ALARM_CONFIG_RETRY_MS = 60_000;

export type AlarmRun = "done" | "capped" | "config_failed";

/** When the alarm runs next (unix ms), or undefined when nothing is queued (`earliestDueMs` null). */
export function nextAlarmAt(earliestDueMs: number | null, nowMs: number, run: AlarmRun): number | undefined {
  if (earliestDueMs === null) return undefined;
  if (run === "config_failed") return Math.max(earliestDueMs, nowMs + ALARM_CONFIG_RETRY_MS);
  if (run === "capped") return Math.max(earliestDueMs, nowMs + ALARM_CONTINUE_AFTER_MS);
  return earliestDueMs;
}
