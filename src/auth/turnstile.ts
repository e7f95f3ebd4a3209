/**
 * Cloudflare Turnstile: a guest's challenge token, checked with siteverify before a new guest
 * identity is created. Request and response follow Cloudflare's documented format. Must never put
 * the secret or the token in an error or a log line.
 */

import { SITEVERIFY_URL } from "../config/rules.js";
import { AuthError, TURNSTILE_RETRY_AFTER_SECONDS } from "./errors.js";

/** Turnstile tokens are at most 2048 characters. */
export const TURNSTILE_TOKEN_MAX_CHARS = 2048;
export const SITEVERIFY_TIMEOUT_MS = 5_000;

export interface TurnstileCheck {
  secret: string;
  token: string;
  remoteIp: string | undefined;
  hostnames?: string[] | undefined;
  action?: string | undefined;
  /** The app's `guests.turnstile.siteverifyUrl` (a local fake in tests); default Cloudflare's. */
  siteverifyUrl?: string | undefined;
}

/** How siteverify is reached: injected like the Chat client's (src/isolate.ts). */
export interface TurnstileDeps {
  fetch: (request: Request) => Promise<Response>;
  timeoutMs: number;
}

interface SiteverifyResponse {
  success?: boolean;
  "error-codes"?: string[];
  hostname?: string;
  action?: string;
}

export async function verifyTurnstile(check: TurnstileCheck, deps: TurnstileDeps): Promise<void> {
  if (check.token.length === 0 || check.token.length > TURNSTILE_TOKEN_MAX_CHARS) {
    throw turnstileFailed("token length");
  }
  let result: SiteverifyResponse;
  try {
    const response = await deps.fetch(
      new Request(check.siteverifyUrl ?? SITEVERIFY_URL, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          secret: check.secret,
          response: check.token,
          ...(check.remoteIp ? { remoteip: check.remoteIp } : {}),
          idempotency_key: crypto.randomUUID(),
        }),
        signal: AbortSignal.timeout(deps.timeoutMs),
      }),
    );
    if (!response.ok) throw new SiteverifyStatus(response.status);
    result = (await response.json()) as SiteverifyResponse;
  } catch (error) {
    const why = error instanceof SiteverifyStatus ? error.message : error instanceof Error ? error.name : "unknown";
    throw new AuthError("TURNSTILE_UNAVAILABLE", "The challenge could not be checked right now; try again shortly.", {
      reason: `turnstile: ${why}`,
      data: { retryAfterSeconds: TURNSTILE_RETRY_AFTER_SECONDS },
    });
  }
  if (result.success !== true) throw turnstileFailed(`error-codes ${(result["error-codes"] ?? []).join(",")}`);
  if (check.hostnames && !check.hostnames.includes(result.hostname ?? "")) throw turnstileFailed("hostname");
  if (check.action !== undefined && result.action !== check.action) throw turnstileFailed("action");
}

/** A siteverify answer that is not 2xx (its message is ours, safe to log). */
class SiteverifyStatus extends Error {
  constructor(status: number) {
    super(`siteverify HTTP ${status}`);
  }
}

function turnstileFailed(logReason: string): AuthError {
  return new AuthError("TURNSTILE_FAILED", "The challenge was not passed; solve it again.", {
    reason: `turnstile: ${logReason}`,
  });
}
