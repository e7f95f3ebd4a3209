// Issue 18's hardening of moderation, end to end in workerd (Miniflare's KV and Durable Objects, the
// fake Tencent):
// reasons in code points without bidi controls, stored names cut on a code point, UserIDs with
// white space at an edge refused on every route, one folding for ban, unban, kick and the guard,
// the ban cap, the operator's own rate limit, the gateway refusing admin targets, bounded audit lines.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { BANS_MAX } from "../../src/bans/store.js";
import { apiKey, appConfig, brokerConfig, brokerSecrets, idpOf } from "../support/config.js";
import { captureConsole } from "../support/console.js";
import { moderationRoutes, startEachTestClean } from "../support/moderation-routes.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { kickedUsers, scriptTencent, TENCENT_BASE, tencentCalls } from "../tencent/helpers.js";
import {
  expectIssued,
  freshIsolate,
  type IdpKey,
  type Json,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
} from "./helpers.js";

const APP = 1400000180;
const OPERATOR_TOKEN = "operator-token-for-hardening-0123456789";
const MOD_KEY = "hardening-moderation-key-0123456789ab";
const NAMING_KEY = "hardening-naming-key-0123456789abcdef";
const CHAT_KEY = "hardening-chat-key-0123456789abcdef01";
const secrets = brokerSecrets([APP], OPERATOR_TOKEN);

let config: Json;
let idpKey: IdpKey;
const output = captureConsole();
const { auditLines } = output;

const broker = brokerClient(() => config, secrets);
const op = bearer(OPERATOR_TOKEN);
const { ban, unban, kick, list, unbanAll } = moderationRoutes(broker, APP, op);
const usersigFor = (userId: string) =>
  broker.postJson("/v1/usersig", { sdkAppId: APP, userId }, withApiKey(NAMING_KEY));

beforeAll(async () => {
  idpKey = await newIdpKey();
  await publishJwks(idpKey);
  config = brokerConfig(
    appConfig(APP, {
      admins: ["administrator"],
      // This file makes more operator calls a minute than the default allows; the limit is tested on its own app.
      rateLimits: { operator: false },
      // Spaces allowed by the app's own pattern: the broker still refuses them at an edge.
      userIdPattern: "[\\p{L}\\p{M}\\p{N}\\p{Zs}\\u200b_-]{1,32}",
      chat: { apiBaseUrl: TENCENT_BASE },
      moderation: { idpRole: { claim: "roles", value: "moderator" } },
      idp: idpOf(),
      apiKeys: [
        await apiKey("mod", MOD_KEY, { allowModeration: true }),
        await apiKey("naming", NAMING_KEY, { allowUserId: true }),
        await apiKey("chat", CHAT_KEY, {
          chatCommands: [
            "im_open_login_svc/kick",
            "im_open_login_svc/account_delete",
            "openconfigsvr/setnospeaking",
            "openim/sendmsg",
          ],
        }),
      ],
    }),
  );
});

startEachTestClean(APP, { unbanAll }, output);

describe("reasons and stored names", () => {
  it("a reason is counted in code points: 200 emoji (400 UTF-16 units) are taken, 201 are not", async () => {
    const emoji = "\u{1F600}";
    const taken = await ban("mallory", { reason: emoji.repeat(200) });
    expect(taken.status).toBe(201);
    expect(((await taken.json()) as Json).reason).toBe(emoji.repeat(200));
    await problem(await ban("mallory", { reason: emoji.repeat(201) }), 400, "BAD_REQUEST");
    expect((await ban("mallory", { reason: `${"a".repeat(199)}${emoji}` })).status).toBe(200);
  });

  it("bidi controls in a reason are refused", async () => {
    for (const control of ["\u202e", "\u202a", "\u2066", "\u2069", "\u200f", "\u061c"]) {
      const body = await problem(await ban("mallory", { reason: `spam ${control}gnp.exe` }), 400, "BAD_REQUEST");
      expect(JSON.stringify(body)).toContain("reason");
    }
    expect(await list()).toEqual([]);
  });
});

describe("white space at an edge of a UserID: invalid on every route", () => {
  const spaced = ["administrator ", " administrator", "administrator\u00a0", "e1_x\u3000", "\u2003e1_x", "e1_x\u200b"];

  it("ban, unban, kick, and a named UserSig refuse it (400, field userId); nothing reaches Tencent", async () => {
    expect((await ban("e1_x")).status).toBe(201);
    for (const id of spaced) {
      for (const response of [await ban(id), await unban(id), await kick(id), await usersigFor(id)]) {
        const body = await problem(response, 400, "BAD_REQUEST");
        expect(JSON.stringify(body)).toContain("userId");
      }
    }
    expect(await kickedUsers()).toEqual(["e1_x"]);
    expect((await list()).map((b) => b.userId)).toEqual(["e1_x"]);
  });

  it("an IdP user whose ID has one is refused a UserSig", async () => {
    const token = await mintJwt(idpKey, { sub: "alice\u00a0" });
    await problem(await broker.postJson("/v1/usersig", { sdkAppId: APP }, bearer(token)), 403, "USERID_NOT_ALLOWED");
  });
});

describe("one folding for ban, unban, kick and the guard", () => {
  it("a ban of a variant is the same ban: updated under the stored ID; that ID and the variant are kicked", async () => {
    expect((await ban("mallory", { reason: "first" })).status).toBe(201);
    const again = await ban("\uff2d\uff21\uff2c\uff2c\uff2f\uff32\uff39", { reason: "full-width" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ userId: "mallory", reason: "full-width", kicked: true });
    // The variant is another account at Tencent (IDs are case-sensitive): its sessions end too.
    expect(await kickedUsers()).toEqual(["mallory", "mallory", "\uff2d\uff21\uff2c\uff2c\uff2f\uff32\uff39"]);
    expect((await list()).map((b) => [b.userId, b.reason])).toEqual([["mallory", "full-width"]]);
  });

  it("kick of a variant of a banned user kicks the stored ID and the variant", async () => {
    await ban("mallory");
    const kicked = await kick("MALLORY");
    expect(await kicked.json()).toMatchObject({ userId: "mallory", kicked: true });
    expect(await kickedUsers()).toEqual(["mallory", "mallory", "MALLORY"]);
    // Not banned: the ID as named.
    expect(await (await kick("Trent")).json()).toMatchObject({ userId: "Trent", kicked: true });
  });

  it("unban finds the ban by any variant it matches, and the user is issued again", async () => {
    await ban("mallory");
    await problem(await usersigFor("Mallory"), 403, "USER_BANNED");
    expect((await unban("Mallory")).status).toBe(204);
    expect(await list()).toEqual([]);
    await expectIssued(await usersigFor("mallory"), { sdkAppId: APP, userId: "mallory", expireSeconds: 86400 });
    await problem(await unban("mallory"), 404, "NOT_BANNED");
  });

  it("combining marks compose (é ≡ e + U+0301) but are not removed (é ≠ e); invisible characters are", async () => {
    await ban("jos\u00e9");
    await problem(await usersigFor("jose\u0301"), 403, "USER_BANNED");
    expect((await usersigFor("jose")).status).toBe(200);
    await problem(await ban("admin\u200bistrator"), 409, "ADMIN_NOT_BANNABLE");
  });
});

describe("the cap, over HTTP", () => {
  it("past BANS_MAX in KV (isolates at the cap at once, before the object): all moved over and enforced; writes get 409", async () => {
    // An app whose object has never been called: its first call moves KV's bans over.
    const CAP_APP = 1400000181;
    const capConfig = { apps: [{ ...(config.apps as Json[])[0], sdkAppId: CAP_APP }] };
    const capBroker = brokerClient(() => capConfig, brokerSecrets([CAP_APP], OPERATOR_TOKEN));
    const capUsersig = (userId: string) =>
      capBroker.postJson("/v1/usersig", { sdkAppId: CAP_APP, userId }, withApiKey(NAMING_KEY));
    const kv = env.ADMINS;
    const nowSeconds = Math.floor(Date.now() / 1000);
    const ids = Array.from({ length: BANS_MAX + 1 }, (_, i) => `over${i}`);
    await kv.put(`bans-exist/v1/${CAP_APP}`, "1");
    try {
      for (let i = 0; i < ids.length; i += 500) {
        await Promise.all(
          ids
            .slice(i, i + 500)
            .map((id) => kv.put(`bans/v1/${CAP_APP}/${id}`, "", { metadata: { b: nowSeconds, by: "operator" } })),
        );
      }
      // A cold isolate: issuance lists every ban, however many (no 503 BAN_LIST_UNAVAILABLE).
      freshIsolate();
      await expectIssued(await capUsersig("innocent"), { sdkAppId: CAP_APP, userId: "innocent", expireSeconds: 86400 });
      await problem(await capUsersig(`over${BANS_MAX}`), 403, "USER_BANNED");
      await problem(await capUsersig("OVER0"), 403, "USER_BANNED");
      const put = await capBroker.putJson(`/v1/admin/apps/${CAP_APP}/bans/one-more`, {}, op);
      await problem(put, 409, "BANS_FULL");
      const listed = await capBroker.get(`/v1/admin/apps/${CAP_APP}/bans`, op);
      expect(((await listed.json()) as { bans: Json[] }).bans.length).toBe(BANS_MAX + 1);
    } finally {
      const keys = ids.map((id) => `bans/v1/${CAP_APP}/${id}`);
      for (let i = 0; i < keys.length; i += 500) await Promise.all(keys.slice(i, i + 500).map((k) => kv.delete(k)));
    }
  }, 120_000);
});

describe("the Chat REST gateway and admin accounts", () => {
  const gateway = (command: string, body: Json) => broker.postJson(`/v1/chat/${command}`, body, withApiKey(CHAT_KEY));

  it("refuses, with 409 CHAT_TARGET_ADMIN, a command that acts on an admin account; nothing is sent", async () => {
    for (const [command, body] of [
      ["im_open_login_svc/kick", { UserID: "administrator" }],
      ["im_open_login_svc/kick", { UserID: "Administrator " }],
      ["im_open_login_svc/account_delete", { DeleteItem: [{ UserID: "administrator" }] }],
      ["openconfigsvr/setnospeaking", { Set_Account: "ADMINISTRATOR", C2CmsgNospeakingTime: 60 }],
    ] as const) {
      await problem(await gateway(command, body), 409, "CHAT_TARGET_ADMIN");
    }
    // A duplicate member: what is checked (the last) is what is sent.
    const duplicate = await broker.send("/v1/chat/im_open_login_svc/kick", {
      method: "POST",
      body: '{"UserID":"administrator","UserID":"mallory"}',
      headers: { ...withApiKey(CHAT_KEY), "Content-Type": "application/json" },
    });
    expect(duplicate.status).toBe(200);
    expect((await tencentCalls()).map((c) => c.text)).toEqual(['{"UserID":"mallory"}']);
  });

  it("forwards the rest; Tencent's answer comes back unchanged, and its ErrorInfo stays out of the logs", async () => {
    expect((await gateway("openim/sendmsg", { From_Account: "administrator", To_Account: "bob" })).status).toBe(200);
    await scriptTencent({ kind: "fail", code: 70107, info: "ErrorInfo-text-never-logged" });
    const answer = await gateway("im_open_login_svc/kick", { UserID: "mallory" });
    expect(await answer.json()).toMatchObject({
      ActionStatus: "FAIL",
      ErrorCode: 70107,
      ErrorInfo: "ErrorInfo-text-never-logged",
    });
    expect(auditLines().at(-1)).toMatchObject({ chatCommand: "im_open_login_svc/kick", tencentErrorCode: 70107 });
    expect(output.lines.join("\n")).not.toContain("ErrorInfo-text-never-logged");
  });
});

describe("audit lines", () => {
  it("bound every field a caller controls, cut on a code point (a 2,000-character IdP sub)", async () => {
    const sub = `${"s".repeat(63)}\u{1F600}${"s".repeat(1990)}`;
    const moderator = await mintJwt(idpKey, { sub, roles: ["moderator"] });
    expect((await ban("mallory", {}, bearer(moderator))).status).toBe(201);
    const viewer = await mintJwt(idpKey, { sub, roles: ["viewer"] });
    await problem(await ban("mallory", {}, bearer(viewer)), 403, "MODERATION_NOT_ALLOWED");
    const [banned, refused] = auditLines().slice(-2) as [Json, Json];
    for (const [line, field, max] of [
      [banned, "actor", 160],
      [refused, "reason", 300],
    ] as const) {
      const value = line[field] as string;
      expect(value.isWellFormed()).toBe(true);
      expect([...value].length).toBe(max + 1);
      expect(value.endsWith("…")).toBe(true);
    }
    // The emoji at the cut of a UserID: kept whole or dropped, never halved.
    const named = await usersigFor(sub.slice(0, 70));
    expect(named.status).toBe(400);
    const userId = auditLines().at(-1)?.userId as string | undefined;
    if (userId !== undefined) expect(userId.isWellFormed()).toBe(true);
    expect(JSON.stringify(auditLines())).not.toContain("s".repeat(400));
  });
});

describe("the operator's own rate limit", () => {
  it("refuses the operator past rateLimits.operator (429, RateLimit headers), on bans and admin edits", async () => {
    const LIMITED = APP + 3;
    const base = (config.apps as Json[])[0] as Json;
    const limited = brokerClient(
      brokerConfig({
        ...base,
        sdkAppId: LIMITED,
        rateLimits: { operator: { operator: { windows: [{ seconds: 60, limit: 3 }] } } },
      }),
      brokerSecrets([APP, LIMITED], OPERATOR_TOKEN),
    );
    const put = (id: string) => limited.putJson(`/v1/admin/apps/${LIMITED}/bans/${id}`, {}, op);
    for (const id of ["o1", "o2", "o3"]) expect((await put(id)).status).toBe(201);
    const refused = await put("o4");
    await problem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("RateLimit-Policy")).toContain("operator-operator");
    const adminEdit = await limited.putJson(`/v1/admin/apps/${LIMITED}/admins/helper`, undefined, op);
    await problem(adminEdit, 429, "RATE_LIMITED");
    // Another app (this file's, whose operator limit is off) is not affected.
    expect((await ban("o5")).status).toBe(201);
  });
});
