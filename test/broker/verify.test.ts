// POST /v1/verify in workerd: a trusted backend (API key) asks whether a UserSig is valid for an app.
import { beforeAll, describe, expect, it } from "vitest";
import { bytesToToken, tokenToBytes } from "../../src/usersig/base64.js";
import { limits, Privilege, signPrivateMapKey, signUserSig } from "../../src/usersig/index.js";
import { apiKey, appConfig, brokerConfig, brokerSecrets } from "../support/config.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { type Json, problem, SECRET_KEY } from "./helpers.js";

const APP = 1400000401;
const OTHER = 1400000402;
const KEY = "verify-test-key-0123456789abcdef01234567";
const OTHER_KEY = "verify-test-other-key-0123456789abcdef0123";
const OTHER_SECRET = "0".repeat(64);
const secrets = brokerSecrets([APP, OTHER]);

let config: Json;
const broker = brokerClient(() => config, secrets);
beforeAll(async () => {
  config = brokerConfig([
    // A key with no permissions at all may still verify.
    appConfig(APP, { apiKeys: [await apiKey("verifier", KEY)] }),
    appConfig(OTHER, { apiKeys: [await apiKey("other", OTHER_KEY)] }),
  ]);
});

/** `key: null` sends no X-Api-Key at all. */
const verify = (body: Json, key: string | null = KEY) =>
  broker.postJson("/v1/verify", body, key === null ? {} : withApiKey(key));

/** A 422 with this code, whose body never repeats the token. */
async function refused(body: Json, code: string): Promise<Json> {
  const response = await verify(body);
  const text = await response.clone().text();
  const parsed = await problem(response, 422, code);
  expect(parsed.title).toBe("UserSig not valid");
  if (typeof body.userSig === "string" && body.userSig.length > 8) expect(text).not.toContain(body.userSig);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return parsed;
}

/** zlib of `data`, through the runtime's CompressionStream. */
async function zlib(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function inflate(data: Uint8Array): Promise<string> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).text();
}

describe("valid UserSigs", () => {
  it("a valid UserSig is 200 with its decoded fields", async () => {
    const now = Math.floor(Date.now() / 1000) - 10;
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 3600 }, SECRET_KEY, { now });
    const response = await verify({ userSig, sdkAppId: APP });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      valid: true,
      version: "2.0",
      sdkAppId: APP,
      userId: "alice",
      issuedAt: now,
      expireSeconds: 3600,
      expiresAt: now + 3600,
    });
  });

  it("with several apps, sdkAppId is required (400)", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const body = await problem(await verify({ userSig }), 400, "BAD_REQUEST");
    expect(body.field).toBe("sdkAppId");
  });

  it("with a single app, sdkAppId may be omitted", async () => {
    const single = brokerClient(brokerConfig(appConfig(APP, { apiKeys: [await apiKey("v", KEY)] })), secrets);
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const response = await single.postJson("/v1/verify", { userSig }, withApiKey(KEY));
    expect(response.status).toBe(200);
  });

  it("a matching expected userId is accepted", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const response = await verify({ userSig, sdkAppId: APP, userId: "alice" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Json).userId).toBe("alice");
  });

  it("a PrivateMapKey (numeric room) comes back with privateMap and privilegeNames", async () => {
    const now = Math.floor(Date.now() / 1000);
    const privileges = Privilege.EnterRoom | Privilege.RecvAudio;
    const userSig = await signPrivateMapKey(
      { sdkAppId: APP, userId: "alice", expireSeconds: 600, roomId: 1234, privileges },
      SECRET_KEY,
      { now },
    );
    const response = await verify({ userSig, sdkAppId: APP });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.privateMap).toEqual({
      roomId: 1234,
      privileges,
      privilegeNames: ["EnterRoom", "RecvAudio"],
      expiresAt: now + 600,
    });
    expect(body).not.toHaveProperty("userBuf");
  });

  it("a PrivateMapKey for a string room comes back with strRoomId", async () => {
    const userSig = await signPrivateMapKey(
      { sdkAppId: APP, userId: "alice", expireSeconds: 600, roomId: "lobby-1", privileges: Privilege.All },
      SECRET_KEY,
    );
    const body = (await (await verify({ userSig, sdkAppId: APP })).json()) as { privateMap: Json };
    expect(body.privateMap.strRoomId).toBe("lobby-1");
    expect(body.privateMap).not.toHaveProperty("roomId");
    expect(body.privateMap.privileges).toBe(255);
    expect((body.privateMap.privilegeNames as string[]).length).toBe(8);
  });

  it("a UserSig with a non-PrivateMapKey userbuf is valid and does not echo the userbuf", async () => {
    const userSig = await signUserSig(
      { sdkAppId: APP, userId: "alice", expireSeconds: 60, userBuf: new Uint8Array([1, 2, 3]) },
      SECRET_KEY,
    );
    const response = await verify({ userSig, sdkAppId: APP });
    const body = (await response.json()) as Json;
    expect(response.status).toBe(200);
    expect(body).not.toHaveProperty("userBuf");
  });
});

describe("refusals (422 with a stable code)", () => {
  it("garbage is USERSIG_MALFORMED", async () => {
    await refused({ userSig: "not a usersig at all!", sdkAppId: APP }, "USERSIG_MALFORMED");
    await refused({ userSig: "eJyrVgrxCvZSslIyVNJRSkktyszPS8**", sdkAppId: APP }, "USERSIG_MALFORMED");
    // valid zlib of something that is not a UserSig's JSON
    const notJson = bytesToToken(await zlib(new TextEncoder().encode("hello")));
    await refused({ userSig: notJson, sdkAppId: APP }, "USERSIG_MALFORMED");
  });

  it("another secret key is USERSIG_BAD_SIGNATURE", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, OTHER_SECRET);
    await refused({ userSig, sdkAppId: APP }, "USERSIG_BAD_SIGNATURE");
  });

  it("a tampered token (lifetime changed, signature kept) is USERSIG_BAD_SIGNATURE", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const fields = JSON.parse(await inflate(tokenToBytes(userSig) as Uint8Array)) as Json;
    expect(fields["TLS.expire"]).toBe(60);
    const forged = bytesToToken(
      await zlib(new TextEncoder().encode(JSON.stringify({ ...fields, "TLS.expire": 999_999 }))),
    );
    await refused({ userSig: forged, sdkAppId: APP, userId: "alice" }, "USERSIG_BAD_SIGNATURE");
  });

  it("an expired UserSig is USERSIG_EXPIRED", async () => {
    const now = Math.floor(Date.now() / 1000) - 7200;
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY, { now });
    await refused({ userSig, sdkAppId: APP }, "USERSIG_EXPIRED");
  });

  it("a UserSig of another app is USERSIG_SDKAPPID_MISMATCH", async () => {
    const userSig = await signUserSig({ sdkAppId: OTHER, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    await refused({ userSig, sdkAppId: APP }, "USERSIG_SDKAPPID_MISMATCH");
    // ...and it is valid for its own app, with that app's key
    const own = await verify({ userSig, sdkAppId: OTHER }, OTHER_KEY);
    expect(own.status).toBe(200);
  });

  it("a UserSig of another user is USERSIG_USERID_MISMATCH", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    await refused({ userSig, sdkAppId: APP, userId: "bob" }, "USERSIG_USERID_MISMATCH");
  });

  it("a forged sig for another user does not say whose it is: bad signature comes before userId", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, OTHER_SECRET);
    await refused({ userSig, sdkAppId: APP, userId: "bob" }, "USERSIG_BAD_SIGNATURE");
  });

  it("a short token that inflates past the cap is USERSIG_TOO_LARGE", async () => {
    const bomb = bytesToToken(await zlib(new TextEncoder().encode(" ".repeat(limits.INFLATED_MAX_BYTES * 4))));
    expect(bomb.length).toBeLessThan(limits.TOKEN_MAX_CHARS);
    await refused({ userSig: bomb, sdkAppId: APP }, "USERSIG_TOO_LARGE");
  });

  it(`a token over ${limits.TOKEN_MAX_CHARS} characters is refused by the schema: 400 on userSig, not 422`, async () => {
    const long = "A".repeat(limits.TOKEN_MAX_CHARS + 1);
    const response = await verify({ userSig: long, sdkAppId: APP });
    const text = await response.clone().text();
    const body = await problem(response, 400, "BAD_REQUEST");
    expect(body.field).toBe("userSig");
    expect(text).not.toContain(long);
    // exactly at the cap it reaches the verifier (and is garbage there)
    await refused({ userSig: "A".repeat(limits.TOKEN_MAX_CHARS), sdkAppId: APP }, "USERSIG_MALFORMED");
  });

  it("an empty userSig or a missing one is 400", async () => {
    expect((await problem(await verify({ userSig: "", sdkAppId: APP }), 400, "BAD_REQUEST")).field).toBe("userSig");
    expect((await problem(await verify({ sdkAppId: APP }), 400, "BAD_REQUEST")).field).toBe("userSig");
  });

  it("no problem body ever contains the userSig", async () => {
    const valid = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const bad = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, OTHER_SECRET);
    const cases: [Json, string | null][] = [
      [{ userSig: bad, sdkAppId: APP }, KEY],
      [{ userSig: valid, sdkAppId: APP, userId: "bob" }, KEY],
      [{ userSig: valid, sdkAppId: APP }, null],
      [{ userSig: valid, sdkAppId: APP }, "wrong-key"],
      [{ userSig: valid, sdkAppId: 77 }, KEY],
      [{ userSig: valid, sdkAppId: APP, extra: 1 }, KEY],
    ];
    for (const [body, key] of cases) {
      const response = await verify(body, key);
      expect(response.status).toBeGreaterThanOrEqual(400);
      const text = await response.text();
      expect(text).not.toContain(body.userSig as string);
      expect(text).not.toContain(SECRET_KEY);
    }
  });
});

describe("authentication", () => {
  it("no API key is 401 with WWW-Authenticate", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const response = await verify({ userSig, sdkAppId: APP }, null);
    await problem(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^ApiKey realm=/);
  });

  it("a wrong key, or another app's key, is 401", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    for (const key of ["wrong", OTHER_KEY, "x".repeat(300)]) {
      const response = await verify({ userSig, sdkAppId: APP }, key);
      await problem(response, 401, "UNAUTHORIZED");
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^ApiKey realm=/);
    }
  });

  it("a bearer token is not an API key here", async () => {
    const userSig = await signUserSig({ sdkAppId: APP, userId: "alice", expireSeconds: 60 }, SECRET_KEY);
    const response = await broker.postJson("/v1/verify", { userSig, sdkAppId: APP }, bearer(KEY));
    await problem(response, 401, "UNAUTHORIZED");
  });
});
