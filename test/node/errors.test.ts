// The one error registry (src/http/problem.ts): every BrokerError class in src/ is listed in
// DOMAIN_ERRORS, so none can silently become a 500; the codes problemTable() maps are derived from that
// list (a missing mapping fails typecheck). Runs under plain Node (reads the source files).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { AdminsError } from "../../src/admins/errors.js";
import { BansError } from "../../src/bans/errors.js";
import { RequestError } from "../../src/http/errors.js";
import { DOMAIN_ERRORS, isDomainError, toProblem } from "../../src/http/problem.js";
import { BrokerError } from "../../src/shared/errors.js";

const src = join(dirname(fileURLToPath(import.meta.url)), "../../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every `class X extends BrokerError` (with or without type arguments) written in src/. */
function brokerErrorClasses(): string[] {
  const names: string[] = [];
  for (const file of sourceFiles(src)) {
    for (const match of readFileSync(file, "utf8").matchAll(/class\s+(\w+)\s+extends\s+BrokerError\b/g)) {
      names.push(match[1] as string);
    }
  }
  return names.sort();
}

describe("the error registry", () => {
  it("lists every BrokerError class written in src/, once", () => {
    const listed = DOMAIN_ERRORS.map((type) => type.name).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(brokerErrorClasses());
    // The scan itself finds something (a regex that matched nothing would pass vacuously).
    expect(listed.length).toBeGreaterThanOrEqual(10);
  });

  it("each listed class names itself (jose's rule: name = the class), for the log", () => {
    const samples = [new AdminsError("ADMIN_ID_RULE", "x"), new BansError("NOT_BANNED", "x")];
    for (const error of samples) expect(error.name).toBe(error.constructor.name);
  });

  it("a BrokerError class missing from the list is INTERNAL: what the first test guards against", () => {
    class Unlisted extends BrokerError<"BAD_REQUEST"> {}
    const error = new Unlisted("BAD_REQUEST", "x");
    expect(isDomainError(error)).toBe(false);
    expect(toProblem(error)).toMatchObject({ status: 500, code: "INTERNAL" });
    expect(toProblem(new RequestError("BAD_REQUEST", "x"))).toMatchObject({ status: 400, code: "BAD_REQUEST" });
  });

  it("anything that is not a domain error (a TypeError from a bug) is a 500 INTERNAL that shows nothing of it", () => {
    const problem = toProblem(new TypeError("secret-looking message"));
    expect(problem).toMatchObject({ status: 500, code: "INTERNAL", detail: "Something went wrong on our side." });
    expect(JSON.stringify(problem)).not.toContain("secret-looking");
  });

  it("the first answer of a fresh module is fully mapped (the table is built on first use, not at load)", async () => {
    vi.resetModules();
    const fresh = await import("../../src/http/problem.js");
    const { RequestError: FreshRequestError } = await import("../../src/http/errors.js");
    const { PolicyError: FreshPolicyError } = await import("../../src/issue/errors.js");
    const first = fresh.toProblem(new FreshRequestError("UNSUPPORTED_MEDIA_TYPE", "Send JSON."));
    expect(first).toMatchObject({
      status: 415,
      code: "UNSUPPORTED_MEDIA_TYPE",
      title: "Unsupported media type",
      detail: "Send JSON.",
      headers: { Accept: "application/json" },
    });
    expect(fresh.toProblem(new FreshRequestError("UNSUPPORTED_MEDIA_TYPE", "Send JSON."))).toEqual(first);
    // A code whose wire code and detail come from the table, not from the error.
    expect(fresh.toProblem(new FreshPolicyError("GUESTS_DISABLED", "no guests"))).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
      detail: "The credentials are missing or not valid.",
    });
  });
});
