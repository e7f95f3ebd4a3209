// docs/client.md lists every `code` the broker answers with, and what a front-end does with it.
// WIRE_CODES is typed `satisfies Record<ProblemCode, …>` (ProblemCode is derived from problemTable()
// in src/http/problem.ts): a code added to or removed from the table fails `npm run typecheck`
// until it is added here, and this test fails until docs/client.md lists it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLIENT_ERROR_CODES } from "../../src/client/errors.js";
import type { ProblemCode } from "../../src/http/problem.js";

const WIRE_CODES = {
  BAD_REQUEST: true,
  BODY_UNREADABLE: true,
  BODY_TOO_LARGE: true,
  UNSUPPORTED_MEDIA_TYPE: true,
  NOT_FOUND: true,
  METHOD_NOT_ALLOWED: true,
  UNKNOWN_SDKAPPID: true,
  ORIGIN_NOT_ALLOWED: true,
  OPERATOR_API_DISABLED: true,
  INTERNAL: true,
  CONFIG_ERROR: true,
  UNAUTHORIZED: true,
  IDP_UNAVAILABLE: true,
  USERID_CLAIM_MISSING: true,
  TURNSTILE_FAILED: true,
  TURNSTILE_UNAVAILABLE: true,
  USERID_NOT_ALLOWED: true,
  ADMIN_IDENTITY_FORBIDDEN: true,
  ADMIN_NOT_ALLOWED: true,
  PRIVATEMAPKEY_NOT_ALLOWED: true,
  ROOM_NOT_ALLOWED: true,
  PRIVILEGES_NOT_ALLOWED: true,
  TURNSTILE_REQUIRED: true,
  ADMIN_SET_UNAVAILABLE: true,
  ADMINS_STORE_UNAVAILABLE: true,
  NOT_AN_ADMIN_IDENTITY: true,
  CONFIG_ADMIN: true,
  RATE_LIMITED: true,
  GUEST_BUDGET_EXHAUSTED: true,
  RATE_LIMIT_UNAVAILABLE: true,
  USER_BANNED: true,
  BAN_LIST_UNAVAILABLE: true,
  BANS_STORE_UNAVAILABLE: true,
  ADMIN_NOT_BANNABLE: true,
  ADMIN_NOT_KICKABLE: true,
  ADMIN_NOT_REMOVABLE: true,
  NOT_BANNED: true,
  BANS_FULL: true,
  MODERATION_NOT_ALLOWED: true,
  TENCENT_UNAVAILABLE: true,
  CHAT_COMMAND_NOT_ALLOWED: true,
  CHAT_TARGET_ADMIN: true,
  CHAT_NOT_CONFIGURED: true,
  USERSIG_INVALID_INPUT: true,
  USERSIG_MALFORMED: true,
  USERSIG_TOO_LARGE: true,
  USERSIG_BAD_SIGNATURE: true,
  USERSIG_EXPIRED: true,
  USERSIG_SDKAPPID_MISMATCH: true,
  USERSIG_USERID_MISMATCH: true,
} as const satisfies Record<ProblemCode, true>;

const doc = readFileSync(new URL("../../docs/client.md", import.meta.url), "utf8");

function section(title: string): string {
  const start = doc.indexOf(`### ${title}\n`);
  expect(start, `docs/client.md has a "### ${title}" section`).toBeGreaterThan(-1);
  const end = doc.indexOf("\n### ", start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

describe("docs/client.md: the broker's codes", () => {
  it("lists exactly the wire codes of src/http/problem.ts", () => {
    const text = section("The broker's codes");
    const table = text.slice(text.indexOf("| `code`") + "| `code`".length);
    const clientCodes = new Set<string>(Object.values(CLIENT_ERROR_CODES));
    const listed = new Set(
      [...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string).filter((c) => !clientCodes.has(c)),
    );
    expect([...listed].sort()).toEqual(Object.keys(WIRE_CODES).sort());
  });

  it("says what a front-end does for each code it can get (one table row names it)", () => {
    const rows = section("The broker's codes")
      .split("\n")
      .filter((line) => /^\| `[A-Z]/.test(line));
    for (const row of rows) {
      const cells = row.split("|").map((cell) => cell.trim());
      expect(cells[3]?.length ?? 0, row).toBeGreaterThan(10);
    }
    expect(rows.length).toBeGreaterThan(10);
  });

  it("lists every client code too", () => {
    const errors = doc.slice(doc.indexOf("## Errors\n"), doc.indexOf("### The broker's codes\n"));
    for (const code of Object.values(CLIENT_ERROR_CODES)) expect(errors).toContain(`\`${code}\``);
  });
});
