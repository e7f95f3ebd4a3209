/**
 * The operator's bearer token (ADMIN_API_TOKEN): the one place that decides whether the operator
 * API is on and whether a request presents the token. During a change the secret may hold two
 * tokens (separated by whitespace or a comma); both are accepted. Never put a token in an error.
 */

import { secretEquals } from "./compare.js";
import { AuthError, unauthorized } from "./errors.js";

/** Failed guesses are not rate limited (they are refused before the limiter): every token must be unguessable. */
export const OPERATOR_TOKEN_MIN_CHARS = 32;
/** A presented operator token longer than this is not read. */
export const OPERATOR_TOKEN_MAX_CHARS = 512;
/** The old token and the new one, while the secret is being changed. */
export const OPERATOR_TOKENS_MAX = 2;

const OPERATOR_BEARER = new RegExp(`^Bearer +([^ ]{1,${OPERATOR_TOKEN_MAX_CHARS}}) *$`, "i");
const SEPARATORS = /[\s,]+/;

/**
 * ADMIN_API_TOKEN as the broker judges it: the tokens it accepts, or why the operator API is off.
 * One short (or too long) token among two disables the whole API, loudly: a typo in the new token
 * must not leave the operator API running on the old one without anyone noticing.
 */
export type OperatorTokens = { on: true; tokens: readonly string[] } | { on: false; why: string };

export function operatorTokens(secret: string | undefined): OperatorTokens {
  const tokens = (secret ?? "").split(SEPARATORS).filter((token) => token !== "");
  if (tokens.length === 0) return { on: false, why: "ADMIN_API_TOKEN is not set." };
  if (tokens.length > OPERATOR_TOKENS_MAX) {
    return {
      on: false,
      why: `ADMIN_API_TOKEN holds ${tokens.length} tokens: at most ${OPERATOR_TOKENS_MAX} (the old and the new one, during a change).`,
    };
  }
  const which = (index: number) =>
    tokens.length === 1 ? "ADMIN_API_TOKEN" : `ADMIN_API_TOKEN's token ${index + 1} of 2`;
  for (const [index, token] of tokens.entries()) {
    if (token.length < OPERATOR_TOKEN_MIN_CHARS) {
      return {
        on: false,
        why: `${which(index)} must be at least ${OPERATOR_TOKEN_MIN_CHARS} characters (e.g. openssl rand -hex 32).`,
      };
    }
    if (token.length > OPERATOR_TOKEN_MAX_CHARS) {
      return { on: false, why: `${which(index)} must be at most ${OPERATOR_TOKEN_MAX_CHARS} characters.` };
    }
  }
  return { on: true, tokens };
}

/** Whether `authorization` carries one of the operator's tokens (never, while the operator API is off). */
export async function presentsOperatorToken(
  secret: string | undefined,
  authorization: string | undefined,
): Promise<boolean> {
  const judged = operatorTokens(secret);
  if (!judged.on) return false;
  const presented = OPERATOR_BEARER.exec(authorization ?? "")?.[1];
  if (presented === undefined) return false;
  // Every token is compared, whichever matches: the time taken does not say which one it was.
  const matches = await Promise.all(judged.tokens.map((token) => secretEquals(presented, token)));
  return matches.includes(true);
}

/**
 * The operator routes' check: 403 OPERATOR_API_DISABLED (with the reason, never a token) while the
 * secret is unset or not acceptable, else 401 unless the request carries one of the tokens.
 */
export async function authenticateOperator(
  secret: string | undefined,
  authorization: string | undefined,
): Promise<void> {
  const judged = operatorTokens(secret);
  if (!judged.on) throw new AuthError("OPERATOR_API_DISABLED", `The operator API is disabled: ${judged.why}`);
  if (!(await presentsOperatorToken(secret, authorization))) {
    throw unauthorized("Bearer", "operator: bad or missing token", authorization !== undefined);
  }
}
