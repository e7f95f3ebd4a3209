// The only "internet" the tests see (Miniflare's outboundService routes every outbound fetch of the
// worker under test here). It speaks the real protocols of the two outside parties:
//
// - An identity provider at https://idp.test: GET /.well-known/jwks.json serves the JWKS a test
//   uploaded (POST /__admin/jwks); GET /__admin/stats counts JWKS fetches; POST /__admin/fail makes
//   the next JWKS fetches fail with HTTP 500 (body {"count": n}).
// - Cloudflare Turnstile's siteverify, with the documented dummy secrets: 1x... always passes,
//   2x... always fails, 3x... says the token was already spent. Responses follow the documented
//   shape (success, error-codes, challenge_ts, hostname, action, cdata).
// - Tencent Chat's REST API on its regional hosts: see test/fakes/tencent.mjs.
//
// Everything else answers 502, as an unreachable host would surface to the worker.

import { createFakeTencent, isTencentHost } from "./tencent.mjs";

const tencent = createFakeTencent();
let jwks = { keys: [] };
let jwksFetches = 0;
let failNext = 0;
let siteverifyCalls = 0;
let lastSiteverify = null;

const PASS = "1x0000000000000000000000000000000AA";
const FAIL = "2x0000000000000000000000000000000AA";
const SPENT = "3x0000000000000000000000000000000AA";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.host === "idp.test") return idp(request, url);
    if (isTencentHost(url.host)) return tencent.handle(request);
    if (url.host === "challenges.cloudflare.com" && url.pathname === "/turnstile/v0/siteverify") {
      return siteverify(request);
    }
    return new Response("no such host in the test network", { status: 502 });
  },
};

async function idp(request, url) {
  if (url.pathname === "/.well-known/jwks.json" && request.method === "GET") {
    jwksFetches++;
    if (failNext > 0) {
      failNext--;
      return new Response("upstream error", { status: 500 });
    }
    return Response.json(jwks, { headers: { "Cache-Control": "public, max-age=300" } });
  }
  if (url.pathname === "/__admin/jwks" && request.method === "POST") {
    jwks = await request.json();
    return new Response(null, { status: 204 });
  }
  if (url.pathname === "/__admin/fail" && request.method === "POST") {
    failNext = (await request.json()).count;
    return new Response(null, { status: 204 });
  }
  if (url.pathname === "/__admin/stats") {
    return Response.json({ jwksFetches, siteverifyCalls, lastSiteverify });
  }
  if (url.pathname === "/__admin/reset" && request.method === "POST") {
    jwksFetches = 0;
    siteverifyCalls = 0;
    lastSiteverify = null;
    failNext = 0;
    return new Response(null, { status: 204 });
  }
  return new Response("not found", { status: 404 });
}

async function siteverify(request) {
  siteverifyCalls++;
  if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
  const type = request.headers.get("Content-Type") ?? "";
  let body;
  if (type.includes("application/json")) body = await request.json();
  else body = Object.fromEntries(new URLSearchParams(await request.text()));
  lastSiteverify = {
    hasSecret: typeof body.secret === "string",
    remoteip: body.remoteip ?? null,
    idempotencyKey: body.idempotency_key ?? null,
  };
  const base = { challenge_ts: new Date().toISOString(), hostname: "example.com", action: "", cdata: "" };
  if (!body.secret) return Response.json({ success: false, "error-codes": ["missing-input-secret"] });
  if (!body.response) return Response.json({ success: false, "error-codes": ["missing-input-response"] });
  if (body.secret === PASS) return Response.json({ success: true, "error-codes": [], ...base });
  if (body.secret === FAIL) return Response.json({ success: false, "error-codes": ["invalid-input-response"] });
  if (body.secret === SPENT) return Response.json({ success: false, "error-codes": ["timeout-or-duplicate"] });
  return Response.json({ success: false, "error-codes": ["invalid-input-secret"] });
}
