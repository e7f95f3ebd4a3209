/** The commands. Each returns its exit code or throws a CliError (exit 2 or 3). */

import { createHash } from "node:crypto";
import { diagnose } from "../doctor/index.js";
import { formatDuration as duration, isoTime } from "../doctor/time.js";
import {
  decodeUserSig,
  limits,
  privilegeNames,
  signPrivateMapKey,
  signUserSig,
  UserSigError,
  UserSigErrorCode,
  verifyUserSig,
} from "../usersig/index.js";
import {
  type CommandSpec,
  checkStrRoomId,
  checkUserId,
  EXPIRY_LIMIT,
  type ParsedArgs,
  parseDuration,
  parseInteger,
  parsePrivileges,
  spelledAs,
} from "./args.js";
import { checkConfigCommand } from "./check-config.js";
import { doctorCommand } from "./doctor.js";
import { CliError, CliErrorCode, ExitCode, inputError, usageError } from "./errors.js";
import { decodedJson, decodedLines } from "./format.js";
import {
  indent,
  nowFrom,
  required,
  sdkAppIdFrom,
  secretKeyFrom,
  tokenFrom,
  withoutOneNewline,
  writeJson,
} from "./inputs.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";
import { smokeCommand } from "./smoke.js";

export interface Command {
  spec: CommandSpec;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

const SIGN_OPTIONS = {
  "user-id": "string",
  expire: "string",
  "sdk-app-id": "string",
  now: "string",
  "secret-key-stdin": "boolean",
} as const;

export const COMMANDS: Record<string, Command> = {
  sign: { spec: { name: "sign", options: SIGN_OPTIONS, maxPositionals: 0 }, run: sign },
  "sign-privatemapkey": {
    spec: {
      name: "sign-privatemapkey",
      options: {
        ...SIGN_OPTIONS,
        room: "string",
        "str-room": "string",
        privileges: "string",
      },
      maxPositionals: 0,
    },
    run: signPrivateMap,
  },
  verify: {
    spec: {
      name: "verify",
      options: { "sdk-app-id": "string", "user-id": "string", now: "string", "secret-key-stdin": "boolean" },
      maxPositionals: 1,
    },
    run: verify,
  },
  decode: { spec: { name: "decode", options: { now: "string" }, maxPositionals: 1 }, run: decode },
  "hash-api-key": { spec: { name: "hash-api-key", options: {}, maxPositionals: 0 }, run: hashApiKey },
  doctor: doctorCommand,
  "check-config": checkConfigCommand,
  smoke: smokeCommand,
};

async function sign(args: ParsedArgs, io: Io): Promise<number> {
  const common = signInputs(args, "sign");
  const sdkAppId = sdkAppIdFrom(args, io);
  const secretKey = await secretKeyFrom(args, io);
  const userSig = await core(() =>
    signUserSig({ sdkAppId, userId: common.userId, expireSeconds: common.expireSeconds }, secretKey, {
      now: common.issuedAt,
    }),
  );
  if (args.json) {
    writeJson(io, { userSig, sdkAppId, ...timesJson(common) });
  } else {
    io.stdout(`${userSig}\n`);
  }
  return ExitCode.Ok;
}

async function signPrivateMap(args: ParsedArgs, io: Io): Promise<number> {
  const common = signInputs(args, "sign-privatemapkey");
  // --room-id and --str-room-id (the API's names) arrive here as --room and --str-room (OPTION_ALIASES).
  const rooms = ["room", "str-room"].filter((name) => args.strings.has(name));
  const [given] = rooms;
  if (given === undefined || rooms.length > 1) {
    throw usageError(
      "sign-privatemapkey needs exactly one of --room <n> and --str-room <s> (or --room-id, --str-room-id)",
    );
  }
  const value = args.strings.get(given) ?? "";
  const roomId = given.startsWith("str-")
    ? checkStrRoomId(value, spelledAs(args, given))
    : parseInteger(value, spelledAs(args, given), 1, limits.ROOM_ID_MAX);
  const privileges = parsePrivileges(required(args, "privileges", "sign-privatemapkey"), "--privileges");
  const sdkAppId = sdkAppIdFrom(args, io);
  const secretKey = await secretKeyFrom(args, io);
  const privateMapKey = await core(() =>
    signPrivateMapKey(
      {
        sdkAppId,
        userId: common.userId,
        expireSeconds: common.expireSeconds,
        ...(typeof roomId === "string" ? { strRoomId: roomId } : { roomId }),
        privileges,
      },
      secretKey,
      { now: common.issuedAt },
    ),
  );
  if (args.json) {
    const { userId, ...times } = timesJson(common);
    writeJson(io, {
      privateMapKey,
      sdkAppId,
      userId,
      ...(typeof roomId === "number" ? { roomId } : { strRoomId: roomId }),
      privileges,
      privilegeNames: privilegeNames(privileges),
      ...times,
    });
  } else {
    io.stdout(`${privateMapKey}\n`);
  }
  return ExitCode.Ok;
}

async function verify(args: ParsedArgs, io: Io): Promise<number> {
  const expectedUserId = args.strings.get("user-id");
  if (expectedUserId === "") throw usageError("--user-id must not be empty");
  const now = nowFrom(args);
  const tokenFromStdin = args.positionals.length === 0 || args.positionals[0] === "-";
  if (tokenFromStdin && args.flags.has("secret-key-stdin")) {
    throw usageError(
      "the token and the secret key cannot both come from stdin: pass the token as an argument, or put the key in TENCENT_SECRET_KEY",
    );
  }
  const sdkAppId = sdkAppIdFrom(args, io);
  const secretKey = await secretKeyFrom(args, io);
  const token = await tokenFrom(args, io);
  let decoded: Awaited<ReturnType<typeof verifyUserSig>>;
  try {
    decoded = await verifyUserSig(token, {
      sdkAppId,
      secretKey,
      now,
      ...(expectedUserId !== undefined ? { userId: expectedUserId } : {}),
    });
  } catch (error) {
    if (!(error instanceof UserSigError) || error.code === UserSigErrorCode.InvalidInput) throw asCliError(error);
    if (args.json) {
      writeJson(io, { valid: false, error: { code: error.code, message: error.message } });
    } else {
      let detail = "";
      if (error.code === UserSigErrorCode.Expired) {
        const { expiresAt } = await decodeUserSig(token);
        detail = ` at ${isoTime(expiresAt)}, ${duration(now - expiresAt)} ago`;
      }
      const hint =
        error.code === UserSigErrorCode.Malformed || error.code === UserSigErrorCode.TooLarge
          ? await doctorHint(token, now)
          : "";
      io.stderr(`invalid: ${error.message}${detail} (${error.code})\n${hint}`);
    }
    return ExitCode.Invalid;
  }
  if (args.json) {
    writeJson(io, { valid: true, ...decodedJson(decoded, now) });
  } else {
    const checks =
      expectedUserId !== undefined ? "SDKAppID, signature, UserID and expiry" : "SDKAppID, signature and expiry";
    io.stdout(
      `valid: ${checks} check out${expectedUserId === undefined ? " (UserID not checked: --user-id)" : ""}\n${indent(
        decodedLines(decoded, now),
      )}`,
    );
  }
  return ExitCode.Ok;
}

async function decode(args: ParsedArgs, io: Io): Promise<number> {
  const now = nowFrom(args);
  const token = await tokenFrom(args, io);
  let decoded: Awaited<ReturnType<typeof decodeUserSig>>;
  try {
    decoded = await decodeUserSig(token);
  } catch (error) {
    if (!(error instanceof UserSigError)) throw error;
    if (args.json) writeJson(io, { error: { code: error.code, message: error.message } });
    else io.stderr(`usersig-broker: ${error.message} (${error.code})\n${await doctorHint(token, now)}`);
    return ExitCode.Invalid;
  }
  if (args.json) {
    writeJson(io, decodedJson(decoded, now));
  } else {
    io.stdout(
      `${indent(decodedLines(decoded, now), "")}signature:  not checked (decode needs no key; use verify to check it)\n`,
    );
  }
  return ExitCode.Ok;
}

async function hashApiKey(args: ParsedArgs, io: Io): Promise<number> {
  if (io.stdinIsTTY) {
    throw inputError(
      "hash-api-key reads the API key from stdin, not from a terminal (it would be shown): `usersig-broker hash-api-key < api-key.txt`",
    );
  }
  const apiKey = withoutOneNewline(await io.readStdin(STDIN_MAX_BYTES));
  if (apiKey === "") throw inputError("no API key on stdin");
  const sha256 = createHash("sha256").update(apiKey, "utf8").digest("hex");
  const warnings: string[] = [];
  if (/^\s|\s$/.test(apiKey)) {
    warnings.push(
      "the API key starts or ends with whitespace; HTTP strips it from header values, so it may never match",
    );
  }
  if (/[\r\n]/.test(apiKey)) warnings.push("the API key contains a line break (only one trailing newline is removed)");
  if (args.json) {
    writeJson(io, { sha256, warnings });
  } else {
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(`${sha256}\n`);
  }
  return ExitCode.Ok;
}

interface SignInputs {
  userId: string;
  expireSeconds: number;
  issuedAt: number;
}

function signInputs(args: ParsedArgs, command: string): SignInputs {
  const userId = checkUserId(required(args, "user-id", command), "--user-id");
  const expireSeconds = parseDuration(required(args, "expire", command), "--expire");
  const issuedAt = nowFrom(args);
  if (issuedAt + expireSeconds > limits.UNIX_SECONDS_MAX) {
    throw usageError(
      `the expiry (issue time + --expire) is past the 32-bit expiry limit: a UserSig's expiry is a 32-bit unix time, at most ${EXPIRY_LIMIT}`,
    );
  }
  return { userId, expireSeconds, issuedAt };
}

function timesJson(inputs: SignInputs) {
  const expiresAt = inputs.issuedAt + inputs.expireSeconds;
  return {
    userId: inputs.userId,
    issuedAt: inputs.issuedAt,
    issuedAtIso: isoTime(inputs.issuedAt),
    expireSeconds: inputs.expireSeconds,
    expiresAt,
    expiresAtIso: isoTime(expiresAt),
  };
}

/**
 * For a token the core refuses as malformed: the doctor's most likely reason, on one line (the core
 * says "not a zlib stream" for a token cut short; the doctor says it is cut short, and by how much).
 */
async function doctorHint(token: string, now: number): Promise<string> {
  const [first] = (await diagnose({ token, now })).findings;
  return first ? `hint: ${first.title} (\`usersig-broker doctor\` says more)\n` : "";
}

/** Runs a core call; its InvalidInput (inputs are checked beforehand, so rare) is a usage error. */
async function core<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asCliError(error);
  }
}

function asCliError(error: unknown): unknown {
  if (error instanceof UserSigError && error.code === UserSigErrorCode.InvalidInput) {
    return new CliError(ExitCode.Usage, CliErrorCode.Usage, `invalid input: ${error.message}`);
  }
  return error;
}
