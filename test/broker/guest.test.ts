// Guests of POST /v1/usersig: a fresh UserID with the app's prefix, a signed guest ticket to renew
// exactly that identity, optional Cloudflare Turnstile (through the fake siteverify), lifetimes, the
// admin guard; and the audit log (one decision line per request, never a credential) for every kind
// of caller.
//
// The config cache is keyed by the raw config and by WHICH secrets are set, not by their values: so
// each Turnstile case uses its own sdkAppId and secret name rather than a new value under one name.

import { afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  apiKey as apiKeyEntry,
  appConfig,
  brokerConfig,
  brokerSecrets,
  guestApp,
  inlineIssuer,
} from "../support/config.js";
import { bearer, brokerClient } from "../support/requests.js";
import {
  expectIssued,
  type IdpKey,
  ISSUER,
  type IssuedBody,
  idpStats,
  type Json,
  mintJwt,
  newIdpKey,
  problem,
  resetFakes,
  SECRET_KEY,
  TURNSTILE_FAIL,
  TURNSTILE_PASS,
  TURNSTILE_SPENT,
} from "./helpers.js";

const GENERIC_401_DETAIL = "The credentials are missing or not valid.";
const TICKET_CHALLENGE = 'GuestTicket realm="usersig-broker"';
const DAY = 86_400;

/** BROKER_CONFIG of one app with guests on (and these guest settings), plus the app's `extra` fields. */
function guestConfig(sdkAppId: number, guests: Json = {}, extra: Json = {}): Json {
  return brokerConfig(appConfig(sdkAppId, { guests: { enabled: true, ...guests }, ...extra }));
}

let clients = 0;
/**
 * A client IP of its own for every request: guests are rate-limited per client IP (src/ratelimit),
 * and these tests are about authentication, not about those limits.
 */
function freshClientIp(): Record<string, string> {
  clients++;
  return { "CF-Connecting-IP": `10.${(clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}` };
}

/** POST /v1/usersig as a guest; `headers` replaces the default (a fresh CF-Connecting-IP). */
function asGuest(
  config: Json,
  sdkAppId: number,
  json?: Json,
  extraEnv: Json = {},
  headers: Record<string, string> = freshClientIp(),
): Promise<Response> {
  return brokerClient(config, { ...brokerSecrets([sdkAppId]), ...extraEnv }).send("/v1/usersig", {
    method: "POST",
    headers,
    ...(json !== undefined ? { json } : {}),
  });
}

function guestIdPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}[a-z2-7]{16}$`);
}

async function expectBadTicket(response: Response): Promise<Json> {
  const body = await problem(response, 401, "UNAUTHORIZED");
  expect(response.headers.get("WWW-Authenticate")).toBe(TICKET_CHALLENGE);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(body.detail).toBe(GENERIC_401_DETAIL);
  return body;
}

/** The ticket with the character at `index` replaced by a different base64url character. */
function flipChar(ticket: string, index: number): string {
  const current = ticket[index];
  const replacement = current === "A" ? "B" : "A";
  return ticket.slice(0, index) + replacement + ticket.slice(index + 1);
}

function b64urlDecode(part: string): string {
  return atob(part.replaceAll("-", "+").replaceAll("_", "/"));
}

function b64urlEncode(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function newGuest(config: Json, sdkAppId: number, prefix = "guest_"): Promise<IssuedBody> {
  const body = await expectIssued(await asGuest(config, sdkAppId), {
    sdkAppId,
    userId: guestIdPattern(prefix),
    expireSeconds: 3600,
  });
  expect(typeof body.guestTicket).toBe("string");
  return body;
}

describe("guests disabled", () => {
  const sdkAppId = 1400002001;

  it("no credentials at all: 401 UNAUTHORIZED with a challenge", async () => {
    for (const config of [brokerConfig(appConfig(sdkAppId)), guestConfig(sdkAppId, { enabled: false })]) {
      const res = await asGuest(config, sdkAppId);
      const body = await problem(res, 401, "UNAUTHORIZED");
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="usersig-broker"/);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(body.detail).toBe(GENERIC_401_DETAIL);
    }
  });

  it("a guest ticket from when guests were enabled no longer works", async () => {
    const { guestTicket } = await newGuest(guestConfig(sdkAppId), sdkAppId);
    const res = await asGuest(guestConfig(sdkAppId, { enabled: false }), sdkAppId, { guestTicket });
    await problem(res, 401, "UNAUTHORIZED");
  });
});

describe("new guests", () => {
  const sdkAppId = 1400002101;
  const config = guestConfig(sdkAppId);

  it("get prefix + 16 chars of [a-z2-7], a sig, a guestTicket and guestTicketExpiresAt", async () => {
    const before = Math.floor(Date.now() / 1000);
    const body = await newGuest(config, sdkAppId);
    expect(body.userId).toMatch(/^guest_[a-z2-7]{16}$/);
    expect(body.guestTicket).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect((body.guestTicket as string).length).toBeLessThanOrEqual(1024);
    // The default ticket lifetime is one day, counted from the same instant as the sig.
    expect(body.guestTicketExpiresAt).toBe(body.expiresAt - body.expireSeconds + DAY);
    expect(body.guestTicketExpiresAt).toBeGreaterThanOrEqual(before + DAY);
    // The ticket names the guest and nothing secret (it is a JWT anyone can read).
    const [header, payload] = (body.guestTicket as string).split(".") as [string, string];
    expect(JSON.parse(b64urlDecode(header))).toMatchObject({ alg: "HS256" });
    expect(JSON.parse(b64urlDecode(payload))).toMatchObject({ sub: body.userId, exp: body.guestTicketExpiresAt });
  });

  it("an empty JSON body works the same as no body", async () => {
    const body = await expectIssued(await asGuest(config, sdkAppId, {}), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
    expect(body.guestTicket).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("two guests get different IDs and different tickets", async () => {
    const ids = new Set<string>();
    const tickets = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const body = await newGuest(config, sdkAppId);
      ids.add(body.userId);
      tickets.add(body.guestTicket as string);
    }
    expect(ids.size).toBe(8);
    expect(tickets.size).toBe(8);
  });

  it("the app's prefix is used, including an empty one", async () => {
    const custom = 1400002102;
    await newGuest(guestConfig(custom, { userIdPrefix: "demo-" }), custom, "demo-");
    const bare = 1400002103;
    await newGuest(guestConfig(bare, { userIdPrefix: "" }), bare, "");
  });

  it("a guest naming a userId: 403 USERID_NOT_ALLOWED, with or without a ticket", async () => {
    const res = await asGuest(config, sdkAppId, { userId: "alice" });
    const body = await problem(res, 403, "USERID_NOT_ALLOWED");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(body.detail).toBe("Guests cannot choose a UserID.");
    const guest = await newGuest(config, sdkAppId);
    await problem(
      await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket, userId: "alice" }),
      403,
      "USERID_NOT_ALLOWED",
    );
    await problem(
      await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket, userId: guest.userId }),
      403,
      "USERID_NOT_ALLOWED",
    );
  });

  it("a prefix that the app's userIdPattern does not admit: 403 USERID_NOT_ALLOWED", async () => {
    const strict = 1400002104;
    const res = await asGuest(
      guestConfig(strict, { userIdPrefix: "Guest_" }, { userIdPattern: "[a-z0-9_]{1,32}" }),
      strict,
    );
    const body = await problem(res, 403, "USERID_NOT_ALLOWED");
    expect(body.detail).toContain("guest UserID");
  });
});

describe("renewal with the guest ticket", () => {
  const sdkAppId = 1400002201;
  const config = guestConfig(sdkAppId);
  let first: IssuedBody;
  beforeAll(async () => {
    first = await newGuest(config, sdkAppId);
  });

  it("returns the same userId, a fresh sig and the same ticket", async () => {
    const res = await asGuest(config, sdkAppId, { guestTicket: first.guestTicket, expireSeconds: 1800 });
    const renewed = await expectIssued(res, { sdkAppId, userId: first.userId, expireSeconds: 1800 });
    expect(renewed.userSig).not.toBe(first.userSig);
    expect(renewed.guestTicket).toBe(first.guestTicket);
    expect(renewed.guestTicketExpiresAt).toBe(first.guestTicketExpiresAt);
    // And again: a ticket is not single-use.
    await expectIssued(await asGuest(config, sdkAppId, { guestTicket: first.guestTicket }), {
      sdkAppId,
      userId: first.userId,
      expireSeconds: 3600,
    });
  });

  it("a ticket with one character changed: 401 (header, payload or signature)", async () => {
    const ticket = first.guestTicket as string;
    const [header, payload] = ticket.split(".") as [string, string];
    const positions = [
      3, // header
      header.length + 1 + Math.floor(payload.length / 2), // payload
      header.length + 1 + payload.length + 1 + 5, // signature
    ];
    for (const index of positions) {
      const tampered = flipChar(ticket, index);
      expect(tampered).not.toBe(ticket);
      await expectBadTicket(await asGuest(config, sdkAppId, { guestTicket: tampered }));
    }
  });

  it("a ticket rewritten to name another guest: 401 (one guest cannot claim another's identity)", async () => {
    const other = await newGuest(config, sdkAppId);
    const [header, payload, signature] = (first.guestTicket as string).split(".") as [string, string, string];
    const claims = JSON.parse(b64urlDecode(payload)) as Json;
    const forged = `${header}.${b64urlEncode(JSON.stringify({ ...claims, sub: other.userId }))}.${signature}`;
    await expectBadTicket(await asGuest(config, sdkAppId, { guestTicket: forged }));
    // Nor an alg-none ticket.
    const unsigned = `${b64urlEncode(JSON.stringify({ alg: "none", typ: "guest-ticket+jwt" }))}.${payload}.`;
    await expectBadTicket(await asGuest(config, sdkAppId, { guestTicket: unsigned }));
  });

  it("garbage, or an IdP's JWT presented as a ticket: 401", async () => {
    const key = await newIdpKey("RS256");
    for (const guestTicket of ["x", "a.b.c", await mintJwt(key, { sub: first.userId })]) {
      await expectBadTicket(await asGuest(config, sdkAppId, { guestTicket }));
    }
  });

  it("a ticket over 1024 chars: 400 from the schema", async () => {
    const body = await problem(
      await asGuest(config, sdkAppId, { guestTicket: `${first.guestTicket}${"A".repeat(1024)}` }),
      400,
      "BAD_REQUEST",
    );
    expect(body.field).toBe("guestTicket");
  });

  it("/v1/privatemapkey never creates a guest: 401 without a ticket, saying a ticket is needed", async () => {
    const res = await brokerClient(config, brokerSecrets([sdkAppId])).postJson("/v1/privatemapkey", {
      roomId: 1234,
      privileges: ["EnterRoom"],
    });
    const body = await problem(res, 401, "UNAUTHORIZED");
    expect(res.headers.get("WWW-Authenticate")).toBe(TICKET_CHALLENGE);
    // Not a secret which check failed: the guest is told what to send (issue 12).
    expect(body.detail).not.toBe(GENERIC_401_DETAIL);
    expect(String(body.detail)).toMatch(/guestTicket/);
    expect(String(body.detail)).toMatch(/POST \/v1\/usersig/);
  });
});

describe("tickets are per app", () => {
  const appA = 1400002301;
  const appB = 1400002302;
  // Both apps use the same secret key (brokerSecrets): the ticket keys still differ.
  const broker = brokerClient(brokerConfig([guestApp(appA), guestApp(appB)]), brokerSecrets([appA, appB]));

  it("a ticket of another app: 401; at its own app: 200", async () => {
    const fromA = await expectIssued(await broker.postJson("/v1/usersig", { sdkAppId: appA }, freshClientIp()), {
      sdkAppId: appA,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
    const atB = await broker.postJson(
      "/v1/usersig",
      { sdkAppId: appB, guestTicket: fromA.guestTicket },
      freshClientIp(),
    );
    await expectBadTicket(atB);
    const atA = await broker.postJson(
      "/v1/usersig",
      { sdkAppId: appA, guestTicket: fromA.guestTicket },
      freshClientIp(),
    );
    await expectIssued(atA, { sdkAppId: appA, userId: fromA.userId, expireSeconds: 3600 });
  });
});

describe("ticket expiry", () => {
  // The clock is faked (Date only): the route, jose and the sig all read Date.
  const sdkAppId = 1400002401;
  const config = guestConfig(sdkAppId, { ticketLifetimeSeconds: 60 });
  let start: number;
  beforeEach(() => {
    start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(start);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ticketLifetimeSeconds is honoured: renews until then, 401 after", async () => {
    const guest = await newGuest(config, sdkAppId);
    expect(guest.guestTicketExpiresAt).toBe(Math.floor(start / 1000) + 60);
    vi.setSystemTime(start + 59_000);
    await expectIssued(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket }), {
      sdkAppId,
      userId: guest.userId,
      expireSeconds: 3600,
    });
    vi.setSystemTime(start + 61_000);
    await expectBadTicket(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket }));
    // A new guest can still start over (with a new identity).
    const fresh = await newGuest(config, sdkAppId);
    expect(fresh.userId).not.toBe(guest.userId);
  });

  it("a ticket dated in the future (issued by a clock ahead of ours) still verifies before its exp", async () => {
    vi.setSystemTime(start + 10_000);
    const guest = await newGuest(config, sdkAppId);
    vi.setSystemTime(start);
    await expectIssued(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket }), {
      sdkAppId,
      userId: guest.userId,
      expireSeconds: 3600,
    });
  });
});

describe("admin identities are never issued to guests", () => {
  const sdkAppId = 1400002501;
  const config = guestConfig(sdkAppId);
  const operator = "operator-token-for-guest-tests-0123";

  it("a guest whose identity became an admin (operator API) is refused on renewal: 403", async () => {
    const guest = await newGuest(config, sdkAppId);
    const added = await brokerClient(config, brokerSecrets([sdkAppId], operator)).putJson(
      `/v1/admin/apps/${sdkAppId}/admins/${guest.userId}`,
      undefined,
      bearer(operator),
    );
    expect(added.status).toBe(201);
    const res = await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket });
    const body = await problem(res, 403, "ADMIN_IDENTITY_FORBIDDEN");
    expect(JSON.stringify(body)).not.toContain("userSig");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("guest lifetimes", () => {
  it("default 3600, clamped to the built-in guest max (4 h)", async () => {
    const sdkAppId = 1400002601;
    const config = guestConfig(sdkAppId);
    await newGuest(config, sdkAppId);
    await expectIssued(await asGuest(config, sdkAppId, { expireSeconds: 30 * DAY }), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 4 * 3600,
    });
    await expectIssued(await asGuest(config, sdkAppId, { expireSeconds: 120 }), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 120,
    });
  });

  it("config lifetimes.guest: its default, and its max for new guests and renewals alike", async () => {
    const sdkAppId = 1400002602;
    const config = guestConfig(sdkAppId, {}, { lifetimes: { guest: { default: 300, max: 900 } } });
    const guest = await expectIssued(await asGuest(config, sdkAppId), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 300,
    });
    const before = Math.floor(Date.now() / 1000);
    const clamped = await expectIssued(await asGuest(config, sdkAppId, { expireSeconds: 5000 }), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 900,
    });
    expect(clamped.expiresAt).toBeGreaterThanOrEqual(before + 900);
    await expectIssued(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket, expireSeconds: 99_999 }), {
      sdkAppId,
      userId: guest.userId,
      expireSeconds: 900,
    });
  });
});

describe("Turnstile", () => {
  const siteKey = "1x00000000000000000000AA";
  const ip = "203.0.113.7";
  /** An app whose guests need Turnstile, its secret under its own name. */
  function turnstileApp(sdkAppId: number, secret: string | undefined, turnstile: Json = {}) {
    const secretName = `TURNSTILE_SECRET_${sdkAppId}`;
    return {
      config: guestConfig(sdkAppId, { turnstile: { siteKey, secretName, ...turnstile } }),
      env: secret === undefined ? {} : { [secretName]: secret },
      secretName,
    };
  }
  const calls = async () => (await idpStats()).siteverifyCalls;
  beforeEach(async () => {
    await resetFakes();
  });

  it("a token is required for a new guest: 403 TURNSTILE_REQUIRED, and siteverify is not called", async () => {
    const sdkAppId = 1400002701;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS);
    const res = await asGuest(config, sdkAppId, undefined, env, { "CF-Connecting-IP": ip });
    const body = await problem(res, 403, "TURNSTILE_REQUIRED");
    expect(body.detail).toContain("turnstileToken");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await calls()).toBe(0);
  });

  it("passes with any token; siteverify got the secret, the client IP and an idempotency key", async () => {
    const sdkAppId = 1400002702;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS);
    const res = await asGuest(config, sdkAppId, { turnstileToken: "any-token-at-all" }, env, {
      "CF-Connecting-IP": ip,
    });
    const body = await expectIssued(res, { sdkAppId, userId: guestIdPattern("guest_"), expireSeconds: 3600 });
    expect(body.guestTicket).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const stats = await idpStats();
    expect(stats.siteverifyCalls).toBe(1);
    expect(stats.lastSiteverify).toEqual({
      hasSecret: true,
      remoteip: ip,
      idempotencyKey: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    const firstKey = stats.lastSiteverify?.idempotencyKey;

    // Another new guest: another idempotency key; without CF-Connecting-IP, no remoteip.
    await expectIssued(await asGuest(config, sdkAppId, { turnstileToken: "another-token" }, env, {}), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
    const again = await idpStats();
    expect(again.siteverifyCalls).toBe(2);
    expect(again.lastSiteverify?.remoteip).toBeNull();
    expect(again.lastSiteverify?.idempotencyKey).not.toBe(firstKey);
  });

  it("renewal with a ticket does not call siteverify again", async () => {
    const sdkAppId = 1400002703;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS);
    const guest = await expectIssued(await asGuest(config, sdkAppId, { turnstileToken: "t" }, env), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
    expect(await calls()).toBe(1);
    for (let i = 0; i < 3; i++) {
      await expectIssued(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket }, env), {
        sdkAppId,
        userId: guest.userId,
        expireSeconds: 3600,
      });
    }
    // A token sent along with the ticket is not checked either: the ticket decides.
    await expectIssued(await asGuest(config, sdkAppId, { guestTicket: guest.guestTicket, turnstileToken: "t" }, env), {
      sdkAppId,
      userId: guest.userId,
      expireSeconds: 3600,
    });
    expect(await calls()).toBe(1);
  });

  it("a failing challenge: 403 TURNSTILE_FAILED", async () => {
    const sdkAppId = 1400002704;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_FAIL);
    const res = await asGuest(config, sdkAppId, { turnstileToken: "t" }, env, { "CF-Connecting-IP": ip });
    const body = await problem(res, 403, "TURNSTILE_FAILED");
    expect(body.detail).toBe("The challenge was not passed; solve it again.");
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await calls()).toBe(1);
  });

  it("a spent token (timeout-or-duplicate): 403 TURNSTILE_FAILED", async () => {
    const sdkAppId = 1400002705;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_SPENT);
    const res = await asGuest(config, sdkAppId, { turnstileToken: "t" }, env);
    await problem(res, 403, "TURNSTILE_FAILED");
    expect(await calls()).toBe(1);
  });

  it("secretName can only name a TURNSTILE_* secret: never the Tencent key or the operator token", async () => {
    for (const [i, secretName] of ["SECRET_KEY_1400002790", "ADMIN_API_TOKEN"].entries()) {
      const sdkAppId = 1400002790 + i;
      const config = guestConfig(sdkAppId, { turnstile: { siteKey, secretName } });
      const body = await problem(await asGuest(config, sdkAppId, { turnstileToken: "t" }), 500, "CONFIG_ERROR");
      expect(String(body.detail)).toContain("secretName");
      expect(await calls()).toBe(0);
    }
  });

  it("the Turnstile secret missing from env: 500 CONFIG_ERROR naming the secret", async () => {
    const sdkAppId = 1400002706;
    const { config, env, secretName } = turnstileApp(sdkAppId, undefined);
    const res = await asGuest(config, sdkAppId, { turnstileToken: "t" }, env);
    const body = await problem(res, 500, "CONFIG_ERROR");
    expect(body.detail).toContain(secretName);
    expect(await calls()).toBe(0);
    // The default secret name, when the config names none.
    const other = 1400002707;
    const defaulted = guestConfig(other, { turnstile: { siteKey } });
    const res2 = await asGuest(defaulted, other, { turnstileToken: "t" });
    expect((await problem(res2, 500, "CONFIG_ERROR")).detail).toContain("TURNSTILE_SECRET_KEY");
    // And with it set, that name is the one used.
    await expectIssued(
      await asGuest(defaulted, other, { turnstileToken: "t" }, { TURNSTILE_SECRET_KEY: TURNSTILE_PASS }),
      {
        sdkAppId: other,
        userId: guestIdPattern("guest_"),
        expireSeconds: 3600,
      },
    );
  });

  it("hostnames configured and not matching siteverify's hostname: 403; matching: 200", async () => {
    const sdkAppId = 1400002708;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS, { hostnames: ["mygame.example"] });
    await problem(await asGuest(config, sdkAppId, { turnstileToken: "t" }, env), 403, "TURNSTILE_FAILED");
    const ok = 1400002709;
    const matching = turnstileApp(ok, TURNSTILE_PASS, { hostnames: ["mygame.example", "example.com"] });
    await expectIssued(await asGuest(matching.config, ok, { turnstileToken: "t" }, matching.env), {
      sdkAppId: ok,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
  });

  it("an action configured and not matching siteverify's action: 403 TURNSTILE_FAILED", async () => {
    const sdkAppId = 1400002710;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS, { action: "join-demo" });
    await problem(await asGuest(config, sdkAppId, { turnstileToken: "t" }, env), 403, "TURNSTILE_FAILED");
  });

  it("an over-long (>2048) or empty turnstileToken: 400 from the schema, no siteverify call", async () => {
    const sdkAppId = 1400002711;
    const { config, env } = turnstileApp(sdkAppId, TURNSTILE_PASS);
    for (const turnstileToken of ["x".repeat(2049), ""]) {
      const body = await problem(await asGuest(config, sdkAppId, { turnstileToken }, env), 400, "BAD_REQUEST");
      expect(body.field).toBe("turnstileToken");
    }
    expect(await calls()).toBe(0);
    // 2048 is still a token.
    await expectIssued(await asGuest(config, sdkAppId, { turnstileToken: "x".repeat(2048) }, env), {
      sdkAppId,
      userId: guestIdPattern("guest_"),
      expireSeconds: 3600,
    });
    expect(await calls()).toBe(1);
  });
});

describe("audit log", () => {
  const sdkAppId = 1400002901;
  const apiKey = "k_live_audit_0123456789abcdef0123456789";
  const secretName = "TURNSTILE_SECRET_AUDIT";
  let key: IdpKey;
  let config: Json;
  let spies: MockInstance[];
  let lines: string[];
  const env = () => ({ ...brokerSecrets([sdkAppId]), [secretName]: TURNSTILE_PASS });

  beforeAll(async () => {
    key = await newIdpKey("ES256");
    config = guestConfig(
      sdkAppId,
      { turnstile: { siteKey: "1x00000000000000000000AA", secretName } },
      {
        admins: ["administrator"],
        idp: { issuers: [inlineIssuer(key, { algorithms: ["ES256"] })] },
        apiKeys: [await apiKeyEntry("backend", apiKey, { allowUserId: true })],
      },
    );
  });
  beforeEach(() => {
    lines = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(capture),
    );
  });
  afterEach(() => {
    for (const spy of spies) spy.mockRestore();
  });

  /** Runs one request and returns its response and the decision lines it logged. */
  async function decided(
    request: () => Promise<Response>,
  ): Promise<{ res: Response; body: Json; decisions: Json[]; text: string }> {
    const from = lines.length;
    const res = await request();
    const text = await res.text();
    const decisions = lines
      .slice(from)
      .filter((l) => l.includes('"event":"decision"'))
      .map((l) => JSON.parse(l) as Json);
    return { res, body: JSON.parse(text) as Json, decisions, text };
  }

  it("one decision line per request, with the decision's fields, and never a credential", async () => {
    const jwt = await mintJwt(key, { sub: "alice" });
    const expiredJwt = await mintJwt(key, { sub: "alice", exp: Math.floor(Date.now() / 1000) - 3600 });
    const adminJwt = await mintJwt(key, { sub: "administrator" });
    const turnstileToken = "turnstile-token-from-the-widget-0123456789";
    const post = (json: Json, headers: Record<string, string> = {}) =>
      brokerClient(config, env()).postJson("/v1/usersig", json, headers);

    const results: { res: Response; body: Json; decisions: Json[]; text: string }[] = [];
    const expectOne = async (
      request: () => Promise<Response>,
      expected: Json,
    ): Promise<{ res: Response; body: Json; decisions: Json[] }> => {
      const result = await decided(request);
      results.push(result);
      expect(result.decisions, JSON.stringify(result.decisions)).toHaveLength(1);
      const line = result.decisions[0] as Json;
      expect(line).toMatchObject({
        event: "decision",
        route: "/v1/usersig",
        method: "POST",
        status: result.res.status,
        app: sdkAppId,
        ...expected,
      });
      expect(typeof line.requestId).toBe("string");
      if (result.res.status === 200) {
        expect(line.code).toBeUndefined();
        expect(line.expireSeconds).toBe(result.body.expireSeconds);
      } else {
        expect(line.code).toBe(result.body.code);
        expect(line.requestId).toBe(result.body.requestId);
      }
      return result;
    };

    // IdP user: issued, refused (bad token), refused (admin).
    const idpOk = await expectOne(() => post({}, { Authorization: `Bearer ${jwt}` }), {
      callerKind: "idp",
      issuer: ISSUER,
      userId: "alice",
      outcome: "issued",
    });
    await expectOne(() => post({}, { Authorization: `Bearer ${expiredJwt}` }), {
      callerKind: "idp",
      outcome: "refused",
      code: "UNAUTHORIZED",
    });
    const expiredLine = (results.at(-1) as { decisions: Json[] }).decisions[0] as Json;
    expect(expiredLine.userId).toBeUndefined();
    expect(String(expiredLine.reason)).toContain("ERR_JWT_EXPIRED"); // the precise reason is logged
    await expectOne(() => post({}, { Authorization: `Bearer ${adminJwt}` }), {
      callerKind: "idp",
      userId: "administrator",
      outcome: "refused",
      code: "ADMIN_IDENTITY_FORBIDDEN",
    });

    // Guest: refused without Turnstile, issued with it, renewed with the ticket, refused with a bad ticket.
    await expectOne(() => post({}), { callerKind: "guest", outcome: "refused", code: "TURNSTILE_REQUIRED" });
    const guest = await expectOne(() => post({ turnstileToken }), { callerKind: "guest", outcome: "issued" });
    const guestTicket = guest.body.guestTicket as string;
    expect((guest.decisions[0] as Json).userId).toBe(guest.body.userId);
    await expectOne(() => post({ guestTicket }), {
      callerKind: "guest",
      userId: guest.body.userId,
      outcome: "issued",
    });
    await expectOne(() => post({ guestTicket: `${guestTicket.slice(0, -4)}AAAA` }), {
      callerKind: "guest",
      outcome: "refused",
      code: "UNAUTHORIZED",
    });

    // API key: issued, refused (wrong key), refused (admin).
    await expectOne(() => post({ userId: "backend_user" }, { "X-Api-Key": apiKey }), {
      callerKind: "apiKey",
      keyName: "backend",
      userId: "backend_user",
      outcome: "issued",
    });
    await expectOne(() => post({ userId: "backend_user" }, { "X-Api-Key": `${apiKey}x` }), {
      callerKind: "apiKey",
      outcome: "refused",
      code: "UNAUTHORIZED",
    });
    expect(((results.at(-1) as { decisions: Json[] }).decisions[0] as Json).keyName).toBeUndefined();
    await expectOne(() => post({ userId: "administrator" }, { "X-Api-Key": apiKey }), {
      callerKind: "apiKey",
      keyName: "backend",
      userId: "administrator",
      outcome: "refused",
      code: "ADMIN_IDENTITY_FORBIDDEN",
    });

    // Nothing logged (decision lines or anything else) carries a credential or a secret.
    const sigs = results.map((r) => r.body.userSig).filter((s): s is string => typeof s === "string");
    expect(sigs.length).toBe(4);
    const forbidden: [string, string][] = [
      ["the JWT", jwt],
      ["the expired JWT", expiredJwt],
      ["the admin JWT", adminJwt],
      ["the JWT's signature", jwt.split(".")[2] as string],
      ["the guest ticket", guestTicket],
      ["the ticket's signature", guestTicket.split(".")[2] as string],
      ["the API key", apiKey],
      ["the secret key", SECRET_KEY],
      ["the Turnstile secret", TURNSTILE_PASS],
      ["the Turnstile token", turnstileToken],
      ...sigs.map((s, i): [string, string] => [`userSig #${i}`, s]),
    ];
    const log = lines.join("\n");
    for (const [what, value] of forbidden) {
      expect(log.includes(value), `the log contains ${what}`).toBe(false);
    }
    // The success bodies, of course, carry the sig: the check above is not vacuous.
    expect(idpOk.body.userSig).toEqual(expect.any(String));
    expect(lines.filter((l) => l.includes('"event":"decision"'))).toHaveLength(results.length);
  });
});
