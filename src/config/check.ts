/**
 * Checking a BROKER_CONFIG value: pure (no env, no clock). `judgeConfig` returns every error with
 * its field path, and the Worker secrets the configuration needs. The Worker's loader (load.ts) and
 * the CLI's `check-config` both use it, so they cannot disagree.
 *
 * The config is checked in two kinds of part (schema.ts): its top level (configTopSchema: the JSON,
 * `inspector`, `apps` a list of 1 or more, each app's `sdkAppId` valid and unique) and each app
 * (appSchema). The Worker checks the top level on its first request and an app when a request first
 * needs it (load.ts); the whole judgement (`composeConfig`) is the top level and every app, composed
 * from the same parts.
 *
 * The Worker judges with the validators compiled from the zod schemas at build time
 * (scripts/build-validators.mjs): no zod in the Worker. They report zod's own issues, worded by
 * zod's English locale; the CLI and the tests judge with zod itself (explain.ts, the same parts
 * composed the same way), and test/node/validators.test.ts holds the two to the same issues.
 */

import { app as compiledApp, configTop as compiledTop } from "../../build/validators/index.js";
import type { AppConfig, BrokerConfig } from "./schema.js";

/** One thing wrong with the config. `field` is a path such as `apps[0].sdkAppId`; "" is the whole value. */
export interface ConfigIssue {
  field: string;
  message: string;
}

/** A Worker secret (or `.dev.vars` entry) the config needs. */
export interface SecretNeed {
  name: string;
  /** False for secrets that only turn a feature on (ADMIN_API_TOKEN: the operator API). */
  required: boolean;
  purpose: string;
}

export type ConfigCheck =
  | { ok: true; config: BrokerConfig; secrets: SecretNeed[]; errors: [] }
  | { ok: false; errors: ConfigIssue[]; secrets: SecretNeed[] };

const NOT_SET = "is not set. `npm start` runs the demo configuration; see README, Configuration.";

export const OPERATOR_TOKEN_SECRET = "ADMIN_API_TOKEN";

/**
 * The placeholder values of `.dev.vars.example`. A secret that still holds one was copied unchanged:
 * the broker refuses to run with it (a publicly known operator token, a fake Tencent key).
 */
export const PLACEHOLDER_SECRET_VALUES: readonly string[] = [
  "replace-with-your-secret-key",
  "replace-with-a-long-random-token",
  "replace-with-your-turnstile-secret",
  "replace-with-your-trtc-secret-id",
  "replace-with-your-trtc-secret-key",
  "replace-with-your-trtc-callback-key",
  "replace-with-your-chat-callback-token",
];

export function secretKeyName(sdkAppId: number): string {
  return `SECRET_KEY_${sdkAppId}`;
}

/** The CAM key pair that signs the app's TRTC Cloud API calls (TC3-HMAC-SHA256). */
export function trtcSecretNames(sdkAppId: number): { secretId: string; secretKey: string } {
  return { secretId: `TRTC_SECRET_ID_${sdkAppId}`, secretKey: `TRTC_SECRET_KEY_${sdkAppId}` };
}

/** The secrets that verify Tencent's callbacks to the app (`callbacks.trtc`, `callbacks.chat`). */
export function callbackSecretNames(sdkAppId: number): { trtcKey: string; chatToken: string } {
  return { trtcKey: `TRTC_CALLBACK_KEY_${sdkAppId}`, chatToken: `CHAT_CALLBACK_TOKEN_${sdkAppId}` };
}

/**
 * A BROKER_CONFIG value as JSON: a JSON string, or the object itself (wrangler passes a `[vars]`
 * TOML table as an object); or why it is none.
 */
export function readConfigValue(value: unknown): { ok: true; json: object } | { ok: false; check: ConfigCheck } {
  let json: unknown = value;
  if (typeof value === "string") {
    if (value.trim() === "") return { ok: false, check: failed("", NOT_SET) };
    try {
      json = JSON.parse(value);
    } catch {
      // wrangler reads an unquoted value of .dev.vars up to the end of its line: only "{" is left.
      const firstLineOnly = /^\s*[{[]\s*$/.test(value);
      return {
        ok: false,
        check: failed(
          "",
          firstLineOnly
            ? "is not valid JSON (in .dev.vars, a value on several lines must be in single quotes: BROKER_CONFIG='{ … }')"
            : "is not valid JSON",
        ),
      };
    }
  } else if (value === undefined || value === null) {
    return { ok: false, check: failed("", NOT_SET) };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, check: failed("", "must be a JSON object (or a [vars] table), not a list or a single value") };
  }
  return { ok: true, json };
}

/** Validates a BROKER_CONFIG value (see readConfigValue) with the compiled validators: the whole judgement. */
export function judgeConfig(value: unknown): ConfigCheck {
  const checked = checkConfigValue(value);
  if (!checked.ok) return { ok: false, errors: checked.errors, secrets: [] };
  return { ok: true, config: checked.config, secrets: secretsNeeded(checked.config), errors: [] };
}

/** A part's validator: the compiled one (the Worker's) or zod's (explain.ts), as the composition reads it. */
export type PartValidator = (
  input: unknown,
) => { ok: true; value: unknown } | { ok: false; issues: readonly { path: readonly PropertyKey[]; message: string }[] };

/** The validators of BROKER_CONFIG's parts: its top level (configTopSchema) and one app (appSchema). */
export interface ConfigParts {
  top: PartValidator;
  app: PartValidator;
}

const COMPILED_PARTS: ConfigParts = { top: compiledTop, app: compiledApp };

/** BROKER_CONFIG's top level, checked: what a request needs before it knows its app. */
export interface ConfigTop {
  inspector: boolean | undefined;
  /** Each app's SDKAppID (valid, no two alike), in the config's order. */
  sdkAppIds: readonly number[];
  /** Each app's entry as written, in the same order: its part, for checkAppPart. */
  rawApps: readonly unknown[];
}

export type TopCheck = { ok: true; top: ConfigTop } | { ok: false; errors: ConfigIssue[] };
export type AppCheck = { ok: true; config: AppConfig } | { ok: false; errors: ConfigIssue[] };

/** The top level of a BROKER_CONFIG value (see readConfigValue): its own fields and each app's SDKAppID. */
export function checkConfigTop(value: unknown, parts: ConfigParts = COMPILED_PARTS): TopCheck {
  const read = readConfigValue(value);
  if (!read.ok) return { ok: false, errors: read.check.errors };
  return topOf(read.json, parts);
}

function topOf(json: object, parts: ConfigParts): TopCheck {
  const judged = parts.top(json);
  if (!judged.ok) return { ok: false, errors: issuesOf(judged.issues, []) };
  const value = judged.value as { inspector?: boolean; apps: { sdkAppId: number }[] };
  return {
    ok: true,
    top: {
      inspector: value.inspector,
      sdkAppIds: value.apps.map((app) => app.sdkAppId),
      rawApps: (json as { apps: unknown[] }).apps,
    },
  };
}

/** App `index` of BROKER_CONFIG (its entry as written): its fields and their rules; fields named `apps[index]…`. */
export function checkAppPart(raw: unknown, index: number, parts: ConfigParts = COMPILED_PARTS): AppCheck {
  const judged = parts.app(raw);
  if (judged.ok) return { ok: true, config: judged.value as AppConfig };
  return { ok: false, errors: issuesOf(judged.issues, ["apps", index]) };
}

/**
 * Every part of a BROKER_CONFIG value, each checked: the top level, and each entry of `apps` (when
 * it is a list, even if the top level failed), with an app's problems that the top level already
 * names (its SDKAppID, an entry that is not an object) left out of the app's.
 */
export function checkEveryPart(
  value: unknown,
  parts: ConfigParts = COMPILED_PARTS,
): { top: TopCheck; apps: AppCheck[] } {
  const read = readConfigValue(value);
  if (!read.ok) return { top: { ok: false, errors: read.check.errors }, apps: [] };
  const top = topOf(read.json, parts);
  const listed = new Set(top.ok ? [] : top.errors.map(issueKey));
  const rawApps = (read.json as { apps?: unknown }).apps;
  const apps = Array.isArray(rawApps) ? rawApps.map((raw, i) => checkAppPart(raw, i, parts)) : [];
  return {
    top,
    apps: apps.map((app) =>
      app.ok || listed.size === 0
        ? app
        : { ok: false, errors: app.errors.filter((issue) => !listed.has(issueKey(issue))) },
    ),
  };
}

/**
 * The whole judgement of a BROKER_CONFIG value: the top level's problems, then each app's in order
 * (an app whose SDKAppID the top level refused is still checked: its other problems are listed too,
 * the SDKAppID's only once). The value is the config as zod's configSchema would parse it.
 */
export function composeConfig(
  value: unknown,
  parts: ConfigParts = COMPILED_PARTS,
): { ok: true; config: BrokerConfig } | { ok: false; errors: ConfigIssue[] } {
  const { top, apps } = checkEveryPart(value, parts);
  const errors = [...(top.ok ? [] : top.errors), ...apps.flatMap((app) => (app.ok ? [] : app.errors))];
  if (!top.ok || errors.length > 0) return { ok: false, errors };
  const configs = apps.map((app) => (app as AppCheck & { ok: true }).config);
  const inspector = top.top.inspector;
  return { ok: true, config: inspector === undefined ? { apps: configs } : { inspector, apps: configs } };
}

/**
 * judgeConfig without the list of secrets: the whole judgement with the compiled validators (the
 * Worker's judgeEnvironment reads the secrets it needs itself).
 */
export function checkConfigValue(
  value: unknown,
): { ok: true; config: BrokerConfig } | { ok: false; errors: ConfigIssue[] } {
  return composeConfig(value, COMPILED_PARTS);
}

function issuesOf(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  under: readonly PropertyKey[],
): ConfigIssue[] {
  return issues.map((issue) => ({ field: fieldOf([...under, ...issue.path]), message: issue.message }));
}

function issueKey(issue: ConfigIssue): string {
  return `${issue.field}\n${issue.message}`;
}

/** An issue's path as a field: `apps[0].sdkAppId` ("" for the whole value). */
export function fieldOf(path: readonly PropertyKey[]): string {
  let field = "";
  for (const part of path) {
    field += typeof part === "number" ? `[${part}]` : `${field === "" ? "" : "."}${String(part)}`;
  }
  return field;
}

/** `BROKER_CONFIG.apps[0].sdkAppId: message` (or `BROKER_CONFIG is not valid JSON`), as the Worker and the CLI say it. */
export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.field === "" ? `BROKER_CONFIG ${issue.message}` : `BROKER_CONFIG.${issue.field}: ${issue.message}`;
}

export function secretsNeeded(config: BrokerConfig): SecretNeed[] {
  const needs: SecretNeed[] = [];
  for (const app of config.apps) {
    needs.push({
      name: secretKeyName(app.sdkAppId),
      required: true,
      purpose: `Tencent secret key of app ${app.sdkAppId}`,
    });
    const turnstile = app.guests.turnstile;
    if (app.guests.enabled && turnstile && !needs.some((n) => n.name === turnstile.secretName)) {
      needs.push({ name: turnstile.secretName, required: true, purpose: `Turnstile secret of app ${app.sdkAppId}` });
    }
    if (app.trtc) {
      const names = trtcSecretNames(app.sdkAppId);
      needs.push({ name: names.secretId, required: true, purpose: `TRTC Cloud API SecretId of app ${app.sdkAppId}` });
      needs.push({ name: names.secretKey, required: true, purpose: `TRTC Cloud API SecretKey of app ${app.sdkAppId}` });
    }
    const callbacks = callbackSecretNames(app.sdkAppId);
    if (app.callbacks?.trtc) {
      needs.push({ name: callbacks.trtcKey, required: true, purpose: `TRTC callback key of app ${app.sdkAppId}` });
    }
    if (app.callbacks?.chat) {
      needs.push({ name: callbacks.chatToken, required: true, purpose: `Chat callback token of app ${app.sdkAppId}` });
    }
  }
  needs.push({ name: OPERATOR_TOKEN_SECRET, required: false, purpose: "operator API token (unset: that API is off)" });
  return needs;
}

function failed(field: string, message: string): ConfigCheck {
  return { ok: false, errors: [{ field, message }], secrets: [] };
}
