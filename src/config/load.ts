/**
 * The Worker's configuration, checked once per isolate in parts (check.ts): on first use its top
 * level (the JSON, `inspector`, `apps` a list of 1 or more, each app's `sdkAppId` valid and unique,
 * ADMIN_API_TOKEN not a placeholder), and each app (its fields, its rules, its secrets) when a
 * request first needs that app. Each part's result is cached (in the isolate state, src/isolate.ts)
 * for the same config and secrets. A bad top level fails every request (GET /healthz too) with a
 * CONFIG_ERROR naming the field; a bad app fails the requests that need it, and no other; each bad
 * part is logged once. The whole judgement (every part: judgeEnvironment, and so the CLI's
 * `check-config`) is composed from the same parts.
 */

import { type AdminSet, adminSetOf } from "../admins/set.js";
import { limits } from "../usersig/index.js";
import {
  type ConfigIssue,
  type ConfigTop,
  callbackSecretNames,
  checkAppPart,
  checkConfigTop,
  checkEveryPart,
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

/**
 * The config whose top level passed. An app is checked (its fields, its rules, its secrets) when
 * first asked for, once per isolate; a method that needs an app whose part is bad throws that
 * part's CONFIG_ERROR (the same problem the whole judgement names first for it).
 */
export interface LoadedConfig {
  /** Every app's SDKAppID, in the config's order (checked at the top level). */
  readonly sdkAppIds: readonly number[];
  /** The app with this SDKAppID, undefined when none is configured; throws its CONFIG_ERROR when its part is bad. */
  app(sdkAppId: number): LoadedApp | undefined;
  /** The only app, when exactly one is configured (then `sdkAppId` may be omitted); throws as `app`. */
  single(): LoadedApp | undefined;
  /** Every app, each checked: throws the CONFIG_ERROR of the first bad one. */
  apps(): ReadonlyMap<number, LoadedApp>;
  /** The apps whose parts pass, each checked; a bad one is left out (and logged once). */
  usableApps(): readonly LoadedApp[];
  /**
   * What GET /v1/apps lists: the usable apps, so one bad app does not hide the others from a page;
   * throws the first app's CONFIG_ERROR when none passes (an empty list would read as "no apps").
   */
  listedApps(): readonly LoadedApp[];
  /**
   * Every origin a usable app allows (a preflight does not say which app it is for): a bad app's
   * origins are not in it, so its preflights are refused while the other apps' pass.
   */
  allOrigins(): ReadonlySet<string>;
  /** The operator API's bearer token; undefined when unset (that API is then off). */
  readonly operatorToken: string | undefined;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; error: ConfigError };
type AppResult = { ok: true; app: LoadedApp } | { ok: false; error: ConfigError };

export interface ConfigCache {
  /**
   * The config's top level for this environment: checked on first use, then again only when the
   * config or a secret changes (and with it every app's part, each again on first use).
   */
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
      const secrets = stringEntries(env);
      // The apps' parts read their secrets from this copy: the strings this cache entry is for.
      const vars: EnvVars = Object.fromEntries(secrets);
      const result = loadTop(env.BROKER_CONFIG, vars, (top, operatorToken) =>
        configOf(top.sdkAppIds, operatorToken, (i) => {
          const loaded = loadAppPart(top.rawApps[i], i, vars);
          if (!loaded.ok) logConfigError(loaded.error);
          return loaded;
        }),
      );
      if (!result.ok) logConfigError(result.error);
      cache = { raw, secrets, result };
      return result;
    },
  };
}

/** One thing wrong with BROKER_CONFIG or a secret, in the words of the Worker's CONFIG_ERROR. */
export interface ConfigProblem {
  detail: string;
  /** The BROKER_CONFIG field (`apps[0].sdkAppId`), for a problem in the config itself. */
  field?: string;
  /** The secret's name (`ADMIN_API_TOKEN`), for a problem with a secret's value or its absence. */
  secret?: string;
}

export type Judgement = { ok: true; config: LoadedConfig } | { ok: false; problems: ConfigProblem[] };

/**
 * The Worker's whole judgement of an environment (BROKER_CONFIG and the secrets it needs): every
 * problem of every part, or the loaded config with every app checked. The same parts as the
 * Worker's cache, composed (check.ts checkEveryPart): the top level's problems (its fields, else
 * ADMIN_API_TOKEN), then each app's (its fields, else its secrets; its secrets only when the top
 * level passes), so a top-level problem is the one every request of the Worker answers with, and
 * otherwise each app's first problem is the one its requests answer with. Pure. The CLI's `check-config` judges
 * a `.dev.vars` file with it (src/cli/check-config.ts), so the two cannot disagree.
 */
export async function judgeEnvironment(env: EnvVars): Promise<Judgement> {
  const { top, apps } = checkEveryPart(env.BROKER_CONFIG);
  const problems: ConfigProblem[] = [];
  let token: string | undefined;
  if (!top.ok) problems.push(...top.errors.map(problemOf));
  else {
    const read = operatorToken(env);
    if (read.ok) token = read.token;
    else problems.push(read.problem);
  }
  const results = apps.map((app): AppResult => {
    // A bad top level fails every request before any app's secrets are read: only the apps' own
    // fields are judged then (listing their secrets would name problems the Worker never reaches,
    // twice for an sdkAppId listed twice).
    const readSecrets = top.ok;
    const built = !app.ok
      ? { ok: false as const, problems: app.errors.map(problemOf) }
      : readSecrets
        ? buildApp(app.config, env)
        : { ok: false as const, problems: [] };
    if (built.ok) return { ok: true, app: built.app };
    problems.push(...built.problems);
    return { ok: false, error: configError(built.problems) };
  });
  if (!top.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, config: configOf(top.top.sdkAppIds, token, (i) => results[i] as AppResult) };
}

/** The top level: its check and ADMIN_API_TOKEN; `make` builds the config from them. */
function loadTop(
  value: unknown,
  env: EnvVars,
  make: (top: ConfigTop, operatorToken: string | undefined) => LoadedConfig,
): LoadResult {
  const top = checkConfigTop(value);
  if (!top.ok) return { ok: false, error: configError(top.errors.map(problemOf)) };
  const token = operatorToken(env);
  if (!token.ok) return { ok: false, error: configError([token.problem]) };
  return { ok: true, config: make(top.top, token.token) };
}

/** App `index`'s part: its fields and rules (check.ts checkAppPart), then its secrets. */
function loadAppPart(raw: unknown, index: number, env: EnvVars): AppResult {
  const checked = checkAppPart(raw, index);
  if (!checked.ok) return { ok: false, error: configError(checked.errors.map(problemOf)) };
  const built = buildApp(checked.config, env);
  return built.ok ? { ok: true, app: built.app } : { ok: false, error: configError(built.problems) };
}

/** A LoadedConfig over app `i`'s part (`part(i)`: called at most once per app). */
function configOf(
  sdkAppIds: readonly number[],
  operatorToken: string | undefined,
  part: (index: number) => AppResult,
): LoadedConfig {
  const parts: (AppResult | undefined)[] = [];
  const partAt = (i: number): AppResult => {
    let result = parts[i];
    if (result === undefined) {
      result = part(i);
      parts[i] = result;
    }
    return result;
  };
  const appAt = (i: number): LoadedApp => {
    const result = partAt(i);
    if (!result.ok) throw result.error;
    return result.app;
  };
  const indexOf = new Map(sdkAppIds.map((sdkAppId, i) => [sdkAppId, i]));
  let all: ReadonlyMap<number, LoadedApp> | undefined;
  let usable: readonly LoadedApp[] | undefined;
  let origins: ReadonlySet<string> | undefined;
  const config: LoadedConfig = {
    sdkAppIds,
    operatorToken,
    app(sdkAppId) {
      const i = indexOf.get(sdkAppId);
      return i === undefined ? undefined : appAt(i);
    },
    single: () => (sdkAppIds.length === 1 ? appAt(0) : undefined),
    apps() {
      all ??= new Map(sdkAppIds.map((sdkAppId, i) => [sdkAppId, appAt(i)]));
      return all;
    },
    usableApps() {
      usable ??= sdkAppIds.flatMap((_, i) => {
        const result = partAt(i);
        return result.ok ? [result.app] : [];
      });
      return usable;
    },
    listedApps() {
      const listed = config.usableApps();
      if (listed.length === 0) appAt(0);
      return listed;
    },
    allOrigins() {
      origins ??= new Set(config.usableApps().flatMap((app) => app.config.cors.origins));
      return origins;
    },
  };
  return config;
}

/**
 * How the Worker reads one secret: its name; what an unset or empty value is (`unset`: the words of
 * the problem, or undefined for a secret that may be unset: ADMIN_API_TOKEN, which only turns the
 * operator API on); and a rule a value that is set must also follow, after the placeholder check
 * (`format`: the words of the problem when it does not). Every secret the Worker reads is read
 * through readSecret with its rule, and judgeSecretValues judges a secrets file with the same rules.
 */
interface SecretRule<Unset extends string | undefined = string | undefined> {
  name: string;
  /** The problem when the secret is unset; undefined: it may be unset. */
  unset: Unset;
  format?: (value: string) => string | undefined;
}

/** The rules of the secrets one app reads, each present when the app's config uses that secret. */
interface AppSecretRules {
  secretKey: SecretRule<string>;
  turnstile?: SecretRule;
  trtcSecretId?: SecretRule;
  trtcSecretKey?: SecretRule;
  trtcCallbackKey?: SecretRule;
  chatCallbackToken?: SecretRule;
}

/** What of an app needs a secret: the Turnstile secret's name (guests behind a challenge), `trtc`, `callbacks`. */
interface SecretUses {
  turnstileSecretName?: string | undefined;
  trtc: boolean;
  trtcCallbacks: boolean;
  chatCallbacks: boolean;
}

const OPERATOR_TOKEN_RULE: SecretRule<undefined> = { name: OPERATOR_TOKEN_SECRET, unset: undefined };

function appSecretRules(app: AppConfig): AppSecretRules {
  const turnstile = app.guests.enabled ? app.guests.turnstile : undefined;
  return secretRulesOf(app.sdkAppId, {
    turnstileSecretName: turnstile?.secretName,
    trtc: Boolean(app.trtc),
    trtcCallbacks: Boolean(app.callbacks?.trtc),
    chatCallbacks: Boolean(app.callbacks?.chat),
  });
}

function secretRulesOf(sdkAppId: number, uses: SecretUses): AppSecretRules {
  const key = secretKeyName(sdkAppId);
  const rules: AppSecretRules = {
    secretKey: {
      name: key,
      unset: `${key} is not set: add it with \`wrangler secret put ${key}\` (or in .dev.vars locally).`,
      format: (value) =>
        value.length > limits.SECRET_KEY_MAX_CHARS
          ? `${key} is longer than ${limits.SECRET_KEY_MAX_CHARS} characters: not a Tencent secret key.`
          : undefined,
    },
  };
  if (uses.turnstileSecretName !== undefined) {
    const name = uses.turnstileSecretName;
    rules.turnstile = { name, unset: `${name} is not set: the Turnstile secret of app ${sdkAppId}.` };
  }
  if (uses.trtc) {
    const names = trtcSecretNames(sdkAppId);
    const trtcKey = (name: string): SecretRule => ({
      name,
      unset: `${name} is not set: the TRTC Cloud API key of app ${sdkAppId} (wrangler secret put ${name}).`,
    });
    rules.trtcSecretId = trtcKey(names.secretId);
    rules.trtcSecretKey = trtcKey(names.secretKey);
  }
  const callbacks = callbackSecretNames(sdkAppId);
  if (uses.trtcCallbacks) rules.trtcCallbackKey = callbackRule(callbacks.trtcKey, TRTC_CALLBACK_KEY);
  if (uses.chatCallbacks) rules.chatCallbackToken = callbackRule(callbacks.chatToken, CHAT_CALLBACK_TOKEN);
  return rules;
}

function callbackRule(name: string, format: { rule: RegExp; what: string }): SecretRule {
  return {
    name,
    unset: `${name} is not set: ${format.what} (wrangler secret put ${name}).`,
    format: (value) => (format.rule.test(value) ? undefined : `${name} is not ${format.what}.`),
  };
}

type SecretRead<Value> = { ok: true; value: Value } | { ok: false; problem: ConfigProblem };

/**
 * One secret, read by its rule: its value (undefined: unset, and allowed to be), or its problem
 * (never the value). A rule that names the problem of an unset secret always reads a string.
 */
function readSecret(env: EnvVars, rule: SecretRule<string>): SecretRead<string>;
function readSecret(env: EnvVars, rule: SecretRule): SecretRead<string | undefined>;
function readSecret(env: EnvVars, rule: SecretRule): SecretRead<string | undefined> {
  const value = env[rule.name];
  if (typeof value !== "string" || value.length === 0) {
    if (rule.unset === undefined) return { ok: true, value: undefined };
    return { ok: false, problem: { detail: rule.unset, secret: rule.name } };
  }
  if (isPlaceholder(value)) return { ok: false, problem: placeholder(rule.name) };
  const wrong = rule.format?.(value);
  if (wrong !== undefined) return { ok: false, problem: { detail: wrong, secret: rule.name } };
  return { ok: true, value };
}

/** One app's secrets, read and checked, or every problem with them (never a value). */
function buildApp(
  app: AppConfig,
  env: EnvVars,
): { ok: true; app: LoadedApp } | { ok: false; problems: ConfigProblem[] } {
  const rules = appSecretRules(app);
  const key = readSecret(env, rules.secretKey);
  if (!key.ok) return { ok: false, problems: [key.problem] };
  const loaded: LoadedApp = {
    config: app,
    secretKey: key.value,
    userIdRule: new RegExp(`^(?:${app.userIdPattern})$`, "u"),
    configAdmins: adminSetOf(app.admins),
    callbackSecrets: {},
  };
  const problems: ConfigProblem[] = [];
  const read = (rule: SecretRule | undefined): string | undefined => {
    if (rule === undefined) return undefined;
    const result = readSecret(env, rule);
    if (result.ok) return result.value;
    problems.push(result.problem);
    return undefined;
  };
  const turnstileSecret = read(rules.turnstile);
  if (turnstileSecret !== undefined) loaded.turnstileSecret = turnstileSecret;
  const secretId = read(rules.trtcSecretId);
  const secretKey = read(rules.trtcSecretKey);
  if (secretId !== undefined && secretKey !== undefined) loaded.trtcCredentials = { secretId, secretKey };
  const trtcKey = read(rules.trtcCallbackKey);
  if (trtcKey !== undefined) loaded.callbackSecrets.trtcKey = trtcKey;
  const chatToken = read(rules.chatCallbackToken);
  if (chatToken !== undefined) loaded.callbackSecrets.chatToken = chatToken;
  return problems.length > 0 ? { ok: false, problems } : { ok: true, app: loaded };
}

/** ADMIN_API_TOKEN: a top-level secret (the operator API needs no app). */
function operatorToken(env: EnvVars): { ok: true; token: string | undefined } | { ok: false; problem: ConfigProblem } {
  const read = readSecret(env, OPERATOR_TOKEN_RULE);
  return read.ok ? { ok: true, token: read.value } : read;
}

/**
 * The secrets a file sets (wrangler's `--secrets-file`, judged before a deploy: scripts/deploy.mjs,
 * through the CLI's `check-config --secrets-file`), each secret the Worker reads judged by the rule
 * the Worker reads it with (readSecret: a placeholder, a value in the wrong format, an empty value
 * where one is needed): every problem, each naming its secret, never a value. A secret the file
 * does not set is not judged: it may be set already (`wrangler secret put`). Which secrets the Worker
 * reads: with `config` (the file's BROKER_CONFIG, checked), ADMIN_API_TOKEN and those its apps use;
 * without one, ADMIN_API_TOKEN and every name an app of any SDKAppID may use (a Turnstile secret,
 * named by the config, is then not known). Pure.
 */
export function judgeSecretValues(secrets: Readonly<Record<string, string>>, config?: BrokerConfig): ConfigProblem[] {
  const rules = new Map<string, SecretRule>();
  const add = (rule: SecretRule | undefined) => {
    if (rule !== undefined && !rules.has(rule.name)) rules.set(rule.name, rule);
  };
  add(OPERATOR_TOKEN_RULE);
  if (config) for (const app of config.apps) Object.values(appSecretRules(app)).forEach(add);
  else for (const name of Object.keys(secrets)) add(anyAppRule(name));
  const problems: ConfigProblem[] = [];
  for (const [name, rule] of rules) {
    if (!Object.hasOwn(secrets, name)) continue;
    const read = readSecret(secrets, rule);
    if (!read.ok) problems.push(read.problem);
  }
  return problems;
}

/** The rule of `name` when it is a secret some app would read (`SECRET_KEY_1400000000`, ...): any app, every secret it may use. */
function anyAppRule(name: string): SecretRule | undefined {
  const id = /_([1-9][0-9]{0,15})$/.exec(name)?.[1];
  if (id === undefined) return undefined;
  const rules = secretRulesOf(Number(id), { trtc: true, trtcCallbacks: true, chatCallbacks: true });
  return Object.values(rules).find((rule) => rule.name === name);
}

function problemOf(issue: ConfigIssue): ConfigProblem {
  return { detail: formatConfigIssue(issue), field: issue.field };
}

/** A part's CONFIG_ERROR: its first problem (and how many more), with that problem's field. */
function configError(problems: readonly ConfigProblem[]): ConfigError {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : "";
  const field = first?.field || undefined;
  return new ConfigError(
    "CONFIG_ERROR",
    `${first ? first.detail : "BROKER_CONFIG is not valid."}${more}`,
    field ? { data: { field } } : {},
  );
}

/** Each bad part once per isolate (per cache entry): its problem, never a secret's value. */
function logConfigError(error: ConfigError): void {
  console.error(JSON.stringify({ event: "config_error", detail: error.detail }));
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
    secret: name,
    detail: `${name} still holds the placeholder from .dev.vars.example: set a real value (wrangler secret put ${name}, or .dev.vars locally).`,
  };
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
