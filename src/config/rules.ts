/**
 * The rules of BROKER_CONFIG that a schema's own checks cannot say (a URL's shape, a regular
 * expression that compiles, cross-field conditions), as plain functions without zod. The zod
 * schema (schema.ts) calls them through `z.refine` / `z.superRefine`, and so does the validator
 * compiled from it at build time (scripts/build-validators.mjs), which imports them from here: the
 * Worker's hot path never loads zod. A refinement must be an exported function of a module the
 * compiler knows (scripts/build-validators.mjs, RULE_MODULES), or the build stops and says so.
 *
 * Also the constants of the schema that the Worker reads without it (the siteverify URL, Chat's
 * name rule).
 */

import type { AppFields } from "./schema.js";

/** Cloudflare Turnstile's siteverify endpoint (src/auth/turnstile.ts calls it). */
export const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/** One of Tencent's Chat REST service or command names (tencent/chat.ts checks the same). */
export const CHAT_NAME_SOURCE = "[A-Za-z0-9_]{1,64}";
export const CHAT_NAME = new RegExp(`^${CHAT_NAME_SOURCE}$`);

/** What a refused before-send answers (Tencent: 1 refuses; 120001 to 130000 refuses and tells the sender). */
export const BEFORE_SEND_REFUSE_CODE_MIN = 120_001;
export const BEFORE_SEND_REFUSE_CODE_MAX = 130_000;

export function isBeforeSendRefuseCode(code: number): boolean {
  return code === 1 || (code >= BEFORE_SEND_REFUSE_CODE_MIN && code <= BEFORE_SEND_REFUSE_CODE_MAX);
}

/** Plain http to a local fake, for tests only: 127.0.0.1 or localhost, with a port. */
function isLoopbackWithPort(url: URL): boolean {
  return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost") && url.port !== "";
}

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The base-URL rule every Tencent API origin follows (`chat.apiBaseUrl`, `trtc.apiBaseUrl`): an origin
 * (no path, no credentials), https; plain http only for 127.0.0.1 or localhost with a port (local tests).
 */
export function isApiBaseUrl(value: string): boolean {
  const url = parsedUrl(value);
  if (!url || url.origin !== value.replace(/\/$/, "") || url.username || url.password) return false;
  return url.protocol === "https:" || isLoopbackWithPort(url);
}

/** Cloudflare's siteverify, or (the same rule as chat.apiBaseUrl) a loopback fake with a port. */
export function isSiteverifyUrl(value: string): boolean {
  const url = parsedUrl(value);
  if (!url || url.username || url.password || url.search || url.hash) return false;
  return value === SITEVERIFY_URL || isLoopbackWithPort(url);
}

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/**
 * An IdP's JWKS URL: https, or http for localhost. zod runs this refinement even after `z.url()`
 * has refused the value (a format issue does not abort), so it must not throw on a non-URL.
 */
export function isHttpsOrLocalUrl(value: string): boolean {
  const url = parsedUrl(value);
  if (!url) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOCAL_HOSTS.includes(url.hostname));
}

/** A browser origin (scheme, host, optional port), never `null` nor a path. */
export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.origin === value && value !== "null";
  } catch {
    return false;
  }
}

/** A pattern `new RegExp(pattern, "u")` accepts. */
export function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

/** A lifetime's default is within its max. */
export function defaultWithinMax(lifetime: { default: number; max: number }): boolean {
  return lifetime.default <= lifetime.max;
}

/** An issuer has a JWKS from exactly one place. */
export function oneJwksSource(issuer: { jwksUri?: string | undefined; jwks?: unknown }): boolean {
  return (issuer.jwksUri === undefined) !== (issuer.jwks === undefined);
}

/** How a cross-field rule reports a problem (zod's refinement context, or the compiled validator's). */
export interface IssueSink {
  addIssue(issue: { code: "custom"; message: string; path: (string | number)[] }): void;
}

/** No two apps with the same sdkAppId. */
export function uniqueSdkAppIds(apps: readonly { sdkAppId: number }[], ctx: IssueSink): void {
  const seen = new Set<number>();
  apps.forEach((app, i) => {
    if (seen.has(app.sdkAppId)) ctx.addIssue({ code: "custom", message: "duplicate sdkAppId", path: [i, "sdkAppId"] });
    seen.add(app.sdkAppId);
  });
}

/** The old and the new key of a rotation. */
const API_KEYS_PER_NAME_MAX = 2;

type ApiKeyFields = AppFields["apiKeys"][number];

function samePermissions(a: ApiKeyFields, b: ApiKeyFields): boolean {
  return (
    a.allowUserId === b.allowUserId &&
    a.allowAdmin === b.allowAdmin &&
    a.allowModeration === b.allowModeration &&
    a.chatCommands.length === b.chatCommands.length &&
    a.chatCommands.every((command) => b.chatCommands.includes(command))
  );
}

/** What one field's schema cannot see: duplicates and identity namespaces across the app. */
export function checkApp(app: AppFields, ctx: IssueSink): void {
  const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: "custom", message, path });
  // Two keys may share a name: the old and the new key of a rotation. They are one caller (the
  // name is the rate-limit subject and the audit name), so they must allow exactly the same.
  const byName = new Map<string, { index: number; count: number }>();
  const hashes = new Set<string>();
  app.apiKeys.forEach((key, i) => {
    const first = byName.get(key.name);
    if (first === undefined) byName.set(key.name, { index: i, count: 1 });
    else if (++first.count > API_KEYS_PER_NAME_MAX) {
      issue("at most two API keys may share a name (the old and the new key of a rotation)", ["apiKeys", i, "name"]);
    } else if (!samePermissions(app.apiKeys[first.index] as ApiKeyFields, key)) {
      issue(
        `shares its name with apiKeys[${first.index}] (a rotation) but not its permissions: allow exactly the same`,
        ["apiKeys", i, "name"],
      );
    }
    if (hashes.has(key.sha256)) issue("duplicate API key hash", ["apiKeys", i, "sha256"]);
    hashes.add(key.sha256);
  });
  // Identities from different sources must not share a namespace: the same `sub` at two IdPs
  // would otherwise be one Tencent user.
  const issuers = app.idp?.issuers ?? [];
  if (issuers.length > 1) {
    const prefixes = new Set<string>();
    issuers.forEach((issuer, i) => {
      if (issuer.userIdPrefix === "" || prefixes.has(issuer.userIdPrefix)) {
        issue("with several issuers, each needs its own non-empty userIdPrefix", ["idp", "issuers", i, "userIdPrefix"]);
      }
      prefixes.add(issuer.userIdPrefix);
    });
  }
  if (app.chat && (app.chat.adminUserId ?? app.admins[0]) === undefined) {
    issue("chat needs an admin identity: list one in admins", ["chat"]);
  }
  if (app.chat?.adminUserId !== undefined && !app.admins.includes(app.chat.adminUserId)) {
    issue("must be one of the app's admins", ["chat", "adminUserId"]);
  }
  if (app.guests.enabled && app.guests.userIdPrefix === "" && issuers.length > 0) {
    issue("guests of an app with an identity provider need a userIdPrefix (IdP users could take their IDs)", [
      "guests",
      "userIdPrefix",
    ]);
  }
}
