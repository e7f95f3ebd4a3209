/**
 * Verifying a UserSig: decode (bounded), then check in an order that tells a prober nothing it
 * could not read from the token itself before the signature has been checked:
 * SDKAppID (public, and it picks the key) -> signature -> UserID -> expiry.
 */

import { contentToSign } from "./content.js";
import { type DecodedUserSig, parseUserSig } from "./decode.js";
import { invalidInput, UserSigError, UserSigErrorCode } from "./errors.js";
import { hmacVerify } from "./hmac.js";

export interface VerifyExpectation {
  sdkAppId: number;
  secretKey: string;
  /** When given, the token must be for exactly this UserID. */
  userId?: string;
  /** Unix seconds; defaults to the current time. A token is expired when now > issuedAt + expireSeconds. */
  now?: number;
}

const encoder = new TextEncoder();

export async function verifyUserSig(userSig: string, expected: VerifyExpectation): Promise<DecodedUserSig> {
  if (typeof expected !== "object" || expected === null) throw invalidInput("expected must be an object");
  const now = expected.now ?? Date.now() / 1000;
  if (typeof now !== "number" || !Number.isFinite(now)) throw invalidInput("now must be unix seconds");
  const { decoded, signed, signature } = await parseUserSig(userSig);

  if (decoded.sdkAppId !== expected.sdkAppId) {
    throw new UserSigError(UserSigErrorCode.SdkAppIdMismatch, "the UserSig is for another SDKAppID");
  }
  if (!(await hmacVerify(expected.secretKey, signature, encoder.encode(contentToSign(signed))))) {
    throw new UserSigError(UserSigErrorCode.Signature, "the UserSig's signature does not match");
  }
  if (expected.userId !== undefined && decoded.userId !== expected.userId) {
    throw new UserSigError(UserSigErrorCode.UserIdMismatch, "the UserSig is for another UserID");
  }
  if (Math.floor(now) > decoded.expiresAt) {
    throw new UserSigError(UserSigErrorCode.Expired, "the UserSig has expired");
  }
  return decoded;
}
