// Retries and errors: Retry-After in both its forms, jittered exponential backoff with a cap and a
// bound on attempts, network errors and timeouts retried, other 4xx not, and every failure a typed
// UserSigBrokerError carrying the broker's `code` and never a token.
import { describe, expect, it } from "vitest";
import { UserSigBrokerError } from "../../src/client/index.js";
import { backoffDelayMs, parseRetryAfter } from "../../src/client/retry.js";
import { json, problem, rejectionOf, START_MS, setup, sigAnswer } from "./helpers.js";

describe("Retry-After", () => {
  it("in seconds: waits exactly that long before the one retry", async () => {
    const { source, clock, calls } = setup((clock) => [
      () => problem(429, "RATE_LIMITED", "Slow down.", { "Retry-After": "2" }),
      sigAnswer(clock),
    ]);
    const result = source.get();
    await clock.advance(1999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    expect((await result).userId).toBe("alice");
    source.close();
  });

  it("as an HTTP date: waits until then", async () => {
    const { source, clock, calls } = setup((clock) => [
      () => problem(503, "KV_UNAVAILABLE", "Later.", { "Retry-After": new Date(clock.nowMs + 5000).toUTCString() }),
      sigAnswer(clock),
    ]);
    const result = source.get();
    await clock.advance(4999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    await result;
    source.close();
  });

  it("longer than maxRetryDelayMs: fails at once, with retryAfterSeconds for the app", async () => {
    const { source, calls } = setup(
      () => [() => problem(429, "RATE_LIMITED", "Slow down.", { "Retry-After": "120" })],
      {
        maxRetryDelayMs: 30_000,
      },
    );
    const error = (await rejectionOf(source.get())) as UserSigBrokerError;
    expect(calls).toHaveLength(1);
    expect(error).toMatchObject({ status: 429, code: "RATE_LIMITED", retryAfterSeconds: 120, retryable: true });
    source.close();
  });

  it("parses seconds and dates, and nothing else", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter(" 17 ", now)).toBe(17);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:09 GMT", now)).toBe(9);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    for (const bad of [null, undefined, "", "-1", "1.5", "soon", "2026-01-01"]) {
      expect(parseRetryAfter(bad, now)).toBeUndefined();
    }
  });
});

describe("backoff", () => {
  it("doubles from 500 ms, capped at maxRetryDelayMs, then gives up after maxRetries", async () => {
    const sentAt: number[] = [];
    const { source, clock, calls } = setup(
      (clock) => {
        const unavailable = () => {
          sentAt.push(clock.nowMs - START_MS);
          return problem(503, "KV_UNAVAILABLE", "Later.");
        };
        return [unavailable, unavailable, unavailable, unavailable];
      },
      { maxRetries: 3, maxRetryDelayMs: 1500, random: () => 1 },
    );
    const outcome = rejectionOf(source.get());
    await clock.advance(60_000);
    expect(sentAt).toEqual([0, 500, 1500, 3000]); // waits 500, 1000, 1500 (cap)
    const error = (await outcome) as UserSigBrokerError;
    expect(calls).toHaveLength(4);
    expect(error).toMatchObject({ status: 503, code: "KV_UNAVAILABLE", detail: "Later." });
    source.close();
  });

  it("is jittered between half and all of each step", () => {
    expect(backoffDelayMs(0, 30_000, () => 0)).toBe(250);
    expect(backoffDelayMs(0, 30_000, () => 0.999999)).toBe(500);
    expect(backoffDelayMs(3, 30_000, () => 0.5)).toBe(3000);
    expect(backoffDelayMs(20, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelayMs(2000, 30_000, () => 0)).toBe(15_000);
  });

  it("maxRetries 0 means one attempt", async () => {
    const { source, calls } = setup(() => [() => problem(503, "KV_UNAVAILABLE", "Later.")], { maxRetries: 0 });
    await rejectionOf(source.get());
    expect(calls).toHaveLength(1);
    source.close();
  });
});

describe("network errors and timeouts", () => {
  it("retries a failed fetch, and reports NETWORK_ERROR when every attempt fails", async () => {
    const offline = () => Promise.reject(new TypeError("Failed to fetch"));
    const recovered = setup((clock) => [offline, sigAnswer(clock)]);
    const result = recovered.source.get();
    await recovered.clock.advance(500);
    expect((await result).userId).toBe("alice");
    recovered.source.close();

    const down = setup(() => [offline, offline], { maxRetries: 1 });
    const failure = rejectionOf(down.source.get());
    await down.clock.advance(500);
    const error = (await failure) as UserSigBrokerError;
    expect(error).toMatchObject({ status: 0, code: "NETWORK_ERROR", retryable: true });
    expect(error.cause).toBeInstanceOf(TypeError);
    down.source.close();
  });

  it("gives each attempt requestTimeoutMs, then retries", async () => {
    const hang = (call: { signal: AbortSignal | undefined }) =>
      new Promise<Response>((_, reject) =>
        call.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))),
      );
    const { source, clock, calls } = setup((clock) => [hang, sigAnswer(clock)], { requestTimeoutMs: 1000 });
    const result = source.get();
    await clock.advance(999);
    expect(calls).toHaveLength(1);
    await clock.advance(1 + 500);
    expect(calls).toHaveLength(2);
    await result;

    const slow = setup(() => [hang], { requestTimeoutMs: 1000, maxRetries: 0 });
    const failure = rejectionOf(slow.source.get());
    await slow.clock.advance(1000);
    expect(await failure).toMatchObject({ status: 0, code: "TIMEOUT" });
    source.close();
    slow.source.close();
  });
});

describe("errors", () => {
  it("problem+json becomes a typed error with the broker's code, detail, title, field and requestId", async () => {
    const { source, calls } = setup(() => [
      () => problem(400, "BAD_REQUEST", "expireSeconds: too big", {}, { field: "expireSeconds", requestId: "req-123" }),
    ]);
    const error = (await rejectionOf(source.get())) as UserSigBrokerError;
    expect(calls).toHaveLength(1);
    expect(error).toBeInstanceOf(UserSigBrokerError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "UserSigBrokerError",
      status: 400,
      code: "BAD_REQUEST",
      detail: "expireSeconds: too big",
      title: "Title",
      type: "urn:usersig-broker:problem:bad_request",
      field: "expireSeconds",
      requestId: "req-123",
      retryable: false,
      retryAfterSeconds: undefined,
    });
    expect(error.message).toBe("usersig-broker: BAD_REQUEST (HTTP 400): expireSeconds: too big");
    source.close();
  });

  it("takes the request id from X-Request-Id when the body has none", async () => {
    const { source } = setup(() => [() => problem(403, "ORIGIN_NOT_ALLOWED", "No.", { "X-Request-Id": "hdr-9" })]);
    expect(await rejectionOf(source.get())).toMatchObject({ code: "ORIGIN_NOT_ALLOWED", requestId: "hdr-9" });
    source.close();
  });

  it("does not retry 400, 401, 403, 404 or 500", async () => {
    for (const status of [400, 401, 403, 404, 500]) {
      const { source, calls } = setup(() => [() => problem(status, `CODE_${status}`, "No."), () => json(200, {})]);
      expect(await rejectionOf(source.get())).toMatchObject({ status, code: `CODE_${status}`, retryable: false });
      expect(calls).toHaveLength(1);
      source.close();
    }
  });

  it("maps a non-JSON error page to HTTP_<status> without copying the body", async () => {
    const page = () =>
      new Response("<html>Bad gateway: upstream said userSig=SECRET</html>", {
        status: 502,
        headers: { "Content-Type": "text/html" },
      });
    const { source, clock, calls } = setup(() => [page, page], { maxRetries: 1 });
    const failure = rejectionOf(source.get());
    await clock.advance(500);
    const error = (await failure) as UserSigBrokerError;
    expect(calls).toHaveLength(2); // 502 is worth one more try
    expect(error).toMatchObject({ status: 502, code: "HTTP_502", retryable: true });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain("SECRET");
    source.close();
  });

  it("reports a 200 that is not a UserSig answer as INVALID_RESPONSE, without echoing it", async () => {
    const { source } = setup(() => [() => json(200, { userSig: "eJx-SECRET-SIG", userId: 7 })]);
    const error = (await rejectionOf(source.get())) as UserSigBrokerError;
    expect(error).toMatchObject({ status: 0, code: "INVALID_RESPONSE" });
    expect(error.message).not.toContain("SECRET");
    source.close();

    const html = setup(() => [() => new Response("<html>captive portal</html>", { status: 200 })]);
    expect(await rejectionOf(html.source.get())).toMatchObject({ code: "INVALID_RESPONSE" });
    html.source.close();
  });

  it("never puts the ID token into an error", async () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.SECRET-ID-TOKEN.sig";
    const { source, calls } = setup(
      () => [() => problem(401, "UNAUTHORIZED", "The credentials are missing or not valid.")],
      { getIdToken: () => token },
    );
    const error = (await rejectionOf(source.get())) as UserSigBrokerError;
    expect(calls[0]?.headers.get("Authorization")).toBe(`Bearer ${token}`);
    expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain("SECRET-ID-TOKEN");
    source.close();
  });
});

describe("getIdToken", () => {
  it("is called for every HTTP request, retries included, so a renewed token goes out", async () => {
    let n = 0;
    const { source, clock, calls } = setup(
      (clock) => [() => problem(503, "IDP_UNAVAILABLE", "Later.", { "Retry-After": "1" }), sigAnswer(clock)],
      { getIdToken: async () => `token-${++n}` },
    );
    const result = source.get();
    await clock.advance(1000);
    await result;
    expect(calls.map((call) => call.headers.get("Authorization"))).toEqual(["Bearer token-1", "Bearer token-2"]);
    source.close();
  });

  it("failing or returning nothing is ID_TOKEN_ERROR, and nothing is sent", async () => {
    for (const getIdToken of [
      () => {
        throw new Error("signed out");
      },
      () => "",
    ]) {
      const { source, calls } = setup(() => [], { getIdToken });
      const error = (await rejectionOf(source.get())) as UserSigBrokerError;
      expect(error).toMatchObject({ status: 0, code: "ID_TOKEN_ERROR", retryable: false });
      expect(calls).toHaveLength(0);
      source.close();
    }
  });
});
