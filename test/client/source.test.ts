// The browser client's cache: one request for concurrent callers, answers from the cache until the
// refresh margin, a background refresh at exactly expiresAt - margin that emits `refresh`, and a
// close() that stops everything. Time is a fake clock; the broker is a scripted fetch.
import { describe, expect, it } from "vitest";
import { createUserSigSource, UserSigBrokerError, type UserSigResult } from "../../src/client/index.js";
import { FakeClock, problem, rejectionOf, scriptedFetch, setup, sigAnswer } from "./helpers.js";

const HOUR_MS = 3_600_000;

describe("get()", () => {
  it("fetches once, then answers from the cache with the same result", async () => {
    const { source, clock, calls } = setup((clock) => [sigAnswer(clock, { userSig: "sig-1" })]);
    const first = await source.get();
    await clock.advance(10 * 60_000);
    const second = await source.get();
    expect(calls).toHaveLength(1);
    expect(second).toBe(first);
    expect(first).toEqual({
      sdkAppId: 1400000000,
      userId: "alice",
      userSig: "sig-1",
      expireSeconds: 3600,
      expiresAt: Math.floor(clock.nowMs / 1000) - 600 + 3600,
    });
    source.close();
  });

  it("shares one request among 10 concurrent callers", async () => {
    const { source, calls } = setup((clock) => [sigAnswer(clock)]);
    const results = await Promise.all(Array.from({ length: 10 }, () => source.get()));
    expect(calls).toHaveLength(1);
    for (const result of results) expect(result).toBe(results[0]);
    source.close();
  });

  it("shares one request with a caller that arrives while it is in flight, and rejects them all alike", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { source, calls } = setup(() => [
      async () => {
        await gate;
        return problem(403, "USERID_NOT_ALLOWED", "No.");
      },
      (call) => sigAnswer(new FakeClock())(call),
    ]);
    const a = rejectionOf(source.get());
    const b = rejectionOf(source.get());
    release();
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea).toBe(eb);
    expect(calls).toHaveLength(1);
    // A failure is not cached: the next get() asks again.
    await source.get();
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("posts to <endpoint>/v1/usersig, keeping a path prefix and dropping trailing slashes", async () => {
    const { source, calls } = setup((clock) => [sigAnswer(clock)], {
      endpoint: "https://example.test/broker//",
      sdkAppId: 1400000000,
      expireSeconds: 1800,
    });
    await source.get();
    expect(calls[0]?.url).toBe("https://example.test/broker/v1/usersig");
    expect(calls[0]?.body).toEqual({ sdkAppId: 1400000000, expireSeconds: 1800 });
    expect(calls[0]?.headers.get("Content-Type")).toBe("application/json");
    // Only headers the broker's CORS preflight allows (Accept is CORS-safelisted).
    expect([...(calls[0]?.headers.keys() ?? [])].sort()).toEqual(["accept", "authorization", "content-type"]);
    source.close();
  });
});

describe("refresh timing", () => {
  it("refreshes in the background at expiresAt - 300 s and emits `refresh` with the new UserSig", async () => {
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { userSig: "sig-1" }),
      sigAnswer(clock, { userSig: "sig-2" }),
    ]);
    const refreshed: UserSigResult[] = [];
    source.on("refresh", (result) => refreshed.push(result));
    const first = await source.get();
    expect(refreshed).toEqual([]); // the first UserSig is get()'s answer, not a refresh
    expect(clock.pending).toEqual([clock.nowMs + HOUR_MS - 300_000]);

    await clock.advance(HOUR_MS - 300_000 - 1);
    expect(calls).toHaveLength(1);
    expect(await source.get()).toBe(first);

    await clock.advance(1);
    expect(calls).toHaveLength(2);
    expect(refreshed.map((r) => r.userSig)).toEqual(["sig-2"]);
    expect((await source.get()).userSig).toBe("sig-2");
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("uses 10% of a short lifetime as the margin (600 s → refresh after 540 s)", async () => {
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { expireSeconds: 600 }),
      sigAnswer(clock, { expireSeconds: 600 }),
    ]);
    await source.get();
    await clock.advance(539_999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("honours refreshBeforeSeconds, capped at half the lifetime", async () => {
    const a = setup((clock) => [sigAnswer(clock), sigAnswer(clock)], { refreshBeforeSeconds: 100 });
    await a.source.get();
    expect(a.clock.pending).toEqual([a.clock.nowMs + HOUR_MS - 100_000]);
    a.source.close();

    const b = setup((clock) => [sigAnswer(clock)], { refreshBeforeSeconds: 3000 });
    await b.source.get();
    expect(b.clock.pending).toEqual([b.clock.nowMs + HOUR_MS / 2]);
    b.source.close();
  });

  it("counts the lifetime on the local clock, so a broker clock hours off does not matter", async () => {
    const { source, clock } = setup((clock) => [
      sigAnswer(clock, { brokerNowSeconds: Math.floor(clock.nowMs / 1000) - 5 * 3600 }),
    ]);
    const result = await source.get();
    expect(result.expiresAt * 1000).toBeLessThan(clock.nowMs); // "expired" by our clock…
    expect(clock.pending).toEqual([clock.nowMs + HOUR_MS - 300_000]); // …yet fresh for 55 minutes
    expect(await source.get()).toBe(result);
    source.close();
  });

  it("chains timers for lifetimes beyond setTimeout's 24.8-day limit", async () => {
    const days = (n: number) => n * 86_400_000;
    const { source, clock, calls } = setup((clock) => [
      sigAnswer(clock, { expireSeconds: 180 * 86_400 }),
      sigAnswer(clock, { expireSeconds: 180 * 86_400 }),
    ]);
    await source.get();
    expect(clock.pending[0]).toBe(clock.nowMs + 2 ** 31 - 1);
    await clock.advance(days(100));
    expect(calls).toHaveLength(1);
    await clock.advance(days(180) - 300_000 - days(100) - 1);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    source.close();
  });

  it("after a failed background refresh emits `error`, retries with backoff, then emits `refresh`", async () => {
    const { source, clock, calls } = setup(
      (clock) => [
        sigAnswer(clock, { userSig: "sig-1" }),
        () => problem(403, "USERID_NOT_ALLOWED", "Not now."),
        sigAnswer(clock, { userSig: "sig-2" }),
      ],
      { random: () => 1 },
    );
    const events: string[] = [];
    source.on("error", (error) => events.push(`error ${error.code}`));
    source.on("refresh", (result) => events.push(`refresh ${result.userSig}`));
    await source.get();
    await clock.advance(HOUR_MS - 300_000);
    expect(events).toEqual(["error USERID_NOT_ALLOWED"]);
    expect(clock.pending).toEqual([clock.nowMs + 500]); // first backoff step, random = 1
    await clock.advance(500);
    expect(events).toEqual(["error USERID_NOT_ALLOWED", "refresh sig-2"]);
    expect(calls).toHaveLength(3);
    source.close();
  });

  it("stops retrying in the background once the UserSig would have expired", async () => {
    const answers = [
      (clock: FakeClock) => sigAnswer(clock, { expireSeconds: 20 }),
      ...Array.from({ length: 20 }, () => () => () => problem(400, "BAD_REQUEST", "Bad.")),
    ];
    const { source, clock, calls } = setup((clock) => answers.map((make) => make(clock)), { maxRetryDelayMs: 1000 });
    const errors: UserSigBrokerError[] = [];
    source.on("error", (error) => errors.push(error));
    await source.get(); // margin 2 s: refresh at 18 s, expiry at 20 s
    await clock.advance(60_000);
    // 18 s, +0.5 s, +1 s (cap): the next step would land after expiry at 20 s.
    expect(calls).toHaveLength(4);
    expect(errors).toHaveLength(3);
    expect(clock.pending).toEqual([]);
    source.close();
  });
});

describe("events", () => {
  it("on() returns an unsubscribe function, and off() removes a listener", async () => {
    const { source, clock } = setup((clock) => [sigAnswer(clock), sigAnswer(clock), sigAnswer(clock)]);
    const seen: string[] = [];
    const unsubscribe = source.on("refresh", () => seen.push("a"));
    const b = () => seen.push("b");
    source.on("refresh", b);
    await source.get();
    await clock.advance(HOUR_MS - 300_000);
    expect(seen).toEqual(["a", "b"]);
    unsubscribe();
    source.off("refresh", b);
    await clock.advance(HOUR_MS - 300_000);
    expect(seen).toEqual(["a", "b"]);
    source.close();
  });

  it("refuses an unknown event name", () => {
    const { source } = setup(() => []);
    expect(() => source.on("expired" as "refresh", () => {})).toThrow(TypeError);
    source.close();
  });
});

describe("close()", () => {
  it("stops the refresh timer and rejects later calls with CLOSED", async () => {
    const { source, clock, calls } = setup((clock) => [sigAnswer(clock)]);
    await source.get();
    source.close();
    expect(clock.pending).toEqual([]);
    await clock.advance(10 * HOUR_MS);
    expect(calls).toHaveLength(1);
    const error = await rejectionOf(source.get());
    expect(error).toBeInstanceOf(UserSigBrokerError);
    expect((error as UserSigBrokerError).code).toBe("CLOSED");
    await expect(source.getPrivateMapKey({ roomId: 1, privileges: 2 })).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("ends a request waiting to retry, and aborts one in flight", async () => {
    const waiting = setup(() => [() => problem(503, "KV_UNAVAILABLE", "Later.", { "Retry-After": "5" })]);
    const pending = rejectionOf(waiting.source.get());
    await waiting.clock.advance(1000);
    waiting.source.close();
    expect(await pending).toMatchObject({ code: "CLOSED" });
    expect(waiting.clock.pending).toEqual([]);

    const inflight = setup(() => [
      (call) =>
        new Promise<Response>((_, reject) =>
          call.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
        ),
    ]);
    const aborted = rejectionOf(inflight.source.get());
    await inflight.clock.advance(10);
    inflight.source.close();
    expect(await aborted).toMatchObject({ code: "CLOSED" });
  });
});

describe("options", () => {
  const base = { endpoint: "https://broker.test", fetch: scriptedFetch().fetch };

  it("need exactly one of getIdToken and guest", () => {
    expect(() => createUserSigSource(base)).toThrow(/exactly one of getIdToken/);
    expect(() => createUserSigSource({ ...base, guest: false })).toThrow(/exactly one of getIdToken/);
    expect(() => createUserSigSource({ ...base, guest: true, getIdToken: () => "t" })).toThrow(
      /exactly one of getIdToken/,
    );
    expect(() => createUserSigSource({ ...base, guest: true }).close()).not.toThrow();
  });

  it("are checked once, when the source is created", () => {
    const guest = { ...base, guest: true } as const;
    expect(() => createUserSigSource({ ...guest, endpoint: "" })).toThrow(TypeError);
    expect(() => createUserSigSource({ ...guest, maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createUserSigSource({ ...guest, maxRetries: 1.5 })).toThrow(/maxRetries/);
    expect(() => createUserSigSource({ ...guest, refreshBeforeSeconds: Number.NaN })).toThrow(/refreshBefore/);
    expect(() => createUserSigSource({ ...guest, sdkAppId: 0 })).toThrow(/sdkAppId/);
    expect(() => createUserSigSource({ ...guest, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
  });
});
