/** Where the commands get their inputs (options, environment, stdin) and how they write JSON. */

import { limits } from "../usersig/index.js";
import { type ParsedArgs, parseInteger, spelledAs } from "./args.js";
import { configError, ExitCode, inputError, usageError } from "./errors.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";

export const SECRET_KEY_ENV = "TENCENT_SECRET_KEY";
export const SDKAPPID_ENV = "TENCENT_SDKAPPID";

export function required(args: ParsedArgs, option: string, command: string): string {
  const value = args.strings.get(option);
  if (value === undefined) throw usageError(`${command} needs --${option} (see \`usersig-broker ${command} --help\`)`);
  return value;
}

/** `--now`, or the clock read once. */
export function nowFrom(args: ParsedArgs): number {
  const now = args.strings.get("now");
  return now !== undefined ? parseInteger(now, "--now", 0, limits.UNIX_SECONDS_MAX) : Math.floor(Date.now() / 1000);
}

export function sdkAppIdFrom(args: ParsedArgs, io: Io): number {
  const option = args.strings.get("sdk-app-id");
  if (option !== undefined) return parseInteger(option, spelledAs(args, "sdk-app-id"), 1, limits.SDKAPPID_MAX);
  const env = io.env[SDKAPPID_ENV];
  if (env === undefined || env === "") throw configError(`no SDKAppID: pass --sdk-app-id or set ${SDKAPPID_ENV}`);
  return parseInteger(env, SDKAPPID_ENV, 1, limits.SDKAPPID_MAX, ExitCode.Input);
}

export async function secretKeyFrom(args: ParsedArgs, io: Io): Promise<string> {
  let secretKey: string;
  if (args.flags.has("secret-key-stdin")) {
    secretKey = await secretFromStdin(io, "--secret-key-stdin", "secret key", "secret-key.txt");
  } else {
    const env = io.env[SECRET_KEY_ENV];
    if (env === undefined || env === "") {
      throw configError(`no secret key: set ${SECRET_KEY_ENV}, or pass --secret-key-stdin and pipe the key in`);
    }
    secretKey = env;
  }
  if (secretKey.length > limits.SECRET_KEY_MAX_CHARS) {
    throw configError(`the secret key is over ${limits.SECRET_KEY_MAX_CHARS} characters`);
  }
  return secretKey;
}

/** A secret piped on stdin (one trailing newline removed); never read from a terminal, where it would be shown. */
export async function secretFromStdin(io: Io, option: string, what: string, example: string): Promise<string> {
  if (io.stdinIsTTY) {
    throw inputError(
      `${option} reads the ${what} from stdin, not from a terminal (it would be shown): redirect it, e.g. \`< ${example}\``,
    );
  }
  const secret = withoutOneNewline(await io.readStdin(STDIN_MAX_BYTES));
  if (secret === "") throw inputError(`${option}: no ${what} on stdin`);
  return secret;
}

/** The token argument, or stdin when there is none or it is "-"; surrounding whitespace is dropped. */
export async function tokenFrom(args: ParsedArgs, io: Io): Promise<string> {
  const argument = args.positionals[0];
  if (argument !== undefined && argument !== "-") {
    const token = argument.trim();
    if (token === "") throw inputError("the token argument is empty");
    return token;
  }
  if (argument === undefined && io.stdinIsTTY) {
    throw inputError('no token: pass it as an argument or pipe it on stdin (or pass "-" to paste it, then Ctrl-D)');
  }
  const token = (await io.readStdin(STDIN_MAX_BYTES)).trim();
  if (token === "") throw inputError("no token on stdin");
  return token;
}

/** Removes one trailing line ending (`\n` or `\r\n`) and nothing else. */
export function withoutOneNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

export function writeJson(io: Io, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

export function indent(lines: string[], prefix = "  "): string {
  return lines.map((line) => `${prefix}${line}\n`).join("");
}
