// The configuration of moderation and the Chat REST API: `chat`, `moderation`, and the API keys'
// `allowModeration` and `chatCommands`. Runs under plain Node against the schema the Worker uses.
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";

const HASH = "a".repeat(64);
const parse = (app: Record<string, unknown>) => configSchema.safeParse({ apps: [{ sdkAppId: 1400000001, ...app }] });
const issue = (app: Record<string, unknown>) => {
  const result = parse(app);
  if (result.success) throw new Error("expected a refusal");
  return { path: result.error.issues[0]?.path.join("."), message: result.error.issues[0]?.message };
};

describe("chat", () => {
  it("accepts Tencent's regional hosts, any https origin, and loopback http with a port", () => {
    for (const apiBaseUrl of [
      "https://console.tim.qq.com",
      "https://adminapisgp.im.qcloud.com",
      "https://adminapiusa.im.qcloud.com/",
      "https://proxy.example.com:8443",
      "http://127.0.0.1:8788",
      "http://localhost:9000",
    ]) {
      expect(parse({ chat: { apiBaseUrl } }).success, apiBaseUrl).toBe(true);
    }
  });

  it("refuses plain http elsewhere, paths, queries, credentials and non-URLs", () => {
    for (const apiBaseUrl of [
      "http://adminapisgp.im.qcloud.com",
      "http://127.0.0.1",
      "http://10.0.0.1:80",
      "https://adminapisgp.im.qcloud.com/v4",
      "https://adminapisgp.im.qcloud.com?x=1",
      "https://user:pw@adminapisgp.im.qcloud.com",
      "adminapisgp.im.qcloud.com",
      "",
    ]) {
      expect(issue({ chat: { apiBaseUrl } }).path, apiBaseUrl).toBe("apps.0.chat.apiBaseUrl");
    }
  });

  it("adminUserId defaults to the first admin and must be an admin", () => {
    const ok = parse({
      admins: ["boss", "ops"],
      chat: { apiBaseUrl: "https://console.tim.qq.com", adminUserId: "ops" },
    });
    expect(ok.success).toBe(true);
    expect(issue({ admins: ["boss"], chat: { apiBaseUrl: "https://console.tim.qq.com", adminUserId: "eve" } })).toEqual(
      {
        path: "apps.0.chat.adminUserId",
        message: "must be one of the app's admins",
      },
    );
    expect(issue({ admins: [], chat: { apiBaseUrl: "https://console.tim.qq.com" } }).path).toBe("apps.0.chat");
    expect(issue({ chat: { apiBaseUrl: "https://console.tim.qq.com", extra: 1 } }).path).toBe("apps.0.chat");
  });
});

describe("API keys and moderation", () => {
  it("allowModeration and chatCommands default to off and empty", () => {
    const result = parse({ apiKeys: [{ name: "k", sha256: HASH }] });
    expect(result.success && result.data.apps[0]?.apiKeys[0]).toMatchObject({
      allowModeration: false,
      chatCommands: [],
    });
  });

  it("chatCommands are exact service/command names", () => {
    expect(
      parse({
        apiKeys: [{ name: "k", sha256: HASH, chatCommands: ["openim/sendmsg", "im_open_login_svc/account_import"] }],
      }).success,
    ).toBe(true);
    for (const command of [
      "openim",
      "openim/*",
      "openim/send msg",
      "/sendmsg",
      "openim/sendmsg/x",
      "v4/openim/sendmsg",
    ]) {
      expect(issue({ apiKeys: [{ name: "k", sha256: HASH, chatCommands: [command] }] }).path, command).toBe(
        "apps.0.apiKeys.0.chatCommands.0",
      );
    }
  });

  it("moderation.idpRole names a claim and a value", () => {
    expect(parse({ moderation: { idpRole: { claim: "roles", value: "moderator" } } }).success).toBe(true);
    expect(issue({ moderation: { idpRole: { claim: "", value: "moderator" } } }).path).toBe(
      "apps.0.moderation.idpRole.claim",
    );
    expect(issue({ moderation: { role: "x" } }).path).toBe("apps.0.moderation");
  });
});
