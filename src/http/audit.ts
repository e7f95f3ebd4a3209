/**
 * One structured audit line per decision (JSON on stdout, which Workers Logs index). It says who
 * asked for what and what was decided. It never contains a UserSig, a key, a token or a secret:
 * only the fields of AuditRecord, the route, the outcome and the refusal's code and log reason
 * (which this codebase writes itself and keeps free of credentials).
 */

import { CallbackError } from "../callbacks/errors.js";
import { cutCodePoints } from "../shared/text.js";
import type { AuditRecord } from "./context.js";
import { isDomainError, type ProblemCode, toProblem } from "./problem.js";

/**
 * The most each string field of a line keeps, in code points (cut on a code point, then "…"): an
 * IdP's claim is logged before it is validated, and a moderator's actor name or a refusal's reason
 * can quote one, so a hostile 5,000-character `sub` stays out. A UserID is at most 32 bytes when
 * valid; an actor is "idp:<userId>@<issuer>"; a reason is this codebase's text with such values in it.
 */
export const AUDIT_FIELD_MAX_CHARS = {
  userId: 64,
  actor: 160,
  keyName: 64,
  issuer: 128,
  room: 64,
  outcome: 32,
  chatCommand: 130,
  callbackEvent: 100,
  stepReason: 160,
  tencentCode: 128,
  reason: 300,
} as const;

export interface AuditLine extends AuditRecord {
  event: "decision";
  requestId: string;
  route: string;
  method: string;
  status: number;
  code?: ProblemCode;
  reason?: string;
}

export function auditLine(
  base: { requestId: string; route: string; method: string; status: number },
  record: AuditRecord,
  error: unknown,
): AuditLine {
  const line: AuditLine = { event: "decision", ...base, ...record };
  // A refused callback names the app once it was identified from Tencent's own parameter (a bad
  // Sign for a known app, say); never its key, token, Sign or query.
  if (line.app === undefined && error instanceof CallbackError && error.sdkAppId !== undefined) {
    line.app = error.sdkAppId;
  }
  if (error !== undefined) {
    const problem = toProblem(error);
    line.outcome = isDomainError(error) && problem.code !== "INTERNAL" ? "refused" : "error";
    line.code = problem.code;
    if (problem.reason) line.reason = problem.reason;
  }
  const fields = line as unknown as Record<string, unknown>;
  for (const [field, max] of Object.entries(AUDIT_FIELD_MAX_CHARS)) {
    const value = fields[field];
    if (typeof value === "string") fields[field] = bounded(value, max);
  }
  return line;
}

/** `text`, or its first `max` code points and "…" when longer. */
function bounded(text: string, max: number): string {
  const cut = cutCodePoints(text, max);
  return cut.length < text.length ? `${cut}…` : text;
}

export function writeAudit(line: AuditLine): void {
  console.log(JSON.stringify(line));
}
