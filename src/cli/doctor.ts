/**
 * `usersig-broker doctor [token | -] [--sdk-app-id N] [--user-id ID] [--error CODE]`: what is wrong
 * with a token that failed to log in (src/doctor does the diagnosis; this is its terminal front end).
 */

import { type Diagnosis, diagnose, TENCENT_ERRORS, type TencentError, tencentError } from "../doctor/index.js";
import { isoTime } from "../doctor/time.js";
import { limits } from "../usersig/index.js";
import { type ParsedArgs, parseInteger, spelledAs } from "./args.js";
import type { Command } from "./commands.js";
import { ExitCode, inputError, usageError } from "./errors.js";
import { decodedJson } from "./format.js";
import { nowFrom, SDKAPPID_ENV, SECRET_KEY_ENV, secretKeyFrom, tokenFrom, writeJson } from "./inputs.js";
import { type Io, STDIN_MAX_BYTES } from "./io.js";

export const doctorCommand: Command = {
  spec: {
    name: "doctor",
    options: {
      "sdk-app-id": "string",
      "user-id": "string",
      error: "string",
      "used-as": "string",
      now: "string",
      "secret-key-stdin": "boolean",
    },
    maxPositionals: 1,
  },
  run: doctor,
};

async function doctor(args: ParsedArgs, io: Io): Promise<number> {
  const errorCode = args.strings.get("error");
  const explained = errorCode !== undefined ? knownError(errorCode) : undefined;
  const tokenFromStdin = args.positionals.length === 0 || args.positionals[0] === "-";
  if (tokenFromStdin && args.flags.has("secret-key-stdin")) {
    throw usageError(
      "the token and the secret key cannot both come from stdin: pass the token as an argument, or put the key in TENCENT_SECRET_KEY",
    );
  }
  // The token: the argument, or stdin whenever there is no argument and stdin is not a terminal
  // (`printf %s "$USERSIG" | usersig-broker doctor --error 70001` included). With --error, an empty
  // stdin only means there is no token to look at.
  let token: string | undefined;
  if (!tokenFromStdin) token = await tokenFrom(args, io);
  else if (args.positionals[0] === "-" || !io.stdinIsTTY) {
    const text = (await io.readStdin(STDIN_MAX_BYTES)).trim();
    if (text !== "") token = text;
    else if (explained === undefined) throw inputError("no token on stdin");
  }
  if (token === undefined) {
    if (explained === undefined) {
      throw usageError(
        "doctor needs a token (argument or stdin), or --error <code> (see `usersig-broker doctor --help`)",
      );
    }
    if (args.json) writeJson(io, { error: explained });
    else io.stdout(errorText(explained));
    return ExitCode.Ok;
  }

  const sdkAppId = optionalSdkAppId(args, io);
  const userId = args.strings.get("user-id");
  if (userId === "") throw usageError("--user-id must not be empty");
  const usedAs = args.strings.get("used-as");
  if (usedAs !== undefined && usedAs !== "userSig" && usedAs !== "privateMapKey") {
    throw usageError("--used-as must be userSig or privateMapKey");
  }
  const now = nowFrom(args);
  const keyGiven = args.flags.has("secret-key-stdin") || (io.env[SECRET_KEY_ENV] ?? "") !== "";
  const secretKey = keyGiven ? await secretKeyFrom(args, io) : undefined;

  const diagnosis = await diagnose({
    token,
    now,
    ...(sdkAppId !== undefined ? { sdkAppId } : {}),
    ...(userId !== undefined ? { userId } : {}),
    ...(usedAs !== undefined ? { usedAs } : {}),
    ...(secretKey !== undefined ? { secretKey } : {}),
  });

  if (args.json) {
    const { decoded, ...rest } = diagnosis;
    writeJson(io, {
      ...rest,
      ...(decoded ? { decoded: decodedJson(decoded, now) } : {}),
      ...(explained ? { error: explained, errorShown: shownBy(explained, diagnosis) } : {}),
    });
  } else {
    let text = explained ? `${errorText(explained)}\n` : "";
    text += diagnosisText(diagnosis);
    if (explained) {
      const shown = shownBy(explained, diagnosis);
      text +=
        shown.length > 0
          ? `\nThe token shows what Tencent's ${explained.code} is about: ${shown.join(", ")}.\n`
          : `\nThe token itself shows none of the usual causes of ${explained.code}: check the list above.\n`;
    }
    io.stdout(safe(text));
  }
  return diagnosis.findings.length === 0 ? ExitCode.Ok : ExitCode.Invalid;
}

/** `--error 70009`: a code the doctor knows, or a usage error listing the ones it does. */
function knownError(value: string): TencentError {
  const code = /^-?[0-9]{1,6}$/.test(value) ? Number(value) : Number.NaN;
  const error = tencentError(code);
  if (error === undefined) {
    throw usageError(
      `--error must be one of Tencent's login error codes the doctor explains: ${TENCENT_ERRORS.map((e) => e.code).join(", ")}`,
    );
  }
  return error;
}

function optionalSdkAppId(args: ParsedArgs, io: Io): number | undefined {
  const option = args.strings.get("sdk-app-id");
  if (option !== undefined) return parseInteger(option, spelledAs(args, "sdk-app-id"), 1, limits.SDKAPPID_MAX);
  const env = io.env[SDKAPPID_ENV];
  return env === undefined || env === ""
    ? undefined
    : parseInteger(env, SDKAPPID_ENV, 1, limits.SDKAPPID_MAX, ExitCode.Input);
}

function shownBy(error: TencentError, diagnosis: Diagnosis): string[] {
  return diagnosis.findings.filter((f) => error.findings.includes(f.code)).map((f) => f.code);
}

function errorText(error: TencentError): string {
  return `Tencent error ${error.code} (${error.name}):\n  ${error.meaning}\nWhat to check:\n${error.check
    .map((line) => `  - ${line}\n`)
    .join("")}`;
}

function diagnosisText(d: Diagnosis): string {
  let text = `token: ${describe(d)}\n`;
  if (d.findings.length === 0) {
    text += "No problem found in the token.\n";
  } else {
    text += `${d.findings.length === 1 ? "1 problem" : `${d.findings.length} problems`}, most likely first:\n`;
    d.findings.forEach((finding, i) => {
      text += `\n${i + 1}. ${finding.title} [${finding.code}]\n   ${finding.detail}\n`;
      if (finding.tencentErrors.length > 0) {
        text += `   Tencent reports it as: ${finding.tencentErrors.join(", ")} (usersig-broker doctor --error <code>)\n`;
      }
    });
  }
  if (d.notes.length > 0) text += `\n${d.notes.map((note) => `note: ${note}\n`).join("")}`;
  return text;
}

function describe(d: Diagnosis): string {
  const decoded = d.decoded;
  if (decoded) {
    const kind = decoded.privateMap ? "a PrivateMapKey" : "a UserSig";
    return `${kind} of SDKAppID ${decoded.sdkAppId} for ${JSON.stringify(decoded.userId)}, issued ${isoTime(
      decoded.issuedAt,
    )}, expires ${isoTime(decoded.expiresAt)}`;
  }
  if (d.v1) {
    const v1 = d.v1;
    return `an old v1 UserSig${v1.sdkAppId !== undefined ? ` of SDKAppID ${v1.sdkAppId}` : ""}${
      v1.userId !== undefined ? ` for ${JSON.stringify(v1.userId)}` : ""
    }${v1.expiresAt !== undefined ? `, expires ${isoTime(v1.expiresAt)}` : ""}`;
  }
  const kinds: Record<string, string> = {
    jwt: "a JWT",
    "guest-ticket": "a guest ticket",
    "truncated-usersig": "a UserSig, cut short",
  };
  return kinds[d.kind] ?? "not recognized";
}

/** Text from a token may come from a stranger: control characters other than line breaks are shown escaped. */
function safe(text: string): string {
  return text.replace(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
