/** Durations with their units in their names, defined once. */
export const MINUTE_SECONDS = 60;
export const HOUR_SECONDS = 3600;
export const DAY_SECONDS = 86_400;
export const SECOND_MS = 1000;

/** Whole unix seconds of a time in milliseconds since the epoch (the request's `nowMs`). */
export function unixSeconds(nowMs: number): number {
  return Math.floor(nowMs / SECOND_MS);
}
