/**
 * Rate limits as the routes see them: the subject named and the check kept for the headers; the
 * check itself is `c.var.broker.rateLimits` (src/services/ratelimit.ts → src/ratelimit/enforce.ts).
 * - `enforceRateLimit(c, app, routeClass, caller)`: the one call a limited route makes, after the
 *   caller is authenticated and before any Turnstile call or signature. Refused: 429 (or 503 when
 *   KV is unavailable and the policy is fail-closed); a refused request counts nothing.
 * - `reserveNewGuest(c, app)`: the app-wide budget of new guest identities (ratelimit/enforce.ts).
 * - `rateLimitHeaders()`: sets RateLimit-Policy and RateLimit on every response after the check,
 *   errors included; the check is kept in the request's context (`c.var.rateLimit`).
 *
 * Subjects: the UserID for IdP users, the key name for API keys, and for guests the client address
 * from CF-Connecting-IP (IPv6 per /64) when it can be trusted (see clientAddressTrusted).
 */

import type { MiddlewareHandler } from "hono";
import { type Caller, callerSubject } from "../auth/caller.js";
import type { LoadedApp } from "../config/load.js";
import type { RouteClass } from "../ratelimit/config.js";
import { clientSubject, UNKNOWN_CLIENT } from "../ratelimit/policy.js";
import type { BrokerContext, BrokerHono } from "./context.js";

/**
 * The variable that says CF-Connecting-IP cannot be trusted: set by local starts (`npm start`,
 * `.dev.vars`), where the header is whatever the client sent. Unset on Cloudflare, whose edge
 * overwrites the header with the address it saw.
 */
const CLIENT_IP_TRUST_VAR = "CLIENT_IP_HEADER";
const CLIENT_IP_UNTRUSTED = "untrusted";

export async function enforceRateLimit(
  c: BrokerContext,
  app: LoadedApp,
  routeClass: RouteClass,
  caller: Caller,
): Promise<void> {
  // A guest of an app without guests is refused next, at no cost: counting it would only cost KV.
  if (caller.kind === "guest" && !app.config.guests.enabled) return;
  const subject = caller.kind === "guest" ? guestSubject(c) : callerSubject(caller);
  const { check, refusal } = await c.var.broker.rateLimits.check(app, routeClass, caller.kind, subject);
  c.set("rateLimit", check);
  if (refusal) throw refusal;
}

/** The operator's own limit (route class "operator"), per app: one subject, the operator. */
export async function enforceOperatorLimit(c: BrokerContext, app: LoadedApp): Promise<void> {
  const { check, refusal } = await c.var.broker.rateLimits.check(app, "operator", "operator", "operator");
  c.set("rateLimit", check);
  if (refusal) throw refusal;
}

/** Takes one new guest identity from the app's daily budget; call the result to give it back. */
export function reserveNewGuest(c: BrokerContext, app: LoadedApp): Promise<() => void> {
  return c.var.broker.rateLimits.reserveNewGuest(app, c.var.rateLimit);
}

/** Sets the RateLimit fields on every response of a request that went through a check. */
export function rateLimitHeaders(): MiddlewareHandler<BrokerHono> {
  return async function rateLimitHeaders(c, next) {
    c.var.isolate.requests.count++;
    await next();
    const check = c.var.rateLimit;
    if (!check) return;
    c.res.headers.set("RateLimit-Policy", check.policyField);
    c.res.headers.set("RateLimit", check.limitField);
  };
}

/**
 * Whether CF-Connecting-IP names the client. On Cloudflare the edge sets it (a client's own value is
 * overwritten), so it is trusted unless the environment says otherwise. Under `wrangler dev`
 * Miniflare sets it only when the request has none, so a client could name any address and get a
 * fresh guest budget per address: local starts set CLIENT_IP_HEADER=untrusted, and every guest
 * then shares one subject (docs/rate-limits.md, "What is trusted where").
 */
export function clientAddressTrusted(c: BrokerContext): boolean {
  return c.env[CLIENT_IP_TRUST_VAR] !== CLIENT_IP_UNTRUSTED;
}

function guestSubject(c: BrokerContext): string {
  if (!clientAddressTrusted(c)) {
    logOnce(
      c,
      "rate_limit_client_ip_untrusted",
      "CF-Connecting-IP is not trusted here (local start): every guest shares one subject",
    );
    return UNKNOWN_CLIENT;
  }
  const client = clientSubject(c.req.header("CF-Connecting-IP"));
  if (client.source === "missing") {
    logOnce(
      c,
      "rate_limit_no_client_ip",
      "CF-Connecting-IP is missing (local dev?): every such guest shares one subject",
    );
  } else if (client.source === "invalid") {
    logOnce(
      c,
      "rate_limit_bad_client_ip",
      "CF-Connecting-IP is not an IP address: every such guest shares one subject",
    );
  }
  return client.subject;
}

function logOnce(c: BrokerContext, event: string, detail: string): void {
  const logged = c.var.isolate.loggedOnce;
  if (logged.has(event)) return;
  logged.add(event);
  console.warn(JSON.stringify({ event, detail }));
}
