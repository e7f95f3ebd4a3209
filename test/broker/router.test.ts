// The Worker's prepared router (src/http/router.ts) against Hono's default router, in workerd: the
// operator's and the moderators' routes read, past the operator's check (crypto.subtle.timingSafeEqual,
// a workerd API) and into the handlers that read the path's parameters, KV and the app's Durable
// Object. Every registered path (filled in two ways) and a few around them, in the methods that
// change nothing (GET, HEAD, OPTIONS), as the operator and as nobody: the same status, headers and
// body from both. test/unit/router.test.ts compares every method and many more probes under Node.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.js";
import { BrokerRouter } from "../../src/http/router.js";
import { createIsolateState } from "../../src/isolate.js";
import { appConfig, brokerConfig, brokerSecrets } from "../support/config.js";

const SDK_APP_ID = 1400000951;
const OPERATOR_TOKEN = "router-test-operator-token-0123456789-0123";
const NOW_MS = Date.UTC(2026, 11, 7, 12, 0, 0);

const testEnv = {
  ...env,
  ...brokerSecrets([SDK_APP_ID], OPERATOR_TOKEN),
  BROKER_CONFIG: JSON.stringify(
    brokerConfig(appConfig(SDK_APP_ID, { guests: { enabled: true }, cors: { origins: ["https://spa.test"] } })),
  ),
};

type App = ReturnType<typeof createApp>;

async function answer(app: App, request: Request) {
  const ctx = createExecutionContext();
  const response = await app.fetch(request, testEnv as never, ctx);
  await waitOnExecutionContext(ctx);
  return {
    status: response.status,
    // Both apps count against the same KV: what remains of a limit is the one field that differs.
    headers: [...response.headers]
      .map(([name, value]) => [name, name === "ratelimit" ? value.replace(/;r=\d+/g, ";r=…") : value])
      .sort(([a], [b]) => (a as string).localeCompare(b as string)),
    // GET /v1/admin/stats names its isolate by a random id.
    body: (await response.text()).replace(/"isolate":"[0-9a-f]+"/, '"isolate":"…"'),
  };
}

describe("the prepared router answers as Hono's default router (workerd)", () => {
  it("for every path, as the operator and as nobody, in the methods that change nothing", async () => {
    const prepared = createApp(createIsolateState({ clock: () => NOW_MS }));
    const reference = createApp(
      createIsolateState({ clock: () => NOW_MS }),
      new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] }),
    );
    expect(prepared.router).toBeInstanceOf(BrokerRouter);

    const paths = new Set(["/nope", "/v1/admin/apps/1/admins/", `/v1/admin/apps/${SDK_APP_ID}/users/u1/x`]);
    for (const { path } of reference.routes) {
      if (path === "/*") continue;
      for (const value of [String(SDK_APP_ID), "u%20x"])
        paths.add(path.replace(/:[A-Za-z]+/g, value).replace(/\*$/, "u1"));
    }
    const statuses = new Map<string, number>();
    for (const path of paths) {
      for (const method of ["GET", "HEAD", "OPTIONS"]) {
        for (const who of ["operator", "nobody"]) {
          const make = () =>
            new Request(`https://broker.test${path}`, {
              method,
              headers: {
                "CF-Ray": "ray-1",
                Origin: "https://spa.test",
                "Access-Control-Request-Method": "GET",
                ...(who === "operator" ? { Authorization: `Bearer ${OPERATOR_TOKEN}` } : {}),
              },
            });
          const label = `${method} ${path} (${who})`;
          const expected = await answer(reference, make());
          expect(await answer(prepared, make()), label).toEqual(expected);
          statuses.set(label, expected.status);
        }
      }
    }
    // past the operator's check, into the handlers (parameters read, KV and the object reached)
    expect(statuses.get(`GET /v1/admin/apps/${SDK_APP_ID}/admins (operator)`)).toBe(200);
    expect(statuses.get(`GET /v1/admin/apps/${SDK_APP_ID}/bans (operator)`)).toBe(200);
    expect(statuses.get(`GET /v1/admin/apps/${SDK_APP_ID}/users/${SDK_APP_ID} (operator)`)).toBe(200);
    expect(statuses.get("GET /v1/admin/stats (operator)")).toBe(200);
    expect(statuses.get(`GET /v1/admin/apps/${SDK_APP_ID}/admins (nobody)`)).toBe(401);
    expect(statuses.get("GET /v1/admin/apps/u%20x/admins (operator)")).toBe(404);
    expect(statuses.get(`GET /v1/admin/apps/${SDK_APP_ID}/admins/u1 (operator)`)).toBe(405);
    expect(statuses.get(`OPTIONS /v1/admin/apps/${SDK_APP_ID}/bans (nobody)`)).toBe(204);
  });
});
