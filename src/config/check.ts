/**
 * Checking a BROKER_CONFIG value: pure (no env, no clock). `judgeConfig` returns every error with
 * its field path, and the Worker secrets the configuration needs. The Worker's loader (load.ts) and
 * the CLI's `check-config` both use it, so they cannot disagree.
 *
 * The Worker judges with the validator compiled from the zod schema at build time
 * (scripts/build-validators.mjs): no zod in the Worker. It reports zod's own issues, worded by
 * zod's English locale; the CLI and the tests judge with zod itself (explain.ts), and
 * test/node/validators.test.ts holds the two to the same issues.
 */

import { config as compiledConfig } from "../../build/validators/index.js";
import type { BrokerConfig } from "./schema.js";

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

/** Validates a BROKER_CONFIG value (see readConfigValue) with the compiled validator. */
export function judgeConfig(value: unknown): ConfigCheck {
  const checked = checkConfigValue(value);
  if (!checked.ok) return { ok: false, errors: checked.errors, secrets: [] };
  return { ok: true, config: checked.config, secrets: secretsNeeded(checked.config), errors: [] };
}

/**
 * judgeConfig without the list of secrets: what the Worker's loader needs (load.ts reads the
 * secrets it needs itself), so that a cold isolate does not make a list nothing reads.
 */
export function checkConfigValue(
  value: unknown,
): { ok: true; config: BrokerConfig } | { ok: false; errors: ConfigIssue[] } {
  const read = readConfigValue(value);
  if (!read.ok) return { ok: false, errors: read.check.errors };
  const judged = compiledConfig(read.json);
  if (!judged.ok) {
    return {
      ok: false,
      errors: judged.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message })),
    };
  }
  return { ok: true, config: judged.value as BrokerConfig };
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
