// Moderation through the app's Durable Object (src/objects/moderation.ts), timed against fakes of
// Tencent Chat and the TRTC Cloud API that answer every call after BENCH_MOD_LATENCY_MS (100 ms by
// default), as a distant Tencent would. The broker (with its production ban-cache bounds) runs in
// Miniflare's workerd with its SQLite-backed object; the fakes run in this Node process as its
// outbound service (test/fakes/tencent.mjs, bundled, signatures checked). Part of `npm run bench`
// (`npm run bench -- --only=moderation` runs it alone).
//
// Measured:
// - PUT …/bans/{userId} of a user presence knows in BENCH_MOD_ROOMS rooms (3: two numeric, one
//   string): from the PUT being sent until the fake has received every RemoveUser (p50/p95), and
//   until the PUT's answer (which waits for Tencent's confirmations: the Chat kick, then the mute,
//   the removals meanwhile);
// - the callback decisions, through the real routes, each callback sent as Tencent sends it
//   (test/support/tencent-callbacks.ts, bundled: TRTC's Sign over the raw body to
//   /v1/callbacks/trtc, Chat's Sign over token + RequestTime in the query of /v1/callbacks/chat), so
//   each is verified first: a Chat C2C before-send (banned sender or not), a TRTC 103 of a user not
//   banned (presence written), a 103 of a banned user (then RemoveUser, answered after the
//   latency), p50/p99, from this process (through Miniflare's entry worker) and as the app timed
//   itself inside the Worker (the harness entry's Server-Timing).
// Checked: every PUT 201 with every room in removedFrom; every removal signed and accepted by the
// fake; every callback answered 200; every before-send refused (ErrorCode 1) exactly when the sender
// is banned; a RemoveUser for every banned user's re-entry and none for the others. Any failure
// makes the section fail.
//
//   BENCH_MOD_BANS (40) bans, BENCH_MOD_DECISIONS (300) decisions of each kind, BENCH_MOD_LATENCY_MS
//   (100), BENCH_MOD_ROOMS (3), BENCH_MOD_LARGE_CONFIG (0; 1: the large configuration beside the app).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { compatibilityDate, envInt } from "./serve.mjs";

const APP = 1400000400;
/** The production isolate cache bounds (src/bans/cache.ts), for the harness entry. */
const PRODUCTION_BOUNDS = { softTtlMs: 20_000, hardTtlMs: 60_000 };

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const ms = (value) => `${value.toFixed(0)} ms`;

/** The Worker's bindings: the harness's app, and with `large` the large configuration's apps and secrets too. */
async function benchBindings(harnessBindings, large, keys) {
  const bindings = await harnessBindings(APP, keys, { rateLimits: { operator: false } });
  if (!large) return bindings;
  const { largeConfig } = await import("./large-config.mjs");
  const extra = largeConfig(bindings[`SECRET_KEY_${APP}`]);
  const config = JSON.parse(bindings.BROKER_CONFIG);
  return {
    ...bindings,
    ...extra.secrets,
    BROKER_CONFIG: JSON.stringify({ ...config, apps: [...config.apps, ...extra.config.apps] }),
  };
}

export async function benchModeration({ root, Miniflare, log = console.log }) {
  const cfg = {
    bans: envInt("BENCH_MOD_BANS", 40),
    decisions: envInt("BENCH_MOD_DECISIONS", 300),
    latencyMs: envInt("BENCH_MOD_LATENCY_MS", 100),
    rooms: envInt("BENCH_MOD_ROOMS", 3),
    // 1: the app beside the cold-start bench's large configuration (scripts/bench/large-config.mjs,
    // 10 more apps and their secrets: about 25 KB of BROKER_CONFIG), the Worker's env as a big
    // deployment has it.
    largeConfig: process.env.BENCH_MOD_LARGE_CONFIG === "1",
  };
  const failures = [];
  const outdir = mkdtempSync(join(tmpdir(), "usersig-bench-moderation-"));
  let mf;
  try {
    const { harnessBindings, harnessBuild, harnessCalls, harnessKeys, harnessOutbound, setupHarnessFakes } =
      await import(pathToFileURL(join(root, "test/fakes/moderation-harness.mjs")).href);
    await build({
      ...harnessBuild(root, PRODUCTION_BOUNDS),
      entryPoints: {
        broker: "test/fakes/broker-short-bounds.ts",
        fake: "test/fakes/tencent.mjs",
        callbacks: "test/support/tencent-callbacks.ts",
      },
      outdir,
      outExtension: { ".js": ".mjs" },
    });
    const { createFakeTencent } = await import(pathToFileURL(join(outdir, "fake.mjs")).href);
    const { c2cBeforeSend, tencentCallbacks } = await import(pathToFileURL(join(outdir, "callbacks.mjs")).href);
    const fake = createFakeTencent();
    const keys = harnessKeys("bench-moderation");
    await setupHarnessFakes(fake, APP, keys, cfg.latencyMs);
    const trtcCalls = async () => (await harnessCalls(fake)).trtc;
    const bindings = await benchBindings(harnessBindings, cfg.largeConfig, keys);
    log(
      `  moderation: BROKER_CONFIG of ${bindings.BROKER_CONFIG.length} bytes, ${Object.keys(bindings).length} vars and secrets`,
    );
    mf = new Miniflare({
      modules: true,
      modulesRoot: outdir,
      scriptPath: join(outdir, "broker.mjs"),
      compatibilityDate: compatibilityDate(root),
      kvNamespaces: ["RATE_LIMITS", "ADMINS"],
      durableObjects: { MODERATION: { className: "ModerationObject", useSQLite: true } },
      bindings,
      // Chat's answers wait in the outbound service; TRTC's in the fake (latencyMs), after it has recorded the call.
      outboundService: harnessOutbound(fake, Response, cfg.latencyMs),
      handleRuntimeStdio(stdout, stderr) {
        stdout.resume();
        stderr.resume();
      },
    });
    await mf.ready;

    // Tencent, calling the broker's callback routes; each call timed from here and by the app itself.
    const tencent = tencentCallbacks({
      sdkAppId: APP,
      trtcKey: keys.trtcCallbackKey,
      chatToken: keys.chatCallbackToken,
      room: 1,
      nowMs: () => Date.now(),
      send: (path, init) => mf.dispatchFetch(`http://broker.test${path}`, init),
    });
    const timed = async (send) => {
      const started = performance.now();
      const response = await send();
      const body = await response.json();
      const ms = performance.now() - started;
      const appMs = Number(/app;dur=(\d+)/.exec(response.headers.get("Server-Timing") ?? "")?.[1] ?? Number.NaN);
      return { ms, appMs, status: response.status, body };
    };
    const enterRoom = (userId, room) => timed(() => tencent.trtcCallback(tencent.roomEvent(103, userId, room)));
    const beforeSend = async (from) =>
      timed(async () =>
        tencent.chatPost(await tencent.chatUrl("C2C.CallbackBeforeSendMsg"), c2cBeforeSend(from, Date.now())),
      );
    const removalsOf = async (userId) => (await trtcCalls()).filter((c) => c.body?.UserIds?.[0] === userId);
    const roomsOf = (i) =>
      Array.from({ length: cfg.rooms }, (_, r) => (r === cfg.rooms - 1 ? `stage-${i}` : 10_000 + i * 10 + r));

    // 1. PUT -> every removal seen by the fake.
    log(
      `  moderation: ${cfg.bans} bans, each of a user in ${cfg.rooms} rooms, Tencent answering after ${cfg.latencyMs} ms`,
    );
    const seen = [];
    const answered = [];
    for (let i = 0; i < cfg.bans; i++) {
      const userId = `bench_banned_${i}`;
      for (const room of roomsOf(i)) {
        const entered = await enterRoom(userId, room);
        if (entered.status !== 200) failures.push(`103 of ${userId}: HTTP ${entered.status}`);
      }
      const sentAt = Date.now();
      const response = await mf.dispatchFetch(`http://broker.test/v1/admin/apps/${APP}/bans/${userId}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${keys.operatorToken}`, "Content-Type": "application/json" },
        body: "{}",
      });
      const body = await response.json();
      answered.push(Date.now() - sentAt);
      if (
        response.status !== 201 ||
        body.removedFrom?.length !== cfg.rooms ||
        body.kicked !== true ||
        body.muted !== true
      ) {
        failures.push(`ban ${i}: HTTP ${response.status}, removedFrom ${JSON.stringify(body.removedFrom)}`);
        continue;
      }
      const removals = await removalsOf(userId);
      if (removals.length !== cfg.rooms || removals.some((c) => c.verdict !== "ok")) {
        failures.push(`ban ${i}: the fake saw ${removals.length} removals (${removals.map((c) => c.verdict)})`);
        continue;
      }
      seen.push(Math.max(...removals.map((c) => c.at)) - sentAt);
    }

    // 2. Callback decisions.
    log(`  moderation: ${cfg.decisions} callback decisions of each kind`);
    const kinds = {
      "Chat before-send (C2C), banned sender or not": [],
      "TRTC 103 of a user not banned (presence written)": [],
      [`TRTC 103 of a banned user (then RemoveUser, answered after ${cfg.latencyMs} ms)`]: [],
    };
    const inside = { beforeSend: [], enter: [], reenter: [] };
    const [check, enter, reenter] = Object.values(kinds);
    const reentered = [];
    for (let i = 0; i < cfg.decisions; i++) {
      const banned = i % 2 === 0;
      const userId = banned ? `bench_banned_${i % cfg.bans}` : `bench_free_${i}`;
      const a = await beforeSend(userId);
      if (a.status !== 200 || a.body.ErrorCode !== (banned ? 1 : 0)) {
        failures.push(`before-send from ${userId}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
      }
      check.push(a.ms);
      inside.beforeSend.push(a.appMs);
      const e = await enterRoom(`bench_free_${i}`, 20_000 + i);
      if (e.status !== 200) failures.push(`103 of bench_free_${i}: HTTP ${e.status}`);
      enter.push(e.ms);
      inside.enter.push(e.appMs);
      const bannedUser = `bench_banned_${i % cfg.bans}`;
      const r = await enterRoom(bannedUser, 30_000 + i);
      if (r.status !== 200) failures.push(`103 of ${bannedUser}: HTTP ${r.status}`);
      reentered.push([bannedUser, 30_000 + i]);
      reenter.push(r.ms);
      inside.reenter.push(r.appMs);
    }
    // Each banned user's re-entry was removed (signed, accepted) by the time its 103 was answered (the
    // fake records a call before its latency); no user who is not banned was removed.
    const calls = await trtcCalls();
    const removed = new Set(
      calls.filter((c) => c.verdict === "ok").map((c) => `${c.body?.UserIds?.[0]}@${c.body?.RoomId}`),
    );
    const missing = reentered.filter(([userId, room]) => !removed.has(`${userId}@${room}`));
    if (missing.length > 0) failures.push(`${missing.length} re-entries of a banned user not removed`);
    const wrongly = calls.filter((c) => String(c.body?.UserIds?.[0]).startsWith("bench_free_"));
    if (wrongly.length > 0) failures.push(`${wrongly.length} removals of users not banned`);
    if ([...inside.beforeSend, ...inside.enter, ...inside.reenter].some(Number.isNaN)) {
      failures.push("an answer without the harness's Server-Timing");
    }

    const lines = [
      "",
      `Moderation (npm run bench -- --only=moderation): Tencent answering after ${cfg.latencyMs} ms; ${cfg.bans} bans of a user in ${cfg.rooms} known rooms`,
      `  PUT -> every removal seen by the fake:   p50 ${ms(percentile(seen, 50))}   p95 ${ms(percentile(seen, 95))}   (n=${seen.length})`,
      `  PUT -> its answer (kick, mute, removals confirmed): p50 ${ms(percentile(answered, 50))}   p95 ${ms(percentile(answered, 95))}`,
      "  Callback decisions, signed callbacks to the real routes (from Node, through Miniflare's entry worker | the app inside the Worker):",
    ];
    const insideOf = [inside.beforeSend, inside.enter, inside.reenter];
    Object.entries(kinds).forEach(([name, values], k) => {
      const own = insideOf[k];
      lines.push(
        `    ${name}: p50 ${values.length ? percentile(values, 50).toFixed(1) : "-"} ms, p99 ${percentile(values, 99).toFixed(1)} ms | p50 ${percentile(own, 50).toFixed(0)} ms, p99 ${percentile(own, 99).toFixed(0)} ms`,
      );
    });
    lines.push("  (Tencent allows 2 s for a before-send callback, 5 s for a room callback.)");
    return { report: lines.join("\n"), failures, figures: { seen, answered, kinds } };
  } finally {
    await mf?.dispose();
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { OFFLINE_ENV } = await import("./serve.mjs");
  Object.assign(process.env, OFFLINE_ENV);
  const { Miniflare } = await import("miniflare");
  const root = new URL("../..", import.meta.url).pathname;
  const result = await benchModeration({ root, Miniflare });
  console.log(result.report);
  for (const failure of result.failures) console.log(`Moderation FAILED: ${failure}`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
