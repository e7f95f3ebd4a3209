// POST /v1/chat/{service}/{command}: the least-privilege gateway to Tencent Chat's REST API, against
// the fake Tencent. Allowed commands are forwarded as the admin and answered unchanged; everything
// else is refused before Tencent is called; Tencent down is 502/504 TENCENT_UNAVAILABLE with
// Retry-After; bodies up to 64 KiB; its own rate-limit class.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiKey, appConfig, brokerConfig, brokerSecrets, idpOf } from "../support/config.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { scriptTencent, setupTencent, TENCENT_BASE, tencentCalls } from "../tencent/helpers.js";
import { freshIsolate, type Json, mintJwt, newIdpKey, problem, publishJwks, SECRET_KEY } from "./helpers.js";

const APP = 1400000200;
const NO_CHAT = 1400000201;
const CHAT_KEY = "chat-gateway-key-0123456789abcdef012";
const OTHER_KEY = "other-gateway-key-0123456789abcdef01";
let config: Json;
const broker = brokerClient(() => config, brokerSecrets([APP, NO_CHAT]));

const post = (path: string, body: unknown, headers = withApiKey(CHAT_KEY)) => broker.postJson(path, body, headers);
/** A body sent as these bytes (not re-serialised). */
const postRaw = (path: string, raw: string) =>
  broker.send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...withApiKey(CHAT_KEY) },
    body: raw,
  });
const sendmsg = (body: unknown = { From_Account: "bot", To_Account: "alice", MsgRandom: 1 }) =>
  post(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, body);

beforeAll(async () => {
  config = brokerConfig([
    appConfig(APP, {
      admins: ["administrator"],
      chat: { apiBaseUrl: TENCENT_BASE, adminUserId: "administrator" },
      idp: idpOf(),
      apiKeys: [
        await apiKey("chat-bot", CHAT_KEY, { chatCommands: ["openim/sendmsg", "im_open_login_svc/account_import"] }),
        await apiKey("other", OTHER_KEY, { allowAdmin: true, allowModeration: true }),
      ],
    }),
    appConfig(NO_CHAT, { apiKeys: [await apiKey("chat-bot", CHAT_KEY, { chatCommands: ["openim/sendmsg"] })] }),
  ]);
});

beforeEach(async () => {
  freshIsolate({ chatTimeoutMs: 300 });
  await setupTencent([{ sdkAppId: APP, secretKey: SECRET_KEY, admins: ["administrator"] }]);
});

describe("allowed commands", () => {
  it("forwards the body unchanged as the admin and answers Tencent's body unchanged with 200", async () => {
    await scriptTencent({ kind: "ok", extra: { MsgTime: 1700000000, MsgKey: "k1" } });
    // A number beyond 2^53 keeps its digits: the body is forwarded as sent.
    const raw = '{"From_Account":"bot","To_Account":"alice","MsgSeq":12345678901234567890}';
    const response = await postRaw(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, raw);
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({
      ActionStatus: "OK",
      ErrorInfo: "",
      ErrorCode: 0,
      MsgTime: 1700000000,
      MsgKey: "k1",
    });
    const [sent] = await tencentCalls();
    expect(sent).toMatchObject({
      service: "openim",
      command: "sendmsg",
      verdict: "ok",
      query: { sdkappid: String(APP), identifier: "administrator", usersigVerified: true, contenttype: "json" },
      body: { From_Account: "bot", To_Account: "alice" },
    });
  });

  it("a FAIL answer is Tencent's answer: 200, ActionStatus and all", async () => {
    await scriptTencent({ kind: "fail", code: 90001, info: "JSON format error" });
    const response = await sendmsg();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ActionStatus: "FAIL", ErrorCode: 90001, ErrorInfo: "JSON format error" });
  });

  it("sdkAppId is required when the broker serves several apps, and must be a number", async () => {
    await problem(await post("/v1/chat/openim/sendmsg", {}), 400, "BAD_REQUEST");
    for (const raw of ["abc", "", "1e9", "0x53724E0C", `${APP}.0`, `%20${APP}`, `+${APP}`, "99999999999"]) {
      const refusal = await problem(await post(`/v1/chat/openim/sendmsg?sdkAppId=${raw}`, {}), 400, "BAD_REQUEST");
      expect(refusal.field).toBe("sdkAppId");
    }
    // A plain decimal that is no app of this broker: 404.
    await problem(await post("/v1/chat/openim/sendmsg?sdkAppId=1400009999", {}), 404, "UNKNOWN_SDKAPPID");
    expect(await tencentCalls()).toEqual([]);
  });

  it("bodies up to 64 KiB are forwarded; larger is 413; not an object is 400", async () => {
    const big = { Text: "x".repeat(40_000) };
    expect((await sendmsg(big)).status).toBe(200);
    await problem(await sendmsg({ Text: "x".repeat(70_000) }), 413, "BODY_TOO_LARGE");
    await problem(await sendmsg([1, 2]), 400, "BAD_REQUEST");
    await problem(await postRaw(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, "{not json"), 400, "BAD_REQUEST");
    expect(await tencentCalls()).toHaveLength(1);
  });
});

describe("refusals, before Tencent is called", () => {
  it("a command not on the key's list: 403 CHAT_COMMAND_NOT_ALLOWED", async () => {
    await problem(
      await post(`/v1/chat/group_open_http_svc/destroy_group?sdkAppId=${APP}`, {}),
      403,
      "CHAT_COMMAND_NOT_ALLOWED",
    );
    await problem(
      await post(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, {}, withApiKey(OTHER_KEY)),
      403,
      "CHAT_COMMAND_NOT_ALLOWED",
    );
    expect(await tencentCalls()).toEqual([]);
  });

  it("the key's list names whole service/command pairs: the same service or command is not enough", async () => {
    // CHAT_KEY lists openim/sendmsg and im_open_login_svc/account_import, nothing else.
    for (const name of [
      "im_open_login_svc/kick",
      "im_open_login_svc/account_delete",
      "im_open_login_svc/account_import2",
      "openim/account_import",
      "im_open_login_svc/sendmsg",
    ]) {
      await problem(
        await post(`/v1/chat/${name}?sdkAppId=${APP}`, { UserID: "alice" }),
        403,
        "CHAT_COMMAND_NOT_ALLOWED",
      );
    }
    expect(await tencentCalls()).toEqual([]);
    // The listed pair itself is forwarded (so the refusals above are the list's doing).
    expect((await post(`/v1/chat/im_open_login_svc/account_import?sdkAppId=${APP}`, { UserID: "alice" })).status).toBe(
      200,
    );
    expect((await tencentCalls()).map((sent) => `${sent.service}/${sent.command}`)).toEqual([
      "im_open_login_svc/account_import",
    ]);
  });

  it("names that are not Tencent's: 404", async () => {
    await problem(await post(`/v1/chat/openim/send-msg?sdkAppId=${APP}`, {}), 404, "NOT_FOUND");
    expect(await tencentCalls()).toEqual([]);
  });

  it("no or a wrong API key: 401; an IdP token is not accepted here", async () => {
    const key = await newIdpKey();
    await publishJwks(key);
    const token = await mintJwt(key, { sub: "alice" });
    await problem(await post(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, {}, {}), 401, "UNAUTHORIZED");
    await problem(await post(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, {}, bearer(token)), 401, "UNAUTHORIZED");
    await problem(
      await post(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`, {}, withApiKey("x".repeat(40))),
      401,
      "UNAUTHORIZED",
    );
    expect(await tencentCalls()).toEqual([]);
  });

  it("an app without chat: 404 CHAT_NOT_CONFIGURED", async () => {
    await problem(await post(`/v1/chat/openim/sendmsg?sdkAppId=${NO_CHAT}`, {}), 404, "CHAT_NOT_CONFIGURED");
  });

  it("GET is 405 with Allow: POST", async () => {
    const response = await broker.get(`/v1/chat/openim/sendmsg?sdkAppId=${APP}`);
    await problem(response, 405, "METHOD_NOT_ALLOWED");
    expect(response.headers.get("Allow")).toBe("POST");
  });
});

describe("Tencent unavailable", () => {
  it("5xx, then OK: retried once, 200", async () => {
    await scriptTencent({ kind: "http", status: 503 });
    expect((await sendmsg()).status).toBe(200);
    expect(await tencentCalls()).toHaveLength(2);
  });

  it("5xx twice: 502 TENCENT_UNAVAILABLE with Retry-After", async () => {
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 500 });
    const response = await sendmsg();
    await problem(response, 502, "TENCENT_UNAVAILABLE");
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("no answer in time, twice: 504 TENCENT_UNAVAILABLE with Retry-After", async () => {
    await scriptTencent({ kind: "hang", ms: 3_000 }, { kind: "hang", ms: 3_000 });
    const response = await sendmsg();
    await problem(response, 504, "TENCENT_UNAVAILABLE");
    expect(response.headers.get("Retry-After")).toMatch(/^\d+$/);
  });

  it("a try-again code, then OK: retried once", async () => {
    await scriptTencent({ kind: "fail", code: 70169 });
    expect(await (await sendmsg()).json()).toMatchObject({ ActionStatus: "OK" });
  });
});

describe("rate limit", () => {
  it("the chat class, per API key: 429 with Retry-After past the limit", async () => {
    // A key of its own: the other tests' calls count in KV too.
    const LIMITED_KEY = "limited-gateway-key-0123456789abcdef";
    const limited = structuredClone(config) as { apps: Json[] };
    const app = limited.apps[0] as Json;
    app.rateLimits = { chat: { apiKey: { windows: [{ seconds: 60, limit: 2 }] } } };
    app.apiKeys = [
      ...(app.apiKeys as Json[]),
      await apiKey("limited", LIMITED_KEY, { chatCommands: ["im_open_login_svc/account_import"] }),
    ];
    const limitedBroker = brokerClient(limited, brokerSecrets([APP, NO_CHAT]));
    const send = () =>
      limitedBroker.postJson(
        `/v1/chat/im_open_login_svc/account_import?sdkAppId=${APP}`,
        { UserID: "u" },
        withApiKey(LIMITED_KEY),
      );
    expect((await send()).status).toBe(200);
    const second = await send();
    expect(second.status).toBe(200);
    expect(second.headers.get("RateLimit-Policy")).toContain("chat-apikey");
    const refused = await send();
    await problem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(await tencentCalls()).toHaveLength(2);
  });
});

describe("OpenAPI", () => {
  it("describes the moderation routes and the gateway, with their schemas", async () => {
    const doc = (await (await broker.get("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths["/v1/admin/apps/{sdkAppId}/bans/{userId}"] ?? {})).toEqual(
      expect.arrayContaining(["put", "delete"]),
    );
    expect(doc.paths["/v1/admin/apps/{sdkAppId}/bans"]?.get).toBeDefined();
    expect(doc.paths["/v1/admin/apps/{sdkAppId}/users/{userId}/kick"]?.post).toBeDefined();
    expect(Object.keys(doc.paths["/v1/chat/{service}/{command}"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "403", "413", "502", "504"]),
    );
    for (const name of ["BanRequest", "BanResponse", "BansResponse", "KickResponse", "ChatRequest", "ChatResponse"]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
  });
});
