// Admin identities in workerd: POST /v1/admin/usersig (and its sig cache), the operator API, the
// isolate's admin-set cache (warm path without KV, propagation of changes, KV failures), and the
// guard against admin identities on every public path.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { HARD_TTL_MS, SOFT_TTL_MS } from "../../src/admins/cache.js";
import { readRuntimeAdmins, writeRuntimeAdmins } from "../../src/admins/store.js";
import type { IsolateState } from "../../src/isolate.js";
import { kvStore, memoryStore } from "../../src/shared/storage.js";
import { verifyUserSig } from "../../src/usersig/index.js";
import { apiKey, appConfig, brokerConfig, brokerSecrets, inlineIssuer } from "../support/config.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { fakeClock, freshIsolate, type Json, mintJwt, newIdpKey, problem, SECRET_KEY } from "./helpers.js";

const ADMIN_KEY = "admin-test-allow-admin-0123456789abcdef01";
const NAMER_KEY = "admin-test-allow-userid-0123456789abcdef0";
const PLAIN_KEY = "admin-test-plain-0123456789abcdef012345678";
const OPERATOR_TOKEN = "operator-token-0123456789-0123456789-0123";

// One sdkAppId per concern: the config, admin-set and admin-sig caches are per isolate and per app.
const ONE = 1400000301; // one config admin, adminSeconds 600
const MANY = 1400000302; // two config admins
const NONE = 1400000303; // no config admins
const RUNTIME = 1400000304; // admin sigs for runtime admins
const OP = 1400000311; // operator API
const CACHE_UNIT = 1400000321; // runtimeAdmins() driven directly
const CACHE_ROUTE = 1400000322; // the cache seen through the routes
const KV_DOWN = 1400000323; // KV failures
const GUARD = 1400000331; // the guard on every public path
const ALL = [ONE, MANY, NONE, RUNTIME, OP, CACHE_UNIT, CACHE_ROUTE, KV_DOWN, GUARD];

const secrets = brokerSecrets(ALL, OPERATOR_TOKEN);

let config: Json;
const broker = brokerClient(() => config, secrets);
/** The isolate the calls go to: its admin cache, admin-sig cache and KV counters. */
let state: IsolateState = freshIsolate();
/** KV counts of the test's own direct reads and writes (not the broker's). */
const direct = { reads: 0, writes: 0 };
let idpKey: Awaited<ReturnType<typeof newIdpKey>>;

beforeAll(async () => {
  idpKey = await newIdpKey();
  const apiKeys = [
    await apiKey("admin", ADMIN_KEY, { allowAdmin: true }),
    await apiKey("namer", NAMER_KEY, { allowUserId: true }),
    await apiKey("plain", PLAIN_KEY),
  ];
  const app = (sdkAppId: number, extra: Json = {}) => appConfig(sdkAppId, { apiKeys, ...extra });
  config = brokerConfig([
    app(ONE, { admins: ["administrator"], lifetimes: { adminSeconds: 600 } }),
    app(MANY, { admins: ["admin1", "admin2"] }),
    app(NONE, { admins: [] }),
    app(RUNTIME, { admins: [] }),
    app(OP, { admins: ["root"] }),
    app(CACHE_UNIT),
    app(CACHE_ROUTE, { admins: ["root"] }),
    app(KV_DOWN, { guests: { enabled: true } }),
    app(GUARD, {
      admins: ["root"],
      guests: { enabled: true },
      idp: { issuers: [inlineIssuer(idpKey)] },
      privateMapKey: { guest: { enabled: true, rooms: "any" } },
    }),
  ]);
});

afterEach(() => {
  vi.useRealTimers();
});

type SigBody = { sdkAppId: number; userId: string; userSig: string; expireSeconds: number; expiresAt: number };

const adminSig = (body: Json, key: string | null = ADMIN_KEY, envOverride: Json = {}) =>
  broker.withEnv(envOverride).postJson("/v1/admin/usersig", body, key === null ? {} : withApiKey(key));

const named = (sdkAppId: number, userId: string, envOverride: Json = {}) =>
  broker.withEnv(envOverride).postJson("/v1/usersig", { sdkAppId, userId }, withApiKey(NAMER_KEY));

const namedPmk = (sdkAppId: number, userId: string, room: Json, envOverride: Json = {}) =>
  broker.withEnv(envOverride).postJson("/v1/privatemapkey", { sdkAppId, userId, ...room }, withApiKey(NAMER_KEY));

const operator = (
  method: string,
  path: string,
  json?: unknown,
  token: string | null = OPERATOR_TOKEN,
  extra: Json = {},
) =>
  broker
    .withEnv(extra)
    .send(path, { method, headers: token === null ? {} : bearer(token), ...(json !== undefined ? { json } : {}) });

async function okSig(response: Response, sdkAppId: number, userId: string, now?: number): Promise<SigBody> {
  const body = (await response.json()) as SigBody;
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(body.userId).toBe(userId);
  const decoded = await verifyUserSig(body.userSig, {
    sdkAppId,
    secretKey: SECRET_KEY,
    userId,
    ...(now !== undefined ? { now } : {}),
  });
  expect(decoded.expiresAt).toBe(body.expiresAt);
  expect(decoded.expireSeconds).toBe(body.expireSeconds);
  return body;
}

/** A KV namespace whose reads fail (or never finish), for the ADMINS binding. */
function brokenKv(mode: "reject" | "hang" = "reject"): KVNamespace {
  const fail = () => (mode === "reject" ? Promise.reject(new Error("KV is down")) : new Promise<never>(() => {}));
  return { get: fail, put: fail, delete: fail, list: fail, getWithMetadata: fail } as unknown as KVNamespace;
}

describe("POST /v1/admin/usersig", () => {
  it("a key with allowAdmin gets the only config admin's sig without naming it", async () => {
    state = freshIsolate();
    const body = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator");
    expect(body.expireSeconds).toBe(600);
    // naming it works as well
    await okSig(await adminSig({ sdkAppId: ONE, userId: "administrator" }), ONE, "administrator");
  });

  it("the sig is reused while more than half of its life remains, then replaced", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const clock = fakeClock(t0);
    state = freshIsolate({ clock: clock.read });
    const first = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000);
    expect(first.expiresAt).toBe(t0 / 1000 + 600);

    // Ten seconds later a fresh sig would differ (another issue time): the same one proves the cache.
    clock.set(t0 + 10_000);
    const again = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000 + 10);
    expect(again.userSig).toBe(first.userSig);
    expect(again.expiresAt).toBe(first.expiresAt);

    // Just under half its life gone (299 of 600 s): still reused.
    clock.set(t0 + 299_000);
    const late = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000 + 299);
    expect(late.userSig).toBe(first.userSig);

    // Half its life gone: replaced by a new sig issued now, which is then reused in turn.
    clock.set(t0 + 300_000);
    const renewed = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000 + 300);
    expect(renewed.userSig).not.toBe(first.userSig);
    expect(renewed.expiresAt).toBe(t0 / 1000 + 300 + 600);
    clock.set(t0 + 320_000);
    const reused = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000 + 320);
    expect(reused.userSig).toBe(renewed.userSig);
  });

  it("a fresh isolate (no cached sig) signs anew", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const clock = fakeClock(t0);
    state = freshIsolate({ clock: clock.read });
    const first = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000);
    clock.set(t0 + 5_000);
    state = freshIsolate({ clock: clock.read });
    const fresh = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000 + 5);
    expect(fresh.userSig).not.toBe(first.userSig);
    expect(fresh.expiresAt).toBe(t0 / 1000 + 5 + 600);
  });

  it("a changed adminSeconds in the config is not served from the cache", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const clock = fakeClock(t0);
    state = freshIsolate({ clock: clock.read });
    const first = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000);
    clock.set(t0 + 5_000);
    const apps = (config.apps as Json[]).map((a) =>
      a.sdkAppId === ONE ? { ...a, lifetimes: { adminSeconds: 900 } } : a,
    );
    const response = await brokerClient(brokerConfig(apps), secrets).postJson(
      "/v1/admin/usersig",
      { sdkAppId: ONE },
      withApiKey(ADMIN_KEY),
    );
    const changed = await okSig(response, ONE, "administrator", t0 / 1000 + 5);
    expect(changed.expireSeconds).toBe(900);
    expect(changed.userSig).not.toBe(first.userSig);
  });

  it("a rotated secret key is not served from the cache: the next sig verifies only with the new key", async () => {
    const t0 = Math.floor(Date.now() / 1000) * 1000;
    const clock = fakeClock(t0);
    state = freshIsolate({ clock: clock.read });
    const first = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000);
    // Same second, same lifetime: only the key differs, so a cached entry would be byte-identical.
    const rotated = "rotated-secret-key-0123456789abcdef0123456789abcdef";
    const response = await adminSig({ sdkAppId: ONE }, ADMIN_KEY, { [`SECRET_KEY_${ONE}`]: rotated });
    const body = (await response.json()) as SigBody;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.userSig).not.toBe(first.userSig);
    const decoded = await verifyUserSig(body.userSig, {
      sdkAppId: ONE,
      secretKey: rotated,
      userId: "administrator",
      now: t0 / 1000,
    });
    expect(decoded.expiresAt).toBe(body.expiresAt);
    await expect(
      verifyUserSig(body.userSig, { sdkAppId: ONE, secretKey: SECRET_KEY, userId: "administrator", now: t0 / 1000 }),
    ).rejects.toMatchObject({ code: "ERR_SIGNATURE" });
    // And back to the old key: the old key's sig again, not the rotated one's.
    const back = await okSig(await adminSig({ sdkAppId: ONE }), ONE, "administrator", t0 / 1000);
    expect(back.userSig).not.toBe(body.userSig);
  });

  it("sigs are cached per identity: two admins get their own", async () => {
    state = freshIsolate();
    const a = await okSig(await adminSig({ sdkAppId: MANY, userId: "admin1" }), MANY, "admin1");
    const b = await okSig(await adminSig({ sdkAppId: MANY, userId: "admin2" }), MANY, "admin2");
    expect(a.userSig).not.toBe(b.userSig);
    expect((await okSig(await adminSig({ sdkAppId: MANY, userId: "admin1" }), MANY, "admin1")).userSig).toBe(a.userSig);
  });

  it("a key without allowAdmin is 403 ADMIN_NOT_ALLOWED", async () => {
    for (const key of [PLAIN_KEY, NAMER_KEY]) {
      await problem(await adminSig({ sdkAppId: ONE }, key), 403, "ADMIN_NOT_ALLOWED");
      await problem(await adminSig({ sdkAppId: ONE, userId: "administrator" }, key), 403, "ADMIN_NOT_ALLOWED");
    }
  });

  it("a userId that is not an admin identity is 403 NOT_AN_ADMIN_IDENTITY", async () => {
    await problem(await adminSig({ sdkAppId: ONE, userId: "bob" }), 403, "NOT_AN_ADMIN_IDENTITY");
    await problem(await adminSig({ sdkAppId: NONE, userId: "bob" }), 403, "NOT_AN_ADMIN_IDENTITY");
  });

  it("several admins (or none) and no userId is 400 naming userId", async () => {
    expect((await problem(await adminSig({ sdkAppId: MANY }), 400, "BAD_REQUEST")).field).toBe("userId");
    expect((await problem(await adminSig({ sdkAppId: NONE }), 400, "BAD_REQUEST")).field).toBe("userId");
    await okSig(await adminSig({ sdkAppId: MANY, userId: "admin2" }), MANY, "admin2");
  });

  it("no key is 401 with WWW-Authenticate; a wrong key is 401", async () => {
    const none = await adminSig({ sdkAppId: ONE }, null);
    await problem(none, 401, "UNAUTHORIZED");
    expect(none.headers.get("WWW-Authenticate")).toBe('ApiKey realm="usersig-broker"');
    const wrong = await adminSig({ sdkAppId: ONE }, "wrong");
    await problem(wrong, 401, "UNAUTHORIZED");
    expect(wrong.headers.get("WWW-Authenticate")).toMatch(/^ApiKey /);
  });

  it("a bearer token does not open the admin route", async () => {
    const jwt = await mintJwt(idpKey, { sub: "root" });
    const response = await broker.postJson("/v1/admin/usersig", { sdkAppId: GUARD }, bearer(jwt));
    await problem(response, 401, "UNAUTHORIZED");
  });

  it("a runtime admin's sig is issued; once removed (even by a bulk replace) it is refused despite the cache", async () => {
    state = freshIsolate();
    await problem(await adminSig({ sdkAppId: RUNTIME, userId: "svc" }), 403, "NOT_AN_ADMIN_IDENTITY");
    expect((await operator("PUT", `/v1/admin/apps/${RUNTIME}/admins/svc`)).status).toBe(201);
    // the only admin of the app: may be omitted
    await okSig(await adminSig({ sdkAppId: RUNTIME }), RUNTIME, "svc");
    expect((await operator("PUT", `/v1/admin/apps/${RUNTIME}/admins`, { userIds: ["other"] })).status).toBe(200);
    await problem(await adminSig({ sdkAppId: RUNTIME, userId: "svc" }), 403, "NOT_AN_ADMIN_IDENTITY");
    expect((await operator("DELETE", `/v1/admin/apps/${RUNTIME}/admins/other`)).status).toBe(204);
    await problem(await adminSig({ sdkAppId: RUNTIME }), 400, "BAD_REQUEST");
  });
});

describe("operator API", () => {
  const base = `/v1/admin/apps/${OP}/admins`;
  const list = async () => {
    const response = await operator("GET", base);
    expect(response.status).toBe(200);
    return (await response.json()) as { sdkAppId: number; admins: { userId: string; source: string }[] };
  };

  it("without ADMIN_API_TOKEN in env it is 403 OPERATOR_API_DISABLED", async () => {
    for (const token of [undefined, ""]) {
      for (const [method, path] of [
        ["GET", base],
        ["PUT", `${base}/x`],
        ["DELETE", `${base}/x`],
        ["GET", "/v1/admin/apps/1/admins"],
      ] as const) {
        const response = await operator(method, path, undefined, OPERATOR_TOKEN, { ADMIN_API_TOKEN: token });
        await problem(response, 403, "OPERATOR_API_DISABLED");
      }
    }
  });

  it("a wrong or missing token is 401 with WWW-Authenticate: Bearer", async () => {
    for (const token of ["wrong", `${OPERATOR_TOKEN}x`, null]) {
      const response = await operator("GET", base, undefined, token);
      await problem(response, 401, "UNAUTHORIZED");
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="usersig-broker"/);
    }
    const basic = await broker.get(base, { Authorization: `Basic ${btoa(`x:${OPERATOR_TOKEN}`)}` });
    await problem(basic, 401, "UNAUTHORIZED");
    // the token is checked before the app is looked up: no app enumeration without it
    await problem(await operator("GET", "/v1/admin/apps/999/admins", undefined, "wrong"), 401, "UNAUTHORIZED");
  });

  it("an API key is not the operator token", async () => {
    const response = await broker.get(base, withApiKey(ADMIN_KEY));
    await problem(response, 401, "UNAUTHORIZED");
  });

  it("GET lists the config admins with source config", async () => {
    expect(await list()).toEqual({ sdkAppId: OP, admins: [{ userId: "root", source: "config" }] });
  });

  it("PUT .../admins/{id} is 201, then 200; GET lists it as runtime; KV holds it under admins/v1/<id>", async () => {
    const writes = state.admins.kvStats.writes;
    const added = await operator("PUT", `${base}/alice`);
    expect(added.status).toBe(201);
    expect(await added.json()).toEqual({
      sdkAppId: OP,
      admins: [
        { userId: "root", source: "config" },
        { userId: "alice", source: "runtime" },
      ],
    });
    const again = await operator("PUT", `${base}/alice`);
    expect(again.status).toBe(200);
    expect(state.admins.kvStats.writes).toBe(writes + 1);
    expect((await list()).admins).toContainEqual({ userId: "alice", source: "runtime" });
    const stored = await env.ADMINS.get<{ userIds: string[]; updatedAt: number }>(`admins/v1/${OP}`, "json");
    expect(stored?.userIds).toEqual(["alice"]);
    expect(typeof stored?.updatedAt).toBe("number");
  });

  it("PUT of a config admin's id is 200 and stores nothing", async () => {
    const writes = state.admins.kvStats.writes;
    const response = await operator("PUT", `${base}/root`);
    expect(response.status).toBe(200);
    expect(state.admins.kvStats.writes).toBe(writes);
  });

  it("after PUT the same isolate refuses that identity at once on /v1/usersig", async () => {
    expect((await named(OP, "carol")).status).toBe(200);
    expect((await operator("PUT", `${base}/carol`)).status).toBe(201);
    await problem(await named(OP, "carol"), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("DELETE is 204, then 404; the identity is issuable again", async () => {
    // Its own set-up (PUT is idempotent: 201 or 200), so the test does not lean on the one before.
    expect([200, 201]).toContain((await operator("PUT", `${base}/carol`)).status);
    const removed = await operator("DELETE", `${base}/carol`);
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe("");
    await problem(await operator("DELETE", `${base}/carol`), 404, "NOT_AN_ADMIN_IDENTITY");
    await problem(await operator("DELETE", `${base}/never-was`), 404, "NOT_AN_ADMIN_IDENTITY");
    expect((await list()).admins.map((a) => a.userId)).not.toContain("carol");
    expect((await named(OP, "carol")).status).toBe(200);
  });

  it("DELETE of a config admin is 409 CONFIG_ADMIN", async () => {
    await problem(await operator("DELETE", `${base}/root`), 409, "CONFIG_ADMIN");
    await problem(await named(OP, "root"), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("PUT .../admins {userIds} replaces the runtime set (config admins and duplicates folded)", async () => {
    const response = await operator("PUT", base, { userIds: ["dave", "erin", "root", "dave"] });
    expect(response.status).toBe(200);
    const expected = {
      sdkAppId: OP,
      admins: [
        { userId: "root", source: "config" },
        { userId: "dave", source: "runtime" },
        { userId: "erin", source: "runtime" },
      ],
    };
    expect(await response.json()).toEqual(expected);
    expect(await list()).toEqual(expected);
    expect(await readRuntimeAdmins(kvStore(env.ADMINS), OP, direct)).toEqual(["dave", "erin"]);
    // "alice" (added earlier) is gone, the new ones are refused at once
    expect((await named(OP, "alice")).status).toBe(200);
    await problem(await named(OP, "erin"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    // an empty list clears them
    expect((await operator("PUT", base, { userIds: [] })).status).toBe(200);
    expect((await list()).admins).toEqual([{ userId: "root", source: "config" }]);
  });

  it("an invalid userId is 400 naming userId, in the path or in the list", async () => {
    for (const id of ["has%20space", "a.b", "%C3%BC", "x".repeat(33)]) {
      const body = await problem(await operator("PUT", `${base}/${id}`), 400, "BAD_REQUEST");
      expect(body.field, id).toBe("userId");
    }
    // A segment that is not valid percent-encoding is refused as such, on DELETE too (not taken literally).
    for (const id of ["%E0%A4%A", "%ZZ", "%ED%A0%80"]) {
      const body = await problem(await operator("DELETE", `${base}/${id}`), 400, "BAD_REQUEST");
      expect(body.field, id).toBe("userId");
    }
    const bad = await problem(await operator("PUT", base, { userIds: ["ok", "not ok"] }), 400, "BAD_REQUEST");
    expect(bad.field).toBe("userId");
    expect((await problem(await operator("PUT", base, { userIds: [""] }), 400, "BAD_REQUEST")).field).toBe("userIds.0");
    await problem(await operator("PUT", base, {}), 400, "BAD_REQUEST");
    await problem(await operator("PUT", base, { userIds: "dave" }), 400, "BAD_REQUEST");
    await problem(await operator("PUT", base, { userIds: [], extra: 1 }), 400, "BAD_REQUEST");
    // nothing was stored by the refused requests
    expect((await list()).admins).toEqual([{ userId: "root", source: "config" }]);
  });

  it("an unknown or non-numeric app is 404 UNKNOWN_SDKAPPID", async () => {
    for (const id of ["1400000399", "abc", "0123", "1e9", "-1", "99999999999"]) {
      await problem(await operator("GET", `/v1/admin/apps/${id}/admins`), 404, "UNKNOWN_SDKAPPID");
      await problem(await operator("PUT", `/v1/admin/apps/${id}/admins/x`), 404, "UNKNOWN_SDKAPPID");
    }
  });

  it("other methods are 405 with Allow", async () => {
    const post = await operator("POST", base);
    await problem(post, 405, "METHOD_NOT_ALLOWED");
    expect(post.headers.get("Allow")).toBe("GET, PUT");
    const get = await operator("GET", `${base}/x`);
    await problem(get, 405, "METHOD_NOT_ALLOWED");
    expect(get.headers.get("Allow")).toBe("PUT, DELETE");
  });
});

describe("admin-identity cache: runtimeAdmins() with a driven clock", () => {
  const pending: Promise<unknown>[] = [];
  const deps = (nowMs: number) => ({
    store: kvStore(env.ADMINS),
    waitUntil: (p: Promise<unknown>) => pending.push(p),
    nowMs,
  });
  const settle = async () => {
    await Promise.all(pending.splice(0));
  };

  it("a cold read goes to KV once; while fresh, no read at all", async () => {
    state = freshIsolate();
    await writeRuntimeAdmins(kvStore(env.ADMINS), CACHE_UNIT, ["a"], direct, Date.now());
    const reads = state.admins.kvStats.reads;
    const t0 = Date.now();
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0))).ids]).toEqual(["a"]);
    expect(state.admins.kvStats.reads).toBe(reads + 1);
    for (let i = 0; i < 50; i++) await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + i * 100));
    expect(state.admins.kvStats.reads).toBe(reads + 1);
    expect(pending).toHaveLength(0);
  });

  it("a change in KV is not seen while fresh, and is seen after SOFT_TTL_MS via a background refresh", async () => {
    const t0 = Date.now();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["a"], t0);
    // another isolate's edit, with the documented key layout
    await env.ADMINS.put(`admins/v1/${CACHE_UNIT}`, JSON.stringify({ userIds: ["a", "b"], updatedAt: t0 }));
    const reads = state.admins.kvStats.reads;

    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + SOFT_TTL_MS - 1))).ids]).toEqual(["a"]);
    expect(state.admins.kvStats.reads).toBe(reads);
    expect(pending).toHaveLength(0);

    // Past the soft TTL: the stale set is answered at once, one refresh is started in the background...
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + SOFT_TTL_MS + 1))).ids]).toEqual(["a"]);
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + SOFT_TTL_MS + 2))).ids]).toEqual(["a"]);
    expect(pending).toHaveLength(1);
    await settle();
    expect(state.admins.kvStats.reads).toBe(reads + 1);
    // ...and once it lands, the change is seen with no further read.
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(Date.now()))).ids].sort()).toEqual(["a", "b"]);
    expect(state.admins.kvStats.reads).toBe(reads + 1);
  });

  it("past HARD_TTL_MS the request waits for KV and sees the change at once", async () => {
    const t0 = Date.now();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["stale"], t0);
    await writeRuntimeAdmins(kvStore(env.ADMINS), CACHE_UNIT, ["c"], direct, Date.now());
    const reads = state.admins.kvStats.reads;
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + HARD_TTL_MS - 1))).ids]).toEqual(["stale"]);
    await settle();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["stale"], t0);
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + HARD_TTL_MS + 1))).ids]).toEqual(["c"]);
    expect(pending).toHaveLength(0);
    expect(state.admins.kvStats.reads).toBe(reads + 2);
  });

  it("a removal propagates the same way", async () => {
    const t0 = Date.now();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["c"], t0);
    await env.ADMINS.delete(`admins/v1/${CACHE_UNIT}`);
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + 1000))).ids]).toEqual(["c"]);
    await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + SOFT_TTL_MS + 1));
    await settle();
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(Date.now()))).ids]).toEqual([]);
  });

  it("a failed background refresh keeps the stale set until the hard TTL, then fails closed", async () => {
    const t0 = Date.now();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["keep"], t0);
    const broken = { ...deps(t0 + SOFT_TTL_MS + 1), store: kvStore(brokenKv()) };
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, broken)).ids]).toEqual(["keep"]);
    await settle();
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, { ...broken, nowMs: t0 + SOFT_TTL_MS + 2 })).ids]).toEqual(
      ["keep"],
    );
    await settle();
    await expect(
      state.admins.runtimeAdmins(CACHE_UNIT, { ...broken, nowMs: t0 + HARD_TTL_MS + 1 }),
    ).rejects.toMatchObject({
      code: "ADMIN_SET_UNAVAILABLE",
      data: { retryAfterSeconds: 5 },
    });
  });
  it("an edit made in this isolate while a background refresh is in flight is not undone by that refresh", async () => {
    // The refresh read KV before the operator's write landed: its (older) answer must not replace
    // the newer set this isolate installed with setRuntimeAdmins, or the new admin would be
    // forgotten here until the next refresh.
    let answer: () => void = () => {};
    const slow = memoryStore();
    slow.before = () =>
      new Promise<void>((resolve) => {
        answer = resolve;
      });
    const t0 = Date.now();
    state.admins.setRuntimeAdmins(CACHE_UNIT, [], t0 - SOFT_TTL_MS - 1);
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, { ...deps(t0), store: slow })).ids]).toEqual([]);
    expect(pending).toHaveLength(1);
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["new-admin"], t0); // what the operator API does after its KV write
    answer(); // the read that started before the write (it finds nothing)
    await settle();
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + 1))).ids]).toEqual(["new-admin"]);
  });

  it("the same holds for a request waiting on a cold read", async () => {
    let answer: () => void = () => {};
    const slow = memoryStore();
    slow.before = () =>
      new Promise<void>((resolve) => {
        answer = resolve;
      });
    state = freshIsolate();
    const t0 = Date.now();
    const waiting = state.admins.runtimeAdmins(CACHE_UNIT, { ...deps(t0), store: slow });
    await Promise.resolve();
    state.admins.setRuntimeAdmins(CACHE_UNIT, ["new-admin"], t0);
    answer();
    // the waiting request may use either answer, but the cache must keep the newer set
    await waiting;
    expect([...(await state.admins.runtimeAdmins(CACHE_UNIT, deps(t0 + 1))).ids]).toEqual(["new-admin"]);
  });
});

describe("admin-identity cache through the routes", () => {
  it("after warm-up, issuances do no KV read (and survive KV being down)", async () => {
    state = freshIsolate();
    expect((await named(CACHE_ROUTE, "warm")).status).toBe(200);
    const reads = state.admins.kvStats.reads;
    for (let i = 0; i < 10; i++) expect((await named(CACHE_ROUTE, `user${i}`)).status).toBe(200);
    await problem(await named(CACHE_ROUTE, "root"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    for (let i = 0; i < 5; i++) {
      await okSig(await adminSig({ sdkAppId: CACHE_ROUTE }), CACHE_ROUTE, "root");
    }
    expect(state.admins.kvStats.reads).toBe(reads);
    // The strongest form: with KV failing, a warm isolate still serves (and still guards).
    expect((await named(CACHE_ROUTE, "user1", { ADMINS: brokenKv() })).status).toBe(200);
    await problem(await named(CACHE_ROUTE, "root", { ADMINS: brokenKv() }), 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(state.admins.kvStats.reads).toBe(reads);
  });

  it("another isolate's change is not seen while fresh", async () => {
    // A fresh cache entry of this isolate (its own set-up), then a change written by "another isolate".
    state.admins.setRuntimeAdmins(CACHE_ROUTE, [], Date.now());
    await writeRuntimeAdmins(kvStore(env.ADMINS), CACHE_ROUTE, ["mallory"], direct, Date.now());
    const reads = state.admins.kvStats.reads;
    // Within the stated bound (HARD_TTL_MS + KV's propagation), an isolate with a fresh cache
    // still serves the identity: that is the documented trade-off, asserted so that a change to it
    // is deliberate.
    expect((await named(CACHE_ROUTE, "mallory")).status).toBe(200);
    expect(state.admins.kvStats.reads).toBe(reads);
  });

  it("past SOFT_TTL_MS one request is answered from the cache and refreshes it in the background; the next sees the change", async () => {
    state.admins.setRuntimeAdmins(CACHE_ROUTE, [], Date.now() - SOFT_TTL_MS - 1);
    const reads = state.admins.kvStats.reads;
    expect((await named(CACHE_ROUTE, "mallory")).status).toBe(200);
    expect(state.admins.kvStats.reads).toBe(reads + 1); // the refresh ran in waitUntil
    await problem(await named(CACHE_ROUTE, "mallory"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(state.admins.kvStats.reads).toBe(reads + 1);
  });

  it("past HARD_TTL_MS the next request re-reads KV and sees the change at once", async () => {
    await writeRuntimeAdmins(kvStore(env.ADMINS), CACHE_ROUTE, ["trent"], direct, Date.now());
    state.admins.setRuntimeAdmins(CACHE_ROUTE, ["mallory"], Date.now() - HARD_TTL_MS - 1);
    const reads = state.admins.kvStats.reads;
    await problem(await named(CACHE_ROUTE, "trent"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(state.admins.kvStats.reads).toBe(reads + 1);
    expect((await named(CACHE_ROUTE, "mallory")).status).toBe(200);
    // the admin route sees the same set
    await okSig(await adminSig({ sdkAppId: CACHE_ROUTE, userId: "trent" }), CACHE_ROUTE, "trent");
  });
});

describe("KV failures", () => {
  const guest = (envOverride: Json) => broker.withEnv(envOverride).postJson("/v1/usersig", { sdkAppId: KV_DOWN });

  it("KV failing on a cold cache is 503 ADMIN_SET_UNAVAILABLE with Retry-After, on every issuing route", async () => {
    const down = { ADMINS: brokenKv() };
    const responses = [
      () => named(KV_DOWN, "bob", down),
      () => guest(down),
      () => namedPmk(KV_DOWN, "bob", { roomId: 1, privileges: 1 }, down),
      () => adminSig({ sdkAppId: KV_DOWN, userId: "bob" }, ADMIN_KEY, down),
    ];
    for (const send of responses) {
      state = freshIsolate();
      const response = await send();
      const text = await response.clone().text();
      await problem(response, 503, "ADMIN_SET_UNAVAILABLE");
      expect(response.headers.get("Retry-After")).toBe("5");
      expect(text).not.toMatch(/userSig|privateMapKey|KV is down/);
    }
  });

  it("once KV is back, the same request succeeds", async () => {
    state = freshIsolate();
    await problem(await guest({ ADMINS: brokenKv() }), 503, "ADMIN_SET_UNAVAILABLE");
    expect((await guest({})).status).toBe(200);
  });

  it("a soft-stale cache with KV down is still served; a hard-stale one fails closed", async () => {
    state.admins.setRuntimeAdmins(KV_DOWN, [], Date.now() - SOFT_TTL_MS - 1);
    expect((await guest({ ADMINS: brokenKv() })).status).toBe(200);
    state.admins.setRuntimeAdmins(KV_DOWN, [], Date.now() - HARD_TTL_MS - 1);
    await problem(await guest({ ADMINS: brokenKv() }), 503, "ADMIN_SET_UNAVAILABLE");
  });

  it("the operator API with KV failing: 503 ADMINS_STORE_UNAVAILABLE with Retry-After, naming no key", async () => {
    for (const [method, path] of [
      ["GET", `/v1/admin/apps/${KV_DOWN}/admins`],
      ["PUT", `/v1/admin/apps/${KV_DOWN}/admins/svc`],
      ["DELETE", `/v1/admin/apps/${KV_DOWN}/admins/svc`],
    ] as const) {
      const response = await operator(method, path, undefined, OPERATOR_TOKEN, { ADMINS: brokenKv() });
      const text = await response.clone().text();
      await problem(response, 503, "ADMINS_STORE_UNAVAILABLE");
      expect(response.headers.get("Retry-After")).toBe("5");
      expect(text).not.toMatch(/admins\/v1|KV is down/);
    }
  });

  it("a KV read that never finishes is 503 after the wait limit, not a hung request", async () => {
    state = freshIsolate();
    const started = Date.now();
    const response = await guest({ ADMINS: brokenKv("hang") });
    await problem(response, 503, "ADMIN_SET_UNAVAILABLE");
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 15_000);
});

describe("the guard on every public path (runtime admins, through the operator API)", () => {
  const base = `/v1/admin/apps/${GUARD}/admins`;
  const room = { roomId: 42, privileges: ["EnterRoom"] };
  const idpUser = async (sub: string) => bearer(await mintJwt(idpKey, { sub }));

  it("an IdP user who is (or becomes) an admin is refused on /v1/usersig and /v1/privatemapkey", async () => {
    const headers = await idpUser("idp-user");
    const send = (path: string, json: Json) => broker.postJson(path, { sdkAppId: GUARD, ...json }, headers);
    await okSig(await send("/v1/usersig", {}), GUARD, "idp-user");
    expect((await send("/v1/privatemapkey", room)).status).toBe(200);
    expect((await operator("PUT", `${base}/idp-user`)).status).toBe(201);
    await problem(await send("/v1/usersig", {}), 403, "ADMIN_IDENTITY_FORBIDDEN");
    await problem(await send("/v1/privatemapkey", room), 403, "ADMIN_IDENTITY_FORBIDDEN");
    // the config admin, as an IdP subject
    const asRoot = await broker.postJson("/v1/usersig", { sdkAppId: GUARD }, await idpUser("root"));
    await problem(asRoot, 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("a guest whose identity becomes an admin cannot renew it with its ticket", async () => {
    const first = await broker.postJson("/v1/usersig", { sdkAppId: GUARD });
    const guest = (await first.json()) as SigBody & { guestTicket: string };
    expect(first.status).toBe(200);
    const renew = (path: string, extra: Json = {}) =>
      broker.postJson(path, { sdkAppId: GUARD, guestTicket: guest.guestTicket, ...extra });
    await okSig(await renew("/v1/usersig"), GUARD, guest.userId);
    expect((await renew("/v1/privatemapkey", room)).status).toBe(200);
    expect((await operator("PUT", `${base}/${guest.userId}`)).status).toBe(201);
    await problem(await renew("/v1/usersig"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    await problem(await renew("/v1/privatemapkey", room), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("an API key naming it is refused on both routes", async () => {
    expect((await operator("PUT", `${base}/svc-9`)).status).toBe(201);
    await problem(await named(GUARD, "svc-9"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    await problem(await namedPmk(GUARD, "svc-9", room), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });
});
