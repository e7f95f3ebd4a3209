// Two isolates sharing one KV: two Miniflare instances running the broker (bundled with shorter
// ban-cache bounds) over one persisted KV directory, with the fake Tencent Chat REST API as their
// outbound service. A ban made through one isolate:
// - is in force there at once;
// - is not yet seen by the other, which still issues a sig for the banned user (the propagation
//   window the issue asks to close);
// - is refused by the other within the stated bound (the hard TTL: KV is shared at once here, so the
//   staleness comes from the cache alone);
// - and the Cron Trigger's re-kick fires: Tencent gets a second kick, after the stale sig was
//   issued, so Tencent invalidates it.
// Everything the two workers print is captured and scanned for secrets.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare, type Request as MiniflareRequest, Response as MiniflareResponse } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeUserSig } from "../../src/usersig/index.js";
import { createFakeTencent } from "../fakes/tencent.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHORT_BOUNDS = { softTtlMs: 3_000, hardTtlMs: 6_000 };
const APP = 1400000300;
const SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const OPERATOR_TOKEN = "two-isolates-operator-token-0123456789";
const API_KEY = "two-isolates-api-key-0123456789abcdef";
const TENCENT = "https://adminapisgp.im.qcloud.com";

interface Call {
  command: string;
  body: { UserID?: string } | null;
  verdict: "ok" | number;
  at: number;
  query: { identifier?: string; usersigVerified?: boolean };
}

const fake = createFakeTencent();
const output: string[] = [];
let dir: string;
let a: Miniflare;
let b: Miniflare;

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function collect(stream: Readable): void {
  stream.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
}

async function calls(): Promise<Call[]> {
  const response = await fake.handle(new Request(`${TENCENT}/__fake/calls`));
  return ((await response.json()) as { calls: Call[] }).calls;
}

const usersig = (mf: Miniflare, userId: string) =>
  mf.dispatchFetch("http://broker.test/v1/usersig", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Api-Key": API_KEY },
    body: JSON.stringify({ userId }),
  });

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [join(ROOT, "test/fakes/broker-short-bounds.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    define: { SHORT_BOUNDS: JSON.stringify(SHORT_BOUNDS) },
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0]?.text as string;
  await fake.handle(
    new Request(`${TENCENT}/__fake/setup`, {
      method: "POST",
      body: JSON.stringify({ apps: [{ sdkAppId: APP, secretKey: SECRET_KEY, admins: ["administrator"] }] }),
    }),
  );
  const config = {
    apps: [
      {
        sdkAppId: APP,
        admins: ["administrator"],
        chat: { apiBaseUrl: TENCENT },
        apiKeys: [{ name: "backend", sha256: await sha256Hex(API_KEY), allowUserId: true }],
      },
    ],
  };
  dir = mkdtempSync(join(tmpdir(), "usersig-broker-two-isolates-"));
  const make = () =>
    new Miniflare({
      modules: true,
      script,
      compatibilityDate: "2026-04-01",
      kvNamespaces: ["ADMINS", "RATE_LIMITS"],
      kvPersist: dir,
      bindings: {
        BROKER_CONFIG: JSON.stringify(config),
        [`SECRET_KEY_${APP}`]: SECRET_KEY,
        ADMIN_API_TOKEN: OPERATOR_TOKEN,
      },
      // Every outbound fetch of the broker goes to the fake Tencent (nothing else is called here).
      outboundService: async (request: MiniflareRequest) => {
        const answer = await fake.handle(
          new Request(request.url, {
            method: request.method,
            headers: { "Content-Type": request.headers.get("Content-Type") ?? "" },
            ...(request.method === "GET" ? {} : { body: await request.text() }),
          }),
        );
        return new MiniflareResponse(await answer.text(), {
          status: answer.status,
          headers: { "Content-Type": answer.headers.get("Content-Type") ?? "text/plain" },
        });
      },
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        collect(stdout);
        collect(stderr);
      },
    });
  // One after the other: two runtimes opening one persisted KV at the same instant can collide.
  a = make();
  await a.ready;
  b = make();
  await b.ready;
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.dispose(), b?.dispose()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a ban made through one isolate, seen by another that shares its KV", () => {
  it("is refused there within the stated bound, and the re-kick invalidates what it issued meanwhile", async () => {
    // B reads the (empty) ban list and caches it.
    expect((await usersig(b, "mallory")).status).toBe(200);

    // A bans mallory: in force in A at once, and kicked at Tencent.
    const bannedAtMs = Date.now();
    const banned = await a.dispatchFetch(`http://broker.test/v1/admin/apps/${APP}/bans/mallory`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "spam" }),
    });
    expect(banned.status).toBe(201);
    expect(await banned.json()).toMatchObject({ userId: "mallory", kicked: true });
    const refusedInA = await usersig(a, "mallory");
    expect(refusedInA.status).toBe(403);
    expect(((await refusedInA.json()) as { code: string }).code).toBe("USER_BANNED");

    // B has not seen it yet (its list is younger than the soft TTL): the propagation window.
    const stale = await usersig(b, "mallory");
    expect(stale.status).toBe(200);
    const staleSig = ((await stale.json()) as { userSig: string }).userSig;
    const staleIssuedAt = (await decodeUserSig(staleSig)).issuedAt;

    // B refuses within the hard TTL (KV is shared at once here: the staleness is the cache's).
    let refusedAfterMs = Number.POSITIVE_INFINITY;
    while (Date.now() - bannedAtMs < SHORT_BOUNDS.hardTtlMs + 2_000) {
      const response = await usersig(b, "mallory");
      if (response.status === 403) {
        expect(((await response.json()) as { code: string }).code).toBe("USER_BANNED");
        refusedAfterMs = Date.now() - bannedAtMs;
        break;
      }
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusedAfterMs).toBeLessThanOrEqual(SHORT_BOUNDS.hardTtlMs + 500);

    // The Cron Trigger fires (in B, the isolate that issued the stale sig: any isolate will do).
    const before = (await calls()).length;
    const worker = (await b.getWorker()) as unknown as {
      scheduled(options: { cron: string }): Promise<{ outcome: string }>;
    };
    const result = await worker.scheduled({ cron: "* * * * *" });
    expect(result.outcome).toBe("ok");
    const rekicks = (await calls()).slice(before);
    expect(rekicks).toHaveLength(1);
    expect(rekicks[0]).toMatchObject({
      command: "kick",
      verdict: "ok",
      body: { UserID: "mallory" },
      query: { identifier: "administrator", usersigVerified: true },
    });
    // Tencent's kick invalidates the UserSigs issued before it: the stale one is among them.
    expect(Math.floor((rekicks[0] as Call).at / 1000)).toBeGreaterThanOrEqual(staleIssuedAt);
  }, 60_000);

  it("the workers printed a re-kick line, and no secret anywhere", async () => {
    // Let workerd flush its stdout.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = output.join("");
    expect(text).toContain('"event":"rekick"');
    expect(text).toContain('"kicked":1');
    for (const secret of [OPERATOR_TOKEN, API_KEY, SECRET_KEY, "usersig=", "sdkappid=", "identifier=", TENCENT]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/eJ[a-zA-Z0-9*_-]{40,}/);
  });
});
