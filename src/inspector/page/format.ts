/**
 * What the inspector shows, as plain strings: no DOM here, so every rule is easy to read and test.
 */

import { limits, Privilege, UserSigError, UserSigErrorCode } from "../../usersig/index.js";

/** Only the largest units count: "180 days", "2 hours 30 minutes", "5 minutes". */
export function formatLifetime(seconds: number): string {
  const units: [string, number][] = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
    ["second", 1],
  ];
  return twoUnits(seconds, units, (n, unit) => `${n} ${unit}${n === 1 ? "" : "s"}`, " ") || "0 seconds";
}

/** Countdown style: "742 d 3 h", "59 min 58 s". */
export function formatCompact(seconds: number): string {
  const units: [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["min", 60],
    ["s", 1],
  ];
  return twoUnits(seconds, units, (n, unit) => `${n} ${unit}`, " ") || "0 s";
}

function twoUnits(
  seconds: number,
  units: [string, number][],
  one: (n: number, unit: string) => string,
  separator: string,
): string {
  let rest = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(one(n, unit));
    // Once the largest unit is found, the next one is shown even when 0 would be skipped: "3 h" not "3 h 0 min".
    else if (parts.length === 1) break;
  }
  return parts.join(separator);
}

/**
 * A token is valid up to and including its expiry second (the official verifiers refuse only
 * `now > issuedAt + expire`).
 */
export function isExpired(expiresAt: number, now: number): boolean {
  return now > expiresAt;
}

export function countdown(expiresAt: number, now: number): string {
  if (isExpired(expiresAt, now)) return `expired ${formatCompact(now - expiresAt)} ago`;
  if (expiresAt === now) return "expires now";
  return `expires in ${formatCompact(expiresAt - now)}`;
}

/** "2023-11-14T22:13:20Z": the unix seconds in UTC, without milliseconds. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

const localFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long" });

/** The same instant in the browser's time zone and locale. */
export function localTime(unixSeconds: number): string {
  return localFormat.format(new Date(unixSeconds * 1000));
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface PrivilegeRow {
  name: keyof typeof Privilege;
  bit: number;
  label: string;
}

const LABELS: Record<Exclude<keyof typeof Privilege, "All">, string> = {
  CreateRoom: "Create the room",
  EnterRoom: "Enter the room",
  SendAudio: "Send audio",
  RecvAudio: "Receive audio",
  SendVideo: "Send video",
  RecvVideo: "Receive video",
  SendSubVideo: "Send sub-stream (screen share)",
  RecvSubVideo: "Receive sub-stream (screen share)",
};

/** Every defined privilege bit, lowest first, with a label for people. */
export const PRIVILEGE_ROWS: PrivilegeRow[] = (Object.keys(LABELS) as (keyof typeof LABELS)[]).map((name) => ({
  name,
  bit: Privilege[name],
  label: LABELS[name],
}));

/** "255 (0xff): all", "42 (0x2a)", "256 (0x100): bits outside the 8 defined ones: 0x100". */
export function describeMask(mask: number): string {
  const base = `${mask} (0x${mask.toString(16)})`;
  const unknown = (mask & ~Privilege.All) >>> 0;
  if (unknown !== 0) return `${base}: bits outside the 8 defined ones: 0x${unknown.toString(16)}`;
  if (mask === Privilege.All) return `${base}: all`;
  if (mask === 0) return `${base}: none`;
  return base;
}

export interface ProblemText {
  title: string;
  detail: string;
}

/** A decoding failure, for people. The core's messages are fixed strings that never quote the input. */
export function describeError(error: unknown): ProblemText {
  if (error instanceof UserSigError) {
    switch (error.code) {
      case UserSigErrorCode.TooLarge:
        return {
          title: "Too large to be a UserSig.",
          detail: `Real UserSigs are far shorter: this inspector reads at most ${limits.TOKEN_MAX_CHARS} characters that inflate to at most ${limits.INFLATED_MAX_BYTES} bytes.`,
        };
      case UserSigErrorCode.Malformed:
        return {
          title: "This is not a UserSig.",
          detail: `${capitalize(error.message.replace(/^not a UserSig:\s*/, ""))}. A UserSig is one line of letters, digits and * - _ characters, usually starting with "eJ".`,
        };
      default:
        return { title: "This UserSig could not be decoded.", detail: capitalize(error.message) };
    }
  }
  return {
    title: "This UserSig could not be decoded.",
    detail: "The browser failed while decoding it; try a current version of Chrome, Edge, Firefox or Safari.",
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface ExtractedToken {
  token: string;
  /** Set when the input was not used exactly as pasted. */
  note?: string;
}

/**
 * What people paste: the token, the token in quotes, the token wrapped over several lines, or a
 * whole JSON response of the broker (`userSig` or `privateMapKey`). Anything longer than a few
 * times the largest token is passed on untouched, and the core refuses it as too large.
 */
export function extractToken(input: string): ExtractedToken {
  if (input.length > limits.TOKEN_MAX_CHARS * 4) return { token: input };
  const trimmed = input.trim();
  if (trimmed.startsWith("{")) {
    try {
      const doc = JSON.parse(trimmed) as Record<string, unknown>;
      for (const field of ["userSig", "privateMapKey", "UserSig", "PrivateMapKey"]) {
        const value = doc?.[field];
        if (typeof value === "string")
          return { token: value.trim(), note: `Read from the "${field}" field of the pasted JSON.` };
      }
    } catch {
      // Not JSON after all: decode it as it is and let the core say why it is not a UserSig.
    }
  }
  const unquoted = trimmed.replace(/^(["'`])([^"'`]*)\1$/, "$2");
  const token = unquoted.replace(/\s+/g, "");
  if (token !== unquoted.trim()) return { token, note: "Whitespace inside the pasted text was removed." };
  if (unquoted !== trimmed) return { token, note: "The surrounding quotes were removed." };
  return { token };
}
