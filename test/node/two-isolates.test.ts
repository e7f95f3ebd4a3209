// Two isolates sharing one Durable Object namespace: one Miniflare running the broker (bundled with
// shorter ban-cache bounds) as two workers, A and B, each in its own isolate; B's MODERATION binding
// is A's ModerationObject class (`scriptName`), so both reach the same object per app. The fakes of
// Tencent Chat and the TRTC Cloud API are their outbound service. A ban made through A:
// - is in force in A at once, and Tencent kicks, mutes and removes the user from the room B's
//   callback recorded;
// - is enforced at once by Tencent's next callbacks to B, sent as Tencent sends them (signed, to the
//   real /v1/callbacks/trtc and /v1/callbacks/chat): a TRTC 103 removes the user from the room, a
//   Chat before-send is refused, a Chat Login is kicked again; though B's own issuance cache has not
//   seen the ban yet;
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
import { c2cBeforeSend, stateChange, tencentCallbacks } from "../support/tencent-callbacks.js";

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

/** The signatures Tencent sent (TRTC's Sign header, Chat's Sign parameter): never in the output. */
const signatures: string[] = [];
/** Tencent, calling worker B's callback routes. */
const tencentAtB = tencentCallbacks({
  sdkAppId: APP,
  trtcKey: KEYS.trtcCallbackKey,
  chatToken: KEYS.chatCallbackToken,
  room: 42,
  nowMs: () => Date.now(),
  send: (path, init) => {
    const sign =
      new URL(path, "http://broker.test").searchParams.get("Sign") ?? (init.headers as Record<string, string>).Sign;
    if (sign) signatures.push(sign);
    return b.fetch(`http://broker.test${path}`, init);
  },
});

/** A TRTC room event at B: HTTP 200 and Tencent's {code: 0}, whatever was decided. */
async function trtcAtB(eventType: number, userId: string, room: number | string) {
  const response = await tencentAtB.trtcCallback(tencentAtB.roomEvent(eventType, userId, room));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ code: 0 });
}

/** A Chat webhook at B: HTTP 200 and Tencent's answer, whose ErrorCode decides a before-send. */
async function chatAtB(command: string, body: Record<string, unknown>) {
  const response = await tencentAtB.chatPost(await tencentAtB.chatUrl(command), body);
  expect(response.status).toBe(200);
  return (await response.json()) as { ActionStatus: string; ErrorCode: number };
}

const kicksOf = async (userId: string) =>
  (await chatCalls()).filter((c) => c.command === "kick" && c.body?.UserID === userId);

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
    // B caches the (empty) ban list, and Tencent tells B that mallory entered room 42 (TRTC's 103).
    expect((await usersig(b, "mallory")).status).toBe(200);
    await trtcAtB(103, "mallory", 42);
    expect(await trtcCalls()).toEqual([]);

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

    // At B, with no wait, Tencent's next callbacks: their decisions read the object, not B's stale cache.
    // A message from mallory (a case variant too) is refused (ErrorCode 1, the default); alice's is sent.
    expect((await chatAtB("C2C.CallbackBeforeSendMsg", c2cBeforeSend("mallory", Date.now()))).ErrorCode).toBe(1);
    expect((await chatAtB("C2C.CallbackBeforeSendMsg", c2cBeforeSend("Mallory", Date.now()))).ErrorCode).toBe(1);
    expect((await chatAtB("C2C.CallbackBeforeSendMsg", c2cBeforeSend("alice", Date.now()))).ErrorCode).toBe(0);
    // Her re-entry (a string room) is removed by the time B has answered Tencent's 103.
    await trtcAtB(103, "mallory", "stage");
    expect((await trtcCalls()).map((c) => [c.action, c.body?.RoomId, c.body?.UserIds, c.verdict])).toEqual([
      ["RemoveUser", 42, ["mallory"], "ok"],
      ["RemoveUserByStrRoomId", "stage", ["mallory"], "ok"],
    ]);
    // Her Chat login is kicked again by the time B has answered Tencent's State.StateChange.
    expect((await chatAtB("State.StateChange", stateChange("mallory", Date.now()))).ErrorCode).toBe(0);
    expect((await kicksOf("mallory")).map((c) => c.verdict)).toEqual(["ok", "ok"]);
    // alice's login is nothing to act on.
    await chatAtB("State.StateChange", stateChange("alice", Date.now()));
    expect(await kicksOf("alice")).toEqual([]);

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
    const kicks = () => kicksOf("mallory");
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
    expect(signatures.length).toBeGreaterThan(0);
    expectNoSecrets(output.join(""), [
      KEYS.operatorToken,
      KEYS.apiKey,
      SAMPLE_SECRET_KEY,
      KEYS.trtcSecretKey,
      KEYS.trtcCallbackKey,
      KEYS.chatCallbackToken,
      ...signatures,
      TENCENT,
    ]);
  });
});
