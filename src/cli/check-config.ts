/**
 * `usersig-broker check-config [FILE | -]`: validates a BROKER_CONFIG offline, with the Worker's
 * own schema, and lists the Worker secrets it needs. FILE is the JSON itself, or a `.dev.vars` /
 * `.env` file with a `BROKER_CONFIG=...` line; `-` or no argument reads stdin.
 */

import { type ConfigCheck, checkConfig, formatConfigIssue } from "../config/check.js";
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
  // The Worker's own check (src/config/check.ts): the same messages as its CONFIG_ERROR.
  const check: ConfigCheck = checkConfig(configText(text));

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
  const apps = check.config.apps.map((app) => `${app.sdkAppId}${app.name ? ` (${JSON.stringify(app.name)})` : ""}`);
  const width = Math.max(...check.secrets.map((s) => s.name.length));
  io.stdout(
    `valid: ${apps.length === 1 ? "1 app" : `${apps.length} apps`}: ${apps.join(", ")}\n` +
      "Secrets it needs (`wrangler secret put NAME` or `wrangler secret bulk`; .dev.vars locally):\n" +
      check.secrets.map((s) => `  ${s.name.padEnd(width)}  ${s.required ? "" : "optional: "}${s.purpose}\n`).join(""),
  );
  return ExitCode.Ok;
}

/**
 * The BROKER_CONFIG text: the file itself when it is JSON, else the value of its `BROKER_CONFIG=...`
 * line (a dotenv file, quotes removed); the whole text otherwise, for the check to refuse as JSON.
 */
function configText(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    // Not plain JSON: look for the variable.
  }
  const line = /^\s*(?:export\s+)?BROKER_CONFIG\s*=\s*(.*)$/m.exec(text)?.[1]?.trim();
  if (line === undefined) return text;
  return /^'(.*)'$/.exec(line)?.[1] ?? /^"(.*)"$/.exec(line)?.[1]?.replace(/\\"/g, '"') ?? line;
}
