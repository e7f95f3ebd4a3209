/** The doctor's finding codes: stable strings to switch on (the CLI's `--json`, the inspector, tests). */

export const DoctorCode = {
  /** Nothing was given. */
  Empty: "EMPTY",
  /** Longer than any UserSig. */
  TooLarge: "TOO_LARGE",
  /** Spaces or line breaks inside the token (wrapped in a log, a mail, a terminal). */
  Whitespace: "WHITESPACE",
  /** `%2A`-style escapes: the token went through URL encoding. */
  UrlEncoded: "URL_ENCODED",
  /** Standard base64 (`+ / =`) where the UserSig alphabet has `* - _`. */
  WrongAlphabet: "WRONG_ALPHABET",
  /** The token is cut short: the zlib stream (or its checksum) does not end. */
  Truncated: "TRUNCATED",
  /** The checksum does not match although nothing seems missing: a character was changed. */
  Damaged: "DAMAGED",
  /** A JWT (e.g. an identity provider's token). */
  Jwt: "JWT",
  /** This broker's guest ticket (a JWT that renews a guest's identity). */
  GuestTicket: "GUEST_TICKET",
  /** Something else entirely. */
  NotAUserSig: "NOT_A_USERSIG",
  /** A PrivateMapKey given where a plain UserSig is expected. */
  PrivateMapKeyAsUserSig: "PRIVATEMAPKEY_AS_USERSIG",
  /** A plain UserSig given where a PrivateMapKey is expected. */
  UserSigAsPrivateMapKey: "USERSIG_AS_PRIVATEMAPKEY",
  /** An old TLSSigAPI v1 token (ECDSA, private key). */
  V1Ecdsa: "V1_ECDSA",
  SdkAppIdMismatch: "SDKAPPID_MISMATCH",
  UserIdMismatch: "USERID_MISMATCH",
  Expired: "EXPIRED",
  /** Issued in the future: a clock is off. */
  NotYetValid: "NOT_YET_VALID",
  /** With the key: the HMAC does not match. */
  SignatureMismatch: "SIGNATURE_MISMATCH",
  /** With the key: it matches only once surrounding whitespace is removed from the key. */
  KeyWhitespace: "KEY_WHITESPACE",
} as const;

export type DoctorCode = (typeof DoctorCode)[keyof typeof DoctorCode];
