// The Worker's router, prepared at build time (scripts/build-router.mjs into build/router/,
// src/http/router.ts): a build that does not match the routes stops createApp, each app gets its own
// copy of the prepared lists, and the app on the prepared router answers every route, and every
// probe around them, exactly as the same app on Hono's default router (SmartRouter of RegExpRouter
// and TrieRouter) does. Runs under plain Node, on the Worker's types (tsconfig.json); that the file
// on disk is not stale is test/node/router.test.ts, the operator's routes test/broker/router.test.ts.

import { buildInitParams, RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import demoConfig from "../../demo/config.json";
import { type AppRouter, createApp } from "../../src/http/app.js";
import { BrokerRouter } from "../../src/http/router.js";
import { createIsolateState } from "../../src/isolate.js";
import vectors from "../fixtures/vectors.json";

const NOW_MS = Date.UTC(2026, 11, 7, 12, 0, 0);

/** Hono's default router, as `new Hono()` makes it. */
function defaultRouter(): AppRouter {
  return new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] });
}

function app(router?: AppRouter) {
  return createApp(createIsolateState({ clock: () => NOW_MS }), router);
}

/** The paths the app registers, in order (what the build prepares). */
const PATHS = [...new Set(app(defaultRouter()).routes.map((route) => route.path))];

describe("the prepared router (src/http/router.ts)", () => {
  it("the Worker's app matches with the prepared router", () => {
    expect(app().router).toBeInstanceOf(BrokerRouter);
    expect(app().router.name).toBe("PreparedRegExpRouter");
  });

  it("each app gets its own copy of the prepared lists (a second app does not double the handlers)", async () => {
    const first = app();
    const second = app();
    for (const one of [first, second]) {
      const response = await one.request("/healthz", { headers: { "CF-Ray": "ray-1" } }, env());
      expect(response.status).toBe(200);
      expect(response.headers.get("X-Request-Id")).toBe("ray-1");
    }
    const handlers = app(defaultRouter()).router.match("GET", "/healthz")[0].length;
    expect(first.router.match("GET", "/healthz")[0]).toHaveLength(handlers);
    expect(second.router.match("GET", "/healthz")[0]).toHaveLength(handlers);
  });

  it("a route the build did not prepare stops createApp, naming the path", () => {
    const without = PATHS.filter((path) => path !== "/v1/verify");
    const router = new BrokerRouter(buildInitParams({ paths: without }) as never);
    expect(() => app(router as AppRouter)).toThrow(
      "build/router/ is stale (run node scripts/build-router.mjs): /v1/verify is not in it",
    );
  });

  it("a path the build prepared but the app no longer registers stops createApp too", () => {
    const router = new BrokerRouter(buildInitParams({ paths: [...PATHS, "/v1/gone/:id"] }) as never);
    expect(() => app(router as AppRouter)).toThrow("/v1/gone/:id not registered");
  });
});

/**
 * The demo configuration and its app's secret key (the shared vectors' sample key, as in
 * demo/secrets.env); KV that is always empty; assets that answer with an ETag. The operator's routes
 * past the operator's check (crypto.subtle.timingSafeEqual, a workerd API): test/broker/router.test.ts.
 */
function env(): Record<string, unknown> {
  const kv = {
    get: async () => null,
    getWithMetadata: async () => ({ value: null, metadata: null }),
    put: async () => {},
    delete: async () => {},
    list: async () => ({ keys: [], list_complete: true }),
  };
  return {
    BROKER_CONFIG: JSON.stringify(demoConfig),
    [`SECRET_KEY_${vectors.sdkAppId}`]: vectors.secretKey,
    RATE_LIMITS: kv,
    ADMINS: kv,
    ASSETS: {
      fetch: async (request: Request) =>
        new Response(`asset ${new URL(request.url).pathname}`, { headers: { ETag: '"a1"' } }),
    },
  };
}

/** A registered path with its parameters filled in. */
function filled(path: string, value: string): string {
  return path.replace(/:[A-Za-z]+/g, value).replace(/\*$/, "x");
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

/** Paths around the registered ones: unknown, trailing slashes, case, encodings, empty segments. */
const PROBES = [
  "/nope",
  "/healthz/",
  "/healthz?x=1",
  "/Healthz",
  "/v1",
  "/v1/",
  "/v1/nope",
  "/v1/usersig/",
  "/V1/usersig",
  "//v1/usersig",
  "/v1//usersig",
  "/%76%31/usersig",
  "/v1/usersig%2F",
  "/v1/admin/apps/1400000000/admins/",
  "/v1/admin/apps/1400000000/admins/a/b",
  "/v1/admin/apps/1400000000/admins/a%2Fb",
  "/v1/admin/apps/14%2000/admins",
  "/v1/admin/apps/1400000000/bans/%E4%B8%AD",
  "/v1/admin/apps/1400000000/bans/%E0%A4%A",
  "/v1/admin/apps/1400000000/bans/",
  "/v1/admin/apps//bans",
  "/v1/admin/apps/1400000000/users/u1/kick/",
  "/v1/admin/apps/1400000000/rooms/str:a%20b/dismiss",
  "/v1/admin/apps/1400000000/rooms/1/users/u1/remove/x",
  "/v1/chat/openim",
  "/v1/chat/openim/sendmsg/extra",
  "/v1/chat/openim/sendmsg?sdkAppId=1400000000",
  "/v1/callbacks/",
  "/v1/callbacks/trtc/x",
  "/openapi.json/",
  "/inspector.js.map",
];

/** Every request compared: each registered path (filled) and each probe, in every method, two ways. */
function requests(): { label: string; make: () => Request }[] {
  const paths = new Set<string>(PROBES);
  for (const path of PATHS) {
    if (path === "/*") continue;
    paths.add(filled(path, "1400000000"));
    paths.add(filled(path, "u%20x"));
  }
  const out: { label: string; make: () => Request }[] = [];
  for (const path of paths) {
    const url = `https://broker.test${path}`;
    for (const method of [...METHODS, "PROPFIND", "constructor"]) {
      out.push({
        label: `${method} ${path}`,
        make: () => new Request(url, { method, headers: { "CF-Ray": "ray-1" } }),
      });
    }
    // A browser: its Origin, and a preflight asking for POST with a JSON body.
    out.push({
      label: `OPTIONS ${path} (preflight)`,
      make: () =>
        new Request(`https://broker.test${path}`, {
          method: "OPTIONS",
          headers: {
            "CF-Ray": "ray-1",
            Origin: "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
          },
        }),
    });
    out.push({
      label: `POST ${path} (a browser's JSON)`,
      make: () =>
        new Request(`https://broker.test${path}`, {
          method: "POST",
          headers: { "CF-Ray": "ray-1", Origin: "http://localhost:5173", "Content-Type": "application/json" },
          body: JSON.stringify({ sdkAppId: 1400000000, userId: "u1" }),
        }),
    });
  }
  return out;
}

async function answer(broker: ReturnType<typeof app>, request: Request) {
  const response = await broker.fetch(request, env() as never);
  return {
    status: response.status,
    headers: [...response.headers].sort(([a], [b]) => a.localeCompare(b)),
    body: await response.text(),
  };
}

describe("the prepared router answers as Hono's default router", () => {
  it("for every route, every method, and the probes around them", async () => {
    const prepared = app();
    const reference = app(defaultRouter());
    const all = requests();
    expect(all.length).toBeGreaterThan(700);
    const statuses = new Map<string, number>();
    for (const { label, make } of all) {
      const expected = await answer(reference, make());
      expect(await answer(prepared, make()), label).toEqual(expected);
      statuses.set(label, expected.status);
    }
    // the probes reach the routes: answers (a path parameter read), refusals, 404s, 405s, preflights
    expect(statuses.get("GET /healthz")).toBe(200);
    expect(statuses.get("HEAD /healthz")).toBe(200);
    expect(statuses.get("GET /v1/admin/apps/1400000000/bans")).toBe(401);
    expect(statuses.get("GET /v1/admin/apps/u%20x/bans")).toBe(404);
    expect(statuses.get("DELETE /v1/usersig")).toBe(405);
    expect(statuses.get("OPTIONS /v1/usersig (preflight)")).toBe(204);
    expect(statuses.get("POST /v1/usersig (a browser's JSON)")).toBe(403);
    expect(statuses.get("GET /nope")).toBe(404);
  });
});
