/**
 * GET / (the inspector page), GET /inspector.js, GET /inspector.css and GET /favicon.svg; all 404
 * when BROKER_CONFIG says `"inspector": false` (see src/inspector/switch.ts).
 *
 * The page is built by scripts/build-inspector.mjs into build/assets/inspector/, the Worker's static
 * assets (wrangler.toml [assets]): uploaded beside the script, not in it, so a cold isolate does not
 * parse it. `run_worker_first = true` sends every request here first; the bodies are read through
 * env.ASSETS and answered with the headers set here, the asset's own ETag as the validator (no path
 * of the assets directory is reachable from outside). The page decodes in
 * the browser; its only requests are GET /v1/apps and POST /v1/usersig (same origin), plus
 * Cloudflare Turnstile's script and frame when an app of this broker requires it for guests.
 *
 * These routes are registered before the config middleware: the decoder must work even while
 * BROKER_CONFIG is broken (the CSP then simply leaves Turnstile out).
 */

import { fetchAsset } from "../assets.js";
import type { BrokerApp, BrokerContext } from "../context.js";
import { RequestError } from "../errors.js";
import { problemResponse, toProblem } from "../problem.js";

export const TURNSTILE_ORIGIN = "https://challenges.cloudflare.com";

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

async function serve(
  c: BrokerContext,
  file: string,
  contentType: string,
  extra: Record<string, string> = {},
  etagOf: (assetEtag: string) => string = (etag) => etag,
) {
  if (!(await c.var.broker.inspector()).enabled) {
    return problemResponse(toProblem(new RequestError("NOT_FOUND", "No such route.")), c.get("requestId"));
  }
  const asset = await fetchAsset(c, `/inspector/${file}`);
  const headers = new Headers({ ...COMMON_HEADERS, ...extra, "Content-Type": contentType });
  const assetEtag = asset.headers.get("ETag");
  const etag = assetEtag === null ? undefined : etagOf(assetEtag.replace(/^W\//, ""));
  if (etag !== undefined) {
    headers.set("ETag", etag);
    if (matchesEtag(c.req.header("If-None-Match"), etag)) {
      await asset.body?.cancel();
      return new Response(null, { status: 304, headers });
    }
  }
  return new Response(asset.body, { status: 200, headers });
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === etag);
}

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function inspectorRoutes(routes: BrokerApp): void {
  routes.get("/", async (c) => {
    const { turnstile } = await c.var.broker.inspector();
    return serve(
      c,
      "index.html",
      "text/html; charset=utf-8",
      {
        "Content-Security-Policy": inspectorCsp(turnstile),
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
      },
      // The CSP depends on the config, so it is part of the page's validator.
      (etag) => (turnstile ? etag.replace(/"$/, '-t"') : etag),
    );
  });

  routes.get("/inspector.js", (c) =>
    serve(c, "inspector.js", "text/javascript; charset=utf-8", {
      "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }),
  );

  routes.get("/inspector.css", (c) =>
    serve(c, "inspector.css", "text/css; charset=utf-8", {
      "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    }),
  );

  routes.get("/favicon.svg", (c) =>
    serve(c, "favicon.svg", "image/svg+xml", {
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    }),
  );
}
