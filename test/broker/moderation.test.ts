// Moderation routes end to end, in workerd with Miniflare's KV and Durable Objects (the app's
// ModerationObject holds the bans) and the fake Tencent Chat REST API: ban (kick, then mute) /
// unban / list / kick, USER_BANNED for every caller kind on both public routes (variants too),
// 409 for admins, who may moderate (operator, API keys with allowModeration, IdP role), the kick's
// failure modes (FAIL, unreachable, timeout, no chat), bad input, rate limits, audit lines naming the
// actor, and no secret in any captured output.
import { beforeAll, describe, expect, it } from "vitest";
import { apiKey, appConfig, brokerConfig, brokerSecrets, idpOf } from "../support/config.js";
import { captureConsole } from "../support/console.js";
import { moderationRoutes, startEachTestClean } from "../support/moderation-routes.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { expectNoSecrets } from "../support/secrets.js";
import { kickedUsers, scriptTencent, TENCENT_BASE, tencentCalls } from "../tencent/helpers.js";
import {
  expectIssued,
  fakeClock,
  freshIsolate,
  type IdpKey,
  ISSUER,
  type Json,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
  SECRET_KEY,
} from "./helpers.js";

const APP = 1400000100;
const NO_CHAT = 1400000101;
const OPERATOR_TOKEN = "operator-token-for-moderation-0123456789";
const MOD_KEY = "moderation-api-key-0123456789abcdef";
const NAMING_KEY = "naming-api-key-0123456789abcdef0123";
const PLAIN_KEY = "plain-api-key-0123456789abcdef012345";
const secrets = brokerSecrets([APP, NO_CHAT], OPERATOR_TOKEN);

let config: Json;
let idpKey: IdpKey;
const output = captureConsole();

const broker = brokerClient(() => config, secrets);
const op = bearer(OPERATOR_TOKEN);
const { bans, ban, unban, kick, unbanAll } = moderationRoutes(broker, APP, op);
const usersigFor = (userId: string, key = NAMING_KEY) =>
  broker.postJson("/v1/usersig", { sdkAppId: APP, userId }, withApiKey(key));

/** A ban's or kick's `steps` when every step went through and no room was known. */
const ALL_OK = { kick: { ok: true }, mute: { ok: true }, removals: [] };
const KICK_OK = { kick: { ok: true }, removals: [] };

const { auditLines } = output;

beforeAll(async () => {
  idpKey = await newIdpKey();
  await publishJwks(idpKey);
  const mod = await apiKey("mod", MOD_KEY, { allowModeration: true });
  config = brokerConfig([
    appConfig(APP, {
      admins: ["administrator", "Straße"],
      userIdPattern: "[\\p{L}\\p{N}_-]{1,32}",
      chat: { apiBaseUrl: TENCENT_BASE },
      moderation: { idpRole: { claim: "roles", value: "moderator" } },
      idp: idpOf(),
      guests: { enabled: true, userIdPrefix: "guest_" },
      privateMapKey: { guest: { enabled: true, rooms: "any", maxPrivileges: 255 } },
      cors: { origins: ["https://app.example.com"] },
      apiKeys: [mod, await apiKey("naming", NAMING_KEY, { allowUserId: true }), await apiKey("plain", PLAIN_KEY)],
    }),
    appConfig(NO_CHAT, { apiKeys: [mod] }),
  ]);
});

startEachTestClean(APP, { unbanAll }, output);

describe("ban", () => {
  it("201 with the ban and kicked: true; Tencent got a kick signed by the admin; 200 the second time", async () => {
    const first = await ban("mallory", { reason: "spam" });
    expect(first.status).toBe(201);
    expect(first.headers.get("Cache-Control")).toBe("no-store");
    const body = (await first.json()) as Json;
    expect(body).toEqual({
      userId: "mallory",
      reason: "spam",
      bannedAt: expect.any(Number),
      bannedBy: "operator",
      kicked: true,
      muted: true,
      removedFrom: [],
      steps: ALL_OK,
    });
    expect(Math.abs((body.bannedAt as number) - Date.now() / 1000)).toBeLessThan(5);
    const calls = await tencentCalls();
    expect(calls).toHaveLength(2);
    const signed = { sdkappid: String(APP), identifier: "administrator", contenttype: "json", usersigVerified: true };
    expect(calls[0]).toMatchObject({
      service: "im_open_login_svc",
      command: "kick",
      verdict: "ok",
      body: { UserID: "mallory" },
      query: signed,
    });
    // A permanent ban mutes for good (4294967295 s), in one-to-one and group messages alike.
    expect(calls[1]).toMatchObject({
      service: "openconfigsvr",
      command: "setnospeaking",
      verdict: "ok",
      body: { Set_Account: "mallory", C2CmsgNospeakingTime: 4294967295, GroupmsgNospeakingTime: 4294967295 },
      query: signed,
    });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const again = await ban("mallory", { expiresAt });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ userId: "mallory", kicked: true, muted: true, expiresAt });
    // A temporary one mutes until expiresAt.
    const seconds = (await tencentCalls()).at(-1)?.body?.C2CmsgNospeakingTime as number;
    expect(seconds).toBeGreaterThan(3590);
    expect(seconds).toBeLessThanOrEqual(3600);
  });

  it("the audit line names the actor, the target and the kick", async () => {
    await ban("mallory");
    const line = auditLines().find((l) => l.route === "/v1/admin/apps/:sdkAppId/bans/:userId");
    expect(line).toMatchObject({
      method: "PUT",
      status: 201,
      app: APP,
      callerKind: "operator",
      actor: "operator",
      userId: "mallory",
      outcome: "banned",
      kicked: true,
      muted: true,
      removedRooms: 0,
      tencentErrorCode: 0,
    });
  });

  it("a failed kick keeps the ban and says why (Tencent's code)", async () => {
    await scriptTencent({ kind: "fail", code: 70107, info: "account not imported" });
    const response = await ban("mallory");
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      kicked: false,
      kickErrorCode: 70107,
      kickError: "Tencent answered ErrorCode 70107",
    });
    await problem(await usersigFor("mallory"), 403, "USER_BANNED");
    expect(auditLines().find((l) => l.method === "PUT")).toMatchObject({ kicked: false, tencentErrorCode: 70107 });
  });

  it("Tencent's ErrorInfo never reaches the moderator (it may quote the request's query)", async () => {
    const echo = `bad request: ${TENCENT_BASE}/v4/im_open_login_svc/kick?usersig=eJwFAKEFAKEFAKE&identifier=administrator`;
    const fail = { kind: "fail", code: 70402, info: echo } as const;
    // The ban's kick and mute, then the kick.
    await scriptTencent(fail, fail, fail);
    for (const response of [await ban("mallory"), await kick("eve")]) {
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({
        kicked: false,
        kickErrorCode: 70402,
        kickError: "Tencent answered ErrorCode 70402",
      });
      for (const leak of ["usersig=", "eJwFAKE", "identifier=", TENCENT_BASE, "bad request"])
        expect(text).not.toContain(leak);
    }
  });

  it("Tencent unreachable (5xx twice) or hanging: the ban stands, kicked: false with the reason", async () => {
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 502 });
    expect(await (await ban("a")).json()).toMatchObject({
      kicked: false,
      kickError: "Tencent answered HTTP 502",
      muted: true,
      steps: { kick: { ok: false, reason: "Tencent answered HTTP 502", retrying: true }, mute: { ok: true } },
    });
    await scriptTencent({ kind: "hang", ms: 3_000 }, { kind: "hang", ms: 3_000 });
    expect(await (await ban("b")).json()).toMatchObject({
      kicked: false,
      kickError: "Tencent did not answer in time",
      steps: { kick: { ok: false, retrying: true } },
    });
    const listed = (await (await broker.get(bans(), op)).json()) as { bans: Json[] };
    expect(listed.bans.map((b) => b.userId).sort()).toEqual(["a", "b"]);
  });

  it("an app without chat: kicked: false, 'chat not configured'", async () => {
    const response = await ban("mallory", {}, op, NO_CHAT);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      kicked: false,
      kickError: "chat not configured",
      muted: false,
      steps: {
        kick: { ok: false, reason: "chat not configured", retrying: false },
        mute: { ok: false, reason: "chat not configured", retrying: false },
      },
    });
    expect(await tencentCalls()).toEqual([]);
  });

  it("admin identities and their case/Unicode variants: 409 ADMIN_NOT_BANNABLE, nothing stored or kicked", async () => {
    for (const id of ["administrator", "ADMINISTRATOR", "Straße", "STRASSE", "strasse", "ＳＴＲＡＳＳＥ"]) {
      await problem(await ban(id), 409, "ADMIN_NOT_BANNABLE");
    }
    expect(await tencentCalls()).toEqual([]);
    expect(await (await broker.get(bans(), op)).json()).toEqual({ bans: [] });
  });

  it("bad input: 400 with the field, 404 for an unknown app", async () => {
    expect((await problem(await ban("x", { expiresAt: 1000 }), 400, "BAD_REQUEST")).field).toBe("expiresAt");
    expect((await problem(await ban("x", { reason: "r".repeat(201) }), 400, "BAD_REQUEST")).field).toBe("reason");
    expect((await problem(await ban("x", { reason: "spam", until: 1 }), 400, "BAD_REQUEST")).field).toBe("until");
    expect((await problem(await ban("x".repeat(33)), 400, "BAD_REQUEST")).field).toBe("userId");
    await problem(await ban("x", {}, op, 1400009999), 404, "UNKNOWN_SDKAPPID");
    expect(await tencentCalls()).toEqual([]);
  });

  it("bad input that KV would refuse is a 400, not a 503: control characters, lone surrogates, expiresAt past 2038", async () => {
    for (const reason of ["\u0001".repeat(200), "spam\u0000", "a\u0085b", "\ud800spam", "spam\udfff"]) {
      const refusal = await problem(await ban("x", { reason }), 400, "BAD_REQUEST");
      expect(refusal.field).toBe("reason");
    }
    for (const expiresAt of [2 ** 31, 4_000_000_000]) {
      const refusal = await problem(await ban("x", { expiresAt }), 400, "BAD_REQUEST");
      expect(refusal.field).toBe("expiresAt");
      expect(refusal.detail).toContain("2147483647");
    }
    const longest = await ban("x", { reason: "語".repeat(200), expiresAt: 2 ** 31 - 1 });
    expect(longest.status).toBe(201);
    expect(await longest.json()).toMatchObject({ reason: "語".repeat(200), expiresAt: 2 ** 31 - 1 });
  });

  it("a path UserID that is not valid percent-encoding, or (to ban or kick) not the app's userIdPattern: 400", async () => {
    const put = (raw: string) => broker.putJson(`${bans()}/${raw}`, {}, op);
    const post = (raw: string) => broker.postJson(`/v1/admin/apps/${APP}/users/${raw}/kick`, undefined, op);
    const del = (raw: string) => broker.delete(`${bans()}/${raw}`, op);
    for (const raw of ["%E0%A4%A", "%ZZ", "a%", "%ED%A0%80"]) {
      expect((await problem(await put(raw), 400, "BAD_REQUEST")).field).toBe("userId");
      expect((await problem(await post(raw), 400, "BAD_REQUEST")).field).toBe("userId");
      expect((await problem(await del(raw), 400, "BAD_REQUEST")).field).toBe("userId");
    }
    // Valid UserIDs outside this app's pattern ([\p{L}\p{N}_-]{1,32}): the broker never issues them.
    for (const id of ["a b", "x.y", "100%"]) {
      expect((await problem(await ban(id), 400, "BAD_REQUEST")).field).toBe("userId");
      expect((await problem(await kick(id), 400, "BAD_REQUEST")).field).toBe("userId");
    }
    // …but an unban does not check the pattern (a ban made before it changed can be lifted).
    await problem(await unban("a b"), 404, "NOT_BANNED");
    // Percent-encoding that decodes is taken as the UserID.
    expect((await put("%E8%AA%9E")).status).toBe(201);
    expect(((await (await broker.get(bans(), op)).json()) as { bans: Json[] }).bans).toMatchObject([{ userId: "語" }]);
    expect(await kickedUsers()).toEqual(["語"]);
  });
});

describe("USER_BANNED on both public routes, for every caller kind", () => {
  it("an API key naming the user, or a case/Unicode variant of it", async () => {
    await ban("Mallory");
    for (const id of ["Mallory", "mallory", "MALLORY", "ＭＡＬＬＯＲＹ"]) {
      const refusal = await problem(await usersigFor(id), 403, "USER_BANNED");
      expect(JSON.stringify(refusal)).not.toContain("operator");
    }
    await problem(
      await broker.postJson(
        "/v1/privatemapkey",
        { sdkAppId: APP, userId: "mallory", strRoomId: "r", privileges: ["EnterRoom"] },
        withApiKey(NAMING_KEY),
      ),
      403,
      "USER_BANNED",
    );
    await expectIssued(await usersigFor("alice"), { sdkAppId: APP, userId: "alice", expireSeconds: 86400 });
  });

  it("an IdP user", async () => {
    await ban("eve");
    const token = await mintJwt(idpKey, { sub: "eve" });
    await problem(await broker.postJson("/v1/usersig", { sdkAppId: APP }, bearer(token)), 403, "USER_BANNED");
    await problem(
      await broker.postJson("/v1/privatemapkey", { sdkAppId: APP, roomId: 7, privileges: 2 }, bearer(token)),
      403,
      "USER_BANNED",
    );
  });

  it("a guest renewing with its ticket, on /v1/usersig and /v1/privatemapkey", async () => {
    const guest = (await (await broker.postJson("/v1/usersig", { sdkAppId: APP })).json()) as Json;
    expect(guest.userId).toMatch(/^guest_/);
    await ban(guest.userId as string);
    await problem(
      await broker.postJson("/v1/usersig", { sdkAppId: APP, guestTicket: guest.guestTicket }),
      403,
      "USER_BANNED",
    );
    await problem(
      await broker.postJson("/v1/privatemapkey", {
        sdkAppId: APP,
        guestTicket: guest.guestTicket,
        roomId: 7,
        privileges: 2,
      }),
      403,
      "USER_BANNED",
    );
  });

  it("unban lifts it at once (204); unbanning again is 404 NOT_BANNED", async () => {
    await ban("mallory");
    await problem(await usersigFor("mallory"), 403, "USER_BANNED");
    expect((await unban("mallory")).status).toBe(204);
    await expectIssued(await usersigFor("mallory"), { sdkAppId: APP, userId: "mallory", expireSeconds: 86400 });
    await problem(await unban("mallory"), 404, "NOT_BANNED");
  });

  it("a temporary ban ends at expiresAt", async () => {
    let now = Date.now();
    freshIsolate({ clock: () => now });
    await ban("temp", { expiresAt: Math.floor(now / 1000) + 120 });
    await problem(await usersigFor("temp"), 403, "USER_BANNED");
    now += 121_000;
    expect((await usersigFor("temp")).status).toBe(200);
  });
});

describe("list and kick", () => {
  it("GET lists the bans in force, newest first", async () => {
    await ban("first", { reason: "one" });
    await ban("second");
    const response = await broker.get(bans(), op);
    expect(response.status).toBe(200);
    const listed = (await response.json()) as { bans: Json[] };
    expect(listed.bans.map((b) => b.userId).sort()).toEqual(["first", "second"]);
    expect(listed.bans.find((b) => b.userId === "first")).toMatchObject({ reason: "one", bannedBy: "operator" });
  });

  it("POST kick: kicked without a ban; FAIL reported; no chat reported", async () => {
    expect(await (await kick("eve")).json()).toEqual({ userId: "eve", kicked: true, removedFrom: [], steps: KICK_OK });
    await expectIssued(await usersigFor("eve"), { sdkAppId: APP, userId: "eve", expireSeconds: 86400 });
    await scriptTencent({ kind: "fail", code: 70402, info: "bad parameter" });
    expect(await (await kick("eve")).json()).toMatchObject({ kicked: false, kickErrorCode: 70402 });
    expect(await (await kick("eve", op, NO_CHAT)).json()).toMatchObject({
      userId: "eve",
      kicked: false,
      kickError: "chat not configured",
      removedFrom: [],
    });
    expect(auditLines().filter((l) => l.route === "/v1/admin/apps/:sdkAppId/users/:userId/kick")).toMatchObject([
      { outcome: "kicked", actor: "operator", userId: "eve" },
      { outcome: "kick-failed", tencentErrorCode: 70402 },
      { outcome: "kick-failed" },
    ]);
  });
});

describe("admin identities are never kicked", () => {
  it("POST kick of an admin or a variant: 409 ADMIN_NOT_KICKABLE for every moderator; Tencent gets nothing", async () => {
    for (const id of ["administrator", "ADMINISTRATOR", "Straße", "STRASSE"]) {
      await problem(await kick(id), 409, "ADMIN_NOT_KICKABLE");
      await problem(await kick(id, withApiKey(MOD_KEY)), 409, "ADMIN_NOT_KICKABLE");
    }
    expect(await tencentCalls()).toEqual([]);
    // The broker's own admin sig still works: a later kick goes through.
    expect(await (await kick("eve")).json()).toMatchObject({ userId: "eve", kicked: true });
  });
});

describe("the broker's cached admin sig, refused by Tencent", () => {
  it("is dropped and the call retried once with a newly signed sig, which later calls reuse", async () => {
    const clock = fakeClock();
    freshIsolate({ clock: clock.read, chatTimeoutMs: 300 });
    expect((await kick("eve")).status).toBe(200);
    clock.advance(10_000);
    // As if a kick had voided it at Tencent.
    await scriptTencent({ kind: "fail", code: 70001, info: "UserSig expired" });
    expect(await (await kick("eve")).json()).toMatchObject({ userId: "eve", kicked: true });
    clock.advance(10_000);
    expect((await kick("eve")).status).toBe(200);
    const issued = (await tencentCalls()).map((c) => c.query.usersigIssuedAt);
    // The object's cached admin sig (maybe signed by an earlier test's call), refused, then one
    // signed at the refused call's time and reused.
    const t1 = Math.floor((clock.ms - 10_000) / 1000);
    expect(issued[1]).toBe(issued[0]);
    expect(issued.slice(2)).toEqual([t1, t1]);
  });
});

describe("who may moderate", () => {
  it("an API key with allowModeration; its name is the actor", async () => {
    const response = await ban("mallory", {}, withApiKey(MOD_KEY));
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ bannedBy: "apiKey:mod" });
    expect(auditLines().at(-1)).toMatchObject({ callerKind: "apiKey", keyName: "mod", actor: "apiKey:mod" });
    expect((await kick("eve", withApiKey(MOD_KEY))).status).toBe(200);
    expect((await unban("mallory", withApiKey(MOD_KEY))).status).toBe(204);
  });

  it("an API key without allowModeration: 403 MODERATION_NOT_ALLOWED; a wrong key: 401", async () => {
    await problem(await ban("mallory", {}, withApiKey(PLAIN_KEY)), 403, "MODERATION_NOT_ALLOWED");
    await problem(await ban("mallory", {}, withApiKey(NAMING_KEY)), 403, "MODERATION_NOT_ALLOWED");
    await problem(await ban("mallory", {}, withApiKey("not-a-key-0123456789abcdef0123456")), 401, "UNAUTHORIZED");
    expect(await tencentCalls()).toEqual([]);
  });

  it("an IdP user with the moderator role (a list or the value itself); the actor names them", async () => {
    const token = await mintJwt(idpKey, { sub: "mod-ann", roles: ["viewer", "moderator"] });
    const response = await ban("mallory", {}, bearer(token));
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ bannedBy: `idp:mod-ann@${ISSUER}` });
    expect(auditLines().at(-1)).toMatchObject({ callerKind: "idp", issuer: ISSUER, actor: `idp:mod-ann@${ISSUER}` });
    const single = await mintJwt(idpKey, { sub: "mod-bob", roles: "moderator" });
    expect((await broker.get(bans(), bearer(single))).status).toBe(200);
  });

  it("a banned IdP moderator (or a variant of their ID banned): 403 USER_BANNED, even to unban themselves", async () => {
    const token = await mintJwt(idpKey, { sub: "mod-carl", roles: ["moderator"] });
    const asCarl = bearer(token);
    expect((await ban("MOD-CARL")).status).toBe(201);
    await problem(await unban("MOD-CARL", asCarl), 403, "USER_BANNED");
    await problem(await ban("mallory", {}, asCarl), 403, "USER_BANNED");
    await problem(await kick("eve", asCarl), 403, "USER_BANNED");
    await problem(await broker.get(bans(), asCarl), 403, "USER_BANNED");
    const listed = (await (await broker.get(bans(), op)).json()) as { bans: Json[] };
    expect(listed.bans.map((b) => b.userId)).toEqual(["MOD-CARL"]);
    expect(await kickedUsers()).toEqual(["MOD-CARL"]);
  });

  it("an IdP user without the role: 403; a bad token: 401; no credentials: 401", async () => {
    const token = await mintJwt(idpKey, { sub: "eve", roles: ["viewer"], role: "moderator" });
    await problem(await ban("mallory", {}, bearer(token)), 403, "MODERATION_NOT_ALLOWED");
    await problem(await ban("mallory", {}, { Authorization: "Bearer not.a.jwt" }), 401, "UNAUTHORIZED");
    await problem(await ban("mallory", {}, {}), 401, "UNAUTHORIZED");
    await problem(await ban("mallory", {}, { ...bearer(OPERATOR_TOKEN), "X-Api-Key": MOD_KEY }), 400, "BAD_REQUEST");
    expect(await tencentCalls()).toEqual([]);
  });

  it("an app without an IdP moderator role takes only the operator's bearer token", async () => {
    const token = await mintJwt(idpKey, { sub: "mod-ann", roles: ["moderator"] });
    await problem(await ban("x", {}, bearer(token), NO_CHAT), 401, "UNAUTHORIZED");
    expect((await ban("x", {}, op, NO_CHAT)).status).toBe(201);
  });

  it("a short ADMIN_API_TOKEN authenticates no one: bans, unban, list and kick refuse it, as /admins does", async () => {
    const SHORT = "short-operator-token-0123"; // 25 characters, under the 32 the operator API needs
    const short = brokerClient(() => config, brokerSecrets([APP, NO_CHAT], SHORT));
    const send = (path: string, init: RequestInit & { json?: unknown } = {}) =>
      short.send(path, { ...init, headers: bearer(SHORT) });
    const disabled = await problem(await send(`/v1/admin/apps/${APP}/admins`), 403, "OPERATOR_API_DISABLED");
    expect(disabled.detail).toContain("32");
    for (const app of [APP, NO_CHAT]) {
      await problem(await send(`${bans(app)}/mallory`, { method: "PUT", json: {} }), 401, "UNAUTHORIZED");
      await problem(await send(`${bans(app)}/mallory`, { method: "DELETE" }), 401, "UNAUTHORIZED");
      await problem(await send(bans(app)), 401, "UNAUTHORIZED");
      await problem(await send(`/v1/admin/apps/${app}/users/mallory/kick`, { method: "POST" }), 401, "UNAUTHORIZED");
    }
    expect(await tencentCalls()).toEqual([]);
    expect((await usersigFor("mallory")).status).toBe(200);
  });

  it("API keys and IdP moderators are rate limited (moderation class); the operator is not", async () => {
    // A key of its own: other tests' moderation requests count in KV too.
    const LIMITED_KEY = "limited-moderation-key-0123456789abc";
    const limited = structuredClone(config) as { apps: Json[] };
    const app = limited.apps[0] as Json;
    app.rateLimits = { moderation: { apiKey: { windows: [{ seconds: 60, limit: 2 }] } } };
    app.apiKeys = [...(app.apiKeys as Json[]), await apiKey("limited", LIMITED_KEY, { allowModeration: true })];
    const put = (id: string, headers: Record<string, string>) =>
      brokerClient(limited, secrets).putJson(`${bans()}/${id}`, {}, headers);
    expect((await put("u1", withApiKey(LIMITED_KEY))).status).toBe(201);
    expect((await put("u2", withApiKey(LIMITED_KEY))).status).toBe(201);
    const refused = await put("u3", withApiKey(LIMITED_KEY));
    await problem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    for (const id of ["u4", "u5", "u6"]) expect((await put(id, op)).status).toBe(201);
  });
});

describe("a single-page app's moderator (CORS)", () => {
  it("preflight from a listed origin: the route's methods; the ban answers with ACAO", async () => {
    const preflight = await broker.send(`${bans()}/mallory`, {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Methods")).toBe("PUT, DELETE");
    expect(preflight.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    const token = await mintJwt(idpKey, { sub: "mod-ann", roles: ["moderator"] });
    const response = await ban("mallory", {}, { ...bearer(token), Origin: "https://app.example.com" });
    expect(response.status).toBe(201);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
  });

  it("an origin the app does not list: refused before anything is stored or kicked", async () => {
    const token = await mintJwt(idpKey, { sub: "mod-ann", roles: ["moderator"] });
    await problem(
      await ban("mallory", {}, { ...bearer(token), Origin: "https://evil.example" }),
      403,
      "ORIGIN_NOT_ALLOWED",
    );
    const preflight = await broker.send(`${bans()}/mallory`, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "PATCH" },
    });
    expect(preflight.status).toBe(403);
    expect(await tencentCalls()).toEqual([]);
  });
});

describe("captured output", () => {
  it("holds no admin sig, REST query string, key, token or operator token", async () => {
    // Exercise the paths that log: a ban, a kick with Tencent failing, a timeout, refusals.
    await ban("mallory");
    await scriptTencent({ kind: "http", status: 500 }, { kind: "http", status: 500 });
    await kick("eve");
    await problem(await usersigFor("mallory"), 403, "USER_BANNED");
    expectNoSecrets(output.all.join("\n"), [OPERATOR_TOKEN, MOD_KEY, NAMING_KEY, PLAIN_KEY, SECRET_KEY, TENCENT_BASE]);
  });
});
