/**
 * `usersig-broker <command>`: the CLI's entry point without a process, so it can be driven in tests.
 * Imports the pure UserSig core; this directory is Node-only and is not part of the Worker.
 */

import { closest, parseCommandArgs, wantsJson } from "./args.js";
import { COMMANDS } from "./commands.js";
import { CliError, CliErrorCode, ExitCode, usageError } from "./errors.js";
import { COMMAND_HELP, GENERAL_HELP } from "./help.js";
import type { Io } from "./io.js";

declare const __USERSIG_BROKER_VERSION__: string | undefined;

/** Set by the build (scripts/build-cli.mjs) from package.json. */
export const VERSION = typeof __USERSIG_BROKER_VERSION__ === "string" ? __USERSIG_BROKER_VERSION__ : "0.0.0-dev";

const COMMAND_NAMES = Object.keys(COMMANDS).join(", ");

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const json = wantsJson(argv);
  try {
    const [first, ...rest] = argv;
    if (first === undefined) {
      // Asked for nothing: the usage is an error message here, not an answer.
      io.stderr(GENERAL_HELP);
      return ExitCode.Usage;
    }
    if (first === "--help" || first === "-h") {
      io.stdout(GENERAL_HELP);
      return ExitCode.Ok;
    }
    if (first === "help") {
      const topic = rest[0];
      const text = topic === undefined ? GENERAL_HELP : COMMAND_HELP[topic];
      if (text === undefined) throw usageError(`no such command${typed(topic ?? "")} (commands: ${COMMAND_NAMES})`);
      io.stdout(text);
      return ExitCode.Ok;
    }
    if (first === "--version" || first === "-v") {
      io.stdout(json ? `${JSON.stringify({ version: VERSION })}\n` : `${VERSION}\n`);
      return ExitCode.Ok;
    }
    const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (command === undefined) {
      if (first.startsWith("-")) {
        throw usageError(`options come after the command (commands: ${COMMAND_NAMES}; see \`usersig-broker --help\`)`);
      }
      const closest = closestCommand(first);
      throw usageError(
        `unknown command${typed(first)}${closest ? `; did you mean "${closest}"?` : ""} (commands: ${COMMAND_NAMES}; see \`usersig-broker --help\`)`,
      );
    }
    const args = parseCommandArgs(command.spec, rest);
    if (args.help) {
      io.stdout(COMMAND_HELP[command.spec.name] ?? GENERAL_HELP);
      return ExitCode.Ok;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      report(io, json, error.code, error.message);
      return error.exitCode;
    }
    // Unknown failures are reported by name only: their message could quote an input.
    const name = error instanceof Error ? error.name : typeof error;
    report(io, json, CliErrorCode.Internal, `internal error (${name}); set USERSIG_BROKER_DEBUG=1 for the stack`);
    if (io.env["USERSIG_BROKER_DEBUG"] && error instanceof Error) io.stderr(`${error.stack ?? ""}\n`);
    return ExitCode.Internal;
  }
}

/**
 * The word typed, quoted, when it looks like a command name (short, letters, digits and dashes). A
 * longer or stranger word is not repeated: it might be a secret or a token typed in the wrong place.
 */
function typed(word: string): string {
  return /^[A-Za-z][A-Za-z0-9-]{0,23}$/.test(word) ? ` "${word}"` : "";
}

/** The command nearest to what was typed (see `closest`), if any. */
export function closestCommand(word: string): string | undefined {
  return closest(word, Object.keys(COMMANDS));
}

function report(io: Io, json: boolean, code: string, message: string): void {
  if (json) io.stdout(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
  else io.stderr(`usersig-broker: ${message}\n`);
}
