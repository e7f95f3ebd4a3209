// BROKER_CONFIG as the Worker reads it (placeholders, a [vars] table) and checkConfig, the pure
// check the CLI's check-config shares with the Worker: every error with its field path, the secrets.
import { describe, expect, it } from "vitest";
import { formatConfigIssue, PLACEHOLDER_SECRET_VALUES, secretsNeeded } from "../../src/config/check.js";
import { checkConfig } from "../../src/config/explain.js";
import { appConfig, brokerConfig, brokerSecrets, guestApp } from "../support/config.js";
import { bearer, brokerClient } from "../support/requests.js";
import { type Json, problem } from "./helpers.js";

const APP = 1400009101;
const TURNSTILE_APP = 1400009102;
const OPERATOR_TOKEN = "config-test-operator-token-0123456789abcdef";
const plain = brokerConfig(guestApp(APP));
const secrets = brokerSecrets([APP]);
/** The broker on `plain`, with these variables over the app's secret key. */
const plainWith = (env: Json) => brokerClient(plain, { ...secrets, ...env });
/** The broker whose BROKER_CONFIG is `value` as [vars] would give it (not a JSON string). */
const configured = (value: unknown) => brokerClient(undefined, { ...secrets, BROKER_CONFIG: value });

/** The placeholders of .dev.vars.example (test/node/placeholders.test.ts reads the file itself). */
const EXAMPLE_PLACEHOLDERS = [
  "replace-with-your-secret-key",
  "replace-with-a-long-random-token",
  "replace-with-your-turnstile-secret",
];

describe("placeholders from .dev.vars.example", () => {
  it("the exported list holds each of them", () => {
    for (const value of EXAMPLE_PLACEHOLDERS) expect(PLACEHOLDER_SECRET_VALUES).toContain(value);
  });

  it("a secret key still holding its placeholder is 500 CONFIG_ERROR naming it, on the app's routes", async () => {
    const broker = plainWith({ [`SECRET_KEY_${APP}`]: "replace-with-your-secret-key" });
    const response = await broker.send("/v1/usersig", { method: "POST" });
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toContain(`SECRET_KEY_${APP}`);
    expect(body.detail).toContain(".dev.vars.example");
    // the value itself is public, but nothing secret-shaped is echoed
    expect(body.detail).not.toContain("replace-with");
    // GET /healthz checks the config's top level only (an app's secret is that app's part)
    expect((await broker.get("/healthz")).status).toBe(200);
  });

  it("ADMIN_API_TOKEN left as its placeholder refuses to run (the token is public), naming it", async () => {
    const broker = plainWith({ ADMIN_API_TOKEN: "replace-with-a-long-random-token" });
    const body = await problem(await broker.get("/healthz"), 500, "CONFIG_ERROR");
    expect(body.detail).toContain("ADMIN_API_TOKEN");
    // the operator API cannot be reached with the known token
    const operator = await broker.get(`/v1/admin/apps/${APP}/admins`, bearer("replace-with-a-long-random-token"));
    await problem(operator, 500, "CONFIG_ERROR");
  });

  it("a Turnstile secret still holding its placeholder is refused too", async () => {
    const cfg = brokerConfig(
      guestApp(TURNSTILE_APP, { guests: { enabled: true, turnstile: { siteKey: "1x00000000000000000000AA" } } }),
    );
    const response = await brokerClient(cfg, {
      ...brokerSecrets([TURNSTILE_APP]),
      TURNSTILE_SECRET_KEY: "replace-with-your-turnstile-secret",
    }).send("/v1/usersig", { method: "POST" });
    expect((await problem(response, 500, "CONFIG_ERROR")).detail).toContain("TURNSTILE_SECRET_KEY");
  });

  it("real values run", async () => {
    const response = await plainWith({ ADMIN_API_TOKEN: OPERATOR_TOKEN }).get("/healthz");
    expect(response.status).toBe(200);
  });
});

describe("BROKER_CONFIG given as a table (wrangler [vars])", () => {
  it("an object is read like the JSON string", async () => {
    const response = await configured(plain).send("/v1/usersig", { method: "POST" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).sdkAppId).toBe(APP);
  });

  it("an invalid object is CONFIG_ERROR naming the field, never INTERNAL", async () => {
    const response = await configured({ apps: [{ sdkAppId: "one" }] }).get("/healthz");
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/^BROKER_CONFIG\.apps\[0\]\.sdkAppId: /);
    expect(body.field).toBe("apps[0].sdkAppId");
  });

  it("a list, a number or a boolean is CONFIG_ERROR", async () => {
    for (const value of [[plain], 7, true]) {
      const response = await configured(value).get("/healthz");
      expect((await problem(response, 500, "CONFIG_ERROR")).detail).toMatch(/^BROKER_CONFIG must be a JSON object/);
    }
  });
});

describe("checkConfig (pure)", () => {
  it("returns every error with its field path", () => {
    const result = checkConfig({
      apps: [
        { sdkAppId: 0, lifetimes: { guest: { max: 0 } } },
        { sdkAppId: APP, corsOrigins: [] },
      ],
    });
    expect(result.ok).toBe(false);
    const fields = result.errors.map((e) => e.field);
    expect(fields).toContain("apps[0].sdkAppId");
    expect(fields).toContain("apps[0].lifetimes.guest.max");
    expect(fields.some((f) => f.startsWith("apps[1]"))).toBe(true);
    expect(result.errors.length).toBeGreaterThanOrEqual(3);
    for (const error of result.errors) expect(error.message.length).toBeGreaterThan(0);
    expect(formatConfigIssue({ field: "apps[0].sdkAppId", message: "too small" })).toBe(
      "BROKER_CONFIG.apps[0].sdkAppId: too small",
    );
  });

  it("reads a JSON string or the object; refuses what is neither", () => {
    expect(checkConfig(JSON.stringify(plain)).ok).toBe(true);
    expect(checkConfig(plain).ok).toBe(true);
    expect(checkConfig("{apps:").errors).toEqual([{ field: "", message: "is not valid JSON" }]);
    expect(checkConfig(undefined).ok).toBe(false);
    expect(checkConfig("  ").ok).toBe(false);
    expect(checkConfig([]).ok).toBe(false);
  });

  it("lists the secrets a valid config needs", () => {
    const result = checkConfig({
      apps: [
        appConfig(APP),
        guestApp(TURNSTILE_APP, {
          guests: { enabled: true, turnstile: { siteKey: "site", secretName: "TURNSTILE_DEMO" } },
        }),
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.secrets).toEqual(secretsNeeded(result.config));
    expect(result.secrets.filter((s) => s.required).map((s) => s.name)).toEqual([
      `SECRET_KEY_${APP}`,
      `SECRET_KEY_${TURNSTILE_APP}`,
      "TURNSTILE_DEMO",
    ]);
    expect(result.secrets.find((s) => s.name === "ADMIN_API_TOKEN")?.required).toBe(false);
  });
});
