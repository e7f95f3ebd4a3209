// Two isolates sharing one Durable Object namespace: one Miniflare running the broker (bundled with
// shorter ban-cache bounds) as two workers, A and B, each in its own isolate; B's MODERATION binding
// is A's ModerationObject class (`scriptName`), so both reach the same object per app. The fakes of
// Tencent Chat and the TRTC Cloud API are their outbound service. A ban made through A:
// - is in force in A at once, and Tencent kicks, mutes and removes the user from the room B's
//   callback recorded;
// - is enforced at once by a callback decision in B (re-entry removed, Chat login kicked, the ban
//   found), though B's own issuance cache has not seen it yet;
// - is refused by B's issuance within the stated bound (the hard TTL);
// - and the object's alarm kicks once more after every isolate has seen it, after the stale sig
//   B issued meanwhile, so Tencent invalidates that sig.
// Everything the workers print is captured and scanned for secrets.
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare, Response as MiniflareResponse } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeUserSig } from "../../src/usersig/index.js";
import {
  harnessBindings,
  harnessBuild,
  harnessCalls,
  harnessKeys,
  harnessOutbound,
  SAMPLE_SECRET_KEY,
  setupHarnessFakes,
  TENCENT,
} from "../fakes/moderation-harness.mjs";
import { createFakeTencent } from "../fakes/tencent.mjs";
import { expectNoSecrets } from "../support/secrets.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHORT_BOUNDS = { softTtlMs: 3_000, hardTtlMs: 6_000 };
const APP = 1400000300;
const KEYS = harnessKeys("two-isolates");

interface Call {
  command: string;
  body: { UserID?: string; Set_Account?: string } | null;
  verdict: "ok" | number;
  at: number;
  query: { identifier?: string; usersigVerified?: boolean };
}

interface TrtcCall {
  action: string;
  body: { RoomId?: number | string; UserIds?: string[] } | null;
  verdict: string;
}

type Worker = { fetch: (url: string, init?: RequestInit) => Promise<Response> };

const fake = createFakeTencent();
const output: string[] = [];
let mf: Miniflare;
let a: Worker;
let b: Worker;

function collect(stream: Readable): void {
  stream.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
}

const chatCalls = async () => (await harnessCalls(fake)).chat as Call[];
const trtcCalls = async () => (await harnessCalls(fake)).trtc as TrtcCall[];

const usersig = (worker: Worker, userId: string) =>
  worker.fetch("http://broker.test/v1/usersig", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Api-Key": KEYS.apiKey },
    body: JSON.stringify({ userId }),
  });

let events = 0;
async function callback(worker: Worker, call: string, event: Record<string, unknown>) {
  const response = await worker.fetch("http://broker.test/__test/callback", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sdkAppId: APP, call, event: { eventKey: `two-isolates-${++events}`, ...event } }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { answer: Record<string, unknown> }).answer;
}

beforeAll(async () => {
  const bundle = await build({
    ...harnessBuild(ROOT, SHORT_BOUNDS),
    entryPoints: [`${ROOT}test/fakes/broker-short-bounds.ts`],
    write: false,
  });
  const script = bundle.outputFiles[0]?.text as string;
  await setupHarnessFakes(fake, APP, KEYS);
  const bindings = await harnessBindings(APP, KEYS);
  const outboundService = harnessOutbound(fake, MiniflareResponse);
  const worker = (name: string, moderation: { className: string; scriptName?: string; useSQLite?: boolean }) => ({
    name,
    modules: true,
    script,
    compatibilityDate: "2026-04-01",
    // The same namespace IDs in both workers: one KV.
    kvNamespaces: { ADMINS: "admins", RATE_LIMITS: "rate-limits" },
    durableObjects: { MODERATION: moderation },
    bindings,
    outboundService,
  });
  mf = new Miniflare({
    workers: [
      worker("a", { className: "ModerationObject", useSQLite: true }),
      worker("b", { className: "ModerationObject", scriptName: "a", useSQLite: true }),
    ],
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      collect(stdout);
      collect(stderr);
    },
  });
  await mf.ready;
  a = (await mf.getWorker("a")) as unknown as Worker;
  b = (await mf.getWorker("b")) as unknown as Worker;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

describe("a ban made through one isolate, enforced by a callback at another that shares its object", () => {
  it("removes, refuses and kicks at B with no wait; B's issuance within the bound; the alarm re-kicks after", async () => {
    // B caches the (empty) ban list, and records mallory in a room (TRTC's 103, at B).
    expect((await usersig(b, "mallory")).status).toBe(200);
    const enteredSeconds = Math.floor(Date.now() / 1000);
    expect(await callback(b, "enterRoom", { userId: "mallory", room: 42, eventSeconds: enteredSeconds })).toEqual({
      duplicate: false,
      banned: false,
    });

    // A bans mallory: in force in A at once; kicked, muted, and out of the room B heard of.
    const bannedAtMs = Date.now();
    const banned = await a.fetch(`http://broker.test/v1/admin/apps/${APP}/bans/mallory`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${KEYS.operatorToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: "spam" }),
    });
    expect(banned.status).toBe(201);
    expect(await banned.json()).toMatchObject({ userId: "mallory", kicked: true, muted: true, removedFrom: [42] });
    expect((await usersig(a, "mallory")).status).toBe(403);
    expect((await chatCalls()).map((c) => [c.command, c.body?.UserID ?? c.body?.Set_Account, c.verdict])).toEqual([
      ["kick", "mallory", "ok"],
      ["setnospeaking", "mallory", "ok"],
    ]);
    expect((await trtcCalls()).map((c) => [c.action, c.body?.RoomId, c.body?.UserIds, c.verdict])).toEqual([
      ["RemoveUser", 42, ["mallory"], "ok"],
    ]);

    // At B, with no wait: the callbacks' decisions read the object, not B's stale cache.
    expect(await callback(b, "bannedAs", { userId: "Mallory" })).toMatchObject({ ban: { userId: "mallory" } });
    expect(
      await callback(b, "enterRoom", { userId: "mallory", room: "stage", eventSeconds: enteredSeconds + 1 }),
    ).toEqual({ duplicate: false, banned: true, removal: { ok: true } });
    expect((await trtcCalls()).at(-1)).toMatchObject({
      action: "RemoveUserByStrRoomId",
      body: { RoomId: "stage", UserIds: ["mallory"] },
      verdict: "ok",
    });
    expect(await callback(b, "loggedIn", { userId: "mallory" })).toEqual({
      duplicate: false,
      banned: true,
      kick: { ok: true },
    });

    // B's issuance has not seen it yet (its list is younger than the soft TTL): the window the
    // mute covers (a muted sender is refused by Tencent itself).
    const stale = await usersig(b, "mallory");
    expect(stale.status).toBe(200);
    const staleIssuedAt = (await decodeUserSig(((await stale.json()) as { userSig: string }).userSig)).issuedAt;

    // B refuses within the hard TTL.
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

    // The object's alarm kicks once more: hard TTL + 3 s read wait + 10 s clock margin after the ban.
    const rekickAfterMs = SHORT_BOUNDS.hardTtlMs + 3_000 + 10_000;
    const kicks = async () => (await chatCalls()).filter((c) => c.command === "kick");
    while ((await kicks()).length < 3 && Date.now() - bannedAtMs < rekickAfterMs + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const rekick = (await kicks())[2];
    expect(rekick).toMatchObject({
      verdict: "ok",
      body: { UserID: "mallory" },
      query: { identifier: "administrator", usersigVerified: true },
    });
    expect((rekick as Call).at - bannedAtMs).toBeGreaterThanOrEqual(rekickAfterMs - 1_000);
    // Tencent's kick invalidates the UserSigs issued before it: the stale one is among them.
    expect(Math.floor((rekick as Call).at / 1000)).toBeGreaterThanOrEqual(staleIssuedAt);
  }, 60_000);

  it("no secret anywhere in what the workers printed", async () => {
    // Let workerd flush its stdout.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expectNoSecrets(output.join(""), [KEYS.operatorToken, KEYS.apiKey, SAMPLE_SECRET_KEY, KEYS.trtcSecretKey, TENCENT]);
  });
});
