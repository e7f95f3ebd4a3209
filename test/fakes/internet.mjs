// The only "internet" the tests see (Miniflare's outboundService routes every outbound fetch of the
// worker under test here). It speaks the real protocols of the two outside parties:
//
// - An identity provider at https://idp.test: GET /.well-known/jwks.json serves the JWKS a test
//   uploaded (POST /__admin/jwks); GET /__admin/stats counts JWKS fetches; POST /__admin/fail makes
//   the next JWKS fetches fail with HTTP 500 (body {"count": n}).
// - Cloudflare Turnstile's siteverify (test/fakes/turnstile.mjs), at Cloudflare's host and, as a
//   local siteverify an app config may name (guests.turnstile.siteverifyUrl), at 127.0.0.1:8790.
// - Tencent Chat's REST API on its regional hosts: see test/fakes/tencent.mjs.
//
// Everything else answers 502, as an unreachable host would surface to the worker.

import { createFakeTencent, isTencentHost } from "./tencent.mjs";
import { createFakeTurnstile, SITEVERIFY_PATH } from "./turnstile.mjs";

const tencent = createFakeTencent();
const turnstile = createFakeTurnstile();
const localTurnstile = createFakeTurnstile();
/** Where the local siteverify listens (test/broker/turnstile-local.test.ts). */
const LOCAL_TURNSTILE_HOST = "127.0.0.1:8790";
let jwks = { keys: [] };
let jwksFetches = 0;
let failNext = 0;
let siteverifyCalls = 0;
let lastSiteverify = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.host === "idp.test") return idp(request, url);
    if (isTencentHost(url.host)) return tencent.handle(request);
    if (url.host === "challenges.cloudflare.com" && url.pathname === SITEVERIFY_PATH) {
      const response = await turnstile.handle(request);
      const calls = turnstile.calls();
      siteverifyCalls = calls.length;
      const { token: _token, ...last } = calls.at(-1) ?? {};
      lastSiteverify = calls.length > 0 ? last : null;
      return response;
    }
    if (url.host === LOCAL_TURNSTILE_HOST) return localTurnstile.handle(request);
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
    turnstile.reset();
    lastSiteverify = null;
    failNext = 0;
    return new Response(null, { status: 204 });
  }
  return new Response("not found", { status: 404 });
}
