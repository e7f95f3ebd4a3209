/**
 * Cloudflare Turnstile: a guest's challenge token, checked with siteverify before a new guest
 * identity is created. Request and response follow Cloudflare's documented format.
 */

import { AuthError, TURNSTILE_RETRY_AFTER_SECONDS } from "./errors.js";

const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/** Turnstile tokens are at most 2048 characters. */
export const TURNSTILE_TOKEN_MAX_CHARS = 2048;
const SITEVERIFY_TIMEOUT_MS = 5_000;

export interface TurnstileCheck {
  secret: string;
  token: string;
  remoteIp: string | undefined;
  hostnames?: string[] | undefined;
  action?: string | undefined;
}

interface SiteverifyResponse {
  success?: boolean;
  "error-codes"?: string[];
  hostname?: string;
  action?: string;
}

export async function verifyTurnstile(check: TurnstileCheck): Promise<void> {
  if (check.token.length === 0 || check.token.length > TURNSTILE_TOKEN_MAX_CHARS) {
    throw turnstileFailed("token length");
  }
  let result: SiteverifyResponse;
  try {
    const response = await fetch(SITEVERIFY_URL, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        secret: check.secret,
        response: check.token,
        ...(check.remoteIp ? { remoteip: check.remoteIp } : {}),
        idempotency_key: crypto.randomUUID(),
      }),
      signal: AbortSignal.timeout(SITEVERIFY_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`siteverify HTTP ${response.status}`);
    result = (await response.json()) as SiteverifyResponse;
  } catch (error) {
    throw new AuthError("TURNSTILE_UNAVAILABLE", "The challenge could not be checked right now; try again shortly.", {
      reason: `turnstile: ${error instanceof Error ? error.message : "unknown"}`,
      data: { retryAfterSeconds: TURNSTILE_RETRY_AFTER_SECONDS },
    });
  }
  if (result.success !== true) throw turnstileFailed(`error-codes ${(result["error-codes"] ?? []).join(",")}`);
  if (check.hostnames && !check.hostnames.includes(result.hostname ?? "")) throw turnstileFailed("hostname");
  if (check.action !== undefined && result.action !== check.action) throw turnstileFailed("action");
}

function turnstileFailed(logReason: string): AuthError {
  return new AuthError("TURNSTILE_FAILED", "The challenge was not passed; solve it again.", {
    reason: `turnstile: ${logReason}`,
  });
}
