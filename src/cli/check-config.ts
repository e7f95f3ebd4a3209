/**
 * `usersig-broker check-config [FILE | -]`: validates a BROKER_CONFIG offline, with the Worker's
 * own schema, and lists the Worker secrets it needs. FILE is the JSON itself (the config alone), or a
 * `.dev.vars` file, read as wrangler reads it and judged with its secrets exactly as the Worker judges
 * its environment (placeholders included); `-` or no argument reads stdin.
 *
 * `check-config --secrets-file FILE` (or `-`): a file for `wrangler deploy --secrets-file` (JSON of
 * name → string, or dotenv, read as wrangler reads it), as `npm run deploy` checks it first: its
 * BROKER_CONFIG, when it has one, judged whole as above, and each secret value it sets that the
 * Worker reads judged by the Worker's own rule for it (judgeSecretValues, src/config/load.ts). A
 * secret the file leaves out is no problem here (it may be set already); no value is ever printed.
 */

import { type ConfigCheck, formatConfigIssue } from "../config/check.js";
import { parseDotenv } from "../config/dotenv.js";
import { checkConfig } from "../config/explain.js";
import { judgeEnvironment, judgeSecretValues } from "../config/load.js";
import type { ParsedArgs } from "./args.js";
import type { Command } from "./commands.js";
import { ExitCode, inputError, usageError } from "./errors.js";
import { writeJson } from "./inputs.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";

export const checkConfigCommand: Command = {
  spec: { name: "check-config", options: { "secrets-file": "string" }, maxPositionals: 1 },
  run: runCheckConfig,
};

/** A BROKER_CONFIG is at most a few KiB; 1 MiB leaves room for large key lists. */
const CONFIG_MAX_BYTES = 1024 * 1024;

async function runCheckConfig(args: ParsedArgs, io: Io): Promise<number> {
  const secretsFile = args.strings.get("secrets-file");
  if (secretsFile !== undefined) {
    if (args.positionals.length > 0) {
      throw usageError("give either a config (the argument) or --secrets-file, not both");
    }
    if (secretsFile === "-" && io.stdinIsTTY) throw inputError("no secrets file: pipe it on stdin, or name it");
    return reportSecretsFile(await readSource(secretsFile, io), secretsFile === "-" ? "stdin" : secretsFile, args, io);
  }
  const source = args.positionals[0];
  if (source === undefined && io.stdinIsTTY) {
    throw inputError("no config: pass a file (e.g. config.json or .dev.vars), or pipe the JSON on stdin");
  }
  const text = await readSource(source ?? "-", io);
  if (!looksLikeJson(text)) return reportEnvironment(parseDotenv(text), args, io);
  // The Worker's own check (src/config/check.ts): the same messages as its CONFIG_ERROR.
  const check: ConfigCheck = checkConfig(text);

  if (args.json) {
    writeJson(
      io,
      check.ok
        ? { valid: true, apps: check.config.apps.map((app) => app.sdkAppId), secrets: check.secrets }
        : { valid: false, errors: check.errors },
    );
    return check.ok ? ExitCode.Ok : ExitCode.Invalid;
  }
  if (!check.ok) {
    const n = check.errors.length;
    io.stderr(
      `invalid: BROKER_CONFIG has ${n === 1 ? "1 error" : `${n} errors`}:\n${check.errors
        .map((e) => `  ${formatConfigIssue(e)}\n`)
        .join("")}`,
    );
    return ExitCode.Invalid;
  }
  return reportValid(check, io);
}

/**
 * A `.dev.vars` file: BROKER_CONFIG and the secrets, judged exactly as the Worker judges its
 * environment (judgeEnvironment, src/config/load.ts), after reading the file as wrangler does.
 */
async function reportEnvironment(vars: Record<string, string>, args: ParsedArgs, io: Io): Promise<number> {
  const judged = await judgeEnvironment(vars);
  const check = checkConfig(vars.BROKER_CONFIG);
  if (args.json) {
    writeJson(
      io,
      judged.ok && check.ok
        ? { valid: true, apps: check.config.apps.map((app) => app.sdkAppId), secrets: check.secrets }
        : {
            valid: false,
            errors: judged.ok ? [] : judged.problems.map((p) => ({ field: p.field ?? "", message: p.detail })),
          },
    );
    return judged.ok ? ExitCode.Ok : ExitCode.Invalid;
  }
  if (!judged.ok) {
    const n = judged.problems.length;
    io.stderr(
      `invalid: ${n === 1 ? "1 problem" : `${n} problems`} (the Worker answers the requests that need a bad part with 500 CONFIG_ERROR):\n${judged.problems
        .map((p) => `  ${p.detail}\n`)
        .join("")}`,
    );
    return ExitCode.Invalid;
  }
  return check.ok ? reportValid(check, io) : ExitCode.Invalid;
}

function reportValid(check: ConfigCheck & { ok: true }, io: Io): number {
  const apps = check.config.apps.map((app) => `${app.sdkAppId}${app.name ? ` (${JSON.stringify(app.name)})` : ""}`);
  const width = Math.max(...check.secrets.map((s) => s.name.length));
  io.stdout(
    `valid: ${apps.length === 1 ? "1 app" : `${apps.length} apps`}: ${apps.join(", ")}\n` +
      "Secrets it needs (`wrangler secret put NAME` or `wrangler secret bulk`; .dev.vars locally):\n" +
      check.secrets.map((s) => `  ${s.name.padEnd(width)}  ${s.required ? "" : "optional: "}${s.purpose}\n`).join(""),
  );
  return ExitCode.Ok;
}

/** A file's text, or stdin's for `-`. */
function readSource(source: string, io: Io): Promise<string> {
  return source === "-" ? io.readStdin(STDIN_MAX_BYTES) : io.readFile(source, CONFIG_MAX_BYTES);
}

/**
 * A secrets file as wrangler deploy reads it (wrangler 4.86 parseBulkInputToObject: JSON, else
 * dotenv; an object of strings, or it refuses the file): the secrets, or why it is none.
 */
function readSecretsFile(text: string): { ok: true; secrets: Record<string, string> } | { ok: false; problem: string } {
  let secrets: unknown;
  try {
    secrets = JSON.parse(text);
  } catch {
    secrets = parseDotenv(text);
    if (Object.keys(secrets as object).length === 0) {
      return { ok: false, problem: "is not a secrets file (a JSON object of strings, or KEY=value lines)" };
    }
  }
  if (typeof secrets !== "object" || secrets === null || Array.isArray(secrets)) {
    return { ok: false, problem: "is not a secrets file: its JSON must be an object (name → value)" };
  }
  // The names only: a value is never shown.
  const notStrings = Object.entries(secrets).filter(([, value]) => typeof value !== "string");
  if (notStrings.length > 0) {
    return {
      ok: false,
      problem: `has values that are not strings (wrangler refuses the file): ${notStrings.map(([name]) => name).join(", ")}`,
    };
  }
  return { ok: true, secrets: secrets as Record<string, string> };
}

/**
 * `--secrets-file`: the file's BROKER_CONFIG (when it has one) judged whole, as a config file is, and
 * each secret it sets that the Worker reads judged by the Worker's rule for it (with the config's
 * apps when the config passes, else by the secrets' names). Every problem names its secret, never
 * its value.
 */
function reportSecretsFile(text: string, shown: string, args: ParsedArgs, io: Io): number {
  const read = readSecretsFile(text);
  if (!read.ok) {
    if (args.json)
      writeJson(io, { valid: false, errors: [{ field: "", message: `${shown} ${read.problem}` }], secretErrors: [] });
    else io.stderr(`invalid: ${shown} ${read.problem}\n`);
    return ExitCode.Invalid;
  }
  const { secrets } = read;
  const check: ConfigCheck | undefined = Object.hasOwn(secrets, "BROKER_CONFIG")
    ? checkConfig(secrets.BROKER_CONFIG)
    : undefined;
  const refused = judgeSecretValues(secrets, check?.ok ? check.config : undefined);
  const valid = (check === undefined || check.ok) && refused.length === 0;
  if (args.json) {
    writeJson(io, {
      valid,
      ...(check?.ok ? { apps: check.config.apps.map((app) => app.sdkAppId), secrets: check.secrets } : {}),
      errors: check?.errors ?? [],
      secretErrors: refused.map((p) => ({ secret: p.secret ?? "", message: p.detail })),
    });
    return valid ? ExitCode.Ok : ExitCode.Invalid;
  }
  let out = "";
  if (check !== undefined && !check.ok) {
    const n = check.errors.length;
    out += `invalid: the BROKER_CONFIG of ${shown} has ${n === 1 ? "1 error" : `${n} errors`}:\n${check.errors
      .map((e) => `  ${formatConfigIssue(e)}\n`)
      .join("")}`;
  }
  if (refused.length > 0) {
    const names = [...new Set(refused.map((p) => p.secret ?? ""))];
    const one = names.length === 1;
    out += `invalid: ${shown} sets ${one ? "a secret to a value" : `${names.length} secrets to values`} the Worker refuses, ${names.join(", ")} (it would answer the requests that need ${one ? "it" : "them"} with 500 CONFIG_ERROR; no value is shown): replace ${one ? "it" : "each"} in the file, or remove ${one ? "it" : "them"} from the file and use \`wrangler secret put\`:\n${refused
      .map((p) => `  ${p.detail}\n`)
      .join("")}`;
  }
  if (!valid) {
    io.stderr(out);
    return ExitCode.Invalid;
  }
  if (check?.ok) return reportValid(check, io);
  io.stdout(
    `valid: no secret value of ${shown} is refused (it has no BROKER_CONFIG: each secret judged by its name)\n`,
  );
  return ExitCode.Ok;
}

/** JSON (a config file) rather than a `.dev.vars` file: it parses, or it starts like an object or a list. */
function looksLikeJson(text: string): boolean {
  const start = text.trimStart()[0];
  if (start === "{" || start === "[") return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
