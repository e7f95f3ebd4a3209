// Rate limits through the real Worker in workerd: header fields on success and refusal, 429 bodies
// and Retry-After, several windows, the new-guest budget, fail-open and fail-closed with a failing
// or hanging KV, TTLs, a concurrent burst, IPv6 /64 grouping, the missing-IP fallback, and the
// operator's stats. Pure window and decision logic: test/ratelimit.
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { brokerConfig, brokerSecrets, guestApp, idpOf } from "../support/config.js";
import { bearer, withApiKey } from "../support/requests.js";
import {
  call,
  fakeClock,
  freshIsolate,
  type IdpKey,
  idpStats,
  type Json,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
  resetFakes,
  sha256Hex,
  TURNSTILE_FAIL,
  TURNSTILE_PASS,
} from "./helpers.js";

const APP = 1400000700;
const API_KEY = "ratelimit-test-key-0123456789abcdef";
const OTHER_KEY = "ratelimit-test-key-fedcba9876543210";
const OPERATOR_TOKEN = "operator-token-for-ratelimit-tests-0123456789";
const MINUTE_AND_DAY = (perMinute: number, perDay: number) => ({
  windows: [
    { seconds: 60, limit: perMinute },
    { seconds: 86_400, limit: perDay },
  ],
});

let idpKey: IdpKey;
let keyHashes: { main: string; other: string };
let seq = 0;
/** The isolate's clock: each test starts one second into a minute, so no test straddles a window. */
let clock = fakeClock();

beforeAll(async () => {
  idpKey = await newIdpKey();
  keyHashes = { main: await sha256Hex(API_KEY), other: await sha256Hex(OTHER_KEY) };
});

beforeEach(async () => {
  // Counts are per fixed window: a fresh isolate whose clock starts one second into the current minute.
  clock = fakeClock(Math.floor(Date.now() / 60_000) * 60_000 + 1_000);
  freshIsolate({ clock: clock.read });
  await resetFakes();
  await publishJwks(idpKey);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A config of one app; each test passes its own rateLimits. `tag` keeps configs (and caches) apart. */
function config(rateLimits: Json | undefined, extra: Json = {}): Json {
  return brokerConfig(
    guestApp(APP, {
      name: `ratelimit-${seq++}`,
      idp: idpOf(),
      apiKeys: [
        { name: "backend", sha256: keyHashes.main, allowUserId: true, allowAdmin: true },
        { name: "other", sha256: keyHashes.other, allowUserId: true },
      ],
      admins: ["administrator"],
      ...(rateLimits !== undefined ? { rateLimits } : {}),
      ...extra,
    }),
  );
}

/** The new-guest budget is app-wide and outlives an isolate (it is in KV): its tests get their own apps. */
const BUDGET_APPS = [1400000701, 1400000702] as const;
/** An app of its own for the one shared local subject, which other tests' counts in KV would share. */
const LOCAL_APP = 1400000703;
const ENV = brokerSecrets([APP, ...BUDGET_APPS, LOCAL_APP], OPERATOR_TOKEN);

function guest(cfg: Json, ip: string | undefined, json: Json = {}, extraEnv: Json = {}): Promise<Response> {
  return call(
    cfg,
    "/v1/usersig",
    { method: "POST", json, headers: ip === undefined ? {} : { "CF-Connecting-IP": ip } },
    { ...ENV, ...extraEnv },
  );
}

async function asUser(cfg: Json, sub: string, path = "/v1/usersig", extraEnv: Json = {}): Promise<Response> {
  const jwt = await mintJwt(idpKey, { sub });
  return call(cfg, path, { method: "POST", json: {}, headers: bearer(jwt) }, { ...ENV, ...extraEnv });
}

function withKey(cfg: Json, path: string, json: Json, key = API_KEY, extraEnv: Json = {}): Promise<Response> {
  return call(cfg, path, { method: "POST", json, headers: withApiKey(key) }, { ...ENV, ...extraEnv });
}

async function stats(): Promise<{
  isolate: string;
  requests: number;
  rateLimit: { entries: number; decisions: Record<string, number>; kv: Record<string, number> };
  admins: { kv: { reads: number; writes: number } };
  bans: { object: { lists: number; coldWaits: number } };
}> {
  const response = await call(
    config(undefined),
    "/v1/admin/stats",
    {
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    },
    ENV,
  );
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

function limitOf(response: Response): { name: string; r: number; t: number } {
  const field = response.headers.get("RateLimit") ?? "";
  const match = /^"([a-z0-9-]+)";r=(\d+);t=(\d+)$/.exec(field);
  if (!match) throw new Error(`RateLimit field not in the draft's form: ${JSON.stringify(field)}`);
  return { name: match[1] as string, r: Number(match[2]), t: Number(match[3]) };
}

interface KvCall {
  op: "get" | "list" | "put";
  key?: string;
  options?: KVNamespacePutOptions;
}

/** env.RATE_LIMITS, with every call recorded. */
function recordingKv(): { kv: KVNamespace; calls: KvCall[] } {
  const inner = env.RATE_LIMITS;
  const calls: KvCall[] = [];
  const kv = {
    get: (key: string, options?: unknown) => {
      calls.push({ op: "get", key });
      return inner.get(key, options as never);
    },
    list: (options?: KVNamespaceListOptions) => {
      calls.push({ op: "list", ...(options?.prefix ? { key: options.prefix } : {}) });
      return inner.list(options);
    },
    put: (key: string, value: string, options?: KVNamespacePutOptions) => {
      calls.push({ op: "put", key, ...(options ? { options } : {}) });
      return inner.put(key, value, options);
    },
  };
  return { kv: kv as unknown as KVNamespace, calls };
}

/** A KV whose every operation fails, or never answers. */
function brokenKv(mode: "reject" | "hang"): { kv: KVNamespace; calls: number } {
  const state = { kv: undefined as unknown as KVNamespace, calls: 0 };
  const fail = () => {
    state.calls++;
    return mode === "reject" ? Promise.reject(new Error("KV is down")) : new Promise<never>(() => {});
  };
  state.kv = { get: fail, list: fail, put: fail } as unknown as KVNamespace;
  return state;
}

describe("headers", () => {
  it("every response after the check carries RateLimit-Policy and RateLimit in the draft's form", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(3, 100) } });
    const first = await guest(cfg, "203.0.113.10");
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Policy")).toBe(
      '"usersig-guest-60";q=3;w=60, "usersig-guest-86400";q=100;w=86400',
    );
    const limit = limitOf(first);
    expect(limit).toMatchObject({ name: "usersig-guest-60", r: 2 });
    expect(limit.t).toBeGreaterThanOrEqual(1);
    expect(limit.t).toBeLessThanOrEqual(60);
    expect(first.headers.get("Retry-After")).toBeNull();

    // An error after the check carries them too (a guest may not choose a UserID).
    const refusedOtherwise = await guest(cfg, "203.0.113.10", { userId: "mallory" });
    await problem(refusedOtherwise, 403, "USERID_NOT_ALLOWED");
    expect(limitOf(refusedOtherwise)).toMatchObject({ r: 1 });
    expect(refusedOtherwise.headers.get("RateLimit-Policy")).toContain('"usersig-guest-60";q=3;w=60');
  });

  it("API keys, IdP users, verify and the admin route are limited per key name and per UserID", async () => {
    const cfg = config({
      usersig: { idp: MINUTE_AND_DAY(2, 10), apiKey: { windows: [{ seconds: 60, limit: 2 }] } },
      verify: { apiKey: { windows: [{ seconds: 3600, limit: 1 }] } },
      admin: { apiKey: { windows: [{ seconds: 60, limit: 1 }] } },
    });
    const a = await withKey(cfg, "/v1/usersig", { userId: "u1" });
    expect(a.status).toBe(200);
    expect(a.headers.get("RateLimit-Policy")).toBe('"usersig-apikey-60";q=2;w=60');
    expect(limitOf(a)).toMatchObject({ name: "usersig-apikey-60", r: 1 });
    expect((await withKey(cfg, "/v1/usersig", { userId: "u2" })).status).toBe(200);
    await problem(await withKey(cfg, "/v1/usersig", { userId: "u3" }), 429, "RATE_LIMITED");
    // Another key is another subject.
    expect((await withKey(cfg, "/v1/usersig", { userId: "u3" }, OTHER_KEY)).status).toBe(200);

    // IdP users: per UserID, whatever the IP.
    expect((await asUser(cfg, "alice")).status).toBe(200);
    const second = await asUser(cfg, "alice");
    expect(second.status).toBe(200);
    expect(second.headers.get("RateLimit-Policy")).toBe('"usersig-idp-60";q=2;w=60, "usersig-idp-86400";q=10;w=86400');
    await problem(await asUser(cfg, "alice"), 429, "RATE_LIMITED");
    expect((await asUser(cfg, "bob")).status).toBe(200);

    // verify: a 422 after the check still counts and still carries the fields.
    const verified = await withKey(cfg, "/v1/verify", { userSig: "not-a-usersig" });
    expect(verified.status).toBe(422);
    expect(limitOf(verified)).toMatchObject({ name: "verify-apikey-3600", r: 0 });
    const tooMany = await withKey(cfg, "/v1/verify", { userSig: "not-a-usersig" });
    await problem(tooMany, 429, "RATE_LIMITED");
    // Fixed windows start at multiples of their length since the epoch: this one ends on the hour.
    const untilTheHour = Math.ceil(3600 - ((clock.ms / 1000) % 3600));
    expect(Number(tooMany.headers.get("Retry-After"))).toBe(untilTheHour);

    expect((await withKey(cfg, "/v1/admin/usersig", {})).status).toBe(200);
    const admin = await withKey(cfg, "/v1/admin/usersig", {});
    await problem(admin, 429, "RATE_LIMITED");
    expect(admin.headers.get("RateLimit-Policy")).toBe('"admin-apikey-60";q=1;w=60');
  });

  it("with limits off there are no fields and no KV traffic", async () => {
    const before = await stats();
    for (const cfg of [config({ enabled: false }), config({ usersig: false, newGuests: false })]) {
      for (let i = 0; i < 15; i++) {
        const response = await guest(cfg, "203.0.113.11");
        expect(response.status).toBe(200);
        expect(response.headers.get("RateLimit")).toBeNull();
        expect(response.headers.get("RateLimit-Policy")).toBeNull();
      }
    }
    const after = await stats();
    expect(after.rateLimit.kv).toEqual(before.rateLimit.kv);
  });

  it("apps that say nothing get the defaults: 10 a minute per guest IP", async () => {
    const cfg = config(undefined);
    for (let i = 0; i < 10; i++) expect((await guest(cfg, "203.0.113.12")).status).toBe(200);
    const refused = await guest(cfg, "203.0.113.12");
    await problem(refused, 429, "RATE_LIMITED");
    expect(refused.headers.get("RateLimit-Policy")).toBe(
      '"usersig-guest-60";q=10;w=60, "usersig-guest-86400";q=100;w=86400',
    );
  });
});

describe("refusals", () => {
  it("429 problem+json with Retry-After, the violated policies, and r=0", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(2, 100) } });
    expect((await guest(cfg, "198.51.100.1")).status).toBe(200);
    expect((await guest(cfg, "198.51.100.1")).status).toBe(200);
    const refused = await guest(cfg, "198.51.100.1");
    const body = await problem(refused, 429, "RATE_LIMITED");
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limitOf(refused)).toEqual({ name: "usersig-guest-60", r: 0, t: retryAfter });
    expect(body["violated-policies"]).toEqual(["usersig-guest-60"]);
    expect(body.title).toBe("Too many requests");
    expect(body.type).toBe("urn:usersig-broker:problem:rate-limited");
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
    // Another IP is another subject.
    expect((await guest(cfg, "198.51.100.2")).status).toBe(200);
  });

  it("the longer window refuses on its own, with a Retry-After to its end", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(100, 2) } });
    await guest(cfg, "198.51.100.3");
    await guest(cfg, "198.51.100.3");
    const refused = await guest(cfg, "198.51.100.3");
    const body = await problem(refused, 429, "RATE_LIMITED");
    expect(body["violated-policies"]).toEqual(["usersig-guest-86400"]);
    const untilMidnight = Math.ceil(86_400 - ((clock.ms / 1000) % 86_400));
    expect(Number(refused.headers.get("Retry-After"))).toBe(untilMidnight);
    expect(limitOf(refused).name).toBe("usersig-guest-86400");
  });

  it("a refused guest costs no Turnstile call and no signature", async () => {
    const cfg = config(
      { usersig: { guest: MINUTE_AND_DAY(2, 100) } },
      { guests: { enabled: true, turnstile: { siteKey: "site-key" } } },
    );
    const extra = { TURNSTILE_SECRET_KEY: TURNSTILE_PASS };
    for (let i = 0; i < 2; i++) {
      expect((await guest(cfg, "198.51.100.4", { turnstileToken: "token" }, extra)).status).toBe(200);
    }
    expect((await idpStats()).siteverifyCalls).toBe(2);
    const refused = await guest(cfg, "198.51.100.4", { turnstileToken: "token" }, extra);
    const body = await problem(refused, 429, "RATE_LIMITED");
    expect(body).not.toHaveProperty("userSig");
    expect((await idpStats()).siteverifyCalls).toBe(2);
  });

  it("guests renewing with a ticket are limited per IP too", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(2, 100) } });
    const first = (await (await guest(cfg, "198.51.100.5")).json()) as { guestTicket: string };
    const renewed = await guest(cfg, "198.51.100.5", { guestTicket: first.guestTicket });
    expect(renewed.status).toBe(200);
    await problem(await guest(cfg, "198.51.100.5", { guestTicket: first.guestTicket }), 429, "RATE_LIMITED");
    // The same ticket from another IP is counted there.
    expect((await guest(cfg, "198.51.100.6", { guestTicket: first.guestTicket })).status).toBe(200);
  });

  it("a burst of 50 concurrent requests from one IP: exactly the limit succeeds", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(10, 100) } });
    const responses = await Promise.all(Array.from({ length: 50 }, () => guest(cfg, "198.51.100.7")));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    const s = await stats();
    // One cold read for the IP and one for the new-guest budget, shared by the whole burst.
    expect(s.rateLimit.kv.lists).toBe(2);
  });

  it("refusals and warm decisions are answered without KV", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(5, 100) } });
    await guest(cfg, "198.51.100.8");
    const warm = await stats();
    for (let i = 0; i < 4; i++) expect((await guest(cfg, "198.51.100.8")).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await guest(cfg, "198.51.100.8")).status).toBe(429);
    const after = await stats();
    expect(after.rateLimit.kv.lists).toBe(warm.rateLimit.kv.lists);
    // Writes: at most one per counter per second (the per-IP counter and the budget).
    expect((after.rateLimit.kv.puts ?? 0) - (warm.rateLimit.kv.puts ?? 0)).toBeLessThanOrEqual(2);
    expect(after.rateLimit.decisions.refused).toBe(20);
  });
});

describe("a cold isolate's first issuance", () => {
  it("starts the admin-set and ban reads before the rate limiter's first read, not after it", async () => {
    const cfg = config({ usersig: { apiKey: { windows: [{ seconds: 60, limit: 5 }] } } });
    // Which binding each first touch went to, in order: every method of each binding is recorded.
    const seen: string[] = [];
    const recorded = <T extends object>(name: string, binding: T): T =>
      new Proxy(binding, {
        get(target, property) {
          const value = Reflect.get(target, property);
          if (typeof value !== "function") return value;
          return (...args: unknown[]) => {
            if (property !== "idFromName" && !seen.includes(name)) seen.push(name);
            return value.apply(target, args);
          };
        },
      });
    const wrapped = {
      ADMINS: recorded("admins", env.ADMINS),
      MODERATION: recorded("bans", env.MODERATION),
      RATE_LIMITS: recorded("rate limit", env.RATE_LIMITS),
    };
    const answer = await withKey(cfg, "/v1/usersig", { userId: "cold-1" }, API_KEY, wrapped as never);
    expect(answer.status).toBe(200);
    expect(seen).toEqual(["admins", "bans", "rate limit"]);
    // One read of each: the issuance joined the reads the prefetch started.
    const after = await stats();
    expect(after.admins.kv.reads).toBe(1);
    expect(after.bans.object.lists).toBe(1);
  });
});

describe("a cold isolate's refusals", () => {
  it("an anonymous caller of an app without guests costs no admin-set or ban read (refused at no cost)", async () => {
    const cfg = config(
      { usersig: { apiKey: { windows: [{ seconds: 60, limit: 5 }] } } },
      { guests: { enabled: false } },
    );
    await problem(await guest(cfg, "198.51.100.77"), 401, "UNAUTHORIZED");
    const after = await stats();
    expect(after.admins.kv.reads).toBe(0);
    expect(after.bans.object.lists).toBe(0);
  });
});

describe("IPv6 and the client IP", () => {
  it("an IPv6 /64 is one subject; the next /64 is another", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(2, 100) } });
    expect((await guest(cfg, "2001:db8:1:2::1")).status).toBe(200);
    expect((await guest(cfg, "2001:db8:1:2:ffff:ffff:ffff:fffe")).status).toBe(200);
    await problem(await guest(cfg, "2001:0db8:0001:0002:aaaa::1"), 429, "RATE_LIMITED");
    expect((await guest(cfg, "2001:db8:1:3::1")).status).toBe(200);
    // An IPv4-mapped address is its IPv4.
    expect((await guest(cfg, "192.0.2.1")).status).toBe(200);
    expect((await guest(cfg, "::ffff:192.0.2.1")).status).toBe(200);
    await problem(await guest(cfg, "192.0.2.1"), 429, "RATE_LIMITED");
  });

  it("without CF-Connecting-IP every guest shares one subject, and the log says so once", async () => {
    const warn = vi.spyOn(console, "warn");
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(2, 100) } });
    expect((await guest(cfg, undefined)).status).toBe(200);
    expect((await guest(cfg, undefined)).status).toBe(200);
    await problem(await guest(cfg, undefined), 429, "RATE_LIMITED");
    const lines = warn.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("rate_limit_no_client_ip"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ event: "rate_limit_no_client_ip" });
  });
});

describe("new-guest budget", () => {
  it("is app-wide, refuses before Turnstile, and does not charge the IP or the renewals", async () => {
    const cfg = config(
      { usersig: { guest: MINUTE_AND_DAY(5, 100) }, newGuests: { perDay: 2 } },
      { sdkAppId: BUDGET_APPS[0], guests: { enabled: true, turnstile: { siteKey: "site-key" } } },
    );
    const extra = { TURNSTILE_SECRET_KEY: TURNSTILE_PASS };
    const a = await guest(cfg, "192.0.2.10", { turnstileToken: "t" }, extra);
    expect(a.status).toBe(200);
    const { guestTicket } = (await a.json()) as { guestTicket: string };
    expect((await guest(cfg, "192.0.2.11", { turnstileToken: "t" }, extra)).status).toBe(200);
    expect((await idpStats()).siteverifyCalls).toBe(2);

    const refused = await guest(cfg, "192.0.2.12", { turnstileToken: "t" }, extra);
    const body = await problem(refused, 429, "GUEST_BUDGET_EXHAUSTED");
    expect(body["violated-policies"]).toEqual(["newguests-86400"]);
    expect((await idpStats()).siteverifyCalls).toBe(2);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // The refused request took nothing from its IP: all 5 still there.
    expect(limitOf(refused)).toMatchObject({ name: "usersig-guest-60", r: 5 });
    // The budget is not exposed in the header fields.
    expect(refused.headers.get("RateLimit-Policy")).not.toContain("newguests");

    // Renewing an existing identity is not a new guest.
    expect((await guest(cfg, "192.0.2.12", { guestTicket }, extra)).status).toBe(200);
  });

  it("is given back when the challenge fails", async () => {
    const limits = { newGuests: { perDay: 1 } };
    const turnstile = { sdkAppId: BUDGET_APPS[1], guests: { enabled: true, turnstile: { siteKey: "site-key" } } };
    // The config cache keys on which secrets are set, not their values: a different config string
    // makes the broker read the other secret.
    const failing = await guest(
      config(limits, turnstile),
      "192.0.2.20",
      { turnstileToken: "t" },
      {
        TURNSTILE_SECRET_KEY: TURNSTILE_FAIL,
      },
    );
    await problem(failing, 403, "TURNSTILE_FAILED");
    const passing = await guest(
      config(limits, turnstile),
      "192.0.2.21",
      { turnstileToken: "t" },
      {
        TURNSTILE_SECRET_KEY: TURNSTILE_PASS,
      },
    );
    expect(passing.status).toBe(200);
    await problem(
      await guest(
        config(limits, turnstile),
        "192.0.2.22",
        { turnstileToken: "t" },
        { TURNSTILE_SECRET_KEY: TURNSTILE_PASS },
      ),
      429,
      "GUEST_BUDGET_EXHAUSTED",
    );
  });
});

describe("when KV fails", () => {
  it("guests fail closed: 503 with Retry-After, nothing signed, no Turnstile call", async () => {
    const error = vi.spyOn(console, "error");
    const broken = brokenKv("reject");
    const cfg = config(undefined, { guests: { enabled: true, turnstile: { siteKey: "site-key" } } });
    const extra = { RATE_LIMITS: broken.kv, TURNSTILE_SECRET_KEY: TURNSTILE_PASS };
    const response = await guest(cfg, "192.0.2.30", { turnstileToken: "t" }, extra);
    const body = await problem(response, 503, "RATE_LIMIT_UNAVAILABLE");
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(limitOf(response)).toMatchObject({ r: 0, t: 5 });
    expect(body).not.toHaveProperty("userSig");
    expect((await idpStats()).siteverifyCalls).toBe(0);
    const logged = error.mock.calls.map((args) => String(args[0]));
    expect(logged.some((l) => l.includes('"event":"rate_limit_unavailable"'))).toBe(true);
    // During the back-off, KV is not asked again.
    const calls = broken.calls;
    await problem(await guest(cfg, "192.0.2.30", { turnstileToken: "t" }, extra), 503, "RATE_LIMIT_UNAVAILABLE");
    expect(broken.calls).toBe(calls);
  });

  it("authenticated callers fail open: allowed and logged, and this isolate's own count still holds", async () => {
    const warn = vi.spyOn(console, "warn");
    const broken = brokenKv("reject");
    const cfg = config({ usersig: { idp: MINUTE_AND_DAY(3, 100) } });
    const extra = { RATE_LIMITS: broken.kv };
    for (let i = 0; i < 3; i++) {
      const response = await asUser(cfg, "carol", "/v1/usersig", extra);
      expect(response.status).toBe(200);
      expect(limitOf(response).r).toBe(2 - i);
    }
    await problem(await asUser(cfg, "carol", "/v1/usersig", extra), 429, "RATE_LIMITED");
    const lines = warn.mock.calls.map((args) => String(args[0])).filter((l) => l.includes("rate_limit_fail_open"));
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      event: "rate_limit_fail_open",
      sdkAppId: APP,
      routeClass: "usersig",
      callerKind: "idp",
    });
    expect(lines.join("\n")).not.toContain("carol");
  });

  it("a hanging KV costs a cold request at most about a second, then failMode applies", async () => {
    const broken = brokenKv("hang");
    const cfg = config(undefined);
    const started = Date.now();
    await problem(await guest(cfg, "192.0.2.40", {}, { RATE_LIMITS: broken.kv }), 503, "RATE_LIMIT_UNAVAILABLE");
    const guestMs = Date.now() - started;
    expect(guestMs).toBeGreaterThanOrEqual(900);
    // Generous: only "bounded, not hanging" is the point (a loaded CI machine is slow).
    expect(guestMs).toBeLessThan(10_000);
    const user = await asUser(cfg, "dave", "/v1/usersig", { RATE_LIMITS: broken.kv });
    expect(user.status).toBe(200);
  }, 15_000);

  it("a missing RATE_LIMITS binding is a KV failure", async () => {
    const cfg = config(undefined);
    await problem(await guest(cfg, "192.0.2.41", {}, { RATE_LIMITS: undefined }), 503, "RATE_LIMIT_UNAVAILABLE");
  });
});

describe("what is written to KV", () => {
  it("TTLs are never below 60 s, keys hold no IP, and list() sees the counts in the metadata", async () => {
    const recorder = recordingKv();
    const cfg = config({
      usersig: {
        guest: {
          windows: [
            { seconds: 1, limit: 100 },
            { seconds: 10, limit: 100 },
          ],
        },
      },
    });
    for (let i = 0; i < 3; i++) {
      expect((await guest(cfg, "203.0.113.99", {}, { RATE_LIMITS: recorder.kv })).status).toBe(200);
      clock.advance(1_100);
    }
    const puts = recorder.calls.filter((c) => c.op === "put");
    expect(puts.length).toBeGreaterThanOrEqual(4);
    for (const put of puts) {
      expect(put.options?.expirationTtl).toBeGreaterThanOrEqual(60);
      expect(put.key).not.toContain("203.0.113.99");
      expect(put.key).toMatch(/^rl\/v1\/1400000700\/(usersig\/guest|newguests\/app)\/[A-Za-z0-9_-]{22}\/[0-9a-f]{16}$/);
    }
    expect(recorder.calls.filter((c) => c.op === "get")).toHaveLength(0);

    const { isolate } = await stats();
    const listed = await env.RATE_LIMITS.list<{ w: [number, number, number][] }>({
      prefix: "rl/v1/1400000700/usersig/guest/",
    });
    const mine = listed.keys.filter((k) => k.name.endsWith(`/${isolate}`));
    expect(mine.length).toBeGreaterThanOrEqual(1);
    const shard = mine.find((k) => k.metadata?.w.some(([seconds]) => seconds === 10));
    expect(shard?.metadata?.w.map(([seconds]) => seconds)).toEqual([1, 10]);
    expect(shard?.expiration).toBeDefined();
    expect((shard?.expiration ?? 0) - Date.now() / 1000).toBeGreaterThanOrEqual(59);
  }, 15_000);

  it("another isolate's shard counts against the subject", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(5, 100) } });
    const recorder = recordingKv();
    // Learn this subject's KV name from a first request, then plant a shard of another isolate.
    expect((await guest(cfg, "203.0.113.77", {}, { RATE_LIMITS: recorder.kv })).status).toBe(200);
    const key = recorder.calls.find((c) => c.op === "put" && c.key?.includes("/usersig/guest/"))?.key as string;
    const index = Math.floor(clock.ms / 60_000);
    await env.RATE_LIMITS.put(key.replace(/\/[0-9a-f]{16}$/, "/00000000000000ff"), "", {
      expirationTtl: 120,
      metadata: { w: [[60, index, 3]] },
    });
    // A new isolate, cold: its next request reads the shards (our earlier one now counts as another's).
    freshIsolate({ clock: clock.read });
    const next = await guest(cfg, "203.0.113.77");
    expect(next.status).toBe(200);
    expect(limitOf(next).r).toBe(0); // 1 (ours, from KV) + 3 (theirs) + this one
    await problem(await guest(cfg, "203.0.113.77"), 429, "RATE_LIMITED");
  });
});

describe("GET /v1/admin/stats", () => {
  it("is the operator's, and counts KV operations and decisions", async () => {
    const cfg = config(undefined);
    await problem(await call(cfg, "/v1/admin/stats", {}, ENV), 401, "UNAUTHORIZED");
    const wrongMethod = await call(
      cfg,
      "/v1/admin/stats",
      { method: "POST", json: {}, headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } },
      ENV,
    );
    await problem(wrongMethod, 405, "METHOD_NOT_ALLOWED");
    expect(wrongMethod.headers.get("Allow")).toBe("GET");
    await guest(cfg, "203.0.113.50");
    const s = await stats();
    expect(s.isolate).toMatch(/^[0-9a-f]{16}$/);
    expect(s.rateLimit.decisions.allowed).toBe(2); // the IP and the new-guest budget
    expect(s.rateLimit.kv).toEqual({ lists: 2, puts: 2, errors: 0 });
    expect(s.rateLimit.kv.puts).toBe(2); // one flush each for the IP's counter and the budget
    // Cold: one read of the runtime admins; one list of the bans from the app's object.
    expect(s.admins.kv).toEqual({ reads: 1, writes: 0 });
    expect(s.bans.object).toEqual({ lists: 1, coldWaits: 1 });
    expect(s.requests).toBeGreaterThanOrEqual(3);
    // Warm: the next issuance reads neither.
    await guest(cfg, "203.0.113.51");
    const warm = await stats();
    expect(warm.admins.kv).toEqual(s.admins.kv);
    expect(warm.bans.object).toEqual(s.bans.object);
  });

  it("a ban through this isolate reads no list: in force here at once; the next list comes from the object", async () => {
    const cfg = config(undefined);
    const op = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
    const put = await call(cfg, `/v1/admin/apps/${APP}/bans/mallory`, { method: "PUT", json: {}, headers: op }, ENV);
    expect(put.status).toBe(201);
    expect((await stats()).bans.object).toEqual({ lists: 0, coldWaits: 0 });
    expect((await call(cfg, `/v1/admin/apps/${APP}/bans/mallory`, { method: "DELETE", headers: op }, ENV)).status).toBe(
      204,
    );
    expect((await stats()).bans.object).toEqual({ lists: 0, coldWaits: 0 });
  });
});

describe("who the client is (issue 9, defect 3)", () => {
  const LOCAL = { CLIENT_IP_HEADER: "untrusted" };

  it("where CF-Connecting-IP is not trusted (local starts), a spoofed one buys no fresh guest budget", async () => {
    const warn = vi.spyOn(console, "warn");
    const cfg = {
      apps: [
        { sdkAppId: LOCAL_APP, guests: { enabled: true }, rateLimits: { usersig: { guest: MINUTE_AND_DAY(2, 100) } } },
      ],
    };
    expect((await guest(cfg, "198.51.100.10", {}, LOCAL)).status).toBe(200);
    expect((await guest(cfg, "198.51.100.11", {}, LOCAL)).status).toBe(200);
    // A third "client" naming yet another address shares the one local subject: refused.
    await problem(await guest(cfg, "198.51.100.12", {}, LOCAL), 429, "RATE_LIMITED");
    await problem(await guest(cfg, undefined, {}, LOCAL), 429, "RATE_LIMITED");
    expect(warn.mock.calls.flat().join("\n")).toContain("rate_limit_client_ip_untrusted");
  });

  it("on Cloudflare (the variable unset) the edge's CF-Connecting-IP names the subject", async () => {
    const cfg = config({ usersig: { guest: MINUTE_AND_DAY(2, 100) } });
    expect((await guest(cfg, "198.51.100.20")).status).toBe(200);
    expect((await guest(cfg, "198.51.100.20")).status).toBe(200);
    await problem(await guest(cfg, "198.51.100.20"), 429, "RATE_LIMITED");
    expect((await guest(cfg, "198.51.100.21")).status).toBe(200);
  });
});
