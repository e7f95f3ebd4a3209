/**
 * GET / (the inspector page), GET /inspector.js and GET /inspector.css.
 *
 * The page is built by scripts/build-inspector.mjs into build/inspector/assets.json and ships
 * inside the Worker script, so every response carries the headers set here. The page decodes in
 * the browser; its only requests are GET /v1/apps and POST /v1/usersig (same origin), plus
 * Cloudflare Turnstile's script and frame when an app of this broker requires it for guests.
 *
 * These routes are registered before the config middleware: the decoder must work even while
 * BROKER_CONFIG is broken (the CSP then simply leaves Turnstile out).
 */

import { Hono } from "hono";
import assets from "../../../build/inspector/assets.json";
import type { BrokerContext, BrokerHono } from "../context.js";

export const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

export const inspectorRoutes = new Hono<BrokerHono>();

/** The page's CSP: only its own origin, plus Turnstile when some app's guests need it. */
export function inspectorCsp(turnstile: boolean): string {
  const extra = turnstile ? ` ${TURNSTILE_ORIGIN}` : "";
  return [
    "default-src 'none'",
    `script-src 'self'${extra}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    `frame-src ${turnstile ? TURNSTILE_ORIGIN : "'none'"}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    // The page never writes markup from strings; Turnstile's own script is not held to that.
    ...(turnstile ? [] : ["require-trusted-types-for 'script'", "trusted-types 'none'"]),
  ].join("; ");
}

const COMMON_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
  // Revalidated every time (a redeploy changes the bodies); the ETag makes that a 304.
  "Cache-Control": "no-cache",
};

function turnstileEnabled(c: BrokerContext): boolean {
  const loaded = c.var.isolate.config.load(c.env);
  if (!loaded.ok) return false;
  for (const app of loaded.config.apps.values()) {
    if (app.config.guests.enabled && app.config.guests.turnstile) return true;
  }
  return false;
}

function serve(c: BrokerContext, body: string, contentType: string, etag: string, extra: Record<string, string> = {}) {
  const headers = new Headers({ ...COMMON_HEADERS, ...extra, "Content-Type": contentType, ETag: etag });
  if (matchesEtag(c.req.header("If-None-Match"), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers });
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

inspectorRoutes.get("/", (c) => {
  const turnstile = turnstileEnabled(c);
  // The CSP depends on the config, so it is part of the page's validator.
  const etag = turnstile ? assets.etags.html.replace(/"$/, '-t"') : assets.etags.html;
  return serve(c, assets.html, "text/html; charset=utf-8", etag, {
    "Content-Security-Policy": inspectorCsp(turnstile),
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  });
});

inspectorRoutes.get("/inspector.js", (c) =>
  serve(c, assets.js, "text/javascript; charset=utf-8", assets.etags.js, {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  }),
);

inspectorRoutes.get("/inspector.css", (c) =>
  serve(c, assets.css, "text/css; charset=utf-8", assets.etags.css, {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  }),
);
