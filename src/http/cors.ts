/**
 * CORS for the two public routes only (backends do not need it, and an API key has no business in
 * a browser). Each app lists its allowed origins; a preflight does not say which app it is for, so
 * it is answered for the union, and the actual request is then held to its own app's list.
 * Credentials (cookies) are never allowed and `*` is never sent; `Vary: Origin` always is.
 */

import type { MiddlewareHandler } from "hono";
import type { LoadedApp } from "../config/load.js";
import type { BrokerContext, BrokerHono } from "./context.js";
import { Problem } from "./problem.js";

const ALLOWED_METHODS = "POST";
const ALLOWED_HEADERS = ["authorization", "content-type"];
const EXPOSED_HEADERS = "RateLimit, RateLimit-Policy, Retry-After, X-Request-Id";
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function publicCors(): MiddlewareHandler<BrokerHono> {
  return async function cors(c, next) {
    const origin = c.req.header("Origin");
    if (c.req.method === "OPTIONS") {
      const vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
      const requestedHeaders = (c.req.header("Access-Control-Request-Headers") ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean);
      const allowed =
        origin !== undefined &&
        (isSameOrigin(c, origin) || c.var.config.allOrigins.has(origin)) &&
        c.req.header("Access-Control-Request-Method") === "POST" &&
        requestedHeaders.every((h) => ALLOWED_HEADERS.includes(h));
      if (!allowed) {
        throw new Problem({
          status: 403,
          code: "ORIGIN_NOT_ALLOWED",
          title: "Forbidden",
          detail: "This origin, method or header is not allowed to call the broker from a browser.",
          headers: { Vary: vary },
        });
      }
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": origin,
          "Access-Control-Allow-Methods": ALLOWED_METHODS,
          "Access-Control-Allow-Headers": ALLOWED_HEADERS.join(", "),
          "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SECONDS),
          Vary: vary,
        },
      });
    }
    await next();
    c.res.headers.append("Vary", "Origin");
    if (origin === undefined) return;
    const app = c.var.app;
    const allowed =
      isSameOrigin(c, origin) || (app ? app.config.cors.origins.includes(origin) : c.var.config.allOrigins.has(origin));
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
  throw new Problem({
    status: 403,
    code: "ORIGIN_NOT_ALLOWED",
    title: "Forbidden",
    detail: "This origin is not allowed to call the broker for this app.",
  });
}

function isSameOrigin(c: BrokerContext, origin: string): boolean {
  return new URL(c.req.url).origin === origin;
}
