// The HTTP surface in workerd: health, routing (404/405), body handling (size cap, media type,
// malformed JSON, strict fields), config errors, app selection, CORS and the OpenAPI document.
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as z from "../../src/config/zod.js";
import { createApp } from "../../src/http/app.js";
import { buildOpenApiDocument } from "../../src/http/openapi-document.js";
import { requestSchemas } from "../../src/http/schemas.js";
import { signUserSig, verifyUserSig } from "../../src/usersig/index.js";
import { apiKey, brokerConfig, guestApp } from "../support/config.js";
import { brokerClient } from "../support/requests.js";
import { call, type Json, problem, SECRET_KEY, secretsFor } from "./helpers.js";

const APP = 1400000101;
const OTHER = 1400000102;
const ORIGIN = "https://app.example";
const OTHER_ORIGIN = "https://other.example";
const SELF_ORIGIN = "https://broker.test";
const API_KEY = "http-test-key-0123456789abcdef0123456789";

let config: Json;
let twoApps: Json;
const secrets = secretsFor(APP, OTHER);
const broker = brokerClient(() => config, secrets);
const both = brokerClient(() => twoApps, secrets);

beforeAll(async () => {
  const app = guestApp(APP, {
    apiKeys: [await apiKey("backend", API_KEY, { allowUserId: true })],
    cors: { origins: [ORIGIN] },
  });
  config = brokerConfig(app);
  twoApps = brokerConfig([app, guestApp(OTHER, { cors: { origins: [OTHER_ORIGIN] } })]);
});

/** `{ $ref: "#/$defs/X", $defs: { X } }` (zod's output for a schema with an id) to X itself. */
function unwrapDefs(schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref;
  const defs = schema?.$defs as Record<string, Json> | undefined;
  if (typeof ref === "string" && defs && ref.startsWith("#/$defs/")) return defs[ref.slice("#/$defs/".length)];
  return schema;
}

function vary(response: Response): string[] {
  return (response.headers.get("Vary") ?? "").split(",").map((v) => v.trim().toLowerCase());
}

describe("health and routing", () => {
  it("GET /healthz is 200 {ok: true}", async () => {
    const response = await broker.get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("an unknown path is 404 NOT_FOUND", async () => {
    await problem(await broker.get("/v1/nope"), 404, "NOT_FOUND");
    await problem(await broker.send("/v1", { method: "POST" }), 404, "NOT_FOUND");
    await problem(await broker.send("/v1/usersig/extra", { method: "POST" }), 404, "NOT_FOUND");
  });

  it("GET /v1/usersig is 405 METHOD_NOT_ALLOWED with Allow", async () => {
    const response = await broker.get("/v1/usersig");
    await problem(response, 405, "METHOD_NOT_ALLOWED");
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
  });

  it("DELETE /v1/verify is 405 METHOD_NOT_ALLOWED with Allow: POST", async () => {
    const response = await broker.send("/v1/verify", { method: "DELETE" });
    await problem(response, 405, "METHOD_NOT_ALLOWED");
    expect(response.headers.get("Allow")).toBe("POST");
  });

  it("other known paths answer 405 with their own Allow", async () => {
    const cases: [string, string, string][] = [
      ["/v1/privatemapkey", "GET", "POST, OPTIONS"],
      ["/v1/admin/usersig", "GET", "POST"],
      ["/healthz", "POST", "GET"],
      ["/openapi.json", "DELETE", "GET"],
    ];
    for (const [path, method, allow] of cases) {
      const response = await broker.send(path, { method });
      await problem(response, 405, "METHOD_NOT_ALLOWED");
      expect(response.headers.get("Allow"), `${method} ${path}`).toBe(allow);
    }
  });
});

describe("request bodies", () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}, path = "/v1/usersig") =>
    broker.send(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

  it("an empty POST is accepted for guests", async () => {
    const response = await broker.send("/v1/usersig", { method: "POST" });
    const body = (await response.json()) as { userId: string; userSig: string };
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    await verifyUserSig(body.userSig, { sdkAppId: APP, secretKey: SECRET_KEY, userId: body.userId });
  });

  it("a body of exactly 8 KiB is read; one byte more is 413 BODY_TOO_LARGE (Content-Length given)", async () => {
    const exact = `{}${" ".repeat(8192 - 2)}`;
    expect((await post(exact, { "Content-Length": "8192" })).status).toBe(200);
    const over = `{}${" ".repeat(8193 - 2)}`;
    await problem(await post(over, { "Content-Length": "8193" }), 413, "BODY_TOO_LARGE");
  });

  it("a body over 8 KiB without Content-Length (streamed) is 413 BODY_TOO_LARGE", async () => {
    const stream = (size: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const chunk = new TextEncoder().encode(`{}${" ".repeat(1022)}`);
          for (let sent = 0; sent < size; sent += 1024) controller.enqueue(chunk);
          controller.close();
        },
      });
    // Sanity: the Request really has no Content-Length, so the streaming path of the limit runs.
    expect(new Request("https://x/", { method: "POST", body: stream(1) }).headers.has("Content-Length")).toBe(false);
    await problem(await post(stream(9 * 1024)), 413, "BODY_TOO_LARGE");
    // Under the cap, streamed: read normally. `{}` followed by spaces and another `{}` is not JSON.
    await problem(await post(stream(4 * 1024)), 400, "BAD_REQUEST");
  });

  it("the size cap applies to /v1/verify and the admin routes too", async () => {
    const over = JSON.stringify({ userSig: "a".repeat(9000) });
    await problem(await post(over, {}, "/v1/verify"), 413, "BODY_TOO_LARGE");
    await problem(await post(over, {}, "/v1/admin/usersig"), 413, "BODY_TOO_LARGE");
  });

  it("a non-JSON content type with a body is 415", async () => {
    const response = await post("{}", { "Content-Type": "text/plain" });
    await problem(response, 415, "UNSUPPORTED_MEDIA_TYPE");
    await problem(
      await post("userId=bob", { "Content-Type": "application/x-www-form-urlencoded" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    // No Content-Type at all, with a body: also 415.
    const bare = await broker.send("/v1/usersig", { method: "POST", body: "{}" });
    await problem(bare, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("application/json with parameters and +json types are accepted", async () => {
    expect((await post("{}", { "Content-Type": "application/json; charset=utf-8" })).status).toBe(200);
    expect((await post("{}", { "Content-Type": "application/vnd.example+json" })).status).toBe(200);
  });

  it("malformed JSON is 400 BAD_REQUEST", async () => {
    const body = await problem(await post("{not json"), 400, "BAD_REQUEST");
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it("JSON that is not an object is 400", async () => {
    for (const text of ["null", "[]", '"x"', "42"]) await problem(await post(text), 400, "BAD_REQUEST");
  });

  it("an unknown field is 400 naming it in `field` (objects are strict)", async () => {
    const body = await problem(await post(JSON.stringify({ userid: "bob" })), 400, "BAD_REQUEST");
    expect(body.detail).toMatch(/userid/);
    expect(body.field).toBe("userid");
    // the first unknown one, next to known fields; never its value
    const two = await problem(
      await post(JSON.stringify({ expireSeconds: 60, turnstile: "secret-ish" })),
      400,
      "BAD_REQUEST",
    );
    expect(two.field).toBe("turnstile");
    expect(JSON.stringify(two)).not.toContain("secret-ish");
  });

  it("a field of the wrong type is 400 naming the field", async () => {
    const body = await problem(await post(JSON.stringify({ expireSeconds: "60" })), 400, "BAD_REQUEST");
    expect(body.field).toBe("expireSeconds");
    const zero = await problem(await post(JSON.stringify({ expireSeconds: 0 })), 400, "BAD_REQUEST");
    expect(zero.field).toBe("expireSeconds");
  });
});

describe("config errors", () => {
  const plain = (sdkAppId: number, extra: Json = {}) => ({ sdkAppId, ...extra });

  it("BROKER_CONFIG unset is 500 CONFIG_ERROR on every route", async () => {
    for (const [path, method] of [
      ["/healthz", "GET"],
      ["/v1/usersig", "POST"],
      ["/v1/verify", "POST"],
      ["/nope", "GET"],
    ] as const) {
      const response = await call(undefined, path, { method }, { ...secrets, BROKER_CONFIG: undefined });
      const body = await problem(response, 500, "CONFIG_ERROR");
      expect(body.detail).toMatch(/BROKER_CONFIG is not set/);
    }
  });

  it("BROKER_CONFIG that is not JSON is 500", async () => {
    const body = await problem(await call("{apps:", "/healthz", {}, secrets), 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/not valid JSON/);
  });

  it("a bad field is 500 whose detail names the path (on the app's requests: GET /healthz checks the top level only)", async () => {
    const bad = { apps: [plain(1400000103, { lifetimes: { guest: { max: 0 } } })] };
    const response = await call(bad, "/v1/usersig", { method: "POST" }, secretsFor(1400000103));
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/^BROKER_CONFIG\.apps\[0\]\.lifetimes\.guest\.max: /);
    expect((await call(bad, "/healthz", {}, secretsFor(1400000103))).status).toBe(200);
  });

  it("an unknown config field is 500 naming it", async () => {
    const bad = { apps: [plain(1400000103, { corsOrigins: [ORIGIN] })] };
    const response = await call(bad, "/v1/usersig", { method: "POST" }, secretsFor(1400000103));
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/^BROKER_CONFIG\.apps\[0\]/);
    expect(body.detail).toMatch(/corsOrigins/);
  });

  it("a duplicate sdkAppId is 500 naming the second one", async () => {
    const bad = { apps: [plain(1400000103), plain(1400000103)] };
    const body = await problem(await call(bad, "/healthz", {}, secretsFor(1400000103)), 500, "CONFIG_ERROR");
    expect(body.detail).toBe("BROKER_CONFIG.apps[1].sdkAppId: duplicate sdkAppId");
  });

  it("a missing SECRET_KEY_<sdkAppId> is 500 naming the secret", async () => {
    const cfg = { apps: [plain(1400000104)] };
    const response = await call(cfg, "/v1/usersig", { method: "POST" }, { SECRET_KEY_1400000104: undefined });
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/SECRET_KEY_1400000104 is not set/);
    // and the same config works once the secret is there
    expect((await call(cfg, "/healthz", {}, secretsFor(1400000104))).status).toBe(200);
  });

  it("a config error never leaks a secret value", async () => {
    const bad = { apps: [plain(1400000103, { lifetimes: { guest: { max: 0 } } })] };
    const text = await (await call(bad, "/healthz", {}, secretsFor(1400000103))).text();
    expect(text).not.toContain(SECRET_KEY);
  });

  it("/openapi.json is served even with a bad config (it does not depend on it)", async () => {
    const response = await call(undefined, "/openapi.json", {}, { BROKER_CONFIG: undefined });
    expect(response.status).toBe(200);
  });
});

describe("app selection", () => {
  it("several apps and no sdkAppId is 400 naming sdkAppId", async () => {
    const body = await problem(await both.send("/v1/usersig", { method: "POST" }), 400, "BAD_REQUEST");
    expect(body.field).toBe("sdkAppId");
  });

  it("several apps: naming one works", async () => {
    const response = await both.send("/v1/usersig", { json: { sdkAppId: OTHER } });
    const body = (await response.json()) as { sdkAppId: number; userId: string; userSig: string };
    expect(response.status).toBe(200);
    expect(body.sdkAppId).toBe(OTHER);
    await verifyUserSig(body.userSig, { sdkAppId: OTHER, secretKey: SECRET_KEY, userId: body.userId });
  });

  it("an unknown sdkAppId is 404 UNKNOWN_SDKAPPID", async () => {
    await problem(await broker.send("/v1/usersig", { json: { sdkAppId: 1 } }), 404, "UNKNOWN_SDKAPPID");
    await problem(await both.send("/v1/usersig", { json: { sdkAppId: 2 } }), 404, "UNKNOWN_SDKAPPID");
    const verify = await broker.send("/v1/verify", {
      json: { sdkAppId: 3, userSig: "x" },
      headers: { "X-Api-Key": API_KEY },
    });
    await problem(verify, 404, "UNKNOWN_SDKAPPID");
  });
});

describe("CORS", () => {
  const preflight = (origin: string, headers: Record<string, string> = {}, path = "/v1/usersig", cfg = config) =>
    call(
      cfg,
      path,
      {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", ...headers },
      },
      secrets,
    );

  it("a preflight from an allowed origin is 204 echoing that origin, never *, no credentials", async () => {
    for (const path of ["/v1/usersig", "/v1/privatemapkey"]) {
      const response = await preflight(
        ORIGIN,
        { "Access-Control-Request-Headers": "Content-Type, Authorization" },
        path,
      );
      expect(response.status, path).toBe(204);
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ORIGIN);
      expect(response.headers.has("Access-Control-Allow-Credentials")).toBe(false);
      expect(response.headers.get("Access-Control-Allow-Methods")).toBe("POST");
      expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
      expect(vary(response)).toContain("origin");
    }
  });

  it("a preflight from another origin is 403 ORIGIN_NOT_ALLOWED without ACAO", async () => {
    const response = await preflight("https://evil.example");
    await problem(response, 403, "ORIGIN_NOT_ALLOWED");
    expect(response.headers.has("Access-Control-Allow-Origin")).toBe(false);
    expect(vary(response)).toContain("origin");
  });

  it("a refused preflight is audited with its Origin and the refusal's code", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    try {
      await problem(await preflight("https://page.example:5174"), 403, "ORIGIN_NOT_ALLOWED");
      expect((await preflight(ORIGIN)).status).toBe(204);
    } finally {
      spy.mockRestore();
    }
    const audited = lines.map((line) => JSON.parse(line)).filter((line) => line.method === "OPTIONS");
    expect(audited).toEqual([
      expect.objectContaining({
        event: "decision",
        route: "/v1/usersig",
        status: 403,
        outcome: "refused",
        code: "ORIGIN_NOT_ALLOWED",
        origin: "https://page.example:5174",
      }),
    ]);
  });

  it("a preflight for a lookalike origin (other scheme/port/suffix) is 403", async () => {
    for (const origin of ["http://app.example", "https://app.example:8443", "https://app.example.evil", "null"]) {
      await problem(await preflight(origin), 403, "ORIGIN_NOT_ALLOWED");
    }
  });

  it("a preflight asking for the X-Api-Key header is 403", async () => {
    const response = await preflight(ORIGIN, { "Access-Control-Request-Headers": "content-type, x-api-key" });
    await problem(response, 403, "ORIGIN_NOT_ALLOWED");
    expect(response.headers.has("Access-Control-Allow-Origin")).toBe(false);
  });

  it("a preflight for another method, or without one, is 403", async () => {
    await problem(await preflight(ORIGIN, { "Access-Control-Request-Method": "PUT" }), 403, "ORIGIN_NOT_ALLOWED");
    const noMethod = await broker.send("/v1/usersig", { method: "OPTIONS", headers: { Origin: ORIGIN } });
    await problem(noMethod, 403, "ORIGIN_NOT_ALLOWED");
  });

  it("an actual POST from an allowed origin gets ACAO = that origin and Vary: Origin", async () => {
    const response = await broker.send("/v1/usersig", { method: "POST", headers: { Origin: ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(ORIGIN);
    expect(response.headers.has("Access-Control-Allow-Credentials")).toBe(false);
    expect(vary(response)).toContain("origin");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("an actual POST from a disallowed origin is 403 ORIGIN_NOT_ALLOWED and nothing is signed", async () => {
    const response = await broker.send("/v1/usersig", { method: "POST", headers: { Origin: "https://evil.example" } });
    const body = await problem(response, 403, "ORIGIN_NOT_ALLOWED");
    expect(body).not.toHaveProperty("userSig");
    expect(response.headers.has("Access-Control-Allow-Origin")).toBe(false);
    expect(vary(response)).toContain("origin");
    // an API key from a browser at a bad origin does not get a sig either
    const keyed = await broker.send("/v1/usersig", {
      json: { userId: "bob" },
      headers: { Origin: "https://evil.example", "X-Api-Key": API_KEY },
    });
    await problem(keyed, 403, "ORIGIN_NOT_ALLOWED");
  });

  it("the actual request is held to its own app's list, even though the preflight used the union", async () => {
    // OTHER_ORIGIN is allowed for OTHER only: its preflight passes (the preflight names no app)...
    expect((await preflight(OTHER_ORIGIN, {}, "/v1/usersig", twoApps)).status).toBe(204);
    // ...but a request for APP from it is refused, and one for OTHER is served.
    const refused = await both.postJson("/v1/usersig", { sdkAppId: APP }, { Origin: OTHER_ORIGIN });
    await problem(refused, 403, "ORIGIN_NOT_ALLOWED");
    const served = await both.postJson("/v1/usersig", { sdkAppId: OTHER }, { Origin: OTHER_ORIGIN });
    expect(served.status).toBe(200);
    expect(served.headers.get("Access-Control-Allow-Origin")).toBe(OTHER_ORIGIN);
  });

  it("same-origin (Origin = the broker's own) is allowed without being listed", async () => {
    expect((await preflight(SELF_ORIGIN)).status).toBe(204);
    const response = await broker.send("/v1/usersig", { method: "POST", headers: { Origin: SELF_ORIGIN } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(SELF_ORIGIN);
  });

  it("a request without Origin still carries Vary: Origin and no ACAO", async () => {
    const response = await broker.send("/v1/usersig", { method: "POST" });
    expect(response.status).toBe(200);
    expect(vary(response)).toContain("origin");
    expect(response.headers.has("Access-Control-Allow-Origin")).toBe(false);
  });

  it("/v1/verify is not CORS-enabled: no ACAO, and OPTIONS is 405", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "bob", expireSeconds: 600 }, SECRET_KEY);
    const response = await broker.send("/v1/verify", {
      json: { userSig },
      headers: { Origin: ORIGIN, "X-Api-Key": API_KEY },
    });
    expect(response.status).toBe(200);
    expect(response.headers.has("Access-Control-Allow-Origin")).toBe(false);
    const failing = await broker.send("/v1/verify", { json: { userSig: "x" }, headers: { Origin: ORIGIN } });
    expect(failing.status).toBe(401);
    expect(failing.headers.has("Access-Control-Allow-Origin")).toBe(false);
    const options = await preflight(ORIGIN, {}, "/v1/verify");
    await problem(options, 405, "METHOD_NOT_ALLOWED");
    expect(options.headers.has("Access-Control-Allow-Origin")).toBe(false);
  });
});

describe("/openapi.json", () => {
  let doc: Json;
  beforeAll(async () => {
    const response = await broker.get("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    doc = (await response.json()) as Json;
  });

  // Built by scripts/build-openapi.mjs (npm test, wrangler's [build]) rather than in the Worker: the
  // served document must be what the schemas produce now, not a stale build.
  it("is exactly the document the schemas produce (the build is not stale)", () => {
    expect(doc).toEqual(buildOpenApiDocument());
  });

  it("documents every route the app registers, with its methods, and nothing else", () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const method of Object.keys(item))
        if (method !== "parameters") documented.add(`${method.toUpperCase()} ${path}`);
    }
    const registered = new Set<string>();
    for (const route of createApp().routes) {
      // Middleware is registered as ALL; /openapi.json does not list itself; the inspector page's own
      // script, style sheet and icon belong to GET / (its document), not to the API.
      if (route.method === "ALL" || route.method === "OPTIONS") continue;
      if (["/openapi.json", "/inspector.js", "/inspector.css", "/favicon.svg"].includes(route.path)) continue;
      registered.add(`${route.method} ${route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
    }
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it("is OpenAPI 3.1.0 with every route of the issue", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths as Json)).toEqual(
      expect.arrayContaining([
        "/v1/usersig",
        "/v1/privatemapkey",
        "/v1/verify",
        "/v1/admin/usersig",
        "/v1/admin/apps/{sdkAppId}/admins",
        "/v1/admin/apps/{sdkAppId}/admins/{userId}",
        "/healthz",
      ]),
    );
  });

  // z.toJSONSchema() of a schema with .meta({ id }) is { $ref: "#/$defs/<id>", $defs: {...} }; kept
  // as a component, that $ref would point at the document's root. openapi.ts inlines it.
  it("every $ref resolves inside the document", () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "$ref") refs.push(v as string);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\//);
      let target: unknown = doc;
      for (const part of ref.slice(2).split("/")) {
        const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
        target = (target as Json | undefined)?.[key];
      }
      expect(target, `unresolved ${ref}`).toBeTypeOf("object");
    }
  });

  it("request schemas list exactly the fields the zod schemas accept, and refuse others", () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    const built = requestSchemas();
    const cases: [string, z.ZodMiniObject][] = [
      ["UserSigRequest", built.usersigRequest],
      ["PrivateMapKeyRequest", built.privateMapKeyRequest],
      ["VerifyRequest", built.verifyRequest],
      ["AdminUserSigRequest", built.adminUsersigRequest],
      ["AdminsReplaceRequest", built.adminsReplaceRequest],
    ];
    for (const [name, zodSchema] of cases) {
      // Read through a local `$defs` wrapper (see the $ref test above) so that this test checks the
      // fields on their own.
      const documented = unwrapDefs(schemas[name]);
      expect(documented, name).toBeDefined();
      const keys = Object.keys((documented?.properties ?? {}) as Json).sort();
      expect(keys, name).toEqual(Object.keys(zodSchema.shape).sort());
      const fromZod = unwrapDefs(z.toJSONSchema(zodSchema, { io: "input", unrepresentable: "any" }) as Json);
      expect(Object.keys(fromZod?.properties as Json).sort(), name).toEqual(keys);
      expect(documented?.additionalProperties, name).toBe(false);
    }
  });

  it("every operation with a request body points at a documented schema", () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const requestRefs = Object.values(paths)
      .flatMap((item) => Object.values(item))
      .map((op) => (op as { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }).requestBody)
      .filter((b) => b !== undefined)
      .map((b) => b.content["application/json"]?.schema.$ref);
    expect(requestRefs.sort()).toEqual(
      [
        "#/components/schemas/AdminUserSigRequest",
        "#/components/schemas/AdminsReplaceRequest",
        "#/components/schemas/BanRequest",
        "#/components/schemas/ChatRequest",
        "#/components/schemas/ChatCallbackRequest",
        "#/components/schemas/TrtcCallbackRequest",
        "#/components/schemas/PrivateMapKeyRequest",
        "#/components/schemas/UserSigRequest",
        "#/components/schemas/VerifyRequest",
      ].sort(),
    );
  });
});
