/**
 * The one error type the UserSig core throws.
 *
 * Callers switch on `code`, never on `message`. Messages are fixed strings chosen by this module:
 * they never contain the token, the secret key or any decoded field, so they are safe to log and
 * safe to return to a caller.
 */

export const UserSigErrorCode = {
  /** A sign argument (or `now`, or the secret key) is out of range. */
  InvalidInput: "ERR_INVALID_INPUT",
  /** The string is not a UserSig: bad alphabet, bad base64, bad zlib stream, bad JSON or fields. */
  Malformed: "ERR_MALFORMED",
  /** The token, or the JSON it inflates to, is over the caps in `limits.ts`. */
  TooLarge: "ERR_TOO_LARGE",
  /** The HMAC does not match: tampered token or another secret key. */
  Signature: "ERR_SIGNATURE",
  /** `now > issuedAt + expireSeconds`. */
  Expired: "ERR_EXPIRED",
  /** The token names another SDKAppID than the one expected. */
  SdkAppIdMismatch: "ERR_SDKAPPID_MISMATCH",
  /** The token names another UserID than the one expected. */
  UserIdMismatch: "ERR_USERID_MISMATCH",
} as const;

export type UserSigErrorCode = (typeof UserSigErrorCode)[keyof typeof UserSigErrorCode];

export class UserSigError extends Error {
  readonly code: UserSigErrorCode;

  constructor(code: UserSigErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UserSigError";
    this.code = code;
  }
}

/** Shorthands so call sites read as the rule they enforce. */
export function invalidInput(message: string): UserSigError {
  return new UserSigError(UserSigErrorCode.InvalidInput, message);
}

export function malformed(message: string, cause?: unknown): UserSigError {
  return new UserSigError(UserSigErrorCode.Malformed, message, cause === undefined ? undefined : { cause });
}
