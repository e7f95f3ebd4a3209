// BROKER_CONFIG checked in parts (src/config/load.ts): the top level on the first request, an app
// when a request first needs it. A bad app fails its own requests with the CONFIG_ERROR the whole
// config would have named first for it (here the same detail and field as when the config was
// checked whole; a top-level problem now comes before any app's), and no other app's; GET /healthz checks the top level only; a preflight and GET /v1/apps use
// the apps that pass (GET /v1/apps fails only when none does); each part is checked once per isolate, and again when the config or a secret changes.
import { beforeEach, describe, expect, it } from "vitest";
import { fieldOf, formatConfigIssue } from "../../src/config/check.js";
import { configSchema } from "../../src/config/schema.js";
import { brokerConfig, brokerSecrets, guestApp } from "../support/config.js";
import { captureConsole } from "../support/console.js";
import { brokerClient } from "../support/requests.js";
import { freshIsolate, type Json, problem } from "./helpers.js";

const GOOD = 1400009201;
const BAD = 1400009202;
const GOOD_ORIGIN = "https://good.example";
const BAD_ORIGIN = "https://bad.example";

const good = guestApp(GOOD, { cors: { origins: [GOOD_ORIGIN] } });
/** Two problems in app 2: a JWKS URL that is not https, and an unknown key. */
const bad = guestApp(BAD, {
  cors: { origins: [BAD_ORIGIN] },
  idp: { issuers: [{ issuer: "https://idp.example/", audience: "a", jwksUri: "ftp://idp.example/jwks" }] },
  extra: true,
});
const config = brokerConfig([good, bad]);
const secrets = brokerSecrets([GOOD, BAD]);
const broker = brokerClient(config, secrets);
const logs = captureConsole();

/** What the config checked whole says first (zod's configSchema, the check before the parts): detail and field. */
function wholeJudgement(value: unknown): { detail: string; field: string } {
  const parsed = configSchema.safeParse(value);
  if (parsed.success) throw new Error("expected a bad config");
  const [first, ...more] = parsed.error.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }));
  if (!first) throw new Error("no issue");
  return {
    detail: `${formatConfigIssue(first)}${more.length > 0 ? ` (and ${more.length} more problem(s))` : ""}`,
    field: first.field,
  };
}

const configErrors = () => logs.lines.filter((line) => line.includes('"event":"config_error"'));
const issue = (sdkAppId: number, headers: Record<string, string> = {}) =>
  broker.postJson("/v1/usersig", { sdkAppId }, { "CF-Connecting-IP": `198.51.100.${sdkAppId % 200}`, ...headers });
const preflight = (origin: string) =>
  broker.send("/v1/usersig", {
    method: "OPTIONS",
    headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
  });

beforeEach(() => {
  freshIsolate();
  logs.clear();
});

describe("a bad app fails its own requests only", () => {
  it("app 1 issues; app 2's request is the CONFIG_ERROR the whole config names first, with its field", async () => {
    const served = await issue(GOOD, { Origin: GOOD_ORIGIN });
    expect(served.status).toBe(200);
    expect(((await served.json()) as Json).sdkAppId).toBe(GOOD);
    expect(served.headers.get("Access-Control-Allow-Origin")).toBe(GOOD_ORIGIN);

    const refused = await problem(await issue(BAD), 500, "CONFIG_ERROR");
    const whole = wholeJudgement(config);
    expect(whole.field).toBe("apps[1].idp.issuers[0].jwksUri");
    expect(refused.detail).toBe(whole.detail);
    expect(refused.detail).toBe(
      "BROKER_CONFIG.apps[1].idp.issuers[0].jwksUri: must be an https URL (http only for localhost) (and 1 more problem(s))",
    );
    expect(refused.field).toBe("apps[1].idp.issuers[0].jwksUri");
    // and app 1 still issues after app 2 failed
    expect((await issue(GOOD)).status).toBe(200);
  });

  it("an app whose secret key is missing: its requests name the secret, the other app's are served", async () => {
    const without = brokerClient(config, brokerSecrets([GOOD]));
    const refused = await problem(await without.postJson("/v1/usersig", { sdkAppId: BAD }), 500, "CONFIG_ERROR");
    // app 2's schema problem comes first, as it did when the config was checked whole
    expect(refused.field).toBe("apps[1].idp.issuers[0].jwksUri");
    const fixed = brokerClient(brokerConfig([good, guestApp(BAD)]), brokerSecrets([GOOD]));
    const missing = await problem(await fixed.postJson("/v1/usersig", { sdkAppId: BAD }), 500, "CONFIG_ERROR");
    expect(missing.detail).toBe(
      `SECRET_KEY_${BAD} is not set: add it with \`wrangler secret put SECRET_KEY_${BAD}\` (or in .dev.vars locally).`,
    );
    expect(missing.field).toBeUndefined();
    expect((await fixed.postJson("/v1/usersig", { sdkAppId: GOOD })).status).toBe(200);
  });

  it("a top-level problem still fails every request, GET /healthz too, with the same message as before", async () => {
    const duplicate = brokerConfig([good, guestApp(GOOD)]);
    const whole = wholeJudgement(duplicate);
    for (const path of ["/healthz", "/v1/usersig"]) {
      const response = await brokerClient(duplicate, secrets).send(path, {
        method: path === "/healthz" ? "GET" : "POST",
      });
      const body = await problem(response, 500, "CONFIG_ERROR");
      expect(body.detail).toBe(whole.detail);
      expect(body.detail).toBe("BROKER_CONFIG.apps[1].sdkAppId: duplicate sdkAppId");
      expect(body.field).toBe("apps[1].sdkAppId");
    }
  });
});

describe("Tencent's callbacks pick their app by the SdkAppId header", () => {
  it("a bad app's callback is its CONFIG_ERROR; the good app's is judged on its signature", async () => {
    const KEY = "TrtcCallbackKey0123456789abcdefG";
    const cfg = brokerConfig([
      guestApp(GOOD, { callbacks: { trtc: true } }),
      guestApp(BAD, { callbacks: { trtc: true } }),
    ]);
    // app 2's callback key is missing: its part is bad, app 1's is not
    const both = brokerClient(cfg, { ...secrets, [`TRTC_CALLBACK_KEY_${GOOD}`]: KEY });
    const callback = (sdkAppId: number) =>
      both.send("/v1/callbacks/trtc", {
        method: "POST",
        headers: { "Content-Type": "application/json", SdkAppId: String(sdkAppId), Sign: "bm90LXRoZS1zaWdu" },
        body: "{}",
      });
    const bad = await problem(await callback(BAD), 500, "CONFIG_ERROR");
    expect(bad.detail).toMatch(new RegExp(`^TRTC_CALLBACK_KEY_${BAD} is not set`));
    // app 1's key was found (its part loaded): the wrong signature is what is refused
    expect((await callback(GOOD)).status).toBe(401);
    expect((await callback(1400009299)).status).toBe(404);
  });
});

describe("GET /healthz checks the top level only", () => {
  it("is 200 with a bad app, and checks no app (nothing is logged)", async () => {
    const response = await broker.get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(configErrors()).toEqual([]);
  });

  it("is 500 CONFIG_ERROR for a bad top level (an sdkAppId that is no SDKAppID)", async () => {
    const response = await brokerClient(brokerConfig([good, guestApp(0)]), secrets).get("/healthz");
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.field).toBe("apps[1].sdkAppId");
  });
});

describe("what needs every app", () => {
  it("a preflight is answered for the origins of the apps that pass: app 1's is allowed, bad app 2's refused", async () => {
    const allowed = await preflight(GOOD_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe(GOOD_ORIGIN);
    const refused = await preflight(BAD_ORIGIN);
    await problem(refused, 403, "ORIGIN_NOT_ALLOWED");
    expect(refused.headers.has("Access-Control-Allow-Origin")).toBe(false);
    // both apps were checked: the bad one logged its problem once
    expect(configErrors()).toHaveLength(1);
    // with app 2 good, its origin passes
    const fixed = brokerClient(brokerConfig([good, guestApp(BAD, { cors: { origins: [BAD_ORIGIN] } })]), secrets);
    const passes = await fixed.send("/v1/usersig", {
      method: "OPTIONS",
      headers: { Origin: BAD_ORIGIN, "Access-Control-Request-Method": "POST" },
    });
    expect(passes.status).toBe(204);
  });

  it("GET /v1/apps lists the apps that pass, without the bad one; with none passing, the first one's CONFIG_ERROR", async () => {
    const listed = await broker.get("/v1/apps");
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { apps: { sdkAppId: number }[] }).apps.map((app) => app.sdkAppId)).toEqual([GOOD]);
    const fine = await brokerClient(brokerConfig([good, guestApp(BAD)]), secrets).get("/v1/apps");
    expect(fine.status).toBe(200);
    expect(((await fine.json()) as { apps: { sdkAppId: number }[] }).apps.map((app) => app.sdkAppId)).toEqual([
      GOOD,
      BAD,
    ]);
    const none = await problem(await brokerClient(brokerConfig([bad]), secrets).get("/v1/apps"), 500, "CONFIG_ERROR");
    expect(none.field).toBe("apps[0].idp.issuers[0].jwksUri");
  });
});

describe("the inspector page (GET /) uses the apps that pass", () => {
  it("is served with a bad app, its CSP allowing Turnstile for the good app that uses it", async () => {
    const turnstileApp = guestApp(GOOD, {
      guests: { enabled: true, turnstile: { siteKey: "1x00000000000000000000AA", secretName: "TURNSTILE_PARTS_TEST" } },
    });
    const page = await brokerClient(brokerConfig([turnstileApp, bad]), {
      ...secrets,
      TURNSTILE_PARTS_TEST: "1x0000000000000000000000000000000AA",
    }).get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Security-Policy")).toContain("https://challenges.cloudflare.com");
  });
});

describe("each part is checked once per isolate, again when the config or a secret changes", () => {
  it("a bad app is checked (and logged) once, however many requests need it", async () => {
    for (let i = 0; i < 3; i++) await problem(await issue(BAD), 500, "CONFIG_ERROR");
    await preflight(GOOD_ORIGIN);
    expect((await issue(GOOD)).status).toBe(200);
    expect(configErrors()).toHaveLength(1);
  });

  it("a secret change checks the app again: missing, then set, then missing", async () => {
    const appOnly = brokerConfig([good, guestApp(BAD)]);
    const missing = brokerClient(appOnly, brokerSecrets([GOOD]));
    const set = brokerClient(appOnly, secrets);
    const body = await problem(await missing.postJson("/v1/usersig", { sdkAppId: BAD }), 500, "CONFIG_ERROR");
    expect(body.detail).toContain(`SECRET_KEY_${BAD} is not set`);
    expect(configErrors()).toHaveLength(1);
    expect((await set.postJson("/v1/usersig", { sdkAppId: BAD })).status).toBe(200);
    await problem(await missing.postJson("/v1/usersig", { sdkAppId: BAD }), 500, "CONFIG_ERROR");
    expect(configErrors()).toHaveLength(2);
  });

  it("a config change checks the app again", async () => {
    await problem(await issue(BAD), 500, "CONFIG_ERROR");
    const fixed = brokerClient(brokerConfig([good, guestApp(BAD)]), secrets);
    expect((await fixed.postJson("/v1/usersig", { sdkAppId: BAD })).status).toBe(200);
    await problem(await issue(BAD), 500, "CONFIG_ERROR");
    expect(configErrors()).toHaveLength(2);
  });
});
