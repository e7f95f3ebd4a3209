/**
 * CORS for the two public routes and the moderation routes only (backends do not need it, and an
 * API key has no business in a browser: X-Api-Key is not an allowed header). Each app lists its allowed origins; a preflight does not say which app it is for, so
 * it is answered for the union, and the actual request is then held to its own app's list.
 * Credentials (cookies) are never allowed and `*` is never sent; `Vary: Origin` always is.
 */

import type { Handler, MiddlewareHandler } from "hono";
import type { LoadedApp } from "../config/load.js";
import { auditLine, writeAudit } from "./audit.js";
import type { BrokerContext, BrokerHono } from "./context.js";
import { RequestError } from "./errors.js";
import { problemResponse, toProblem } from "./problem.js";

const ALLOWED_HEADERS = ["authorization", "content-type"];
const EXPOSED_HEADERS = "RateLimit, RateLimit-Policy, Retry-After, X-Request-Id";
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** An Origin is a scheme, a host and a port; anything longer is cut in the audit line. */
const AUDIT_ORIGIN_MAX_CHARS = 256;

/**
 * OPTIONS on a browser-facing route: the preflight, answered for the union of every app's origins.
 * `methods`: what the route accepts (POST for the public routes; the moderation routes take more).
 */
export function preflight(methods: readonly string[] = ["POST"]): Handler<BrokerHono> {
  return function preflight(c) {
    const origin = c.req.header("Origin");
    const vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    const requestedHeaders = (c.req.header("Access-Control-Request-Headers") ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const allowed =
      origin !== undefined &&
      (isSameOrigin(c, origin) || c.var.brokerConfig.allOrigins().has(origin)) &&
      methods.includes(c.req.header("Access-Control-Request-Method") ?? "") &&
      requestedHeaders.every((h) => ALLOWED_HEADERS.includes(h));
    if (!allowed) {
      const refusal = new RequestError(
        "ORIGIN_NOT_ALLOWED",
        "This origin, method or header is not allowed to call the broker from a browser.",
        { reason: "preflight refused: origin, method or header not allowed" },
      );
      const problem = toProblem(refusal);
      // The audit middleware skips OPTIONS; a refused preflight is the one worth a line, with its
      // Origin (bounded), so that an operator sees which page to add to cors.origins.
      writeAudit(
        auditLine(
          { requestId: c.var.requestId, route: c.req.routePath, method: "OPTIONS", status: problem.status },
          { origin: (origin ?? "").slice(0, AUDIT_ORIGIN_MAX_CHARS) },
          refusal,
        ),
      );
      return problemResponse(problem, c.var.requestId, { Vary: vary });
    }
    return new Response(null, {
      status: 204,
      headers: {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": methods.join(", "),
        "Access-Control-Allow-Headers": ALLOWED_HEADERS.join(", "),
        "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SECONDS),
        Vary: vary,
      },
    });
  };
}

/** The actual request on a public route: `Vary: Origin` always, ACAO for an allowed origin. */
export function publicCors(): MiddlewareHandler<BrokerHono> {
  return async function cors(c, next) {
    await next();
    if (c.req.method === "OPTIONS") return;
    c.res.headers.append("Vary", "Origin");
    const origin = c.req.header("Origin");
    if (origin === undefined) return;
    const app = c.var.app;
    const allowed =
      isSameOrigin(c, origin) ||
      (app ? app.config.cors.origins.includes(origin) : c.var.brokerConfig.allOrigins().has(origin));
    if (allowed) {
      c.res.headers.set("Access-Control-Allow-Origin", origin);
      c.res.headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    }
  };
}

/** Refuses a browser request from an origin this app does not list, before anything is signed. */
export function enforceOrigin(c: BrokerContext, app: LoadedApp): void {
  const origin = c.req.header("Origin");
  if (origin === undefined || isSameOrigin(c, origin) || app.config.cors.origins.includes(origin)) return;
  throw new RequestError("ORIGIN_NOT_ALLOWED", "This origin is not allowed to call the broker for this app.");
}

function isSameOrigin(c: BrokerContext, origin: string): boolean {
  return new URL(c.req.url).origin === origin;
}
