// Key rotation, in workerd: two API keys may share a name while a backend moves from the old key to
// the new one (one caller: the same rate-limit subject, the same audit name), and what a change of
// SECRET_KEY_<id> does to guest tickets (README, Deploying: rotating keys).
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { checkConfig } from "../../src/config/explain.js";
import { call, type Json, problem, secretsFor, sha256Hex } from "./helpers.js";

const APP = 1400000301;
const GUEST_APP = 1400000302;
const OLD_KEY = "rotation-old-key-0123456789abcdef0123456789";
const NEW_KEY = "rotation-new-key-0123456789abcdef0123456789";
const OTHER_SECRET = "another-tencent-secret-key-0123456789abcdef";

let config: Json;

beforeAll(async () => {
  config = {
    apps: [
      {
        sdkAppId: APP,
        apiKeys: [
          { name: "chat-server", sha256: await sha256Hex(OLD_KEY), allowUserId: true },
          { name: "chat-server", sha256: await sha256Hex(NEW_KEY), allowUserId: true },
        ],
        rateLimits: {
          enabled: true,
          usersig: { apiKey: { windows: [{ seconds: 3600, limit: 3 }], failMode: "open" } },
        },
      },
      { sdkAppId: GUEST_APP, guests: { enabled: true } },
    ],
  };
});

afterEach(() => {
  vi.restoreAllMocks();
});

const asKey = (key: string, userId: string) =>
  call(
    config,
    "/v1/usersig",
    { json: { sdkAppId: APP, userId }, headers: { "X-Api-Key": key } },
    secretsFor(APP, GUEST_APP),
  );

describe("two API keys with one name (a rotation)", () => {
  it("the config allows it only for two keys with the same permissions", async () => {
    const key = (name: string, hash: string, extra: Json = {}) => ({ name, sha256: hash, ...extra });
    const [a, b, c] = await Promise.all([sha256Hex("a"), sha256Hex("b"), sha256Hex("c")]);
    const app = (apiKeys: unknown[]) => checkConfig({ apps: [{ sdkAppId: APP, apiKeys }] });
    expect(app([key("s", a, { allowUserId: true }), key("s", b, { allowUserId: true })]).ok).toBe(true);
    expect(
      app([key("s", a, { chatCommands: ["openim/sendmsg"] }), key("s", b, { chatCommands: ["openim/sendmsg"] })]).ok,
    ).toBe(true);
    expect(app([key("s", a, { allowUserId: true }), key("s", b)]).errors).toEqual([
      {
        field: "apps[0].apiKeys[1].name",
        message: "shares its name with apiKeys[0] (a rotation) but not its permissions: allow exactly the same",
      },
    ]);
    expect(app([key("s", a), key("s", b, { chatCommands: ["openim/sendmsg"] })]).ok).toBe(false);
    expect(app([key("s", a), key("s", b), key("s", c)]).errors).toEqual([
      {
        field: "apps[0].apiKeys[2].name",
        message: "at most two API keys may share a name (the old and the new key of a rotation)",
      },
    ]);
    expect(app([key("s", a), key("t", a)]).errors).toEqual([
      { field: "apps[0].apiKeys[1].sha256", message: "duplicate API key hash" },
    ]);
  });

  it("both keys work, count against one rate-limit subject and are audited under one name", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const answers = [await asKey(OLD_KEY, "alice"), await asKey(NEW_KEY, "alice"), await asKey(OLD_KEY, "bob")];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    // One subject: the third request of the window left nothing, whichever key asks next.
    expect(answers.map((r) => r.headers.get("RateLimit"))).toEqual([
      expect.stringMatching(/r=2\b/),
      expect.stringMatching(/r=1\b/),
      expect.stringMatching(/r=0\b/),
    ]);
    await problem(await asKey(NEW_KEY, "carol"), 429, "RATE_LIMITED");
    const audited = lines
      .map((line) => JSON.parse(line) as Json)
      .filter((line) => line.event === "decision" && line.app === APP);
    expect(audited.map((line) => line.keyName)).toEqual(["chat-server", "chat-server", "chat-server", "chat-server"]);
  });
});

describe("SECRET_KEY_<id> rotation", () => {
  it("a guest ticket signed under the old key is refused under the new one (the guest starts over)", async () => {
    const withSecret = (secret: string, body: Json = {}) =>
      call(
        config,
        "/v1/usersig",
        { json: { sdkAppId: GUEST_APP, ...body } },
        {
          ...secretsFor(APP),
          [`SECRET_KEY_${GUEST_APP}`]: secret,
        },
      );
    const first = (await (await withSecret(OTHER_SECRET)).json()) as Json;
    const renewed = (await (await withSecret(OTHER_SECRET, { guestTicket: first.guestTicket })).json()) as Json;
    expect(renewed.userId).toBe(first.userId);
    const rotated = await withSecret(secretsFor(GUEST_APP)[`SECRET_KEY_${GUEST_APP}`] as string, {
      guestTicket: first.guestTicket,
    });
    await problem(rotated, 401, "UNAUTHORIZED");
  });
});
