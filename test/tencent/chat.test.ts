// The Chat REST client against the fake Tencent (reached through Miniflare's outboundService, like
// the Worker's own calls): the request Tencent documents, answers passed through, the one retry and
// its triggers, timeouts, and no URL or query string in any error.
import { beforeEach, describe, expect, it } from "vitest";
import { CHAT_ANSWER_MAX_BYTES, type ChatClientDeps, type ChatTarget, callChat } from "../../src/tencent/chat.js";
import { TencentError } from "../../src/tencent/errors.js";
import { kickUser } from "../../src/tencent/kick.js";
import { signUserSig } from "../../src/usersig/index.js";
import { SECRET_KEY } from "../broker/helpers.js";
import { scriptTencent, setupTencent, TENCENT_BASE, tencentCalls } from "./helpers.js";

const SDK_APP_ID = 1400000001;
const ADMIN = "administrator";

let adminSigCalls = 0;
let sleeps: number[] = [];
let fetches: string[] = [];

function target(overrides: Partial<ChatTarget> = {}): ChatTarget {
  return {
    apiBaseUrl: TENCENT_BASE,
    sdkAppId: SDK_APP_ID,
    adminUserId: ADMIN,
    adminUserSig: async () => {
      adminSigCalls++;
      return signUserSig({ sdkAppId: SDK_APP_ID, userId: ADMIN, expireSeconds: 3600 }, SECRET_KEY);
    },
    ...overrides,
  };
}

function deps(overrides: Partial<ChatClientDeps> = {}): ChatClientDeps {
  return {
    fetch: (request) => {
      fetches.push(request.url);
      return fetch(request);
    },
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    timeoutMs: 1_000,
    ...overrides,
  };
}

const kick = (t = target(), d = deps()) =>
  callChat(t, "im_open_login_svc", "kick", JSON.stringify({ UserID: "mallory" }), d);

beforeEach(async () => {
  adminSigCalls = 0;
  sleeps = [];
  fetches = [];
  await setupTencent([{ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, admins: [ADMIN] }]);
});

describe("the request", () => {
  it("is Tencent's documented request, and the admin sig verifies at the fake", async () => {
    const answer = await kick();
    expect(answer).toMatchObject({
      actionStatus: "OK",
      errorCode: 0,
      errorInfo: "",
      body: { ActionStatus: "OK", ErrorCode: 0, ErrorInfo: "" },
      attempts: 1,
    });
    expect(JSON.parse(answer.text)).toEqual(answer.body);
    const calls = await tencentCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      service: "im_open_login_svc",
      command: "kick",
      method: "POST",
      verdict: "ok",
      body: { UserID: "mallory" },
      query: { sdkappid: String(SDK_APP_ID), identifier: ADMIN, contenttype: "json", usersigVerified: true },
    });
    expect(Number(calls[0]?.query.random)).toBe(Math.floor(0.5 * 2 ** 32));
    expect(new URL(fetches[0] as string).origin + new URL(fetches[0] as string).pathname).toBe(
      `${TENCENT_BASE}/v4/im_open_login_svc/kick`,
    );
    expect(adminSigCalls).toBe(1);
  });

  it("a trailing slash on the base URL makes no double slash", async () => {
    await kick(target({ apiBaseUrl: `${TENCENT_BASE}/` }));
    expect(new URL(fetches[0] as string).pathname).toBe("/v4/im_open_login_svc/kick");
  });

  it("random covers the whole uint32 range and is fresh per attempt", async () => {
    // attempt 1's random, the jitter, attempt 2's random
    const values = [0, 0.5, 0.999999999999];
    await scriptTencent({ kind: "http", status: 503 });
    await kick(target(), deps({ random: () => values.shift() ?? 0 }));
    const calls = await tencentCalls();
    expect(calls.map((c) => c.query.random)).toEqual(["0", "4294967295"]);
  });

  it("refuses service or command names that are not Tencent's (no request made)", async () => {
    for (const [service, command] of [
      ["im_open_login_svc/../x", "kick"],
      ["openim", "send msg"],
      ["", "kick"],
      ["openim", "a".repeat(65)],
    ] as const) {
      await expect(callChat(target(), service, command, "{}", deps())).rejects.toThrow(TypeError);
    }
    expect(fetches).toHaveLength(0);
  });

  it("a sig for someone else is refused by the fake as Tencent would (70009), and passed through", async () => {
    const answer = await kick(
      target({
        adminUserSig: () => signUserSig({ sdkAppId: SDK_APP_ID, userId: "alice", expireSeconds: 60 }, SECRET_KEY),
      }),
    );
    expect(answer).toMatchObject({ actionStatus: "FAIL", errorCode: 70009, attempts: 1 });
    expect((await tencentCalls())[0]?.query.usersigVerified).toBe(false);
  });
});

describe("answers", () => {
  it("a FAIL answer is returned as Tencent gave it, not retried", async () => {
    await scriptTencent({ kind: "fail", code: 70107, info: "the user does not exist" });
    const answer = await kick();
    expect(answer).toMatchObject({ actionStatus: "FAIL", errorCode: 70107, errorInfo: "the user does not exist" });
    expect(answer.attempts).toBe(1);
    expect(await tencentCalls()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("extra fields of the answer are kept", async () => {
    await scriptTencent({ kind: "ok", extra: { MsgTime: 1700000000, MsgKey: "abc" } });
    expect((await callChat(target(), "openim", "sendmsg", "{}", deps())).body).toEqual({
      ActionStatus: "OK",
      ErrorCode: 0,
      ErrorInfo: "",
      MsgTime: 1700000000,
      MsgKey: "abc",
    });
  });
});

describe("one retry with jitter", () => {
  for (const code of [70169, 70500, 60008]) {
    it(`on Tencent's try-again code ${code}`, async () => {
      await scriptTencent({ kind: "fail", code });
      const answer = await kick();
      expect(answer).toMatchObject({ actionStatus: "OK", errorCode: 0, attempts: 2 });
      expect(sleeps).toHaveLength(1);
      expect(adminSigCalls).toBe(1);
    });
  }

  it("a try-again code twice: the second answer is returned (no third attempt)", async () => {
    await scriptTencent({ kind: "fail", code: 70500 }, { kind: "fail", code: 70169 });
    expect(await kick()).toMatchObject({ actionStatus: "FAIL", errorCode: 70169, attempts: 2 });
    expect(await tencentCalls()).toHaveLength(2);
  });

  it("on HTTP 5xx; twice is TENCENT_UNAVAILABLE (not a timeout)", async () => {
    await scriptTencent({ kind: "http", status: 502 });
    expect(await kick()).toMatchObject({ actionStatus: "OK", attempts: 2 });
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 500 });
    const error = await kick().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TencentError);
    expect(error).toMatchObject({ code: "TENCENT_UNREACHABLE", failure: "http_status", attempts: 2, timedOut: false });
    expect((error as TencentError).data.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("the pause is 100 to 400 ms, from the injected randomness", async () => {
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    await kick(target(), deps({ random: () => 0 })).catch(() => undefined);
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    await kick(target(), deps({ random: () => 0.999999 })).catch(() => undefined);
    expect(sleeps).toEqual([100, 399]);
  });

  it("on a network error", async () => {
    let first = true;
    const flaky = deps({
      fetch: (request) => {
        if (first) {
          first = false;
          return Promise.reject(new TypeError(`connection reset while fetching ${request.url}`));
        }
        return fetch(request);
      },
    });
    expect(await kick(target(), flaky)).toMatchObject({ actionStatus: "OK", attempts: 2 });
  });

  it("not on a non-JSON answer or a 4xx (no usable answer, no retry)", async () => {
    await scriptTencent({ kind: "garbage" });
    await expect(kick()).rejects.toMatchObject({ failure: "not_json", attempts: 1 });
    await scriptTencent({ kind: "http", status: 404 });
    await expect(kick()).rejects.toMatchObject({ failure: "http_status", attempts: 1 });
    expect(await tencentCalls()).toHaveLength(2);
  });
});

describe("an admin sig Tencent refuses (70001 expired, 70009 not verifiable)", () => {
  const validSig = () => signUserSig({ sdkAppId: SDK_APP_ID, userId: ADMIN, expireSeconds: 3600 }, SECRET_KEY);
  const expiredSig = () =>
    signUserSig({ sdkAppId: SDK_APP_ID, userId: ADMIN, expireSeconds: 3600 }, SECRET_KEY, {
      now: Math.floor(Date.now() / 1000) - 7200,
    });
  const otherKeySig = () =>
    signUserSig({ sdkAppId: SDK_APP_ID, userId: ADMIN, expireSeconds: 3600 }, `${SECRET_KEY.slice(1)}x`);

  it("drops it and retries once, at once, with a newly signed one", async () => {
    for (const [stale, code] of [
      [expiredSig, 70001],
      [otherKeySig, 70009],
    ] as const) {
      await setupTencent([{ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, admins: [ADMIN] }]);
      let renewals = 0;
      const answer = await kick(
        target({
          adminUserSig: stale,
          renewAdminUserSig: () => {
            renewals++;
            return validSig();
          },
        }),
      );
      expect(answer).toMatchObject({ actionStatus: "OK", errorCode: 0, attempts: 2 });
      expect(renewals).toBe(1);
      expect((await tencentCalls()).map((c) => c.verdict)).toEqual([code, "ok"]);
    }
    expect(sleeps).toEqual([]);
  });

  it("renews once only: a second refusal is Tencent's answer; without renewAdminUserSig, the first is", async () => {
    let renewals = 0;
    const twice = await kick(
      target({
        adminUserSig: expiredSig,
        renewAdminUserSig: () => {
          renewals++;
          return expiredSig();
        },
      }),
    );
    expect(twice).toMatchObject({ actionStatus: "FAIL", errorCode: 70001, attempts: 2 });
    expect(renewals).toBe(1);
    const once = await kick(target({ adminUserSig: expiredSig }));
    expect(once).toMatchObject({ actionStatus: "FAIL", errorCode: 70001, attempts: 1 });
    expect((await tencentCalls()).map((c) => c.verdict)).toEqual([70001, 70001, 70001]);
  });
});

describe("timeouts", () => {
  it("a hanging attempt is abandoned after timeoutMs, then retried once", async () => {
    await scriptTencent({ kind: "hang", ms: 5_000 });
    const started = Date.now();
    const answer = await kick(target(), deps({ timeoutMs: 300 }));
    expect(answer).toMatchObject({ actionStatus: "OK", attempts: 2 });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("two hanging attempts: TENCENT_UNAVAILABLE, a timeout (504)", async () => {
    await scriptTencent({ kind: "hang", ms: 5_000 }, { kind: "hang", ms: 5_000 });
    const error = await kick(target(), deps({ timeoutMs: 200 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TENCENT_TIMEOUT", failure: "timeout", timedOut: true, attempts: 2 });
  });
});

describe("secrets", () => {
  it("no error names the URL, the query string or the admin sig", async () => {
    const sig = await signUserSig({ sdkAppId: SDK_APP_ID, userId: ADMIN, expireSeconds: 3600 }, SECRET_KEY);
    const errors: unknown[] = [];
    const failing = deps({
      fetch: (request) => Promise.reject(new TypeError(`failed: ${request.url}`)),
    });
    errors.push(await kick(target({ adminUserSig: async () => sig }), failing).catch((e: unknown) => e));
    await scriptTencent({ kind: "http", status: 500 }, { kind: "http", status: 500 });
    errors.push(await kick(target({ adminUserSig: async () => sig })).catch((e: unknown) => e));
    await scriptTencent({ kind: "hang", ms: 2_000 }, { kind: "hang", ms: 2_000 });
    errors.push(
      await kick(target({ adminUserSig: async () => sig }), deps({ timeoutMs: 100 })).catch((e: unknown) => e),
    );
    for (const error of errors) {
      expect(error).toBeInstanceOf(TencentError);
      const e = error as TencentError;
      const text = JSON.stringify({ ...e, reason: e.reason, message: e.message, stack: e.stack });
      expect(e.reason).toContain("im_open_login_svc/kick");
      for (const secret of [sig, encodeURIComponent(sig), "usersig", "identifier=", "sdkappid", TENCENT_BASE]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it("an answer over the size bound is refused, not buffered", async () => {
    await scriptTencent({ kind: "ok", extra: { Blob: "x".repeat(CHAT_ANSWER_MAX_BYTES) } });
    await expect(kick()).rejects.toMatchObject({ failure: "too_large" });
  });
});

describe("kickUser", () => {
  it("kicked: true only when Tencent confirms", async () => {
    expect(await kickUser(target(), "mallory", deps())).toEqual({ kicked: true });
    expect((await tencentCalls())[0]).toMatchObject({ command: "kick", body: { UserID: "mallory" }, verdict: "ok" });
  });

  it("a FAIL answer: kicked: false with Tencent's code", async () => {
    await scriptTencent({ kind: "fail", code: 70107, info: "account not imported" });
    expect(await kickUser(target(), "mallory", deps())).toEqual({
      kicked: false,
      errorCode: 70107,
      reason: "Tencent answered ErrorCode 70107",
    });
  });

  it("unreachable or too slow: kicked: false, never a throw", async () => {
    await scriptTencent({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    expect(await kickUser(target(), "mallory", deps())).toEqual({
      kicked: false,
      reason: "Tencent answered HTTP 503",
    });
    await scriptTencent({ kind: "hang", ms: 2_000 }, { kind: "hang", ms: 2_000 });
    expect(await kickUser(target(), "mallory", deps({ timeoutMs: 100 }))).toEqual({
      kicked: false,
      reason: "Tencent did not answer in time",
    });
  });
});
