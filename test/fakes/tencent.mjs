// A loopback fake of Tencent Chat's REST API (https://www.tencentcloud.com/document/product/1047/34620),
// answering for every regional host (console.tim.qq.com, adminapi*.im.qcloud.com). It checks what
// Tencent checks, with the error codes Tencent documents:
//
// - POST only; exactly the query parameters sdkappid, identifier, usersig, random, contenttype, each
//   once; random a uint32 in decimal; contenttype=json (else 60002, "HTTP parse error");
// - sdkappid is an app the fake knows (else 70020), identifier one of its admins (else 70403, "the
//   request requires App admin permissions"), usersig a valid UserSig for exactly that identifier and
//   app under the app's secret key, checked with the broker's own core verifier (else 70009, or 70001
//   when expired);
// - a JSON object body (else 60003); for im_open_login_svc/kick a string UserID (else 70402); for
//   openconfigsvr/setnospeaking a Set_Account and at least one time in 0..4294967295 (else 13000x);
//
// What it answers next is scripted by the test: POST /__fake/next {"answers": [...]}, each one of
// {"kind":"ok"}, {"kind":"fail","code":70107,"info":"..."}, {"kind":"http","status":503},
// {"kind":"hang","ms":30000} (answers only after that long), {"kind":"garbage"} (HTML),
// {"kind":"redirect","status":307} (to /__fake/elsewhere, which answers OK to anything: following it
// would look like success), {"kind":"oversized"} (Tencent's JSON, over 1 MiB). With nothing
// scripted the answer is OK. POST /__fake/setup {"apps":[{"sdkAppId","secretKey","admins"}]} says
// which apps exist; GET /__fake/calls lists the calls received (service, command, query parameters
// with the usersig replaced by whether it verified and, when it did, its issue time, body (and `text`,
// as sent, when short), `at` in unix ms); POST /__fake/reset forgets
// everything.
// Control paths live on every Tencent host.
//
// The TRTC Cloud API's hosts (trtc.tencentcloudapi.com, …) are answered by test/fakes/trtc.mjs.

import { verifyUserSig } from "../../src/usersig/index.ts";
import { createFakeTrtc, isTrtcHost } from "./trtc.mjs";

const QUERY_PARAMS = ["sdkappid", "identifier", "usersig", "random", "contenttype"];

export function isTencentHost(host) {
  return (
    isTrtcHost(host) || host === "console.tim.qq.com" || /^adminapi[a-z]*\.(?:im\.qcloud|my-imcloud)\.com$/.test(host)
  );
}

export function createFakeTencent() {
  let apps = new Map();
  let script = [];
  let calls = [];
  const trtc = createFakeTrtc();

  async function handle(request) {
    const url = new URL(request.url);
    if (isTrtcHost(url.host)) return trtc.handle(request);
    if (url.pathname === "/__fake/setup" && request.method === "POST") {
      const body = await request.json();
      apps = new Map(body.apps.map((app) => [app.sdkAppId, { secretKey: app.secretKey, admins: new Set(app.admins) }]));
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/__fake/next" && request.method === "POST") {
      script.push(...(await request.json()).answers);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/__fake/calls") return Response.json({ calls, pending: script.length });
    if (url.pathname === "/__fake/elsewhere") {
      await request.text();
      calls.push({
        service: "__fake",
        command: "elsewhere",
        method: request.method,
        query: {},
        body: null,
        verdict: "ok",
      });
      return tencentAnswer("OK", 0, "");
    }
    if (url.pathname === "/__fake/reset" && request.method === "POST") {
      apps = new Map();
      script = [];
      calls = [];
      return new Response(null, { status: 204 });
    }
    const match = /^\/v4\/([A-Za-z0-9_]+)\/([A-Za-z0-9_]+)$/.exec(url.pathname);
    if (!match) return new Response("not found", { status: 404 });
    return rest(request, url, match[1], match[2]);
  }

  async function rest(request, url, service, command) {
    const call = { service, command, method: request.method, query: {}, body: null, verdict: "ok", at: Date.now() };
    // Read the whole body first, whatever the verdict (workerd complains about an unread request body).
    const text = await request.text();
    calls.push(call);
    const refuse = (code, info) => {
      call.verdict = code;
      return tencentAnswer("FAIL", code, info);
    };
    if (request.method !== "POST") return refuse(60002, "HTTP method must be POST");
    const keys = [...url.searchParams.keys()];
    for (const name of QUERY_PARAMS) {
      if (url.searchParams.getAll(name).length !== 1)
        return refuse(60002, `query parameter ${name} missing or repeated`);
    }
    if (keys.length !== QUERY_PARAMS.length) return refuse(60002, "unexpected query parameters");
    const q = Object.fromEntries(url.searchParams);
    call.query = { sdkappid: q.sdkappid, identifier: q.identifier, random: q.random, contenttype: q.contenttype };
    if (q.contenttype !== "json") return refuse(60002, "contenttype must be json");
    if (!/^(0|[1-9][0-9]{0,9})$/.test(q.random) || Number(q.random) > 0xffffffff) {
      return refuse(60002, "random must be a 32-bit unsigned integer");
    }
    const sdkAppId = /^[1-9][0-9]{0,9}$/.test(q.sdkappid) ? Number(q.sdkappid) : undefined;
    const app = sdkAppId === undefined ? undefined : apps.get(sdkAppId);
    if (!app) return refuse(70020, "SDKAppID does not exist");
    try {
      const decoded = await verifyUserSig(q.usersig, { sdkAppId, secretKey: app.secretKey, userId: q.identifier });
      call.query.usersigVerified = true;
      call.query.usersigIssuedAt = decoded.issuedAt;
    } catch (error) {
      call.query.usersigVerified = false;
      return refuse(error?.code === "ERR_EXPIRED" ? 70001 : 70009, "UserSig verification failed");
    }
    if (!app.admins.has(q.identifier)) return refuse(70403, "the request requires App admin permissions");
    if (!(request.headers.get("Content-Type") ?? "").startsWith("application/json")) {
      return refuse(60003, "the body must be JSON");
    }
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse(60003, "HTTP request JSON parse error");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return refuse(60003, "the body must be an object");
    call.body = body;
    // The body as sent (short ones): a duplicate member shows here, not in the parsed body.
    if (text.length <= 4096) call.text = text;
    if (service === "im_open_login_svc" && command === "kick" && typeof body.UserID !== "string") {
      return refuse(70402, "UserID is required");
    }
    if (service === "openconfigsvr" && command === "setnospeaking") {
      const refusal = noSpeakingRefusal(body);
      if (refusal) return refuse(refusal, "setnospeaking: bad request body");
    }
    const next = script.shift() ?? { kind: "ok" };
    call.answered = next.kind;
    switch (next.kind) {
      case "fail":
        return tencentAnswer("FAIL", next.code, next.info ?? "scripted failure");
      case "http":
        return new Response("upstream error", { status: next.status });
      case "hang":
        await new Promise((resolve) => setTimeout(resolve, next.ms ?? 30_000));
        return tencentAnswer("OK", 0, "");
      case "garbage":
        return new Response("<html>not json</html>", { status: 200, headers: { "Content-Type": "text/html" } });
      case "redirect":
        return new Response(null, {
          status: next.status ?? 307,
          headers: { Location: `${url.origin}/__fake/elsewhere?${url.searchParams}` },
        });
      case "oversized":
        return tencentAnswer("OK", 0, "", { Padding: "x".repeat(1024 * 1024 + 1) });
      default:
        return tencentAnswer("OK", 0, "", next.extra);
    }
  }

  return { handle };
}

// setnospeaking's documented refusals (https://www.tencentcloud.com/document/product/1047/34923):
// 130004 no Set_Account, 130005 an invalid one, 130008 neither time given; a time is 0 to 4294967295.
function noSpeakingRefusal(body) {
  if (!("Set_Account" in body)) return 130004;
  if (typeof body.Set_Account !== "string" || body.Set_Account === "") return 130005;
  const times = [body.C2CmsgNospeakingTime, body.GroupmsgNospeakingTime].filter((t) => t !== undefined);
  if (times.length === 0) return 130008;
  if (!times.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffffffff)) return 130001;
  return undefined;
}

function tencentAnswer(actionStatus, errorCode, errorInfo, extra = {}) {
  return Response.json({ ActionStatus: actionStatus, ErrorInfo: errorInfo, ErrorCode: errorCode, ...extra });
}
