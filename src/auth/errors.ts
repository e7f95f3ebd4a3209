/** Why a caller was not authenticated, or could not be checked. */
import { BrokerError, type Challenge } from "../shared/errors.js";

export type AuthErrorCode =
  /** Missing or invalid credentials: the caller learns no more than that (the reason is logged). */
  | "UNAUTHORIZED"
  | "IDP_UNAVAILABLE"
  | "USERID_CLAIM_MISSING"
  | "TURNSTILE_FAILED"
  | "TURNSTILE_UNAVAILABLE"
  /** ADMIN_API_TOKEN is unset or not acceptable (operator.ts): the operator API is off. */
  | "OPERATOR_API_DISABLED";

export class AuthError extends BrokerError<AuthErrorCode> {
  override readonly name = "AuthError";
}

/** Seconds a caller waits before asking again when an outside party (IdP, Turnstile) failed. */
export const IDP_RETRY_AFTER_SECONDS = 10;
export const TURNSTILE_RETRY_AFTER_SECONDS = 5;

export function unauthorized(challenge: Challenge, reason: string, credentialsGiven = true): AuthError {
  return new AuthError("UNAUTHORIZED", "The credentials are missing or not valid.", {
    reason,
    data: { challenge, credentialsGiven },
  });
}
