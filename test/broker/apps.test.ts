// GET /v1/apps (what a browser may know about the apps: never a hash, an admin, an issuer, a
// lifetime, a room or an origin) and the inspector page it feeds (GET /, /inspector.js,
// /inspector.css): strict headers, a CSP that allows Turnstile only when an app uses it, no inline
// script, and a page that still loads while BROKER_CONFIG is broken.

import { describe, expect, it } from "vitest";
import { apiKey, appConfig, brokerConfig, brokerSecrets, guestApp, idpOf } from "../support/config.js";
import { brokerClient } from "../support/requests.js";
import { type Json, problem, sha256Hex } from "./helpers.js";

const DEMO_HASH_OF = "a-backend-key-for-the-apps-test";

async function appsConfig(): Promise<Json> {
  return brokerConfig([
    appConfig(1400000101, {
      name: "chat",
      admins: ["root_admin"],
      apiKeys: [await apiKey("backend-one", DEMO_HASH_OF, { allowAdmin: true })],
      idp: idpOf({
        issuer: "https://idp.apps-test.example/",
        audience: "aud-apps-test",
        jwksUri: "https://idp.test/jwks",
      }),
      guests: {
        enabled: true,
        userIdPrefix: "g_",
        turnstile: { siteKey: "1x00000000000000000000AA", secretName: "TURNSTILE_APPS_TEST", action: "guest-login" },
      },
      lifetimes: { guest: { default: 600, max: 1200 } },
      privateMapKey: { guest: { enabled: true, rooms: ["secret-room-name"], maxPrivileges: 3 } },
      cors: { origins: ["https://app.apps-test.example"] },
    }),
    guestApp(1400000102),
    // Turnstile configured but guests off: its site key is of no use to anyone and stays out.
    appConfig(1400000103, {
      name: "backend only",
      guests: { enabled: false, turnstile: { siteKey: "0x4AAA-unused" } },
    }),
  ]);
}

const appsEnv = {
  SECRET_KEY_1400000101: "k1",
  SECRET_KEY_1400000102: "k2",
  SECRET_KEY_1400000103: "k3",
  TURNSTILE_APPS_TEST: "1x0000000000000000000000000000000AA",
};

/** The broker on the three apps above. */
const rich = async () => brokerClient(await appsConfig(), appsEnv);
/** The broker on one plain app with guests. */
const plain = brokerClient(brokerConfig(guestApp(1400000111)), brokerSecrets([1400000111]));

describe("GET /v1/apps", () => {
  it("lists each app with only what a browser needs", async () => {
    const response = await (await rich()).get("/v1/apps");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=60");
    expect(await response.json()).toEqual({
      apps: [
        {
          sdkAppId: 1400000101,
          name: "chat",
          guests: { enabled: true, turnstileSiteKey: "1x00000000000000000000AA", turnstileAction: "guest-login" },
        },
        { sdkAppId: 1400000102, guests: { enabled: true } },
        { sdkAppId: 1400000103, name: "backend only", guests: { enabled: false } },
      ],
    });
  });

  it("never shows a hash, an admin, an issuer, a lifetime, a room, an origin or a secret", async () => {
    const text = await (await (await rich()).get("/v1/apps")).text();
    for (const leak of [
      await sha256Hex(DEMO_HASH_OF),
      "backend-one",
      "root_admin",
      "idp.apps-test.example",
      "aud-apps-test",
      "secret-room-name",
      "app.apps-test.example",
      "TURNSTILE_APPS_TEST",
      "0x4AAA-unused",
      "g_",
      "1200",
      "k1",
    ]) {
      expect(text).not.toContain(leak);
    }
  });

  it("needs no credentials and answers other methods with 405", async () => {
    const post = await plain.postJson("/v1/apps", {});
    await problem(post, 405, "METHOD_NOT_ALLOWED");
    expect(post.headers.get("Allow")).toBe("GET");
  });

  it("reports a broken configuration as the other API routes do", async () => {
    await problem(await brokerClient('{"apps": []}', {}).get("/v1/apps"), 500, "CONFIG_ERROR");
  });

  it("is described in /openapi.json", async () => {
    const doc = (await (await plain.get("/openapi.json")).json()) as {
      paths: Record<string, Json>;
      components: { schemas: Record<string, Json> };
    };
    expect(doc.paths["/v1/apps"]).toHaveProperty("get");
    expect(doc.paths["/"]).toHaveProperty("get");
    expect(JSON.stringify(doc.components.schemas.AppsResponse)).toContain("turnstileSiteKey");
  });
});

describe("inspector page", () => {
  function directives(csp: string | null): Map<string, string> {
    const map = new Map<string, string>();
    for (const part of (csp ?? "").split(";")) {
      const [name, ...values] = part.trim().split(/\s+/);
      if (name) map.set(name, values.join(" "));
    }
    return map;
  }

  /** The response's CSP has each of these directives with exactly this value. */
  function expectCsp(response: Response, expected: Record<string, string>): void {
    const csp = directives(response.headers.get("Content-Security-Policy"));
    expect(Object.fromEntries(Object.keys(expected).map((name) => [name, csp.get(name)]))).toEqual(expected);
  }

  it("serves the page with strict headers and no inline script", async () => {
    const response = await plain.get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expectCsp(response, {
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": "'self'",
      "connect-src": "'self'",
      "frame-src": "'none'",
      "frame-ancestors": "'none'",
      "base-uri": "'none'",
    });
    expect(response.headers.get("Content-Security-Policy")).not.toContain("challenges.cloudflare.com");
    expect(response.headers.get("Content-Security-Policy")).not.toContain("unsafe");

    const html = await response.text();
    expect(html).toContain('<script type="module" src="/inspector.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/inspector.css" />');
    for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) expect(tag).toMatch(/\ssrc="\/[^"]+"/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('<label for="token">');
    expect(html).toContain('role="alert"');
  });

  it("allows Cloudflare Turnstile's script and frame only when an app's guests use it", async () => {
    const response = await (await rich()).get("/");
    expectCsp(response, {
      "script-src": "'self' https://challenges.cloudflare.com",
      "frame-src": "https://challenges.cloudflare.com",
      "connect-src": "'self'",
      "style-src": "'self'",
      "frame-ancestors": "'none'",
    });
    // Another CSP means another validator: a cached page never keeps the wrong policy.
    const plainPage = await plain.get("/");
    expect(response.headers.get("ETag")).not.toBe(plainPage.headers.get("ETag"));
  });

  it("serves the script and the stylesheet with their types, nosniff and ETags", async () => {
    for (const [path, type] of [
      ["/inspector.js", "text/javascript; charset=utf-8"],
      ["/inspector.css", "text/css; charset=utf-8"],
    ] as const) {
      const response = await plain.get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("Content-Type")).toBe(type);
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("Cache-Control")).toBe("no-cache");
      const etag = response.headers.get("ETag");
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect((await response.text()).length).toBeGreaterThan(100);
      const again = await plain.get(path, { "If-None-Match": `W/${etag}` });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    }
  });

  it("bundles the real core and writes no markup from strings", async () => {
    const js = await (await plain.get("/inspector.js")).text();
    expect(js).toContain("DecompressionStream");
    expect(js).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(/);
  });

  it("still serves the page when BROKER_CONFIG is broken (decoding needs no broker)", async () => {
    const response = await brokerClient("not json", {}).get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Security-Policy")).toContain("script-src 'self';");
  });

  it("answers other methods with 405 and unknown files with 404", async () => {
    const post = await plain.postJson("/", {});
    await problem(post, 405, "METHOD_NOT_ALLOWED");
    expect(post.headers.get("Allow")).toBe("GET");
    await problem(await plain.get("/inspector.map"), 404, "NOT_FOUND");
  });
});
