// The pure core: window arithmetic, decisions over several windows, header fields, TTLs, subjects.
// Imports nothing from cloudflare:*: runs in workerd and in plain Node.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WINDOW_SECONDS_MAX } from "../../src/ratelimit/config.js";
import {
  clientSubject,
  decide,
  flushIntervalMs,
  KV_EXPIRATION_TTL_MIN_SECONDS,
  rateLimitField,
  rateLimitPolicyField,
  secondsUntilReset,
  shardTtlSeconds,
  syncIntervalMs,
  windowIndex,
} from "../../src/ratelimit/policy.js";

const T0 = Date.UTC(2026, 0, 1); // a multiple of every window length that divides a day

describe("fixed windows", () => {
  it("starts windows at multiples of their length since the epoch", () => {
    expect(windowIndex(T0, 60)).toBe(T0 / 60_000);
    expect(windowIndex(T0 + 59_999, 60)).toBe(T0 / 60_000);
    expect(windowIndex(T0 + 60_000, 60)).toBe(T0 / 60_000 + 1);
    expect(windowIndex(T0 + 86_399_999, 86_400)).toBe(T0 / 86_400_000);
  });

  it("counts whole seconds until the reset, never 0", () => {
    expect(secondsUntilReset(T0, 60)).toBe(60);
    expect(secondsUntilReset(T0 + 1, 60)).toBe(60);
    expect(secondsUntilReset(T0 + 1_000, 60)).toBe(59);
    expect(secondsUntilReset(T0 + 59_001, 60)).toBe(1);
    expect(secondsUntilReset(T0 + 59_999, 60)).toBe(1);
    expect(secondsUntilReset(T0 + 3_600_000, 86_400)).toBe(82_800);
  });

  it("reset is in 1..window seconds, and the window changes right after it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: WINDOW_SECONDS_MAX }), (now, w) => {
        const t = secondsUntilReset(now, w);
        expect(t).toBeGreaterThanOrEqual(1);
        expect(t).toBeLessThanOrEqual(w);
        expect(windowIndex(now + t * 1000, w)).toBe(windowIndex(now, w) + 1);
      }),
    );
  });
});

describe("decide", () => {
  const minuteAndDay = (usedMinute: number, usedDay: number) => [
    { seconds: 60, limit: 10, used: usedMinute },
    { seconds: 86_400, limit: 100, used: usedDay },
  ];

  it("allows while every window has room, and charges each", () => {
    const d = decide(minuteAndDay(3, 50), T0 + 18_000);
    expect(d.allowed).toBe(true);
    expect(d.windows.map((w) => w.remaining)).toEqual([6, 49]);
    expect(d.tightest).toMatchObject({ seconds: 60, remaining: 6, resetSeconds: 42 });
    expect(d.violated).toEqual([]);
    expect(d.retryAfterSeconds).toBeUndefined();
  });

  it("allows the last one exactly at the limit and refuses the next", () => {
    expect(decide(minuteAndDay(9, 0), T0).allowed).toBe(true);
    expect(decide(minuteAndDay(9, 0), T0).tightest.remaining).toBe(0);
    const refused = decide(minuteAndDay(10, 0), T0 + 18_000);
    expect(refused.allowed).toBe(false);
    expect(refused.violated.map((v) => v.seconds)).toEqual([60]);
    expect(refused.retryAfterSeconds).toBe(42);
    // Nothing is charged on a refusal: the day window still shows its full room.
    expect(refused.windows[1]?.remaining).toBe(100);
  });

  it("a refusal waits for every exhausted window, and names the longest", () => {
    const d = decide(minuteAndDay(10, 100), T0 + 3_600_000);
    expect(d.violated.map((v) => v.seconds)).toEqual([60, 86_400]);
    expect(d.retryAfterSeconds).toBe(82_800);
    expect(d.tightest.seconds).toBe(86_400);
  });

  it("the day window alone can refuse", () => {
    const d = decide(minuteAndDay(0, 100), T0);
    expect(d.allowed).toBe(false);
    expect(d.violated.map((v) => v.seconds)).toEqual([86_400]);
  });

  it("names the window with the fewest left; on a tie the later reset", () => {
    expect(decide(minuteAndDay(0, 95), T0).tightest.seconds).toBe(86_400);
    const tie = decide(
      [
        { seconds: 60, limit: 5, used: 0 },
        { seconds: 3600, limit: 5, used: 0 },
      ],
      T0,
    );
    expect(tie.tightest.seconds).toBe(3600);
  });

  it("with cost 0 only looks", () => {
    const d = decide(minuteAndDay(10, 3), T0, 0);
    expect(d.allowed).toBe(true);
    expect(d.windows.map((w) => w.remaining)).toEqual([0, 97]);
  });

  it("never allows past a limit, whatever the counts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ seconds: fc.integer({ min: 1, max: 86_400 }), limit: fc.nat(50), used: fc.nat(60) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 4e12 }),
        (windows, now) => {
          const d = decide(windows, now);
          expect(d.allowed).toBe(windows.every((w) => w.used < w.limit));
          for (const v of d.windows) expect(v.remaining).toBeGreaterThanOrEqual(0);
          if (!d.allowed) expect(d.retryAfterSeconds).toBe(Math.max(...d.violated.map((v) => v.resetSeconds)));
        },
      ),
    );
  });
});

describe("header fields (draft-ietf-httpapi-ratelimit-headers-11)", () => {
  it("RateLimit-Policy lists every window as a quota policy item", () => {
    expect(
      rateLimitPolicyField("usersig-guest", [
        { seconds: 60, limit: 10 },
        { seconds: 86_400, limit: 100 },
      ]),
    ).toBe('"usersig-guest-60";q=10;w=60, "usersig-guest-86400";q=100;w=86400');
  });

  it("RateLimit names one policy with r and t", () => {
    expect(rateLimitField("usersig-guest", { seconds: 60, remaining: 7, resetSeconds: 42 })).toBe(
      '"usersig-guest-60";r=7;t=42',
    );
  });
});

describe("how often KV is written and read", () => {
  const w = (...seconds: number[]) => seconds.map((s) => ({ seconds: s }));

  it("follows the shortest window, within bounds", () => {
    expect(flushIntervalMs(w(60, 86_400))).toBe(5_000);
    expect(syncIntervalMs(w(60, 86_400))).toBe(10_000);
    expect(flushIntervalMs(w(86_400))).toBe(30_000);
    expect(syncIntervalMs(w(86_400))).toBe(60_000);
    expect(flushIntervalMs(w(1))).toBe(1_000);
    expect(syncIntervalMs(w(1))).toBe(10_000);
    expect(flushIntervalMs(w(3600))).toBe(30_000);
  });

  it("never writes a key more than once a second", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: WINDOW_SECONDS_MAX }), { minLength: 1, maxLength: 4 }), (s) => {
        expect(flushIntervalMs(w(...s))).toBeGreaterThanOrEqual(1_000);
        expect(flushIntervalMs(w(...s))).toBeLessThanOrEqual(syncIntervalMs(w(...s)));
      }),
    );
  });
});

describe("KV TTL of a shard", () => {
  it("is never below KV's 60 s minimum, even for 1-second windows", () => {
    expect(KV_EXPIRATION_TTL_MIN_SECONDS).toBe(60);
    expect(shardTtlSeconds([{ seconds: 1 }], T0)).toBe(61);
    expect(shardTtlSeconds([], T0)).toBe(60);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: WINDOW_SECONDS_MAX }), { minLength: 0, maxLength: 4 }),
        fc.integer({ min: 0, max: 4e12 }),
        (seconds, now) => {
          const ttl = shardTtlSeconds(
            seconds.map((s) => ({ seconds: s })),
            now,
          );
          expect(ttl).toBeGreaterThanOrEqual(60);
          // Outlives every window's current period.
          for (const s of seconds) expect(ttl).toBeGreaterThan(secondsUntilReset(now, s));
        },
      ),
    );
  });

  it("outlives the day window by the margin", () => {
    expect(shardTtlSeconds([{ seconds: 60 }, { seconds: 86_400 }], T0 + 3_600_000)).toBe(82_800 + 60);
  });
});

describe("client subject", () => {
  it("keeps an IPv4 address as is", () => {
    expect(clientSubject("203.0.113.7")).toEqual({ subject: "203.0.113.7", source: "ipv4" });
    expect(clientSubject(" 198.51.100.1 ")).toEqual({ subject: "198.51.100.1", source: "ipv4" });
  });

  it("groups IPv6 by /64, whatever the spelling", () => {
    const a = clientSubject("2001:db8:aaaa:bbbb:1:2:3:4");
    expect(a).toEqual({ subject: "2001:db8:aaaa:bbbb::/64", source: "ipv6" });
    expect(clientSubject("2001:0DB8:AAAA:BBBB:ffff:ffff:ffff:ffff").subject).toBe(a.subject);
    expect(clientSubject("2001:db8:aaaa:bbbb::1").subject).toBe(a.subject);
    expect(clientSubject("2001:db8:aaaa:bbbc::1").subject).toBe("2001:db8:aaaa:bbbc::/64");
    expect(clientSubject("2001:db8::1").subject).toBe("2001:db8:0:0::/64");
    expect(clientSubject("::1").subject).toBe("0:0:0:0::/64");
    expect(clientSubject("::").subject).toBe("0:0:0:0::/64");
    expect(clientSubject("fe80::1:2:3:4").subject).toBe("fe80:0:0:0::/64");
    expect(clientSubject("64:ff9b::192.0.2.33").subject).toBe("64:ff9b:0:0::/64");
  });

  it("treats an IPv4-mapped IPv6 address as its IPv4", () => {
    expect(clientSubject("::ffff:203.0.113.7")).toEqual({ subject: "203.0.113.7", source: "ipv4" });
    expect(clientSubject("::ffff:cb00:7107")).toEqual({ subject: "203.0.113.7", source: "ipv4" });
  });

  it("falls back to one shared subject without a usable header", () => {
    for (const missing of [undefined, null, "", "  "]) {
      expect(clientSubject(missing)).toEqual({ subject: "unknown", source: "missing" });
    }
    for (const bad of [
      "localhost",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.4:80",
      "2001:db8::1::2",
      "2001:db8:1:2:3:4:5:6:7",
      "12345::1",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7::8",
      "1.2.3.4, 5.6.7.8",
    ]) {
      expect(clientSubject(bad), bad).toEqual({ subject: "unknown", source: "invalid" });
    }
  });

  it("every address of a /64 maps to one subject; the next /64 to another", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const text = groups.map((g) => g.toString(16)).join(":");
        const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
        const subject = clientSubject(text);
        if (mapped) return expect(subject.source).toBe("ipv4");
        const sibling = [...groups.slice(0, 4), 1, 2, 3, 4].map((g) => g.toString(16)).join(":");
        expect(clientSubject(sibling).subject).toBe(subject.subject);
        const next = [...groups.slice(0, 3), ((groups[3] as number) + 1) & 0xffff, ...groups.slice(4)];
        expect(clientSubject(next.map((g) => g.toString(16)).join(":")).subject).not.toBe(subject.subject);
      }),
    );
  });
});
