/**
 * What the inspector shows, as plain strings: no DOM here, so every rule is easy to read and test.
 * Times and durations come from the doctor's shared module (src/doctor/time.ts), like the CLI's.
 */

import { limits, Privilege } from "../../usersig/index.js";

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

/**
 * The guest panel's message for a refusal. The broker's `detail` already says when to try again
 * (e.g. a 429's "try again in 30 seconds"), so Retry-After is only added when it does not.
 */
export function guestProblemText(status: number, problem: unknown, retryAfter: string | null): string {
  const p = (problem ?? {}) as { detail?: unknown; code?: unknown };
  const detail = typeof p.detail === "string" ? p.detail : `The broker answered HTTP ${status}.`;
  const code = typeof p.code === "string" ? ` (${p.code})` : "";
  const retry = retryAfter && !/try again/i.test(detail) ? ` Try again in ${retryAfter} s.` : "";
  return `No guest UserSig: ${detail}${code}${retry}`;
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
