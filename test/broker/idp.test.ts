// Identity-provider callers of POST /v1/usersig: `Authorization: Bearer <JWT>` verified against the
// app's issuers (remote JWKS through the fake IdP, or inline JWKS), the UserID rule, the admin guard,
// lifetimes, and the one generic 401.
//
// Module-level caches live for the whole file: the config cache (keyed by the raw config), jose's
// remote key sets (keyed by JWKS URI) and the admin cache (keyed by sdkAppId). So every describe
// block has its own sdkAppId and, when it uses a remote JWKS, its own JWKS URI (the fake IdP ignores
// the query string, so `?suite=...` gives a separate cache entry on the same endpoint).

import { SignJWT } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { idpIssuer, inlineIssuer } from "../support/config.js";
import {
  AUDIENCE,
  call,
  expectIssued,
  failJwks,
  type IdpKey,
  ISSUER,
  idpStats,
  type Json,
  JWKS_URI,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
  resetFakes,
  secretsFor,
  sha256Hex,
} from "./helpers.js";

const GENERIC_401_DETAIL = "The credentials are missing or not valid.";
const BEARER_CHALLENGE = 'Bearer realm="usersig-broker", error="invalid_token"';

function jwksUri(suite: string): string {
  return `${JWKS_URI}?suite=${suite}`;
}

function appWith(sdkAppId: number, issuers: Json[], extra: Json = {}): Json {
  return { apps: [{ sdkAppId, idp: { issuers }, ...extra }] };
}

/** POST /v1/usersig as an IdP user. */
function asUser(
  config: Json,
  sdkAppId: number,
  jwt: string,
  json: Json = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(
    config,
    "/v1/usersig",
    { method: "POST", headers: { Authorization: `Bearer ${jwt}`, ...headers }, json },
    secretsFor(sdkAppId),
  );
}

/** Asserts a 200 for alice on this app, her sig lasting `expireSeconds` (default: the built-in day). */
async function expectAlice(config: Json, sdkAppId: number, jwt: string, expireSeconds = 86_400, json: Json = {}) {
  return expectIssued(await asUser(config, sdkAppId, jwt, json), { sdkAppId, userId: "alice", expireSeconds });
}

/** A 401 as every bad credential gets it: generic detail, Bearer challenge, no-store. */
async function expectUnauthorized(response: Response): Promise<Json> {
  const body = await problem(response, 401, "UNAUTHORIZED");
  expect(response.headers.get("WWW-Authenticate")).toBe(BEARER_CHALLENGE);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(body.detail).toBe(GENERIC_401_DETAIL);
  expect(body.type).toBe("urn:usersig-broker:problem:unauthorized");
  expect(body.status).toBe(401);
  return body;
}

function b64url(value: string | Uint8Array): string {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function validClaims(): Json {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub: "alice", iat: now, exp: now + 600 };
}

describe("valid tokens", () => {
  let rs: IdpKey;
  let es: IdpKey;
  beforeAll(async () => {
    rs = await newIdpKey("RS256");
    es = await newIdpKey("ES256");
  });
  beforeEach(async () => {
    await resetFakes();
    await publishJwks(rs, es);
  });

  it("RS256 through a jwksUri: UserID from sub, idp default lifetime, no-store", async () => {
    const sdkAppId = 1400001001;
    const config = appWith(sdkAppId, [idpIssuer({ jwksUri: jwksUri("rs-remote") })]);
    const res = await asUser(config, sdkAppId, await mintJwt(rs));
    await expectIssued(res, { sdkAppId, userId: "alice", expireSeconds: 86_400 });
    expect((await idpStats()).jwksFetches).toBe(1);
    // The key set is cached: a second token costs no fetch.
    const again = await asUser(config, sdkAppId, await mintJwt(rs, { sub: "bob" }));
    await expectIssued(again, { sdkAppId, userId: "bob", expireSeconds: 86_400 });
    expect((await idpStats()).jwksFetches).toBe(1);
  });

  it("ES256 through a jwksUri (issuer pinned to ES256)", async () => {
    const sdkAppId = 1400001002;
    const config = appWith(sdkAppId, [idpIssuer({ jwksUri: jwksUri("es-remote"), algorithms: ["ES256"] })]);
    const res = await asUser(config, sdkAppId, await mintJwt(es, { sub: "carol" }));
    await expectIssued(res, { sdkAppId, userId: "carol", expireSeconds: 86_400 });
  });

  it("RS256 with an inline jwks: no fetch at all", async () => {
    const sdkAppId = 1400001003;
    const config = appWith(sdkAppId, [inlineIssuer(rs)]);
    const res = await asUser(config, sdkAppId, await mintJwt(rs));
    await expectIssued(res, { sdkAppId, userId: "alice", expireSeconds: 86_400 });
    expect((await idpStats()).jwksFetches).toBe(0);
  });

  it("ES256 with an inline jwks", async () => {
    const sdkAppId = 1400001004;
    const config = appWith(sdkAppId, [inlineIssuer(es, { algorithms: ["ES256"] })]);
    const res = await asUser(config, sdkAppId, await mintJwt(es, { sub: "dave" }));
    await expectIssued(res, { sdkAppId, userId: "dave", expireSeconds: 86_400 });
    expect((await idpStats()).jwksFetches).toBe(0);
  });

  it("two issuers: each token is checked against its own issuer's keys", async () => {
    const sdkAppId = 1400001005;
    const other = "https://other-idp.test/";
    const config = appWith(sdkAppId, [
      inlineIssuer(rs, { userIdPrefix: "m_" }),
      { issuer: other, audience: AUDIENCE, jwks: { keys: [es.publicJwk] }, algorithms: ["ES256"], userIdPrefix: "o_" },
    ]);
    await expectIssued(await asUser(config, sdkAppId, await mintJwt(rs)), {
      sdkAppId,
      userId: "m_alice",
      expireSeconds: 86_400,
    });
    await expectIssued(await asUser(config, sdkAppId, await mintJwt(es, {}, { issuer: other })), {
      sdkAppId,
      userId: "o_alice",
      expireSeconds: 86_400,
    });
    // The first issuer's key does not vouch for the second issuer.
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(rs, {}, { issuer: other })));
  });

  it("several issuers must each have their own non-empty userIdPrefix: otherwise a config error", async () => {
    const sdkAppId = 1400001015;
    for (const prefixes of [
      [undefined, "o_"],
      ["x_", "x_"],
    ]) {
      const config = appWith(sdkAppId, [
        inlineIssuer(rs, { userIdPrefix: prefixes[0] }),
        {
          issuer: "https://other-idp.test/",
          audience: AUDIENCE,
          jwks: { keys: [es.publicJwk] },
          userIdPrefix: prefixes[1],
        },
      ]);
      const body = await problem(await asUser(config, sdkAppId, await mintJwt(rs)), 500, "CONFIG_ERROR");
      expect(String(body.detail)).toMatch(/userIdPrefix/);
    }
  });

  it("an IdP user ID that starts with the app's guest prefix is refused (it could take over a guest)", async () => {
    const sdkAppId = 1400001016;
    const config = {
      apps: [
        {
          sdkAppId,
          guests: { enabled: true, userIdPrefix: "guest_" },
          idp: { issuers: [inlineIssuer(rs)] },
        },
      ],
    };
    await problem(
      await asUser(config, sdkAppId, await mintJwt(rs, { sub: "guest_abcdefghijklmnop" })),
      403,
      "USERID_NOT_ALLOWED",
    );
    await expectAlice(config, sdkAppId, await mintJwt(rs, { sub: "alice" }));
  });

  it("the default admin set protects Tencent's default admin account, in any case", async () => {
    const sdkAppId = 1400001017;
    const config = appWith(sdkAppId, [inlineIssuer(rs)]);
    for (const sub of ["administrator", "Administrator", "ADMINISTRATOR"]) {
      await problem(await asUser(config, sdkAppId, await mintJwt(rs, { sub })), 403, "ADMIN_IDENTITY_FORBIDDEN");
    }
  });

  it("an admin identity is refused in Unicode compatibility variants too (fullwidth letters)", async () => {
    const sdkAppId = 1400001018;
    // A pattern that lets fullwidth letters through, so that only the admin guard stands in the way.
    const config = appWith(sdkAppId, [inlineIssuer(rs)], {
      userIdPattern: ".{1,32}",
      admins: ["root"],
    });
    await problem(
      await asUser(config, sdkAppId, await mintJwt(rs, { sub: "ＲＯＯＴ" })),
      403,
      "ADMIN_IDENTITY_FORBIDDEN",
    );
    await expectIssued(await asUser(config, sdkAppId, await mintJwt(rs, { sub: "ｒｏｏｔｓ" })), {
      sdkAppId,
      userId: "ｒｏｏｔｓ",
      expireSeconds: 86_400,
    });
  });

  it("aud may be an array containing the configured audience; the config may list several", async () => {
    const sdkAppId = 1400001006;
    const config = appWith(sdkAppId, [
      { issuer: ISSUER, audience: ["first-audience", AUDIENCE], jwks: { keys: [rs.publicJwk] } },
    ]);
    // The helper types audience as a string; jose's setAudience takes an array as well.
    const jwt = await mintJwt(rs, {}, { audience: ["someone-else", AUDIENCE] as unknown as string });
    await expectIssued(await asUser(config, sdkAppId, jwt), { sdkAppId, userId: "alice", expireSeconds: 86_400 });
  });

  it("an exp within clockToleranceSeconds is still accepted", async () => {
    const sdkAppId = 1400001007;
    const config = appWith(sdkAppId, [inlineIssuer(rs, { clockToleranceSeconds: 60 })]);
    const jwt = await mintJwt(rs, { exp: Math.floor(Date.now() / 1000) - 20 });
    await expectIssued(await asUser(config, sdkAppId, jwt), { sdkAppId, userId: "alice", expireSeconds: 86_400 });
  });
});

describe("UserID from the token", () => {
  let key: IdpKey;
  beforeAll(async () => {
    key = await newIdpKey("RS256");
  });
  const issuer = (extra: Json = {}): Json => ({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    ...extra,
  });

  it("userIdClaim other than sub", async () => {
    const sdkAppId = 1400001101;
    const config = appWith(sdkAppId, [issuer({ userIdClaim: "uid" })]);
    const res = await asUser(config, sdkAppId, await mintJwt(key, { sub: "alice", uid: "user_42" }));
    await expectIssued(res, { sdkAppId, userId: "user_42", expireSeconds: 86_400 });
  });

  it("userIdPrefix is prepended to the claim", async () => {
    const sdkAppId = 1400001102;
    const config = appWith(sdkAppId, [issuer({ userIdPrefix: "auth0_" })]);
    const res = await asUser(config, sdkAppId, await mintJwt(key, { sub: "alice" }));
    await expectIssued(res, { sdkAppId, userId: "auth0_alice", expireSeconds: 86_400 });
  });

  it("a claim value outside the app's userIdPattern: 403 USERID_NOT_ALLOWED, not rewritten", async () => {
    const sdkAppId = 1400001103;
    const config = appWith(sdkAppId, [issuer()], { userIdPattern: "[a-z]{1,16}" });
    for (const sub of ["Alice", "alice_1", "auth0|5f7c8ec7c33c6c004bbafe82", "a".repeat(17)]) {
      const res = await asUser(config, sdkAppId, await mintJwt(key, { sub }));
      const body = await problem(res, 403, "USERID_NOT_ALLOWED");
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(body.detail).not.toContain(sub);
    }
    // The same pattern admits a conforming sub.
    await expectAlice(config, sdkAppId, await mintJwt(key, { sub: "alice" }));
  });

  it("the default pattern refuses a UserID over 32 bytes once the prefix is added", async () => {
    const sdkAppId = 1400001104;
    const config = appWith(sdkAppId, [issuer({ userIdPrefix: "provider_" })]);
    const res = await asUser(config, sdkAppId, await mintJwt(key, { sub: "a".repeat(24) }));
    await problem(res, 403, "USERID_NOT_ALLOWED");
  });

  it("claim missing (or not a non-empty string): 403 USERID_CLAIM_MISSING", async () => {
    const sdkAppId = 1400001105;
    const config = appWith(sdkAppId, [issuer({ userIdClaim: "uid" })]);
    for (const claims of [{}, { uid: 42 }, { uid: "" }, { uid: ["alice"] }]) {
      const res = await asUser(config, sdkAppId, await mintJwt(key, claims));
      const body = await problem(res, 403, "USERID_CLAIM_MISSING");
      expect(body.detail).toContain('"uid"');
      expect(res.headers.get("Cache-Control")).toBe("no-store");
    }
  });

  it("a token without sub (default claim): 403 USERID_CLAIM_MISSING", async () => {
    const sdkAppId = 1400001106;
    const config = appWith(sdkAppId, [issuer()]);
    const res = await asUser(config, sdkAppId, await mintJwt(key, { sub: undefined }));
    await problem(res, 403, "USERID_CLAIM_MISSING");
  });

  it("body naming another userId: 403 USERID_NOT_ALLOWED; naming its own (after the prefix): 200", async () => {
    const sdkAppId = 1400001107;
    const config = appWith(sdkAppId, [issuer({ userIdPrefix: "p_" })]);
    const jwt = await mintJwt(key, { sub: "alice" });
    await problem(await asUser(config, sdkAppId, jwt, { userId: "bob" }), 403, "USERID_NOT_ALLOWED");
    // The raw claim is not the identity either: the prefix is part of it.
    await problem(await asUser(config, sdkAppId, jwt, { userId: "alice" }), 403, "USERID_NOT_ALLOWED");
    await expectIssued(await asUser(config, sdkAppId, jwt, { userId: "p_alice" }), {
      sdkAppId,
      userId: "p_alice",
      expireSeconds: 86_400,
    });
  });
});

describe("admin identities are never issued to IdP users", () => {
  let key: IdpKey;
  beforeAll(async () => {
    key = await newIdpKey("RS256");
  });

  it("sub equal to a config admin: 403 ADMIN_IDENTITY_FORBIDDEN", async () => {
    const sdkAppId = 1400001201;
    const config = appWith(sdkAppId, [inlineIssuer(key)], {
      admins: ["administrator"],
    });
    const res = await asUser(config, sdkAppId, await mintJwt(key, { sub: "administrator" }));
    const body = await problem(res, 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(JSON.stringify(body)).not.toContain("eJ"); // no sig in the problem
    // Naming itself in the body does not help.
    const named = await asUser(config, sdkAppId, await mintJwt(key, { sub: "administrator" }), {
      userId: "administrator",
    });
    await problem(named, 403, "ADMIN_IDENTITY_FORBIDDEN");
  });

  it("a prefix that turns the claim into an admin: 403", async () => {
    const sdkAppId = 1400001202;
    const config = appWith(sdkAppId, [inlineIssuer(key, { userIdPrefix: "adm_" })], { admins: ["adm_x"] });
    await problem(await asUser(config, sdkAppId, await mintJwt(key, { sub: "x" })), 403, "ADMIN_IDENTITY_FORBIDDEN");
    // Any other user of that issuer is fine.
    await expectIssued(await asUser(config, sdkAppId, await mintJwt(key, { sub: "y" })), {
      sdkAppId,
      userId: "adm_y",
      expireSeconds: 86_400,
    });
  });

  it("a runtime admin added through the operator API: 403 from then on", async () => {
    const sdkAppId = 1400001203;
    const config = appWith(sdkAppId, [inlineIssuer(key)]);
    const jwt = await mintJwt(key, { sub: "ops_bot" });
    await expectIssued(await asUser(config, sdkAppId, jwt), { sdkAppId, userId: "ops_bot", expireSeconds: 86_400 });
    const operator = "operator-token-for-tests-0123456789";
    const added = await call(
      config,
      `/v1/admin/apps/${sdkAppId}/admins/ops_bot`,
      { method: "PUT", headers: { Authorization: `Bearer ${operator}` } },
      { ...secretsFor(sdkAppId), ADMIN_API_TOKEN: operator },
    );
    expect(added.status).toBe(201);
    await problem(await asUser(config, sdkAppId, jwt), 403, "ADMIN_IDENTITY_FORBIDDEN");
  });
});

describe("bad tokens: 401 with one generic message", () => {
  let rs: IdpKey;
  let es: IdpKey;
  const sdkAppId = 1400001301;
  const uri = jwksUri("bad-tokens");
  const config = (): Json =>
    appWith(sdkAppId, [idpIssuer({ jwksUri: uri, algorithms: ["RS256"], clockToleranceSeconds: 30 })]);
  beforeAll(async () => {
    rs = await newIdpKey("RS256");
    es = await newIdpKey("ES256");
    await publishJwks(rs, es);
    // Warm the key set so that no test here depends on fetch timing.
    await expectAlice(config(), sdkAppId, await mintJwt(rs));
  });

  const now = () => Math.floor(Date.now() / 1000);

  it("expired beyond clockTolerance", async () => {
    const jwt = await mintJwt(rs, { exp: now() - 120 });
    await expectUnauthorized(await asUser(config(), sdkAppId, jwt));
  });

  it("not yet valid (nbf in the future beyond clockTolerance)", async () => {
    const jwt = await mintJwt(rs, { nbf: now() + 600 });
    await expectUnauthorized(await asUser(config(), sdkAppId, jwt));
  });

  it("wrong aud", async () => {
    const jwt = await mintJwt(rs, {}, { audience: "some-other-api" });
    await expectUnauthorized(await asUser(config(), sdkAppId, jwt));
  });

  it("wrong iss (an issuer the app does not know)", async () => {
    const jwt = await mintJwt(rs, {}, { issuer: "https://evil.test/" });
    await expectUnauthorized(await asUser(config(), sdkAppId, jwt));
    // Close is not enough: iss must match exactly.
    const noSlash = await mintJwt(rs, {}, { issuer: ISSUER.replace(/\/$/, "") });
    await expectUnauthorized(await asUser(config(), sdkAppId, noSlash));
  });

  it("missing exp", async () => {
    const jwt = await mintJwt(rs, { exp: undefined });
    await expectUnauthorized(await asUser(config(), sdkAppId, jwt));
  });

  it("alg not in the issuer's pinned list (RS256 token, issuer pinned to ES256)", async () => {
    const pinned = 1400001302;
    const pinnedConfig = appWith(pinned, [idpIssuer({ jwksUri: uri, algorithms: ["ES256"] })]);
    // The RSA key is in the JWKS, and the token is correctly signed with it: still refused.
    await expectUnauthorized(await asUser(pinnedConfig, pinned, await mintJwt(rs)));
    // The pinned algorithm works.
    await expectIssued(await asUser(pinnedConfig, pinned, await mintJwt(es)), {
      sdkAppId: pinned,
      userId: "alice",
      expireSeconds: 86_400,
    });
  });

  it("signed by a key that is not in the JWKS, even when it claims a published kid", async () => {
    const before = (await idpStats()).jwksFetches;
    const impostor = await newIdpKey("RS256", rs.kid);
    await expectUnauthorized(await asUser(config(), sdkAppId, await mintJwt(impostor)));
    // A bad signature under a known kid is no reason to refetch the JWKS.
    expect((await idpStats()).jwksFetches).toBe(before);
  });

  it("alg none", async () => {
    const unsigned = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(validClaims()))}.`;
    await expectUnauthorized(await asUser(config(), sdkAppId, unsigned));
  });

  it("HS256 forged with the public key's bytes as the HMAC secret", async () => {
    const encoder = new TextEncoder();
    const secrets = [
      encoder.encode(JSON.stringify(rs.publicJwk)),
      Uint8Array.from(atob(String(rs.publicJwk.n).replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0)),
    ];
    for (const secret of secrets) {
      const forged = await new SignJWT(validClaims())
        .setProtectedHeader({ alg: "HS256", kid: rs.kid, typ: "JWT" })
        .sign(secret);
      await expectUnauthorized(await asUser(config(), sdkAppId, forged));
    }
  });

  it("a garbage bearer value, a malformed Authorization, a non-Bearer scheme", async () => {
    for (const authorization of [
      "Bearer not-a-jwt",
      "Bearer a.b.c",
      "Bearer ",
      "Bearer",
      "",
      "Bearer one two",
      "Basic YWxpY2U6c2VjcmV0",
      `Token ${await mintJwt(rs)}`,
      await mintJwt(rs), // a valid JWT without any scheme
    ]) {
      const res = await call(
        config(),
        "/v1/usersig",
        { method: "POST", headers: { Authorization: authorization }, json: {} },
        secretsFor(sdkAppId),
      );
      await expectUnauthorized(res);
    }
  });

  it("an over-long token (over 8192 chars) is refused unread, even when correctly signed", async () => {
    const long = await mintJwt(rs, { pad: "x".repeat(6500) });
    expect(long.length).toBeGreaterThan(8192);
    await expectUnauthorized(await asUser(config(), sdkAppId, long));
    // Just under the limit, the same kind of token is fine.
    const justUnder = await mintJwt(rs, { pad: "x".repeat(5600) });
    expect(justUnder.length).toBeLessThanOrEqual(8192);
    await expectAlice(config(), sdkAppId, justUnder);
  });

  it("an app without an identity provider refuses any bearer token", async () => {
    const noIdp = 1400001303;
    const res = await call(
      { apps: [{ sdkAppId: noIdp }] },
      "/v1/usersig",
      { method: "POST", headers: { Authorization: `Bearer ${await mintJwt(rs)}` }, json: {} },
      secretsFor(noIdp),
    );
    await expectUnauthorized(res);
  });

  it("every failure kind gets exactly the same detail (the precise reason goes to the log only)", async () => {
    const failures: Response[] = [
      await asUser(config(), sdkAppId, await mintJwt(rs, { exp: now() - 3600 })),
      await asUser(config(), sdkAppId, await mintJwt(rs, {}, { audience: "nope" })),
      await asUser(config(), sdkAppId, await mintJwt(rs, {}, { issuer: "https://evil.test/" })),
      await asUser(config(), sdkAppId, await mintJwt(rs, { exp: undefined })),
      await asUser(config(), sdkAppId, await mintJwt(es)), // alg not pinned
      await asUser(config(), sdkAppId, await mintJwt(await newIdpKey("RS256", rs.kid))),
      await asUser(config(), sdkAppId, "garbage"),
      await asUser(config(), sdkAppId, "x".repeat(9000)),
      await call(
        config(),
        "/v1/usersig",
        { method: "POST", headers: { Authorization: "Basic Zm9vOmJhcg==" }, json: {} },
        secretsFor(sdkAppId),
      ),
    ];
    const bodies: Json[] = [];
    for (const res of failures) bodies.push(await expectUnauthorized(res));
    expect(new Set(bodies.map((b) => b.detail))).toEqual(new Set([GENERIC_401_DETAIL]));
    expect(new Set(bodies.map((b) => b.title))).toEqual(new Set(["Unauthorized"]));
    // Nothing but the request id tells them apart.
    const stripped = bodies.map(({ requestId: _, ...rest }) => JSON.stringify(rest));
    expect(new Set(stripped).size).toBe(1);
  });
});

describe("JWKS cache: refetch on unknown kid, with a cool-down", () => {
  // jose's cool-down is 30 s and the cache lives 10 min: the clock is faked (Date only) to move on.
  const sdkAppId = 1400001401;
  let start: number;
  beforeEach(async () => {
    await resetFakes();
    start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);
  const configFor = (suite: string) => appWith(sdkAppId, [idpIssuer({ jwksUri: jwksUri(suite) })]);
  const fetches = async () => (await idpStats()).jwksFetches;

  it("on a cold cache an unknown kid costs the one initial fetch, and no second one", async () => {
    const config = configFor("cold-unknown");
    const published = await newIdpKey("RS256");
    await publishJwks(published);
    const stranger = await newIdpKey("RS256");
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(stranger)));
    expect(await fetches()).toBe(1);
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(stranger)));
    expect(await fetches()).toBe(1);
  });

  it("an unknown kid triggers exactly one refetch; a second unknown kid right after does not", async () => {
    const config = configFor("cooldown");
    const a = await newIdpKey("RS256");
    await publishJwks(a);
    await expectAlice(config, sdkAppId, await mintJwt(a));
    expect(await fetches()).toBe(1);

    advance(31_000); // past the cool-down, well within the cache's life
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(await newIdpKey("RS256"))));
    expect(await fetches()).toBe(2);

    // Right after: a flood of made-up kids is no flood of fetches.
    for (let i = 0; i < 5; i++) {
      await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(await newIdpKey("RS256"))));
    }
    expect(await fetches()).toBe(2);
    // The known key still works without a fetch.
    await expectAlice(config, sdkAppId, await mintJwt(a));
    expect(await fetches()).toBe(2);
  });

  it("key rotation: a token with the new kid works after the refetch", async () => {
    const config = configFor("rotation");
    const oldKey = await newIdpKey("RS256");
    await publishJwks(oldKey);
    await expectAlice(config, sdkAppId, await mintJwt(oldKey));
    expect(await fetches()).toBe(1);

    advance(60_000);
    const newKey = await newIdpKey("RS256");
    await publishJwks(newKey); // the old key is retired
    const res = await asUser(config, sdkAppId, await mintJwt(newKey, { sub: "bob" }));
    await expectIssued(res, { sdkAppId, userId: "bob", expireSeconds: 86_400 });
    expect(await fetches()).toBe(2);
    // The retired key is gone from the cache too.
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(oldKey)));
    expect(await fetches()).toBe(2);
  });

  it("a kid published during the cool-down is picked up once the cool-down is over", async () => {
    const config = configFor("rotation-cooldown");
    const oldKey = await newIdpKey("RS256");
    await publishJwks(oldKey);
    await expectAlice(config, sdkAppId, await mintJwt(oldKey));
    const newKey = await newIdpKey("RS256");
    await publishJwks(oldKey, newKey);
    advance(5_000); // still cooling down
    await expectUnauthorized(await asUser(config, sdkAppId, await mintJwt(newKey)));
    expect(await fetches()).toBe(1);
    advance(30_000);
    await expectAlice(config, sdkAppId, await mintJwt(newKey));
    expect(await fetches()).toBe(2);
  });

  it("a refetch for an unknown kid that fails: 503 IDP_UNAVAILABLE; cached keys keep working", async () => {
    const config = configFor("refetch-fails");
    const key = await newIdpKey("RS256");
    await publishJwks(key);
    await expectAlice(config, sdkAppId, await mintJwt(key));
    advance(31_000);
    await failJwks(1);
    const res = await asUser(config, sdkAppId, await mintJwt(await newIdpKey("RS256")));
    await problem(res, 503, "IDP_UNAVAILABLE");
    expect(res.headers.get("Retry-After")).toBe("10");
    expect(await fetches()).toBe(2);
    await expectAlice(config, sdkAppId, await mintJwt(key));
    expect(await fetches()).toBe(2);
  });

  it("the cached JWKS is refreshed after its max age (10 min)", async () => {
    const config = configFor("max-age");
    const key = await newIdpKey("RS256");
    await publishJwks(key);
    await expectAlice(config, sdkAppId, await mintJwt(key));
    advance(11 * 60_000);
    await expectAlice(config, sdkAppId, await mintJwt(key));
    expect(await fetches()).toBe(2);
  });
});

describe("JWKS endpoint failing", () => {
  const sdkAppId = 1400001501;
  let key: IdpKey;
  beforeAll(async () => {
    key = await newIdpKey("RS256");
  });
  beforeEach(async () => {
    await resetFakes();
    await publishJwks(key);
  });

  it("on a cold cache: 503 IDP_UNAVAILABLE with Retry-After; not asked again for 5 s; then recovers", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const config = appWith(sdkAppId, [idpIssuer({ jwksUri: jwksUri("failing-cold") })]);
      await failJwks(1);
      const res = await asUser(config, sdkAppId, await mintJwt(key));
      const body = await problem(res, 503, "IDP_UNAVAILABLE");
      expect(res.headers.get("Retry-After")).toBe("10");
      expect(res.headers.get("WWW-Authenticate")).toBeNull();
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(body.status).toBe(503);
      expect((await idpStats()).jwksFetches).toBe(1);
      // Right after a failure the IdP is left alone: refused again without a fetch.
      await problem(await asUser(config, sdkAppId, await mintJwt(key)), 503, "IDP_UNAVAILABLE");
      expect((await idpStats()).jwksFetches).toBe(1);
      // 5 s later the next request fetches again and succeeds.
      vi.setSystemTime(Date.now() + 5_001);
      await expectAlice(config, sdkAppId, await mintJwt(key));
      expect((await idpStats()).jwksFetches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("an outage after the cache's max age: the last keys keep working, the IdP is asked once per 5 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const config = appWith(sdkAppId, [idpIssuer({ jwksUri: jwksUri("outage-stale") })]);
      await expectAlice(config, sdkAppId, await mintJwt(key));
      expect((await idpStats()).jwksFetches).toBe(1);
      vi.setSystemTime(Date.now() + 11 * 60_000); // past jose's 10-minute max age
      await failJwks(1000);
      for (let i = 0; i < 5; i++) {
        await expectAlice(config, sdkAppId, await mintJwt(key));
      }
      expect((await idpStats()).jwksFetches).toBe(2);
      // An unknown kid during the outage may be a new key: unavailable (503), not invalid (401).
      await problem(await asUser(config, sdkAppId, await mintJwt(await newIdpKey("RS256"))), 503, "IDP_UNAVAILABLE");
      expect((await idpStats()).jwksFetches).toBe(2);
      // Keys older than a day are not trusted for the outage's sake.
      vi.setSystemTime(Date.now() + 24 * 3600_000);
      await problem(await asUser(config, sdkAppId, await mintJwt(key)), 503, "IDP_UNAVAILABLE");
      expect((await idpStats()).jwksFetches).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("an IdP that cannot be reached at all: 503 IDP_UNAVAILABLE", async () => {
    // The fake internet answers 502 for any host it does not play.
    const config = appWith(sdkAppId, [idpIssuer({ jwksUri: "https://unreachable-idp.test/jwks.json" })]);
    const res = await asUser(config, sdkAppId, await mintJwt(key));
    await problem(res, 503, "IDP_UNAVAILABLE");
    expect(res.headers.get("Retry-After")).toBe("10");
  });
});

describe("lifetimes", () => {
  let key: IdpKey;
  beforeAll(async () => {
    key = await newIdpKey("ES256");
  });
  const issuers = (): Json[] => [inlineIssuer(key, { algorithms: ["ES256"] })];

  it("no expireSeconds: the idp default; a smaller request is honoured", async () => {
    const sdkAppId = 1400001601;
    const config = appWith(sdkAppId, issuers(), { lifetimes: { idp: { default: 600, max: 1200 } } });
    const jwt = await mintJwt(key);
    await expectIssued(await asUser(config, sdkAppId, jwt), { sdkAppId, userId: "alice", expireSeconds: 600 });
    await expectAlice(config, sdkAppId, jwt, 900, { expireSeconds: 900 });
  });

  it("asking above max: clamped to max, and expireSeconds/expiresAt say so", async () => {
    const sdkAppId = 1400001602;
    const config = appWith(sdkAppId, issuers(), { lifetimes: { idp: { default: 600, max: 1200 } } });
    const before = Math.floor(Date.now() / 1000);
    const body = await expectAlice(config, sdkAppId, await mintJwt(key), 1200, { expireSeconds: 999_999 });
    expect(body.expiresAt).toBeGreaterThanOrEqual(before + 1200);
    expect(body.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1200);
  });

  it("the built-in idp lifetimes: default 1 day, max 7 days", async () => {
    const sdkAppId = 1400001603;
    const config = appWith(sdkAppId, issuers());
    await expectIssued(await asUser(config, sdkAppId, await mintJwt(key), { expireSeconds: 30 * 86_400 }), {
      sdkAppId,
      userId: "alice",
      expireSeconds: 7 * 86_400,
    });
  });

  it("expireSeconds of 0 or not an integer: 400", async () => {
    const sdkAppId = 1400001604;
    const config = appWith(sdkAppId, issuers());
    for (const expireSeconds of [0, -1, 1.5, "3600"]) {
      const body = await problem(
        await asUser(config, sdkAppId, await mintJwt(key), { expireSeconds }),
        400,
        "BAD_REQUEST",
      );
      expect(body.field).toBe("expireSeconds");
    }
  });
});

describe("request shape", () => {
  const sdkAppId = 1400001701;
  let key: IdpKey;
  let config: Json;
  const apiKey = "k_live_0123456789abcdef0123456789abcdef";
  beforeAll(async () => {
    key = await newIdpKey("RS256");
    config = appWith(sdkAppId, [inlineIssuer(key)], {
      apiKeys: [{ name: "backend", sha256: await sha256Hex(apiKey), allowUserId: true }],
    });
  });

  it("both Authorization and X-Api-Key: 400 BAD_REQUEST, even when both are valid", async () => {
    const res = await asUser(config, sdkAppId, await mintJwt(key), { userId: "alice" }, { "X-Api-Key": apiKey });
    const body = await problem(res, 400, "BAD_REQUEST");
    expect(body.detail).toContain("not both");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("the same JWT works alone (the 400 above is about the pair)", async () => {
    await expectAlice(config, sdkAppId, await mintJwt(key));
  });

  it("an HS* algorithm in an issuer's pinned list is a config error, not a way in", async () => {
    const bad = appWith(1400001702, [inlineIssuer(key, { algorithms: ["HS256"] })]);
    const res = await asUser(bad, 1400001702, await mintJwt(key));
    const body = await problem(res, 500, "CONFIG_ERROR");
    expect(body.detail).toContain("algorithms");
  });
});
