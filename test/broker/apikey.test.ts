// API-key callers on the public routes, in workerd: naming a UserID, lifetimes, every refusal, and
// the admin-identity guard (config admins and runtime admins added through the operator API).
import { beforeAll, describe, expect, it } from "vitest";
import { Privilege, verifyUserSig } from "../../src/usersig/index.js";
import { apiKey, appConfig, brokerConfig, brokerSecrets } from "../support/config.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { type Json, problem, SECRET_KEY } from "./helpers.js";

const APP = 1400000201;
const APP_B = 1400000202;
const APP_DEFAULTS = 1400000203;
const APP_PATTERN = 1400000204;
const APP_RUNTIME = 1400000205;
const APP_UNICODE = 1400000206;

const NAMER = "apikey-namer-0123456789abcdef0123456789ab";
const PLAIN = "apikey-plain-0123456789abcdef0123456789ab";
const ADMIN_ONLY = "apikey-admin-0123456789abcdef0123456789ab";
const B_KEY = "apikey-app-b-0123456789abcdef0123456789ab";
/** Configured with its hash, but longer than any real key: refused before hashing. */
const LONG_KEY = "L".repeat(257);
const OPERATOR_TOKEN = "operator-token-for-apikey-tests-0123456789";

let config: Json;
const broker = brokerClient(
  () => config,
  brokerSecrets([APP, APP_B, APP_DEFAULTS, APP_PATTERN, APP_RUNTIME, APP_UNICODE], OPERATOR_TOKEN),
);

beforeAll(async () => {
  const namer = await apiKey("namer", NAMER, { allowUserId: true });
  config = brokerConfig([
    appConfig(APP, {
      admins: ["administrator"],
      lifetimes: { apiKey: { default: 3600, max: 7200 } },
      apiKeys: [
        namer,
        await apiKey("plain", PLAIN),
        await apiKey("admin-only", ADMIN_ONLY, { allowAdmin: true }),
        await apiKey("long", LONG_KEY, { allowUserId: true }),
      ],
    }),
    appConfig(APP_B, { apiKeys: [await apiKey("b", B_KEY, { allowUserId: true })] }),
    appConfig(APP_DEFAULTS, { apiKeys: [namer] }),
    appConfig(APP_PATTERN, { userIdPattern: "user_[0-9]{1,8}", apiKeys: [namer] }),
    appConfig(APP_RUNTIME, { admins: ["root"], apiKeys: [namer] }),
    // A pattern that admits non-ASCII letters (Tencent allows UTF-8 UserIDs of up to 32 bytes).
    appConfig(APP_UNICODE, { userIdPattern: "[\\p{L}\\p{N}_-]{1,32}", apiKeys: [namer] }),
  ]);
});

type SigBody = { sdkAppId: number; userId: string; userSig: string; expireSeconds: number; expiresAt: number };

const usersig = (body: Json, key: string | null = NAMER, extraHeaders: Record<string, string> = {}) =>
  broker.postJson(
    "/v1/usersig",
    { sdkAppId: APP, ...body },
    { ...(key === null ? {} : withApiKey(key)), ...extraHeaders },
  );

const privatemapkey = (body: Json, key: string = NAMER) =>
  broker.postJson(
    "/v1/privatemapkey",
    { sdkAppId: APP, roomId: 1234, privileges: ["EnterRoom"], ...body },
    withApiKey(key),
  );

const operator = (method: string, path: string, json?: unknown) =>
  broker.send(path, { method, headers: bearer(OPERATOR_TOKEN), ...(json ? { json } : {}) });

async function expectSig(response: Response, sdkAppId: number, userId: string, expireSeconds: number) {
  const body = (await response.json()) as SigBody;
  expect(response.status, JSON.stringify(body)).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(body.userId).toBe(userId);
  expect(body.sdkAppId).toBe(sdkAppId);
  expect(body.expireSeconds).toBe(expireSeconds);
  const decoded = await verifyUserSig(body.userSig, { sdkAppId, secretKey: SECRET_KEY, userId });
  expect(decoded.expireSeconds).toBe(expireSeconds);
  expect(body.expiresAt).toBe(decoded.expiresAt);
  return body;
}

describe("a key allowed to choose the UserID", () => {
  it("gets a verifying sig for the named userId, with the app's apiKey default lifetime", async () => {
    await expectSig(await usersig({ userId: "bob" }), APP, "bob", 3600);
  });

  it("a shorter lifetime is honoured; a longer one is clamped to the apiKey max", async () => {
    await expectSig(await usersig({ userId: "bob", expireSeconds: 120 }), APP, "bob", 120);
    await expectSig(await usersig({ userId: "bob", expireSeconds: 7200 }), APP, "bob", 7200);
    await expectSig(await usersig({ userId: "bob", expireSeconds: 10_000_000 }), APP, "bob", 7200);
  });

  it("with the default lifetimes: 1 day by default, clamped to 30 days", async () => {
    await expectSig(await usersig({ sdkAppId: APP_DEFAULTS, userId: "bob" }), APP_DEFAULTS, "bob", 86_400);
    const long = await usersig({ sdkAppId: APP_DEFAULTS, userId: "bob", expireSeconds: 0xffff_ffff });
    await expectSig(long, APP_DEFAULTS, "bob", 30 * 86_400);
  });

  it("a PrivateMapKey for the named userId verifies and carries the room", async () => {
    const response = await privatemapkey({ userId: "bob", privileges: ["EnterRoom", "SendAudio"] });
    const body = (await response.json()) as { privateMapKey: string; privileges: number; expireSeconds: number };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const decoded = await verifyUserSig(body.privateMapKey, { sdkAppId: APP, secretKey: SECRET_KEY, userId: "bob" });
    expect(decoded.privateMap?.roomId).toBe(1234);
    expect(decoded.privateMap?.privileges).toBe(Privilege.EnterRoom | Privilege.SendAudio);
    expect(body.expireSeconds).toBe(3600);
  });
});

describe("refusals", () => {
  it("a key without allowUserId is 403 USERID_NOT_ALLOWED (with or without a userId)", async () => {
    for (const key of [PLAIN, ADMIN_ONLY]) {
      await problem(await usersig({ userId: "bob" }, key), 403, "USERID_NOT_ALLOWED");
      await problem(await usersig({}, key), 403, "USERID_NOT_ALLOWED");
      await problem(await privatemapkey({ userId: "bob" }, key), 403, "USERID_NOT_ALLOWED");
    }
  });

  it("a missing userId is 400 naming userId", async () => {
    const body = await problem(await usersig({}), 400, "BAD_REQUEST");
    expect(body.field).toBe("userId");
    expect((await problem(await privatemapkey({}), 400, "BAD_REQUEST")).field).toBe("userId");
  });

  it("a userId outside the default rule is 400 naming userId", async () => {
    for (const userId of ["has space", "ü-umlaut", "a/b", "x".repeat(33), ""]) {
      const body = await problem(await usersig({ userId }), 400, "BAD_REQUEST");
      expect(body.field, userId).toBe("userId");
    }
  });

  it("the app's userIdPattern is anchored at both ends", async () => {
    const call_ = (userId: string) => usersig({ sdkAppId: APP_PATTERN, userId });
    await expectSig(await call_("user_42"), APP_PATTERN, "user_42", 86_400);
    for (const userId of ["bob", "xuser_42", "user_42x", "user_123456789"]) {
      const body = await problem(await call_(userId), 400, "BAD_REQUEST");
      expect(body.field, userId).toBe("userId");
    }
  });

  it("a wrong key is 401 with WWW-Authenticate", async () => {
    for (const key of ["wrong", `${NAMER}x`, NAMER.toUpperCase(), " "]) {
      const response = await usersig({ userId: "bob" }, key);
      await problem(response, 401, "UNAUTHORIZED");
      expect(response.headers.get("WWW-Authenticate")).toBe('ApiKey realm="usersig-broker"');
    }
  });

  it("an empty X-Api-Key header is 401, not a guest", async () => {
    const response = await usersig({ userId: "bob" }, "");
    await problem(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^ApiKey /);
  });

  it("an over-long key is 401 even when its hash is configured", async () => {
    const response = await usersig({ userId: "bob" }, LONG_KEY);
    await problem(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^ApiKey /);
  });

  it("a key of app A used for app B is 401 (and B's key works for B)", async () => {
    await problem(await usersig({ sdkAppId: APP_B, userId: "bob" }, NAMER), 401, "UNAUTHORIZED");
    await problem(await usersig({ sdkAppId: APP, userId: "bob" }, B_KEY), 401, "UNAUTHORIZED");
    await expectSig(await usersig({ sdkAppId: APP_B, userId: "bob" }, B_KEY), APP_B, "bob", 86_400);
  });

  it("an API key together with a bearer token is 400", async () => {
    const response = await usersig({ userId: "bob" }, NAMER, { Authorization: "Bearer x.y.z" });
    await problem(response, 400, "BAD_REQUEST");
  });
});

describe("bad input is never a 500", () => {
  it("a non-ASCII userId within 32 bytes is issued under a Unicode userIdPattern", async () => {
    const userId = "ü".repeat(16); // 32 bytes
    await expectSig(await usersig({ sdkAppId: APP_UNICODE, userId }), APP_UNICODE, userId, 86_400);
  });

  // BUG (src/http/schemas.ts, not fixed here): the request schema's userId is `.max(32)` in UTF-16
  // units, not bytes; 20 × "ü" is 40 bytes, passes the schema and the app's pattern, and signUserSig
  // then throws ERR_INVALID_INPUT, which becomes a 500 INTERNAL.
  it("a named userId over 32 UTF-8 bytes is 400", async () => {
    const response = await usersig({ sdkAppId: APP_UNICODE, userId: "ü".repeat(20) });
    const body = await problem(response, 400, "BAD_REQUEST");
    expect(body.field).toBe("userId");
  });

  // BUG (src/http/schemas.ts, not fixed here): strRoomId is measured with TextEncoder (a lone
  // surrogate becomes U+FFFD, 3 bytes) but never checked with isWellFormed(); signPrivateMapKey
  // refuses it with ERR_INVALID_INPUT, which becomes a 500 INTERNAL.
  it("a strRoomId with a lone surrogate is 400", async () => {
    const response = await broker.send("/v1/privatemapkey", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...withApiKey(NAMER) },
      body: `{"sdkAppId":${APP},"userId":"bob","strRoomId":"room\\ud800","privileges":1}`,
    });
    await problem(response, 400, "BAD_REQUEST");
  });
});

describe("the admin-identity guard for API keys", () => {
  it("naming a config admin is 403 ADMIN_IDENTITY_FORBIDDEN on /v1/usersig and /v1/privatemapkey", async () => {
    const sig = await usersig({ userId: "administrator" });
    const text = await sig.clone().text();
    await problem(sig, 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(text).not.toMatch(/userSig|privateMapKey/);
    await problem(await privatemapkey({ userId: "administrator" }), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("the guard is exact: a lookalike of an admin is not an admin", async () => {
    await expectSig(await usersig({ userId: "administrator2" }), APP, "administrator2", 3600);
  });

  it("a runtime admin added through the operator API is refused at once on both routes; removing it lifts that", async () => {
    const named = (userId: string) => usersig({ sdkAppId: APP_RUNTIME, userId });
    await expectSig(await named("ops-bot"), APP_RUNTIME, "ops-bot", 86_400);

    expect((await operator("PUT", `/v1/admin/apps/${APP_RUNTIME}/admins/ops-bot`)).status).toBe(201);
    await problem(await named("ops-bot"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    await problem(await privatemapkey({ sdkAppId: APP_RUNTIME, userId: "ops-bot" }), 403, "ADMIN_IDENTITY_FORBIDDEN");
    // the config admin stays refused alongside it
    await problem(await named("root"), 403, "ADMIN_IDENTITY_FORBIDDEN");

    expect((await operator("DELETE", `/v1/admin/apps/${APP_RUNTIME}/admins/ops-bot`)).status).toBe(204);
    await expectSig(await named("ops-bot"), APP_RUNTIME, "ops-bot", 86_400);
    await problem(await named("root"), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("runtime admins set by a bulk replace are refused too", async () => {
    const replaced = await operator("PUT", `/v1/admin/apps/${APP_RUNTIME}/admins`, { userIds: ["svc-a", "svc-b"] });
    expect(replaced.status).toBe(200);
    for (const userId of ["svc-a", "svc-b"]) {
      await problem(await usersig({ sdkAppId: APP_RUNTIME, userId }), 403, "ADMIN_IDENTITY_FORBIDDEN");
      await problem(await privatemapkey({ sdkAppId: APP_RUNTIME, userId }), 403, "ADMIN_IDENTITY_FORBIDDEN");
    }
    expect((await operator("PUT", `/v1/admin/apps/${APP_RUNTIME}/admins`, { userIds: [] })).status).toBe(200);
    await expectSig(await usersig({ sdkAppId: APP_RUNTIME, userId: "svc-a" }), APP_RUNTIME, "svc-a", 86_400);
  });
});
