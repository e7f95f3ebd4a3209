/**
 * `usersig-broker check-config [FILE | -]`: validates a BROKER_CONFIG offline, with the Worker's
 * own schema, and lists the Worker secrets it needs. FILE is the JSON itself, or a `.dev.vars` /
 * `.env` file with a `BROKER_CONFIG=...` line; `-` or no argument reads stdin.
 */

import { type BrokerConfig, configSchema } from "../config/schema.js";
import type { ParsedArgs } from "./args.js";
import type { Command } from "./commands.js";
import { ExitCode, inputError } from "./errors.js";
import { writeJson } from "./inputs.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";

export const checkConfigCommand: Command = {
  spec: { name: "check-config", options: {}, maxPositionals: 1 },
  run: checkConfig,
};

/** A BROKER_CONFIG is at most a few KiB; 1 MiB leaves room for large key lists. */
const CONFIG_MAX_BYTES = 1024 * 1024;

export interface ConfigError {
  /** Where, e.g. `apps[0].guests.turnstile.siteKey` (empty for the whole value). */
  path: string;
  message: string;
}

export interface NeededSecret {
  name: string;
  required: boolean;
  purpose: string;
}

export type ConfigCheck =
  | { valid: true; config: BrokerConfig; secrets: NeededSecret[] }
  | { valid: false; errors: ConfigError[] };

/**
 * The Worker's own validation of a parsed BROKER_CONFIG, every error with its field path.
 *
 * TODO(arch): this validates with `configSchema` (src/config/schema.ts) directly, as the Worker
 * does. The pure config validator of src/config (helper ARCH, issue 12) replaces this function
 * when it lands; the command's input, output and tests stay as they are.
 */
export function validateBrokerConfig(value: unknown): ConfigCheck {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    return {
      valid: false,
      errors: parsed.error.issues.map((issue) => ({ path: fieldPath(issue.path), message: issue.message })),
    };
  }
  return { valid: true, config: parsed.data, secrets: neededSecrets(parsed.data) };
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  return out;
}

function neededSecrets(config: BrokerConfig): NeededSecret[] {
  const secrets: NeededSecret[] = [];
  for (const app of config.apps) {
    secrets.push({
      name: `SECRET_KEY_${app.sdkAppId}`,
      required: true,
      purpose: `the secret key of app ${app.sdkAppId} (Tencent console, UserSig key)`,
    });
  }
  const turnstile = new Map<string, number[]>();
  for (const app of config.apps) {
    const name = app.guests.enabled ? app.guests.turnstile?.secretName : undefined;
    if (name !== undefined) turnstile.set(name, [...(turnstile.get(name) ?? []), app.sdkAppId]);
  }
  for (const [name, apps] of turnstile) {
    secrets.push({
      name,
      required: true,
      purpose: `the Turnstile secret key for the guests of app ${apps.join(", ")}`,
    });
  }
  secrets.push({
    name: "ADMIN_API_TOKEN",
    required: false,
    purpose: "the operator API's bearer token (/v1/admin/apps/...); without it that API is off",
  });
  return secrets;
}

async function checkConfig(args: ParsedArgs, io: Io): Promise<number> {
  const source = args.positionals[0];
  let text: string;
  if (source === undefined || source === "-") {
    if (source === undefined && io.stdinIsTTY) {
      throw inputError("no config: pass a file (e.g. config.json or .dev.vars), or pipe the JSON on stdin");
    }
    text = await io.readStdin(STDIN_MAX_BYTES);
  } else {
    text = await io.readFile(source, CONFIG_MAX_BYTES);
  }
  const value = configValue(text);
  const check =
    value === undefined
      ? ({ valid: false, errors: [{ path: "", message: "not valid JSON (nor a BROKER_CONFIG=... line)" }] } as const)
      : validateBrokerConfig(value);

  if (args.json) {
    writeJson(
      io,
      check.valid
        ? { valid: true, apps: check.config.apps.map((app) => app.sdkAppId), secrets: check.secrets }
        : { valid: false, errors: check.errors },
    );
    return check.valid ? ExitCode.Ok : ExitCode.Invalid;
  }
  if (!check.valid) {
    const n = check.errors.length;
    io.stderr(
      `invalid: BROKER_CONFIG has ${n === 1 ? "1 error" : `${n} errors`}:\n${check.errors
        .map((e) => `  ${e.path === "" ? "BROKER_CONFIG" : e.path}: ${e.message}\n`)
        .join("")}`,
    );
    return ExitCode.Invalid;
  }
  const apps = check.config.apps.map((app) => `${app.sdkAppId}${app.name ? ` (${JSON.stringify(app.name)})` : ""}`);
  const width = Math.max(...check.secrets.map((s) => s.name.length));
  io.stdout(
    `valid: ${apps.length === 1 ? "1 app" : `${apps.length} apps`}: ${apps.join(", ")}\n` +
      "Secrets it needs (`wrangler secret put NAME` or `wrangler secret bulk`; .dev.vars locally):\n" +
      check.secrets.map((s) => `  ${s.name.padEnd(width)}  ${s.required ? "" : "optional: "}${s.purpose}\n`).join(""),
  );
  return ExitCode.Ok;
}

/** The JSON value, from plain JSON or from a `BROKER_CONFIG=...` line of a dotenv file; undefined if neither. */
function configValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not plain JSON: look for the variable.
  }
  const line = /^\s*(?:export\s+)?BROKER_CONFIG\s*=\s*(.*)$/m.exec(text)?.[1]?.trim();
  if (line === undefined) return undefined;
  const unquoted = /^'(.*)'$/.exec(line)?.[1] ?? /^"(.*)"$/.exec(line)?.[1]?.replace(/\\"/g, '"') ?? line;
  try {
    return JSON.parse(unquoted);
  } catch {
    return undefined;
  }
}
