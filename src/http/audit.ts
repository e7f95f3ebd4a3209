/**
 * One structured audit line per decision (JSON on stdout, which Workers Logs index). It says who
 * asked for what and what was decided. It never contains a UserSig, a key, a token or a secret:
 * only the fields of AuditRecord, the route, the outcome and the refusal's code and log reason
 * (which this codebase writes itself and keeps free of credentials).
 */

import type { AuditRecord } from "./context.js";
import { isDomainError, type ProblemCode, toProblem } from "./problem.js";

/** An IdP's claim is logged before it is validated: a hostile 5,000-character `sub` stays out. */
const AUDIT_USERID_MAX_CHARS = 64;

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
  if (line.userId !== undefined && line.userId.length > AUDIT_USERID_MAX_CHARS) {
    line.userId = `${line.userId.slice(0, AUDIT_USERID_MAX_CHARS)}…`;
  }
  if (error === undefined) return line;
  const problem = toProblem(error);
  line.outcome = isDomainError(error) && problem.code !== "INTERNAL" ? "refused" : "error";
  line.code = problem.code;
  if (problem.reason) line.reason = problem.reason;
  return line;
}

export function writeAudit(line: AuditLine): void {
  console.log(JSON.stringify(line));
}
