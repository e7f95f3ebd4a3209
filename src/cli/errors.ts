/**
 * Exit codes and the one error type the CLI reports. Messages are fixed strings chosen here or by
 * the UserSig core: they name options, never echo a value given on the command line, on stdin or
 * in the environment, so neither a secret key nor a token can end up in a terminal or a log.
 */

export const ExitCode = {
  /** Success; for verify, the token is valid. */
  Ok: 0,
  /** The token is invalid: not a UserSig, bad signature, expired, other SDKAppID or UserID. */
  Invalid: 1,
  /** The command line is wrong: unknown command or option, missing or malformed option, a secret as an argument. */
  Usage: 2,
  /** Input or configuration is missing or unusable: no secret key or SDKAppID, nothing usable on stdin. */
  Input: 3,
  /** A bug in the CLI (EX_SOFTWARE). */
  Internal: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes in `--json` error objects besides the UserSig core's own (`ERR_EXPIRED`, ...). */
export const CliErrorCode = {
  Usage: "ERR_USAGE",
  SecretAsArgument: "ERR_SECRET_AS_ARGUMENT",
  Config: "ERR_CONFIG",
  Input: "ERR_INPUT",
  Internal: "ERR_INTERNAL",
} as const;

export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;

  constructor(exitCode: ExitCode, code: string, message: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
  }
}

export function usageError(message: string): CliError {
  return new CliError(ExitCode.Usage, CliErrorCode.Usage, message);
}

export function configError(message: string): CliError {
  return new CliError(ExitCode.Input, CliErrorCode.Config, message);
}

export function inputError(message: string): CliError {
  return new CliError(ExitCode.Input, CliErrorCode.Input, message);
}
