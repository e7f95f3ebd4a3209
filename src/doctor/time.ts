/**
 * Times and durations for people, shared by the CLI, the inspector page and the doctor's messages
 * (so that a token reads the same in a terminal and in a browser). Pure: no clock is read here,
 * `now` is always an argument.
 */

/** Unix seconds as ISO 8601 UTC without milliseconds: `2023-11-14T22:13:20Z`. */
export function isoTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

/**
 * A token is valid up to and including its expiry second: the official verifiers (PHP, Go) refuse
 * only `now > issuedAt + expire`.
 */
export function isExpired(expiresAt: number, now: number): boolean {
  return now > expiresAt;
}

/**
 * How a duration is written:
 * - `compact`: `180d`, `1d 1h`, `59m 58s` (the CLI);
 * - `spaced`: `742 d 3 h`, `59 min 58 s` (the inspector's countdown);
 * - `words`: `180 days`, `2 hours 30 minutes` (lifetimes in sentences).
 */
export type DurationStyle = "compact" | "spaced" | "words";

const UNITS: Record<DurationStyle, readonly (readonly [string, string, number])[]> = {
  // [singular, plural, seconds]
  compact: [
    ["d", "d", 86_400],
    ["h", "h", 3_600],
    ["m", "m", 60],
    ["s", "s", 1],
  ],
  spaced: [
    [" d", " d", 86_400],
    [" h", " h", 3_600],
    [" min", " min", 60],
    [" s", " s", 1],
  ],
  words: [
    [" day", " days", 86_400],
    [" hour", " hours", 3_600],
    [" minute", " minutes", 60],
    [" second", " seconds", 1],
  ],
};

/**
 * The largest unit and, when it is not zero, the next one: `1d 1h`, but `3 h` rather than
 * `3 h 0 min` (a zero in between would make the second unit misleading: `1d 5m` reads as a day).
 * Negative and fractional inputs are floored at zero.
 */
export function formatDuration(seconds: number, style: DurationStyle = "compact"): string {
  const units = UNITS[style];
  let rest = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  for (const [one, many, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${n === 1 ? one : many}`);
    else if (parts.length === 1) break;
  }
  if (parts.length === 0) return `0${(units[units.length - 1] as readonly [string, string, number])[1]}`;
  return parts.join(" ");
}

/** `expired 3 d 2 h ago`, `expires now`, `expires in 59 min 58 s`. */
export function countdown(expiresAt: number, now: number, style: DurationStyle = "spaced"): string {
  if (isExpired(expiresAt, now)) return `expired ${formatDuration(now - expiresAt, style)} ago`;
  if (expiresAt === now) return "expires now";
  return `expires in ${formatDuration(expiresAt - now, style)}`;
}
