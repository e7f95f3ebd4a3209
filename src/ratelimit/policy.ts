/**
 * The pure core of rate limiting: fixed-window arithmetic, the decision over several windows, the
 * IETF RateLimit header fields, KV TTLs, and the client-IP subject. No I/O, no clock (`nowMs` is
 * always an argument), no KV, no Hono: tested on its own in Node and in workerd.
 *
 * Header fields follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026): Structured Field Lists,
 *   RateLimit-Policy: "usersig-guest-60";q=10;w=60, "usersig-guest-86400";q=100;w=86400
 *   RateLimit: "usersig-guest-60";r=7;t=42
 * `q` the quota, `w` the window (seconds), `r` the quota left, `t` seconds until it resets. RateLimit
 * names one policy: the most constraining one (the fewest requests left; on a tie, the later reset).
 */

import { KV_EXPIRATION_MIN_SECONDS } from "../shared/storage.js";
import { SECOND_MS } from "../shared/units.js";
import type { WindowPolicy } from "./config.js";

/** KV refuses an `expirationTtl` below this: relative to KV's own clock, so no margin is needed. */
export const KV_EXPIRATION_TTL_MIN_SECONDS = KV_EXPIRATION_MIN_SECONDS;
/**
 * A shard outlives its longest window by this much: clocks of isolates in different locations differ
 * by a little, and a shard written just before a window ends may still be listed by a laggard.
 */
const SHARD_TTL_MARGIN_SECONDS = 60;

/** The fixed window `nowMs` falls in: windows start at multiples of `seconds` since the Unix epoch. */
export function windowIndex(nowMs: number, seconds: number): number {
  return Math.floor(nowMs / (seconds * SECOND_MS));
}

/** Whole seconds until the window containing `nowMs` ends; at least 1. */
export function secondsUntilReset(nowMs: number, seconds: number): number {
  const endMs = (windowIndex(nowMs, seconds) + 1) * seconds * SECOND_MS;
  return Math.max(1, Math.ceil((endMs - nowMs) / SECOND_MS));
}

/** One window of a policy and how much of it is known to be used before this request. */
export interface WindowUse extends WindowPolicy {
  used: number;
}

/** One window as the client is told about it. */
export interface WindowView extends WindowPolicy {
  remaining: number;
  resetSeconds: number;
}

export interface Decision {
  allowed: boolean;
  /** Every window, after this request (it is counted only when allowed). */
  windows: WindowView[];
  /** The window the RateLimit field names. */
  tightest: WindowView;
  /** Refused: the windows that are exhausted. */
  violated: WindowView[];
  /** Refused: when every exhausted window has reset. */
  retryAfterSeconds: number | undefined;
}

/** Allowed only if every window has room for `cost` more; then every window is charged. */
export function decide(windows: readonly WindowUse[], nowMs: number, cost = 1): Decision {
  if (windows.length === 0) throw new RangeError("a policy has at least one window");
  const allowed = windows.every((w) => w.used + cost <= w.limit);
  const views = windows.map(
    (w): WindowView => ({
      seconds: w.seconds,
      limit: w.limit,
      remaining: Math.max(0, w.limit - w.used - (allowed ? cost : 0)),
      resetSeconds: secondsUntilReset(nowMs, w.seconds),
    }),
  );
  const violated = allowed
    ? []
    : views.filter((_, i) => {
        const use = windows[i] as WindowUse;
        return use.used + cost > use.limit;
      });
  const retryAfterSeconds = allowed ? undefined : Math.max(...violated.map((v) => v.resetSeconds));
  return { allowed, windows: views, tightest: tightestOf(allowed ? views : violated), violated, retryAfterSeconds };
}

function tightestOf(views: readonly WindowView[]): WindowView {
  let best = views[0] as WindowView;
  for (const v of views) {
    if (v.remaining < best.remaining || (v.remaining === best.remaining && v.resetSeconds > best.resetSeconds))
      best = v;
  }
  return best;
}

// ---- Header fields ------------------------------------------------------------------------------

/** A policy's name in the header fields, e.g. "usersig-guest-60". Only [a-z0-9-]: a valid sf-string. */
export function policyName(prefix: string, seconds: number): string {
  return `${prefix}-${seconds}`;
}

export function rateLimitPolicyField(prefix: string, windows: readonly WindowPolicy[]): string {
  return windows.map((w) => `"${policyName(prefix, w.seconds)}";q=${w.limit};w=${w.seconds}`).join(", ");
}

export function rateLimitField(
  prefix: string,
  view: Pick<WindowView, "seconds" | "remaining" | "resetSeconds">,
): string {
  return `"${policyName(prefix, view.seconds)}";r=${view.remaining};t=${view.resetSeconds}`;
}

// ---- How often KV is written and read ----------------------------------------------------------

/** KV takes about one write per second per key. */
const FLUSH_MIN_MS = 1_000;
/** Beyond this, a long window's shards would lag too far behind to help the other isolates. */
const FLUSH_MAX_MS = 30_000;
/** A warm counter is re-read at least this far apart ... */
const SYNC_MIN_MS = 10_000;
/** ... and at most this far apart while it is in use. */
const SYNC_MAX_MS = 60_000;
/** A counter not read for this many sync intervals is cold: the next request waits for a read. */
export const STALE_SYNC_INTERVALS = 6;
/** A busy counter writes its shard this many times per shortest window ... */
const FLUSHES_PER_WINDOW = 12;
/** ... and re-reads the others' this many times. */
const SYNCS_PER_WINDOW = 6;

function shortestSeconds(windows: readonly Pick<WindowPolicy, "seconds">[]): number {
  return Math.min(...windows.map((w) => w.seconds));
}

/**
 * How often a busy counter's shard is written: a twelfth of its shortest window, within 1 to 30 s (a
 * minute window: every 5 s; a day-only counter such as the new-guest budget: every 30 s). Writing
 * much faster than the others re-read (syncIntervalMs) buys little and costs a KV write ($5 per
 * million) each time: at one write a second, one busy counter in one isolate is 86,400 writes a day.
 */
export function flushIntervalMs(windows: readonly Pick<WindowPolicy, "seconds">[]): number {
  return clamp((shortestSeconds(windows) * SECOND_MS) / FLUSHES_PER_WINDOW, FLUSH_MIN_MS, FLUSH_MAX_MS);
}

/** How often a warm counter re-reads the others' shards: a sixth of its shortest window, 10 to 60 s. */
export function syncIntervalMs(windows: readonly Pick<WindowPolicy, "seconds">[]): number {
  return clamp((shortestSeconds(windows) * SECOND_MS) / SYNCS_PER_WINDOW, SYNC_MIN_MS, SYNC_MAX_MS);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(value)));
}

// ---- KV TTL -------------------------------------------------------------------------------------

/**
 * The `expirationTtl` of a shard holding counts for these windows: it must outlive the longest
 * window's current period (plus a margin), and KV refuses anything under 60 s.
 */
export function shardTtlSeconds(windows: readonly Pick<WindowPolicy, "seconds">[], nowMs: number): number {
  let ttl = KV_EXPIRATION_TTL_MIN_SECONDS;
  for (const w of windows) ttl = Math.max(ttl, secondsUntilReset(nowMs, w.seconds) + SHARD_TTL_MARGIN_SECONDS);
  return ttl;
}

// ---- Client IP subject --------------------------------------------------------------------------

/** Every guest without CF-Connecting-IP (local dev, a service binding) shares this subject. */
export const UNKNOWN_CLIENT = "unknown";

export type ClientSubject =
  | { subject: string; source: "ipv4" | "ipv6" }
  | { subject: typeof UNKNOWN_CLIENT; source: "missing" | "invalid" };

/**
 * The rate-limit subject of a guest from CF-Connecting-IP: an IPv4 address as is, an IPv6 address as
 * its /64 (one host usually holds a whole /64 and can rotate through it at will), an IPv4-mapped
 * IPv6 address as its IPv4. Missing or unparseable: the shared UNKNOWN_CLIENT subject.
 */
export function clientSubject(header: string | null | undefined): ClientSubject {
  if (header === undefined || header === null || header.trim() === "") {
    return { subject: UNKNOWN_CLIENT, source: "missing" };
  }
  const raw = header.trim();
  const v4 = parseIpv4(raw);
  if (v4) return { subject: v4.join("."), source: "ipv4" };
  const v6 = parseIpv6(raw);
  if (!v6) return { subject: UNKNOWN_CLIENT, source: "invalid" };
  const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
  if (mapped) {
    const [hi, lo] = [v6[6] as number, v6[7] as number];
    return { subject: [hi >> 8, hi & 255, lo >> 8, lo & 255].join("."), source: "ipv4" };
  }
  return {
    subject: `${v6
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(":")}::/64`,
    source: "ipv6",
  };
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

/** The longest IPv6 text form: eight groups with an IPv4 tail, e.g. ffff:…:ffff:255.255.255.255. */
const IPV6_TEXT_MAX_CHARS = 45;

/** Eight 16-bit groups, or undefined. Accepts "::" compression and a trailing dotted IPv4. */
function parseIpv6(text: string): number[] | undefined {
  if (text.length > IPV6_TEXT_MAX_CHARS || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return undefined;
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}
