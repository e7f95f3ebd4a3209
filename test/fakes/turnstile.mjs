// A fake of Cloudflare Turnstile's siteverify (https://developers.cloudflare.com/turnstile/get-started/server-side-validation/),
// with the documented dummy secrets: 1x... always passes, 2x... always fails, 3x... says the token
// was already spent; any other secret is invalid-input-secret. Bodies are JSON or form-encoded;
// answers follow the documented shape (success, error-codes, challenge_ts, hostname, action, cdata).
//
// Control paths (on the fake's own host): GET /__fake/calls lists the calls received (whether a
// secret came, remoteip, idempotency_key, the token); POST /__fake/next {"answers": [...]} scripts
// the next answers, each {"kind":"http","status":500} or {"kind":"garbage"} (not JSON); POST
// /__fake/reset forgets everything.

export const SITEVERIFY_PATH = "/turnstile/v0/siteverify";
const PASS = "1x0000000000000000000000000000000AA";
const FAIL = "2x0000000000000000000000000000000AA";
const SPENT = "3x0000000000000000000000000000000AA";

export function createFakeTurnstile() {
  let calls = [];
  let script = [];

  async function handle(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__fake/calls") return Response.json({ calls, pending: script.length });
    if (url.pathname === "/__fake/next" && request.method === "POST") {
      script.push(...(await request.json()).answers);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/__fake/reset" && request.method === "POST") {
      reset();
      return new Response(null, { status: 204 });
    }
    if (url.pathname === SITEVERIFY_PATH) return siteverify(request);
    return new Response("not found", { status: 404 });
  }

  async function siteverify(request) {
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    const type = request.headers.get("Content-Type") ?? "";
    let body;
    if (type.includes("application/json")) body = await request.json();
    else body = Object.fromEntries(new URLSearchParams(await request.text()));
    calls.push({
      hasSecret: typeof body.secret === "string",
      remoteip: body.remoteip ?? null,
      idempotencyKey: body.idempotency_key ?? null,
      token: body.response ?? null,
    });
    const scripted = script.shift();
    if (scripted?.kind === "http") return new Response("upstream error", { status: scripted.status });
    if (scripted?.kind === "garbage") return new Response("<html>not json</html>", { status: 200 });
    const base = { challenge_ts: new Date().toISOString(), hostname: "example.com", action: "", cdata: "" };
    if (!body.secret) return Response.json({ success: false, "error-codes": ["missing-input-secret"] });
    if (!body.response) return Response.json({ success: false, "error-codes": ["missing-input-response"] });
    if (body.secret === PASS) return Response.json({ success: true, "error-codes": [], ...base });
    if (body.secret === FAIL) return Response.json({ success: false, "error-codes": ["invalid-input-response"] });
    if (body.secret === SPENT) return Response.json({ success: false, "error-codes": ["timeout-or-duplicate"] });
    return Response.json({ success: false, "error-codes": ["invalid-input-secret"] });
  }

  function reset() {
    calls = [];
    script = [];
  }

  return { handle, reset, calls: () => calls };
}
