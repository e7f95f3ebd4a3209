/**
 * Command-line parsing on node:util parseArgs, with the CLI's own validation so that every error
 * names the option and never repeats the value: a secret typed as an argument by mistake must not
 * be echoed back into a terminal, a CI log or a bug report.
 */

import { parseArgs } from "node:util";
import { isoTime } from "../doctor/time.js";
import { isValidStrRoomId, isValidUserId, limits, Privilege, type PrivilegeName } from "../usersig/index.js";
import { CliError, CliErrorCode, ExitCode, usageError } from "./errors.js";

export type OptionType = "string" | "boolean";

export interface CommandSpec {
  name: string;
  /** Long option names (without `--`) and their types; `--help`/`-h` and `--json` are added to every command. */
  options: Record<string, OptionType>;
  /** 0, or 1 for commands that take an optional token. */
  maxPositionals: 0 | 1;
}

export interface ParsedArgs {
  help: boolean;
  json: boolean;
  strings: Map<string, string>;
  flags: Set<string>;
  positionals: string[];
  /** The spelling each option was given with (`--sdkappid` for sdk-app-id), for messages. */
  spelled: Map<string, string>;
}

/** How the user spelled an option (an alias, or `--name`), for a message about its value. */
export function spelledAs(args: ParsedArgs, name: string): string {
  return args.spelled.get(name) ?? `--${name}`;
}

/**
 * One spelling per option, and the other spellings it also answers to: `--sdk-app-id` (like
 * `--user-id`) is the SDKAppID everywhere, `--sdkappid` (TENCENT_SDKAPPID's spelling) an alias;
 * `--room-id` / `--str-room-id` are the API's names (roomId, strRoomId) for `--room` / `--str-room`.
 */
export const OPTION_ALIASES: Readonly<Record<string, string>> = {
  sdkappid: "sdk-app-id",
  "room-id": "room",
  "str-room-id": "str-room",
};

/** Option names that suggest a secret given as an argument (`--secret-key`, `--key`, `--api-key`, ...). */
const SECRET_LIKE = /secret|key|passw/i;
/** The one option with such a name that is allowed: it takes no value. */
const SECRET_KEY_STDIN = "secret-key-stdin";

export function secretAsArgument(command: string): CliError {
  const how =
    command === "hash-api-key"
      ? "pipe the API key on stdin instead, e.g. `usersig-broker hash-api-key < api-key.txt`"
      : "set TENCENT_SECRET_KEY, or pass --secret-key-stdin and pipe the key in (e.g. `< secret-key.txt`)";
  return new CliError(
    ExitCode.Usage,
    CliErrorCode.SecretAsArgument,
    `secrets are never taken as command-line arguments (they would land in shell history and the process list): ${how}`,
  );
}

export function parseCommandArgs(spec: CommandSpec, args: string[]): ParsedArgs {
  const declared: Record<string, OptionType> = { ...spec.options, json: "boolean", help: "boolean" };
  const options: Record<string, { type: OptionType; short?: string }> = {};
  for (const [name, type] of Object.entries(declared))
    options[name] = name === "help" ? { type, short: "h" } : { type };
  for (const [alias, canonical] of Object.entries(OPTION_ALIASES)) {
    const type = declared[canonical];
    if (type !== undefined) options[alias] = { type };
  }
  // Non-strict so that no parseArgs message (which quotes the argument) is ever shown: every check is below.
  const { tokens } = parseArgs({
    args: negativeValuesInline(args, declared),
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const parsed: ParsedArgs = {
    help: false,
    json: false,
    strings: new Map(),
    flags: new Set(),
    positionals: [],
    spelled: new Map(),
  };
  if (tokens.some((token) => token.kind === "option" && token.name === "help")) {
    parsed.help = true;
    return parsed;
  }
  const seen = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      parsed.positionals.push(token.value);
      continue;
    }
    const { rawName } = token;
    const alias = OPTION_ALIASES[token.name];
    const name = alias !== undefined && Object.hasOwn(declared, alias) ? alias : token.name;
    const type = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (type === undefined) {
      if (SECRET_LIKE.test(name)) throw secretAsArgument(spec.name);
      const shown = displayName(rawName);
      const names = [
        ...Object.keys(declared),
        ...Object.keys(OPTION_ALIASES).filter((a) => Object.hasOwn(declared, OPTION_ALIASES[a] as string)),
      ];
      const suggestion = shown === "(not shown)" ? undefined : closest(name, names);
      throw usageError(
        `unknown option ${shown} for ${spec.name}${suggestion ? `; did you mean --${suggestion}?` : ""} (see \`usersig-broker ${spec.name} --help\`)`,
      );
    }
    const before = seen.get(name);
    if (before !== undefined) {
      throw usageError(
        before === rawName
          ? `${rawName} is given more than once`
          : `give ${before} or ${rawName}, not both: they are the same option`,
      );
    }
    seen.set(name, rawName);
    parsed.spelled.set(name, rawName);
    if (type === "boolean") {
      if (token.value !== undefined) {
        throw name === SECRET_KEY_STDIN ? secretAsArgument(spec.name) : usageError(`${rawName} takes no value`);
      }
      if (name === "json") parsed.json = true;
      else parsed.flags.add(name);
      continue;
    }
    if (token.value === undefined) throw usageError(`${rawName} needs a value`);
    // A lone "-" is a value (stdin, as for `check-config --secrets-file -`), not an option.
    if (!token.inlineValue && token.value.startsWith("-") && token.value !== "-") {
      throw usageError(`${rawName} needs a value (write ${rawName}=VALUE for a value that starts with "-")`);
    }
    parsed.strings.set(name, token.value);
  }
  if (parsed.positionals.length > spec.maxPositionals) {
    throw usageError(
      spec.maxPositionals === 0
        ? `${spec.name} takes no arguments besides its options (secrets come from the environment or stdin, never from arguments)`
        : `${spec.name} takes at most one argument: the token (or "-" to read it from stdin)`,
    );
  }
  return parsed;
}

/** `--error -100018` → `--error=-100018`: a negative number after a string option is its value, not an option. */
function negativeValuesInline(args: readonly string[], declared: Record<string, OptionType>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name !== undefined && declared[name] === "string" && next !== undefined && /^-[0-9]+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** The candidate nearest to `word` (edit distance at most a third of its length, at least 2), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = name.startsWith(lower) && lower.length >= 3 ? 1 : editDistance(lower, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Whether `--json` is among the arguments (before any `--`), for reporting errors found before parsing. */
export function wantsJson(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--json") return true;
  }
  return false;
}

/** An option's name is echoed only when it looks like one, so a mistyped secret never is. */
function displayName(rawName: string): string {
  return /^--?[A-Za-z][A-Za-z0-9-]{0,23}$/.test(rawName) ? rawName : "(not shown)";
}

const DECIMAL = /^[0-9]{1,10}$/;

/** A decimal integer in [min, max]; the message names the option and the range, not the value. */
export function parseInteger(
  value: string,
  option: string,
  min: number,
  max: number,
  exitCode: ExitCode = ExitCode.Usage,
): number {
  const n = DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(
      exitCode,
      exitCode === ExitCode.Usage ? CliErrorCode.Usage : CliErrorCode.Config,
      `${option} must be a decimal integer from ${min} to ${max}`,
    );
  }
  return n;
}

const DURATION = /^([0-9]{1,10})([smhd]?)$/;
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };

/** The largest expiry a UserSig can carry, for messages: `4294967295 (2106-02-07T06:28:15Z)`. */
export const EXPIRY_LIMIT = `${limits.UNIX_SECONDS_MAX} (${isoTime(limits.UNIX_SECONDS_MAX)})`;

/** `--expire`: seconds, or a number with a unit s, m, h or d (`300`, `15m`, `12h`, `7d`). */
export function parseDuration(value: string, option: string): number {
  const match = DURATION.exec(value);
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? Number.NaN) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw usageError(
      `${option} must be a positive number of seconds, or a number followed by s, m, h or d (e.g. 86400 or 24h)`,
    );
  }
  if (seconds > limits.UNIX_SECONDS_MAX) {
    throw usageError(
      `${option} is past the 32-bit expiry limit: a UserSig's expiry (issue time + lifetime) is a 32-bit unix time, at most ${EXPIRY_LIMIT}`,
    );
  }
  return seconds;
}

const PRIVILEGE_NAMES = Object.keys(Privilege) as PrivilegeName[];

/** `--privileges`: a bitmap (`255`, `0x2a`) or names joined by commas (`EnterRoom,RecvAudio`, `All`). */
export function parsePrivileges(value: string, option: string): number {
  const bad = () =>
    usageError(
      `${option} must be a bitmap from 1 to ${limits.PRIVILEGES_MAX} (decimal or 0x hex) or names joined by commas: ${PRIVILEGE_NAMES.join(", ")}`,
    );
  if (/^[0-9]+$/.test(value) || /^0x[0-9a-f]+$/i.test(value)) {
    const n = value.length <= 10 ? Number(value) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > limits.PRIVILEGES_MAX) throw bad();
    return n;
  }
  let mask = 0;
  for (const part of value.split(",")) {
    const wanted = part.trim().toLowerCase();
    const name = PRIVILEGE_NAMES.find((candidate) => candidate.toLowerCase() === wanted);
    if (name === undefined) throw bad();
    mask |= Privilege[name];
  }
  return mask;
}

/** The core's rule for UserIDs (isValidUserId), checked here so the message can name the option. */
export function checkUserId(value: string, option: string): string {
  if (!isValidUserId(value)) {
    throw usageError(
      `${option} must be 1 to ${limits.USERID_MAX_BYTES} bytes of well-formed UTF-8 without control characters`,
    );
  }
  return value;
}

/** The core's rule for string room ids (isValidStrRoomId). */
export function checkStrRoomId(value: string, option: string): string {
  if (!isValidStrRoomId(value)) {
    throw usageError(`${option} must be 1 to ${limits.STR_ROOM_ID_MAX_BYTES} bytes of well-formed UTF-8`);
  }
  return value;
}
