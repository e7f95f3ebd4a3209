// Issue 18's hardening of moderation, end to end in workerd (Miniflare's KV, the fake Tencent):
// reasons in code points without bidi controls, stored names cut on a code point, UserIDs with
// white space at an edge refused on every route, one folding for ban, unban, kick and the guard,
// the ban cap, the operator's own rate limit, the gateway refusing admin targets, bounded audit lines.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { scriptTencent, setupTencent, TENCENT_BASE, tencentCalls } from "../tencent/helpers.js";
import {
  AUDIENCE,
  call,
  expectIssued,
  freshIsolate,
  type IdpKey,
  ISSUER,
  type Json,
  JWKS_URI,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
  SECRET_KEY,
  secretsFor,
  sha256Hex,
} from "./helpers.js";

const APP = 1400000180;
const OPERATOR_TOKEN = "operator-token-for-hardening-0123456789";
const MOD_KEY = "hardening-moderation-key-0123456789ab";
const NAMING_KEY = "hardening-naming-key-0123456789abcdef";
const CHAT_KEY = "hardening-chat-key-0123456789abcdef01";
const secrets = { ...secretsFor(APP), ADMIN_API_TOKEN: OPERATOR_TOKEN };

let config: Json;
let idpKey: IdpKey;
const output: string[] = [];

const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
const bansPath = `/v1/admin/apps/${APP}/bans`;
const ban = (userId: string, body: Json = {}, headers: Record<string, string> = op) =>
  call(config, `${bansPath}/${encodeURIComponent(userId)}`, { method: "PUT", json: body, headers }, secrets);
const unban = (userId: string, headers: Record<string, string> = op) =>
  call(config, `${bansPath}/${encodeURIComponent(userId)}`, { method: "DELETE", headers }, secrets);
const kick = (userId: string, headers: Record<string, string> = op) =>
  call(config, `/v1/admin/apps/${APP}/users/${encodeURIComponent(userId)}/kick`, { method: "POST", headers }, secrets);
const list = async () =>
  ((await (await call(config, bansPath, { headers: op }, secrets)).json()) as { bans: Json[] }).bans;
const usersigFor = (userId: string) =>
  call(config, "/v1/usersig", { json: { sdkAppId: APP, userId }, headers: { "X-Api-Key": NAMING_KEY } }, secrets);

function auditLines(): Json[] {
  return output
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Json)
    .filter((line) => line.event === "decision");
}

beforeAll(async () => {
  const log = (...args: unknown[]) => {
    output.push(args.map(String).join(" "));
  };
  vi.spyOn(console, "log").mockImplementation(log);
  vi.spyOn(console, "error").mockImplementation(log);
  vi.spyOn(console, "warn").mockImplementation(log);
  idpKey = await newIdpKey();
  await publishJwks(idpKey);
  config = {
    apps: [
      {
        sdkAppId: APP,
        admins: ["administrator"],
        // Spaces allowed by the app's own pattern: the broker still refuses them at an edge.
        userIdPattern: "[\\p{L}\\p{N}\\p{Zs}_-]{1,32}",
        chat: { apiBaseUrl: TENCENT_BASE },
        moderation: { idpRole: { claim: "roles", value: "moderator" } },
        idp: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }] },
        apiKeys: [
          { name: "mod", sha256: await sha256Hex(MOD_KEY), allowModeration: true },
          { name: "naming", sha256: await sha256Hex(NAMING_KEY), allowUserId: true },
          {
            name: "chat",
            sha256: await sha256Hex(CHAT_KEY),
            chatCommands: [
              "im_open_login_svc/kick",
              "im_open_login_svc/account_delete",
              "openconfigsvr/setnospeaking",
              "openim/sendmsg",
            ],
          },
        ],
      },
    ],
  };
});

afterAll(() => {
  vi.restoreAllMocks();
});

beforeEach(async () => {
  output.length = 0;
  freshIsolate({ chatTimeoutMs: 300 });
  await setupTencent([{ sdkAppId: APP, secretKey: SECRET_KEY, admins: ["administrator"] }]);
  for (const b of await list()) await unban(b.userId as string);
  output.length = 0;
});

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
