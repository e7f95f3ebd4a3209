/**
 * The Worker's configuration: BROKER_CONFIG checked with checkConfigValue (check.ts: judgeConfig
 * without its list of secrets; the validator compiled from the zod schema, zod's locale only to word
 * a problem), then the secrets it needs read from the environment. Parsed once per isolate: the
 * result is cached (in the isolate state, src/isolate.ts) for the same config and secrets. A bad
 * config fails every request with a CONFIG_ERROR naming the field, and is logged once.
 */

import { type AdminSet, adminSetOf } from "../admins/set.js";
import { limits } from "../usersig/index.js";
import {
  callbackSecretNames,
  checkConfigValue,
  formatConfigIssue,
  OPERATOR_TOKEN_SECRET,
  PLACEHOLDER_SECRET_VALUES,
  secretKeyName,
  trtcSecretNames,
} from "./check.js";
import { ConfigError } from "./errors.js";
import type { AppConfig, BrokerConfig } from "./schema.js";

/**
 * The environment as this module reads it: the Worker's BrokerEnv (src/env.ts), or a `.dev.vars`
 * file read by the CLI. Structural, so the CLI (type-checked without the Workers types) can use it.
 */
type EnvVars = Readonly<Record<string, unknown>>;

export interface LoadedApp {
  config: AppConfig;
  /** The app's Tencent secret key (Worker secret SECRET_KEY_<sdkAppId>). */
  secretKey: string;
  /** Turnstile secret, when the app's guests need a challenge. */
  turnstileSecret?: string;
  /** The CAM key pair for the TRTC Cloud API, when the app has `trtc` (TRTC_SECRET_ID_/TRTC_SECRET_KEY_<sdkAppId>). */
  trtcCredentials?: { secretId: string; secretKey: string };
  /**
   * What verifies Tencent's callbacks for this app, when `callbacks` switches them on: the TRTC
   * callback key (TRTC_CALLBACK_KEY_<sdkAppId>) and the Chat callback token (CHAT_CALLBACK_TOKEN_<sdkAppId>).
   */
  callbackSecrets: { trtcKey?: string; chatToken?: string };
  /** Anchored, compiled userIdPattern. */
  userIdRule: RegExp;
  /** Admin identities from the config (always admins, whatever KV says), as the guard compares them. */
  configAdmins: AdminSet;
}

export interface LoadedConfig {
  apps: ReadonlyMap<number, LoadedApp>;
  /** The only app, when exactly one is configured (then `sdkAppId` may be omitted). */
  single: LoadedApp | undefined;
  /** Every origin any app allows (a preflight does not say which app it is for). */
  allOrigins: ReadonlySet<string>;
  /** The operator API's bearer token; undefined when unset (that API is then off). */
  operatorToken: string | undefined;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; error: ConfigError };

export interface ConfigCache {
  /** The config for this environment: parsed on first use, then again only when it or a secret changes. */
  load(env: EnvVars): Promise<LoadResult>;
}

export function createConfigCache(): ConfigCache {
  let cache: { raw: string | undefined; secrets: Map<string, string>; result: LoadResult } | undefined;
  return {
    async load(env) {
      const raw = rawConfig(env.BROKER_CONFIG);
      // The parsed config holds secret values (the apps' keys), so the cache is valid only for the
      // same config and the same secrets: a handful of string comparisons per request.
      if (cache && cache.raw === raw && sameSecrets(cache.secrets, env)) return cache.result;
      const result = await loadConfig(env);
      if (!result.ok) console.error(JSON.stringify({ event: "config_error", detail: result.error.detail }));
      cache = { raw, secrets: stringEntries(env), result };
      return result;
    },
  };
}

/** One thing wrong with BROKER_CONFIG or a secret, in the words of the Worker's CONFIG_ERROR. */
export interface ConfigProblem {
  detail: string;
  /** The BROKER_CONFIG field (`apps[0].sdkAppId`), for a problem in the config itself. */
  field?: string;
}

export type Judgement = { ok: true; config: LoadedConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * The Worker's one judgement of an environment (BROKER_CONFIG and the secrets it needs): every
 * problem, or the loaded config. Pure. The CLI's `check-config` judges a `.dev.vars` file with it
 * (src/cli/check-config.ts), so the two cannot disagree.
 */
export async function judgeEnvironment(env: EnvVars): Promise<Judgement> {
  const checked = checkConfigValue(env.BROKER_CONFIG);
  if (!checked.ok) {
    return {
      ok: false,
      problems: checked.errors.map((issue) => ({ detail: formatConfigIssue(issue), field: issue.field })),
    };
  }
  return build(checked.config, env);
}

/** Parses and checks the config and its secrets, uncached. */
async function loadConfig(env: EnvVars): Promise<LoadResult> {
  const judged = await judgeEnvironment(env);
  if (judged.ok) return judged;
  const [first] = judged.problems;
  const more = judged.problems.length > 1 ? ` (and ${judged.problems.length - 1} more problem(s))` : "";
  return fail(`${first ? first.detail : "BROKER_CONFIG is not valid."}${more}`, first?.field || undefined);
}

function build(config: BrokerConfig, env: EnvVars): Judgement {
  const apps = new Map<number, LoadedApp>();
  const allOrigins = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const app of config.apps) {
    const name = secretKeyName(app.sdkAppId);
    const secretKey = env[name];
    if (typeof secretKey !== "string" || secretKey.length === 0) {
      problems.push({
        detail: `${name} is not set: add it with \`wrangler secret put ${name}\` (or in .dev.vars locally).`,
      });
      continue;
    }
    if (secretKey.length > limits.SECRET_KEY_MAX_CHARS) {
      problems.push({
        detail: `${name} is longer than ${limits.SECRET_KEY_MAX_CHARS} characters: not a Tencent secret key.`,
      });
      continue;
    }
    if (isPlaceholder(secretKey)) {
      problems.push(placeholder(name));
      continue;
    }
    const loaded: LoadedApp = {
      config: app,
      secretKey,
      userIdRule: new RegExp(`^(?:${app.userIdPattern})$`, "u"),
      configAdmins: adminSetOf(app.admins),
      callbackSecrets: {},
    };
    const turnstile = app.guests.turnstile;
    if (app.guests.enabled && turnstile) {
      const secret = env[turnstile.secretName];
      if (typeof secret !== "string" || secret.length === 0) {
        problems.push({ detail: `${turnstile.secretName} is not set: the Turnstile secret of app ${app.sdkAppId}.` });
      } else if (isPlaceholder(secret)) {
        problems.push(placeholder(turnstile.secretName));
      } else {
        loaded.turnstileSecret = secret;
      }
    }
    if (app.trtc) {
      const names = trtcSecretNames(app.sdkAppId);
      const secretId = env[names.secretId];
      const secretKey = env[names.secretKey];
      let usable = true;
      for (const [name, value] of [
        [names.secretId, secretId],
        [names.secretKey, secretKey],
      ] as const) {
        if (typeof value !== "string" || value.length === 0) {
          problems.push({
            detail: `${name} is not set: the TRTC Cloud API key of app ${app.sdkAppId} (wrangler secret put ${name}).`,
          });
          usable = false;
        } else if (isPlaceholder(value)) {
          problems.push(placeholder(name));
          usable = false;
        }
      }
      if (usable) loaded.trtcCredentials = { secretId: secretId as string, secretKey: secretKey as string };
    }
    const callbackNames = callbackSecretNames(app.sdkAppId);
    if (app.callbacks?.trtc) {
      const key = callbackSecret(env, callbackNames.trtcKey, TRTC_CALLBACK_KEY, problems);
      if (key !== undefined) loaded.callbackSecrets.trtcKey = key;
    }
    if (app.callbacks?.chat) {
      const token = callbackSecret(env, callbackNames.chatToken, CHAT_CALLBACK_TOKEN, problems);
      if (token !== undefined) loaded.callbackSecrets.chatToken = token;
    }
    for (const origin of app.cors.origins) allOrigins.add(origin);
    apps.set(app.sdkAppId, loaded);
  }
  const token = env[OPERATOR_TOKEN_SECRET];
  if (typeof token === "string" && isPlaceholder(token)) problems.push(placeholder(OPERATOR_TOKEN_SECRET));
  if (problems.length > 0) return { ok: false, problems };
  const single = apps.size === 1 ? apps.values().next().value : undefined;
  return {
    ok: true,
    config: { apps, single, allOrigins, operatorToken: typeof token === "string" && token !== "" ? token : undefined },
  };
}

/** The key set in the TRTC console: "up to 32 uppercase and lowercase letters and digits" (https://trtc.io/document/39558). */
const TRTC_CALLBACK_KEY = {
  rule: /^[A-Za-z0-9]{1,32}$/,
  what: "the TRTC callback key (1 to 32 letters and digits, as set in the TRTC console)",
};
/** The Chat callback token: 1 to 128 characters (live_config/set_callback_token, https://cloud.tencent.com/document/product/647/118333). */
const CHAT_CALLBACK_TOKEN = {
  rule: /^[\s\S]{1,128}$/,
  what: "the Chat callback token (1 to 128 characters, as set in the Chat console)",
};

/** A callback secret the config needs, or undefined with the problem recorded (never its value). */
function callbackSecret(
  env: EnvVars,
  name: string,
  format: { rule: RegExp; what: string },
  problems: ConfigProblem[],
): string | undefined {
  const value = env[name];
  if (typeof value !== "string" || value.length === 0) {
    problems.push({ detail: `${name} is not set: ${format.what} (wrangler secret put ${name}).` });
  } else if (isPlaceholder(value)) {
    problems.push(placeholder(name));
  } else if (!format.rule.test(value)) {
    problems.push({ detail: `${name} is not ${format.what}.` });
  } else {
    return value;
  }
  return undefined;
}

/** BROKER_CONFIG as the cache compares it: the string, or a `[vars]` table serialized. */
function rawConfig(value: unknown): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  try {
    return `table:${JSON.stringify(value)}`;
  } catch {
    return undefined;
  }
}

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_SECRET_VALUES.includes(value.trim());
}

function placeholder(name: string): ConfigProblem {
  return {
    detail: `${name} still holds the placeholder from .dev.vars.example: set a real value (wrangler secret put ${name}, or .dev.vars locally).`,
  };
}

function fail(detail: string, field?: string): LoadResult {
  return { ok: false, error: new ConfigError("CONFIG_ERROR", detail, field ? { data: { field } } : {}) };
}

function stringEntries(env: EnvVars): Map<string, string> {
  const entries = new Map<string, string>();
  for (const key in env) {
    const value = env[key];
    if (typeof value === "string") entries.set(key, value);
  }
  return entries;
}

function sameSecrets(cached: Map<string, string>, env: EnvVars): boolean {
  let count = 0;
  for (const key in env) {
    const value = env[key];
    if (typeof value !== "string") continue;
    if (cached.get(key) !== value) return false;
    count++;
  }
  return count === cached.size;
}
