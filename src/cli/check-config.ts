/**
 * `usersig-broker check-config [FILE | -]`: validates a BROKER_CONFIG offline, with the Worker's
 * own schema, and lists the Worker secrets it needs. FILE is the JSON itself (the config alone), or a
 * `.dev.vars` file, read as wrangler reads it and judged with its secrets exactly as the Worker judges
 * its environment (placeholders included); `-` or no argument reads stdin.
 */

import { type ConfigCheck, formatConfigIssue } from "../config/check.js";
import { parseDotenv } from "../config/dotenv.js";
import { checkConfig } from "../config/explain.js";
import { judgeEnvironment } from "../config/load.js";
import type { ParsedArgs } from "./args.js";
import type { Command } from "./commands.js";
import { ExitCode, inputError } from "./errors.js";
import { writeJson } from "./inputs.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";

export const checkConfigCommand: Command = {
  spec: { name: "check-config", options: {}, maxPositionals: 1 },
  run: runCheckConfig,
};

/** A BROKER_CONFIG is at most a few KiB; 1 MiB leaves room for large key lists. */
const CONFIG_MAX_BYTES = 1024 * 1024;

async function runCheckConfig(args: ParsedArgs, io: Io): Promise<number> {
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
