// The whole Turnstile path against a local siteverify (guests.turnstile.siteverifyUrl), reached
// through Miniflare's outboundService (test/fakes/internet.mjs → test/fakes/turnstile.mjs) by the
// fetch the isolate injects (src/isolate.ts): pass, fail, an HTTP error and a non-JSON answer.
import { beforeEach, describe, expect, it } from "vitest";
import {
  call,
  expectIssued,
  freshIsolate,
  idpStats,
  type Json,
  problem,
  resetFakes,
  secretsFor,
  TURNSTILE_FAIL,
  TURNSTILE_PASS,
} from "./helpers.js";

const LOCAL = "http://127.0.0.1:8790";
const SITEVERIFY = `${LOCAL}/turnstile/v0/siteverify`;
const APP = 1400002951;
const SECRET_NAME = "TURNSTILE_SECRET_LOCAL";

interface SiteverifyCall {
  hasSecret: boolean;
  remoteip: string | null;
  idempotencyKey: string | null;
  token: string | null;
}

function config(siteverifyUrl = SITEVERIFY): Json {
  return {
    apps: [
      {
        sdkAppId: APP,
        guests: {
          enabled: true,
          turnstile: { siteKey: "1x00000000000000000000AA", secretName: SECRET_NAME, siteverifyUrl },
        },
      },
    ],
  };
}

let clients = 0;
function asGuest(secret: string, token: string, cfg: Json = config()): Promise<Response> {
  clients++;
  return call(
    cfg,
    "/v1/usersig",
    { method: "POST", headers: { "CF-Connecting-IP": `10.9.0.${clients}` }, json: { turnstileToken: token } },
    { ...secretsFor(APP), [SECRET_NAME]: secret },
  );
}

async function localCalls(): Promise<SiteverifyCall[]> {
  return ((await (await fetch(`${LOCAL}/__fake/calls`)).json()) as { calls: SiteverifyCall[] }).calls;
}

async function scriptNext(...answers: Json[]): Promise<void> {
  await fetch(`${LOCAL}/__fake/next`, { method: "POST", body: JSON.stringify({ answers }) });
}

beforeEach(async () => {
  freshIsolate();
  await resetFakes();
  await fetch(`${LOCAL}/__fake/reset`, { method: "POST" });
});

describe("Turnstile against a local siteverify", () => {
  it("a passing token gets a guest: the local fake got the secret, the token and an idempotency key", async () => {
    await expectIssued(await asGuest(TURNSTILE_PASS, "local-token-1"), {
      sdkAppId: APP,
      userId: /^guest_[a-z2-7]{16}$/,
      expireSeconds: 3600,
    });
    const calls = await localCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ hasSecret: true, token: "local-token-1" });
    expect(calls[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    // Cloudflare's own siteverify was not called.
    expect((await idpStats()).siteverifyCalls).toBe(0);
  });

  it("a failing token is 403 TURNSTILE_FAILED, and no guest is made", async () => {
    const response = await asGuest(TURNSTILE_FAIL, "local-token-2");
    await problem(response, 403, "TURNSTILE_FAILED");
    expect(await localCalls()).toHaveLength(1);
  });

  it("siteverify answering 500, or not JSON, is 503 TURNSTILE_UNAVAILABLE with Retry-After", async () => {
    await scriptNext({ kind: "http", status: 500 }, { kind: "garbage" });
    for (const token of ["t-500", "t-garbage"]) {
      const response = await asGuest(TURNSTILE_PASS, token);
      await problem(response, 503, "TURNSTILE_UNAVAILABLE");
      expect(response.headers.get("Retry-After")).toBe("5");
    }
    expect((await localCalls()).map((c) => c.token)).toEqual(["t-500", "t-garbage"]);
  });

  it("the config takes only Cloudflare's URL or a loopback one with a port", async () => {
    for (const bad of [
      "http://127.0.0.1/turnstile/v0/siteverify",
      "https://evil.example/siteverify",
      "http://10.0.0.1:80/x",
    ]) {
      const body = await problem(await asGuest(TURNSTILE_PASS, "t", config(bad)), 500, "CONFIG_ERROR");
      expect(body.detail).toContain("siteverifyUrl");
    }
    expect(await localCalls()).toHaveLength(0);
  });
});
