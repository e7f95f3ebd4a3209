// The TRTC Cloud API client (src/tencent/trtc.ts) against the fake TRTC (test/fakes/trtc.mjs, which
// recomputes every TC3 signature itself), reached through Miniflare's outboundService like the
// Worker's own calls: the documented request, Tencent's error codes, the one retry, timeouts, no
// redirect, and no secret in any error.
import { beforeEach, describe, expect, it } from "vitest";
import { TencentError } from "../../src/tencent/errors.js";
import { callTrtc, dismissRoom, removeUsers, type TrtcClientDeps, type TrtcTarget } from "../../src/tencent/trtc.js";
import { TrtcError } from "../../src/tencent/trtc-errors.js";
import { scriptTrtc, setupTrtc, TRTC_BASE, trtcCalls } from "./trtc-helpers.js";

const SDK_APP_ID = 1400000001;
const SECRET_ID = "AKIDtrtc-test-secret-id";
const SECRET_KEY = "trtc-test-secret-key-0123456789";

let sleeps: number[] = [];
let requests: Request[] = [];

function target(overrides: Partial<TrtcTarget> = {}): TrtcTarget {
  return {
    apiBaseUrl: TRTC_BASE,
    region: "ap-singapore",
    sdkAppId: SDK_APP_ID,
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    ...overrides,
  };
}

function deps(overrides: Partial<TrtcClientDeps> = {}): TrtcClientDeps {
  return {
    fetch: (request) => {
      requests.push(request.clone());
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

const now = () => Math.floor(Date.now() / 1000);

beforeEach(async () => {
  sleeps = [];
  requests = [];
  await setupTrtc([{ sdkAppId: SDK_APP_ID, secretId: SECRET_ID, secretKey: SECRET_KEY }]);
});

describe("the request", () => {
  it("RemoveUser for a numeric room: signed as Tencent checks it, the documented body", async () => {
    expect(await removeUsers(target(), 1234, ["mallory", "eve"], now(), deps())).toEqual({ ok: true });
    const [call] = await trtcCalls();
    expect(call).toMatchObject({
      action: "RemoveUser",
      region: "ap-singapore",
      verdict: "ok",
      body: { SdkAppId: SDK_APP_ID, RoomId: 1234, UserIds: ["mallory", "eve"] },
    });
    const [request] = requests;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`${TRTC_BASE}/`);
    expect(request?.redirect).toBe("manual");
    expect(request?.headers.get("X-TC-Version")).toBe("2019-07-22");
    expect(request?.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  });

  it("RemoveUserByStrRoomId for a string room, DismissRoom and DismissRoomByStrRoomId", async () => {
    expect(await removeUsers(target(), "room-7", ["mallory"], now(), deps())).toEqual({ ok: true });
    expect(await dismissRoom(target(), 42, now(), deps())).toEqual({ ok: true });
    expect(await dismissRoom(target(), "42", now(), deps())).toEqual({ ok: true });
    const calls = await trtcCalls();
    expect(calls.map((c) => [c.action, c.verdict, c.body?.RoomId])).toEqual([
      ["RemoveUserByStrRoomId", "ok", "room-7"],
      ["DismissRoom", "ok", 42],
      ["DismissRoomByStrRoomId", "ok", "42"],
    ]);
  });

  it("takes 1 to 10 users per call, and a positive integer or non-empty string room", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `u${i}`);
    await expect(removeUsers(target(), 1, eleven, now(), deps())).rejects.toThrow(RangeError);
    await expect(removeUsers(target(), 1, [], now(), deps())).rejects.toThrow(RangeError);
    await expect(removeUsers(target(), 0, ["a"], now(), deps())).rejects.toThrow(RangeError);
    await expect(removeUsers(target(), "", ["a"], now(), deps())).rejects.toThrow(RangeError);
    expect(await removeUsers(target(), 1, eleven.slice(0, 10), now(), deps())).toEqual({ ok: true });
    expect(await trtcCalls()).toHaveLength(1);
  });
});

describe("Tencent's checks, seen from the client", () => {
  it("a wrong SecretKey: AuthFailure.SignatureFailure, in fixed words", async () => {
    const outcome = await removeUsers(target({ secretKey: "not-the-key" }), 1, ["mallory"], now(), deps());
    expect(outcome).toEqual({
      ok: false,
      errorCode: "AuthFailure.SignatureFailure",
      reason: "Tencent answered Error.Code AuthFailure.SignatureFailure",
    });
  });

  it("an unknown SecretId: AuthFailure.SecretIdNotFound", async () => {
    const outcome = await removeUsers(target({ secretId: "AKIDother" }), 1, ["mallory"], now(), deps());
    expect(outcome).toMatchObject({ ok: false, errorCode: "AuthFailure.SecretIdNotFound" });
  });

  it("a clock 6 minutes off: AuthFailure.SignatureExpire", async () => {
    const outcome = await removeUsers(target(), 1, ["mallory"], now() - 360, deps());
    expect(outcome).toMatchObject({ ok: false, errorCode: "AuthFailure.SignatureExpire" });
  });

  it("another app's SdkAppId under this key: refused", async () => {
    const outcome = await removeUsers(target({ sdkAppId: 1400000002 }), 1, ["mallory"], now(), deps());
    expect(outcome).toMatchObject({ ok: false, errorCode: "AuthFailure.UnauthorizedOperation" });
  });

  it("a region the actions do not serve: UnsupportedRegion", async () => {
    const outcome = await removeUsers(target({ region: "eu-frankfurt" }), 1, ["mallory"], now(), deps());
    expect(outcome).toMatchObject({ ok: false, errorCode: "UnsupportedRegion" });
  });
});

describe("answers and the one retry", () => {
  it("an Error.Code answer is returned as is, not retried, and never with Tencent's Message", async () => {
    await scriptTrtc({ kind: "error", code: "FailedOperation.RoomNotExist" });
    const answer = await callTrtc(target(), "DismissRoom", { RoomId: 9 }, now(), deps());
    expect(answer).toMatchObject({ errorCode: "FailedOperation.RoomNotExist", attempts: 1 });
    expect(JSON.stringify(answer)).not.toContain("scripted failure");
    expect(sleeps).toEqual([]);
  });

  it("InternalError once: retried after the jitter, then OK", async () => {
    await scriptTrtc({ kind: "error", code: "InternalError" });
    const answer = await callTrtc(target(), "DismissRoom", { RoomId: 9 }, now(), deps());
    expect(answer.errorCode).toBeUndefined();
    expect(answer.attempts).toBe(2);
    expect(sleeps).toEqual([250]);
  });

  it("HTTP 503 once: retried, newly signed, then OK", async () => {
    await scriptTrtc({ kind: "http", status: 503 });
    expect(await removeUsers(target(), 1, ["mallory"], now(), deps())).toEqual({ ok: true });
    expect((await trtcCalls()).map((c) => c.answered)).toEqual(["http", "ok"]);
  });

  it("HTTP 503 twice: TrtcError (502 TENCENT_UNREACHABLE), fixed words, no secret", async () => {
    await scriptTrtc({ kind: "http", status: 503 }, { kind: "http", status: 503 });
    const error = await callTrtc(target(), "RemoveUser", { RoomId: 1, UserIds: ["a"] }, now(), deps()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrtcError);
    expect(error).toBeInstanceOf(TencentError);
    const e = error as TrtcError;
    expect(e.code).toBe("TENCENT_UNREACHABLE");
    expect(e.message).toBe("Tencent's TRTC Cloud API cannot be reached right now; try again shortly.");
    expect(e.reason).toBe("trtc RemoveUser: HTTP 503 (2 attempt(s))");
    const everything = JSON.stringify({ message: e.message, reason: e.reason, data: e.data, stack: e.stack });
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything).not.toContain("Signature=");
    expect(await removeUsers(target(), 1, ["a"], now(), deps())).toEqual({ ok: true });
  });

  it("a 4xx is not retried", async () => {
    await scriptTrtc({ kind: "http", status: 400 });
    const outcome = await removeUsers(target(), 1, ["mallory"], now(), deps());
    expect(outcome).toEqual({ ok: false, reason: "Tencent could not be reached" });
    expect(await trtcCalls()).toHaveLength(1);
  });

  it("no answer in time, twice: TENCENT_TIMEOUT", async () => {
    await scriptTrtc({ kind: "hang", ms: 2_000 }, { kind: "hang", ms: 2_000 });
    const error = await callTrtc(target(), "DismissRoom", { RoomId: 1 }, now(), deps({ timeoutMs: 150 })).catch(
      (e: unknown) => e,
    );
    expect((error as TrtcError).code).toBe("TENCENT_TIMEOUT");
    expect((error as TrtcError).message).toBe("Tencent's TRTC Cloud API did not answer in time; try again shortly.");
  });

  it("the fake's delays: a scripted one, and a latency for every answer (the bench's 100 ms)", async () => {
    await scriptTrtc({ kind: "delay", ms: 300 });
    let started = Date.now();
    expect(await removeUsers(target(), 1, ["a"], now(), deps())).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // Past the client's timeout: a failure, like a hang.
    await scriptTrtc({ kind: "delay", ms: 400 }, { kind: "delay", ms: 400 });
    expect(await removeUsers(target(), 1, ["a"], now(), deps({ timeoutMs: 150 }))).toEqual({
      ok: false,
      reason: "Tencent did not answer in time",
    });
    await setupTrtc([{ sdkAppId: SDK_APP_ID, secretId: SECRET_ID, secretKey: SECRET_KEY }], 200);
    started = Date.now();
    expect(await dismissRoom(target(), "stage", now(), deps())).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await trtcCalls()).map((c) => [c.action, c.answered])).toEqual([["DismissRoomByStrRoomId", "ok"]]);
  });

  it("a redirect is not followed: an unusable answer, not retried", async () => {
    let seen = 0;
    const redirecting = deps({
      fetch: async (request) => {
        seen++;
        expect(request.redirect).toBe("manual");
        return new Response(null, { status: 302, headers: { Location: "https://elsewhere.test/" } });
      },
    });
    expect(await removeUsers(target(), 1, ["a"], now(), redirecting)).toEqual({
      ok: false,
      reason: "Tencent could not be reached",
    });
    expect(seen).toBe(1);
  });

  it("an answer that is not the API's JSON is no answer", async () => {
    const garbage = deps({ fetch: async () => new Response("<html></html>", { status: 200 }) });
    const error = await callTrtc(target(), "DismissRoom", { RoomId: 1 }, now(), garbage).catch((e: unknown) => e);
    expect((error as TrtcError).failure).toBe("not_json");
  });
});
