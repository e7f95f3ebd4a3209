/**
 * `usersig-broker smoke URL [--api-key-stdin]`: checks a running broker from the outside, the way
 * its callers use it: /healthz, /openapi.json, issuing a UserSig (as a backend with the API key, or
 * as a guest), verifying it, and that an admin identity is refused. One PASS / FAIL / SKIP line per
 * check. Never prints a token or the API key.
 */

import { decodeUserSig, limits } from "../usersig/index.js";
import { checkUserId, type ParsedArgs, parseInteger, spelledAs } from "./args.js";
import type { Command } from "./commands.js";
import { ExitCode, usageError } from "./errors.js";
import { secretFromStdin, writeJson } from "./inputs.js";
import type { Io } from "./io.js";

export const smokeCommand: Command = {
  spec: {
    name: "smoke",
    options: { "api-key-stdin": "boolean", "sdk-app-id": "string", "user-id": "string", "admin-id": "string" },
    maxPositionals: 1,
  },
  run: smoke,
};

const REQUEST_TIMEOUT_MS = 15_000;
/** Tencent's default admin account, and the config's default `admins`. */
const DEFAULT_ADMIN = "administrator";
const DEFAULT_USER = "smoke_test";

type Outcome = "pass" | "fail" | "skip";

interface CheckResult {
  name: string;
  outcome: Outcome;
  detail: string;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
}

async function smoke(args: ParsedArgs, io: Io): Promise<number> {
  const base = baseUrl(args.positionals[0]);
  const sdkAppIdOption = args.strings.get("sdk-app-id");
  const sdkAppId =
    sdkAppIdOption !== undefined
      ? parseInteger(sdkAppIdOption, spelledAs(args, "sdk-app-id"), 1, limits.SDKAPPID_MAX)
      : undefined;
  const userId = checkUserId(args.strings.get("user-id") ?? DEFAULT_USER, "--user-id");
  const adminId = checkUserId(args.strings.get("admin-id") ?? DEFAULT_ADMIN, "--admin-id");
  let apiKey: string | undefined;
  if (args.flags.has("api-key-stdin")) apiKey = await secretFromStdin(io, "--api-key-stdin", "API key", "api-key.txt");

  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (apiKey !== undefined && path.startsWith("/v1/")) headers["X-Api-Key"] = apiKey;
    const response = await io.fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: "manual",
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
    return { status: response.status, headers: response.headers, body: record };
  };
  const app = sdkAppId !== undefined ? { sdkAppId } : {};
  const as = apiKey !== undefined ? "with the API key" : "as a guest";

  const results: CheckResult[] = [];
  const check = async (name: string, run: () => Promise<Omit<CheckResult, "name">>) => {
    let result: Omit<CheckResult, "name">;
    try {
      result = await run();
    } catch (error) {
      result = { outcome: "fail", detail: networkError(error) };
    }
    results.push({ name, ...result });
    if (!args.json) io.stdout(`${result.outcome.toUpperCase()} ${name}: ${result.detail}\n`);
  };

  await check("healthz", async () => {
    const a = await call("GET", "/healthz");
    return a.status === 200 ? pass("GET /healthz answered 200") : fail(`GET /healthz answered ${a.status}`);
  });

  await check("openapi", async () => {
    const a = await call("GET", "/openapi.json");
    if (a.status !== 200) return fail(`GET /openapi.json answered ${a.status}`);
    const version = a.body?.["openapi"];
    const paths = a.body?.["paths"];
    if (typeof version !== "string" || typeof paths !== "object" || paths === null || !("/v1/usersig" in paths)) {
      return fail("GET /openapi.json is not this broker's OpenAPI description (no /v1/usersig)");
    }
    return pass(`OpenAPI ${version}, ${Object.keys(paths).length} paths`);
  });

  let issued: { userSig: string; userId: string } | undefined;
  await check("issue", async () => {
    const a = await call("POST", "/v1/usersig", apiKey !== undefined ? { ...app, userId } : app);
    if (a.status !== 200) return fail(`POST /v1/usersig ${as} answered ${problem(a)}`);
    const userSig = a.body?.["userSig"];
    const issuedTo = a.body?.["userId"];
    if (typeof userSig !== "string" || typeof issuedTo !== "string") return fail("the answer has no userSig or userId");
    if (!/no-store/.test(a.headers.get("Cache-Control") ?? ""))
      return fail("the answer is cacheable (no Cache-Control: no-store)");
    const decoded = await decodeUserSig(userSig).catch(() => undefined);
    if (decoded === undefined) return fail("the userSig in the answer does not decode as a UserSig");
    if (decoded.userId !== issuedTo || decoded.sdkAppId !== a.body?.["sdkAppId"]) {
      return fail("the userSig names another UserID or SDKAppID than the answer");
    }
    if (apiKey !== undefined && issuedTo !== userId)
      return fail(`issued for another UserID than ${JSON.stringify(userId)}`);
    issued = { userSig, userId: issuedTo };
    return pass(
      `POST /v1/usersig ${as}: a UserSig of app ${decoded.sdkAppId} for ${JSON.stringify(issuedTo)}, valid ${decoded.expireSeconds} s`,
    );
  });

  await check("verify", async () => {
    if (apiKey === undefined) return skip("POST /v1/verify needs an API key (--api-key-stdin)");
    if (issued === undefined) return fail("nothing to verify: issuing failed");
    const a = await call("POST", "/v1/verify", { ...app, userSig: issued.userSig, userId: issued.userId });
    if (a.status !== 200 || a.body?.["valid"] !== true) return fail(`POST /v1/verify answered ${problem(a)}`);
    return pass("POST /v1/verify: the issued UserSig is valid");
  });

  await check("admin refused", async () => {
    const a = await call("POST", "/v1/usersig", { ...app, userId: adminId });
    if (a.body?.["userSig"] !== undefined) {
      return fail(`POST /v1/usersig ${as} ISSUED a UserSig for the admin identity ${JSON.stringify(adminId)}`);
    }
    const code = a.body?.["code"];
    if (apiKey !== undefined) {
      return a.status === 403 && code === "ADMIN_IDENTITY_FORBIDDEN"
        ? pass(`POST /v1/usersig for ${JSON.stringify(adminId)}: 403 ADMIN_IDENTITY_FORBIDDEN`)
        : fail(
            `POST /v1/usersig for ${JSON.stringify(adminId)} answered ${problem(a)}, not 403 ADMIN_IDENTITY_FORBIDDEN`,
          );
    }
    return a.status >= 400 && a.status < 500
      ? pass(
          `POST /v1/usersig as a guest naming ${JSON.stringify(adminId)}: ${problem(a)} (with --api-key-stdin the admin guard itself is checked)`,
        )
      : fail(`POST /v1/usersig as a guest naming ${JSON.stringify(adminId)} answered ${problem(a)}`);
  });

  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const summary = { passed: count("pass"), failed: count("fail"), skipped: count("skip") };
  if (args.json) writeJson(io, { url: base, checks: results, ...summary });
  else io.stdout(`smoke: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped\n`);
  return summary.failed === 0 ? ExitCode.Ok : ExitCode.Invalid;
}

function baseUrl(value: string | undefined): string {
  if (value === undefined)
    throw usageError("smoke needs the broker's URL, e.g. `usersig-broker smoke https://rtc-auth.example.com`");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError("smoke: the URL must be absolute, e.g. https://rtc-auth.example.com");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw usageError("smoke: the URL must be http or https");
  if (url.username !== "" || url.password !== "" || url.search !== "") {
    throw usageError("smoke: give the broker's base URL without credentials or a query");
  }
  return url.href.replace(/\/+$/, "");
}

function pass(detail: string): Omit<CheckResult, "name"> {
  return { outcome: "pass", detail };
}

function fail(detail: string): Omit<CheckResult, "name"> {
  return { outcome: "fail", detail };
}

function skip(detail: string): Omit<CheckResult, "name"> {
  return { outcome: "skip", detail };
}

/** `403 USERID_NOT_ALLOWED (This API key may not choose UserIDs.)`: status, problem code and detail. */
function problem(a: Answer): string {
  const code = typeof a.body?.["code"] === "string" ? ` ${a.body["code"]}` : "";
  const detail = typeof a.body?.["detail"] === "string" ? ` (${a.body["detail"]})` : "";
  return `${a.status}${code}${detail}`;
}

function networkError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === "string" ? ` (${cause.code})` : "";
  return `could not reach the broker${code}`;
}
