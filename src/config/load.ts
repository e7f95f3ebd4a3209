/**
 * Parses and validates BROKER_CONFIG and the secrets it needs, once per isolate (the result is
 * cached by the raw string). A bad config fails every request with a 500 problem naming the field,
 * and is logged once.
 */

import type { BrokerEnv } from "../env.js";
import { type Problem, problems } from "../http/problem.js";
import { limits } from "../usersig/index.js";
import { type AppConfig, type BrokerConfig, configSchema } from "./schema.js";
import type * as z from "./zod.js";

export interface LoadedApp {
  config: AppConfig;
  /** The app's Tencent secret key (Worker secret SECRET_KEY_<sdkAppId>). */
  secretKey: string;
  /** Turnstile secret, when the app's guests need a challenge. */
  turnstileSecret?: string;
  /** Anchored, compiled userIdPattern. */
  userIdRule: RegExp;
  /** Admin identities from the config (always admins, whatever KV says). */
  configAdmins: ReadonlySet<string>;
}

export interface LoadedConfig {
  apps: ReadonlyMap<number, LoadedApp>;
  /** The only app, when exactly one is configured (then `sdkAppId` may be omitted). */
  single: LoadedApp | undefined;
  /** Every origin any app allows (a preflight does not say which app it is for). */
  allOrigins: ReadonlySet<string>;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; problem: Problem };

let cache: { raw: string | undefined; secrets: Map<string, string>; result: LoadResult } | undefined;

export function secretKeyName(sdkAppId: number): string {
  return `SECRET_KEY_${sdkAppId}`;
}

export function loadConfig(env: BrokerEnv): LoadResult {
  const raw = env.BROKER_CONFIG;
  // The parsed config holds secret values (the apps' keys), so the cache is valid only for the same
  // config string and the same secrets: a handful of string comparisons per request.
  if (cache && cache.raw === raw && sameSecrets(cache.secrets, env)) return cache.result;
  const result = parse(raw, env);
  if (!result.ok) {
    console.error(JSON.stringify({ event: "config_error", detail: result.problem.detail }));
  }
  cache = { raw, secrets: stringEntries(env), result };
  return result;
}

function parse(raw: string | undefined, env: BrokerEnv): LoadResult {
  if (raw === undefined || raw.trim() === "") {
    return fail("BROKER_CONFIG is not set. `npm start` runs the demo configuration; see README, Configuration.");
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return fail("BROKER_CONFIG is not valid JSON.");
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) return fail(describeIssue(parsed.error));
  return build(parsed.data, env);
}

function build(config: BrokerConfig, env: BrokerEnv): LoadResult {
  const apps = new Map<number, LoadedApp>();
  const allOrigins = new Set<string>();
  for (const app of config.apps) {
    const name = secretKeyName(app.sdkAppId);
    const secretKey = env[name];
    if (typeof secretKey !== "string" || secretKey.length === 0) {
      return fail(`${name} is not set: add it with \`wrangler secret put ${name}\` (or in .dev.vars locally).`);
    }
    if (secretKey.length > limits.SECRET_KEY_MAX_CHARS) {
      return fail(`${name} is longer than ${limits.SECRET_KEY_MAX_CHARS} characters: not a Tencent secret key.`);
    }
    const loaded: LoadedApp = {
      config: app,
      secretKey,
      userIdRule: new RegExp(`^(?:${app.userIdPattern})$`, "u"),
      configAdmins: new Set(app.admins),
    };
    const turnstile = app.guests.turnstile;
    if (app.guests.enabled && turnstile) {
      const secret = env[turnstile.secretName];
      if (typeof secret !== "string" || secret.length === 0) {
        return fail(`${turnstile.secretName} is not set: the Turnstile secret of app ${app.sdkAppId}.`);
      }
      loaded.turnstileSecret = secret;
    }
    for (const origin of app.cors.origins) allOrigins.add(origin);
    apps.set(app.sdkAppId, loaded);
  }
  const single = apps.size === 1 ? apps.values().next().value : undefined;
  return { ok: true, config: { apps, single, allOrigins } };
}

function describeIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "BROKER_CONFIG is not valid.";
  let path = "BROKER_CONFIG";
  for (const part of issue.path) path += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : "";
  return `${path}: ${issue.message}${more}`;
}

function fail(detail: string): LoadResult {
  return { ok: false, problem: problems.configError(detail) };
}

function stringEntries(env: BrokerEnv): Map<string, string> {
  const entries = new Map<string, string>();
  for (const key in env) {
    const value = env[key];
    if (typeof value === "string") entries.set(key, value);
  }
  return entries;
}

function sameSecrets(cached: Map<string, string>, env: BrokerEnv): boolean {
  let count = 0;
  for (const key in env) {
    const value = env[key];
    if (typeof value !== "string") continue;
    if (cached.get(key) !== value) return false;
    count++;
  }
  return count === cached.size;
}
