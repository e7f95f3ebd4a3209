// A loopback fake of Tencent's TRTC Cloud API (TencentCloud API 3.0, version 2019-07-22) on
// trtc.tencentcloudapi.com, trtc.intl.tencentcloudapi.com and the regional trtc.<region>.tencentcloudapi.com.
// It checks what Tencent checks, with Tencent's common error codes (Signature v3,
// https://trtc.io/document/34264; Responses and common error codes of the API 3.0 docs):
//
// - POST / only; X-TC-Action one of RemoveUser, RemoveUserByStrRoomId, DismissRoom,
//   DismissRoomByStrRoomId (else InvalidAction), X-TC-Version 2019-07-22 (else NoSuchVersion),
//   X-TC-Region one the actions support (else UnsupportedRegion);
// - the TC3-HMAC-SHA256 signature, recomputed here with WebCrypto (independently of the broker's
//   src/tencent/tc3.ts): an Authorization of the documented form (else AuthFailure.InvalidAuthorization),
//   a SecretId the fake was set up with (else AuthFailure.SecretIdNotFound), X-TC-Timestamp within
//   5 minutes of the fake's clock and the credential's date its UTC day (else AuthFailure.SignatureExpire),
//   content-type and host among the signed headers, and the signature itself (else
//   AuthFailure.SignatureFailure);
// - a JSON body whose SdkAppId is the app of that SecretId (else AuthFailure.UnauthorizedOperation),
//   RoomId an integer (RemoveUser, DismissRoom) or a string (…ByStrRoomId), UserIds 1 to 10 strings
//   (else InvalidParameter).
//
// Then it answers what the test scripted: POST /__fake/trtc/next {"answers": [...]}, each one of
// {"kind":"ok"}, {"kind":"error","code":"FailedOperation.RoomNotExist"}, {"kind":"http","status":503},
// {"kind":"hang","ms":30000} (answers OK only after that long, past any client's timeout),
// {"kind":"delay","ms":100} (answers OK after that long); OK when nothing is scripted. POST
// /__fake/trtc/setup {"apps":[{"sdkAppId","secretId","secretKey"}], "latencyMs"?: 100} replaces the
// known apps, forgets the calls and the script, and makes every answer wait latencyMs (default 0); GET /__fake/trtc/calls lists the calls (action, region, body, verdict, answered, at), never
// the Authorization header.

const ACTIONS = new Set(["RemoveUser", "RemoveUserByStrRoomId", "DismissRoom", "DismissRoomByStrRoomId"]);
const REGIONS = new Set(["ap-beijing", "ap-guangzhou", "ap-singapore"]);
const MAX_SKEW_SECONDS = 300;
const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/\s]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export function isTrtcHost(host) {
  return /^trtc(?:\.intl|\.[a-z]+-[a-z]+)?\.tencentcloudapi\.com$/.test(host);
}

export function createFakeTrtc() {
  let apps = new Map();
  let script = [];
  let calls = [];
  let latencyMs = 0;

  async function handle(request) {
    const url = new URL(request.url);
    if (url.pathname === "/__fake/trtc/setup" && request.method === "POST") {
      const body = await request.json();
      apps = new Map(body.apps.map((app) => [app.secretId, { sdkAppId: app.sdkAppId, secretKey: app.secretKey }]));
      script = [];
      calls = [];
      latencyMs = body.latencyMs ?? 0;
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/__fake/trtc/next" && request.method === "POST") {
      script.push(...(await request.json()).answers);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === "/__fake/trtc/calls") return Response.json({ calls, pending: script.length });
    if (url.pathname !== "/") return new Response("not found", { status: 404 });
    return api(request, url);
  }

  async function api(request, url) {
    const text = await request.text();
    const headers = request.headers;
    const call = {
      action: headers.get("X-TC-Action"),
      region: headers.get("X-TC-Region"),
      host: url.host,
      body: null,
      verdict: "ok",
      at: Date.now(),
    };
    calls.push(call);
    const refuse = (code) => {
      call.verdict = code;
      return answer({ Error: { Code: code, Message: `fake: ${code}` } });
    };
    if (request.method !== "POST") return refuse("UnsupportedProtocol");
    if (!ACTIONS.has(call.action)) return refuse("InvalidAction");
    if (headers.get("X-TC-Version") !== "2019-07-22") return refuse("NoSuchVersion");
    if (!REGIONS.has(call.region)) return refuse("UnsupportedRegion");
    const auth = AUTHORIZATION.exec(headers.get("Authorization") ?? "");
    if (!auth) return refuse("AuthFailure.InvalidAuthorization");
    const [, secretId, date, service, signedHeaders, signature] = auth;
    const app = apps.get(secretId);
    if (!app) return refuse("AuthFailure.SecretIdNotFound");
    const timestamp = headers.get("X-TC-Timestamp") ?? "";
    if (!/^[0-9]{1,12}$/.test(timestamp)) return refuse("AuthFailure.InvalidAuthorization");
    const seconds = Number(timestamp);
    if (Math.abs(Date.now() / 1000 - seconds) > MAX_SKEW_SECONDS) return refuse("AuthFailure.SignatureExpire");
    if (new Date(seconds * 1000).toISOString().slice(0, 10) !== date) return refuse("AuthFailure.SignatureExpire");
    if (service !== "trtc") return refuse("AuthFailure.SignatureFailure");
    const names = signedHeaders.split(";");
    if (!names.includes("content-type") || !names.includes("host")) return refuse("AuthFailure.SignatureFailure");
    const headerValue = (name) => (name === "host" ? url.host : (headers.get(name) ?? ""));
    const canonical = [
      "POST",
      "/",
      url.search.slice(1),
      names.map((name) => `${name}:${headerValue(name).trim().toLowerCase()}\n`).join(""),
      signedHeaders,
      await sha256Hex(text),
    ].join("\n");
    const stringToSign = [
      "TC3-HMAC-SHA256",
      timestamp,
      `${date}/${service}/tc3_request`,
      await sha256Hex(canonical),
    ].join("\n");
    const key = await hmac(
      await hmac(await hmac(new TextEncoder().encode(`TC3${app.secretKey}`), date), service),
      "tc3_request",
    );
    if (toHex(await hmac(key, stringToSign)) !== signature) return refuse("AuthFailure.SignatureFailure");
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse("InvalidParameter");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return refuse("InvalidParameter");
    call.body = body;
    if (body.SdkAppId !== app.sdkAppId) return refuse("AuthFailure.UnauthorizedOperation");
    const stringRoom = call.action.endsWith("ByStrRoomId");
    if (stringRoom ? typeof body.RoomId !== "string" || body.RoomId === "" : !Number.isInteger(body.RoomId)) {
      return refuse("InvalidParameter");
    }
    if (call.action.startsWith("RemoveUser")) {
      const ids = body.UserIds;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 10 || !ids.every((id) => typeof id === "string")) {
        return refuse("InvalidParameter");
      }
    }
    const next = script.shift() ?? { kind: "ok" };
    call.answered = next.kind;
    if (latencyMs > 0) await sleep(latencyMs);
    switch (next.kind) {
      case "error":
        return answer({ Error: { Code: next.code, Message: "scripted failure" } });
      case "http":
        return new Response("upstream error", { status: next.status });
      case "hang":
        await sleep(next.ms ?? 30_000);
        return answer({});
      case "delay":
        await sleep(next.ms);
        return answer({});
      default:
        return answer({});
    }
  }

  return { handle };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function answer(fields) {
  return Response.json({ Response: { ...fields, RequestId: crypto.randomUUID() } });
}

async function hmac(key, message) {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(message)));
}

async function sha256Hex(text) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

function toHex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
