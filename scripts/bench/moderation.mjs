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
// - the callback decisions, made through the service-layer calls the callback routes make
//   (test/fakes/broker-short-bounds.ts, POST /__test/callback): a before-send ban check (bannedAs),
//   a 103 of a user not banned (presence written), a 103 of a banned user (decision, then RemoveUser
//   answered after the latency), p50/p99, from this process (through Miniflare's entry worker) and
//   as timed inside the Worker.
// Checked: every PUT 201 with every room in removedFrom; every removal signed and accepted by the
// fake; every decision what it should be. Any failure makes the section fail.
//
//   BENCH_MOD_BANS (40) bans, BENCH_MOD_DECISIONS (300) decisions of each kind, BENCH_MOD_LATENCY_MS
//   (100), BENCH_MOD_ROOMS (3).

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

export async function benchModeration({ root, Miniflare, log = console.log }) {
  const cfg = {
    bans: envInt("BENCH_MOD_BANS", 40),
    decisions: envInt("BENCH_MOD_DECISIONS", 300),
    latencyMs: envInt("BENCH_MOD_LATENCY_MS", 100),
    rooms: envInt("BENCH_MOD_ROOMS", 3),
  };
  const failures = [];
  const outdir = mkdtempSync(join(tmpdir(), "usersig-bench-moderation-"));
  let mf;
  try {
    const { harnessBindings, harnessBuild, harnessCalls, harnessKeys, harnessOutbound, setupHarnessFakes } =
      await import(pathToFileURL(join(root, "test/fakes/moderation-harness.mjs")).href);
    await build({
      ...harnessBuild(root, PRODUCTION_BOUNDS),
      entryPoints: { broker: "test/fakes/broker-short-bounds.ts", fake: "test/fakes/tencent.mjs" },
      outdir,
      outExtension: { ".js": ".mjs" },
    });
    const { createFakeTencent } = await import(pathToFileURL(join(outdir, "fake.mjs")).href);
    const fake = createFakeTencent();
    const keys = harnessKeys("bench-moderation");
    await setupHarnessFakes(fake, APP, keys, cfg.latencyMs);
    const trtcCalls = async () => (await harnessCalls(fake)).trtc;
    mf = new Miniflare({
      modules: true,
      modulesRoot: outdir,
      scriptPath: join(outdir, "broker.mjs"),
      compatibilityDate: compatibilityDate(root),
      kvNamespaces: ["RATE_LIMITS", "ADMINS"],
      durableObjects: { MODERATION: { className: "ModerationObject", useSQLite: true } },
      bindings: await harnessBindings(APP, keys, { rateLimits: { operator: false } }),
      // Chat's answers wait in the outbound service; TRTC's in the fake (latencyMs), after it has recorded the call.
      outboundService: harnessOutbound(fake, Response, cfg.latencyMs),
      handleRuntimeStdio(stdout, stderr) {
        stdout.resume();
        stderr.resume();
      },
    });
    await mf.ready;

    let events = 0;
    const callback = async (call, event) => {
      const started = performance.now();
      const response = await mf.dispatchFetch("http://broker.test/__test/callback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sdkAppId: APP, call, event: { eventKey: `bench-${++events}`, ...event } }),
      });
      const body = await response.json();
      return { ms: performance.now() - started, status: response.status, ...body };
    };
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
      const eventSeconds = Math.floor(Date.now() / 1000);
      for (const room of roomsOf(i)) await callback("enterRoom", { userId, room, eventSeconds });
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
      const removals = (await trtcCalls()).filter((c) => c.body?.UserIds?.[0] === userId);
      if (removals.length !== cfg.rooms || removals.some((c) => c.verdict !== "ok")) {
        failures.push(`ban ${i}: the fake saw ${removals.length} removals (${removals.map((c) => c.verdict)})`);
        continue;
      }
      seen.push(Math.max(...removals.map((c) => c.at)) - sentAt);
    }

    // 2. Callback decisions.
    log(`  moderation: ${cfg.decisions} callback decisions of each kind`);
    const kinds = {
      "before-send ban check (bannedAs), banned or not": [],
      "103 of a user not banned (presence written)": [],
      [`103 of a banned user (then RemoveUser, answered after ${cfg.latencyMs} ms)`]: [],
    };
    const inside = { bannedAs: [], enter: [], reenter: [] };
    const [check, enter, reenter] = Object.values(kinds);
    for (let i = 0; i < cfg.decisions; i++) {
      const banned = i % 2 === 0;
      const userId = banned ? `bench_banned_${i % cfg.bans}` : `bench_free_${i}`;
      const a = await callback("bannedAs", { userId });
      if (a.status !== 200 || (a.answer.ban !== null) !== banned)
        failures.push(`bannedAs ${userId}: ${JSON.stringify(a)}`);
      check.push(a.ms);
      inside.bannedAs.push(a.decisionMs);
      const eventSeconds = Math.floor(Date.now() / 1000);
      const e = await callback("enterRoom", { userId: `bench_free_${i}`, room: 20_000 + i, eventSeconds });
      if (e.status !== 200 || e.answer.banned !== false) failures.push(`enterRoom: ${JSON.stringify(e)}`);
      enter.push(e.ms);
      inside.enter.push(e.decisionMs);
      const r = await callback("enterRoom", { userId: `bench_banned_${i % cfg.bans}`, room: 30_000 + i, eventSeconds });
      if (r.status !== 200 || r.answer.banned !== true || r.answer.removal?.ok !== true) {
        failures.push(`re-entry: ${JSON.stringify(r)}`);
      }
      reenter.push(r.ms);
      inside.reenter.push(r.decisionMs);
    }

    const lines = [
      "",
      `Moderation (npm run bench -- --only=moderation): Tencent answering after ${cfg.latencyMs} ms; ${cfg.bans} bans of a user in ${cfg.rooms} known rooms`,
      `  PUT -> every removal seen by the fake:   p50 ${ms(percentile(seen, 50))}   p95 ${ms(percentile(seen, 95))}   (n=${seen.length})`,
      `  PUT -> its answer (kick, mute, removals confirmed): p50 ${ms(percentile(answered, 50))}   p95 ${ms(percentile(answered, 95))}`,
      "  Callback decisions (from Node, through Miniflare's entry worker | inside the Worker):",
    ];
    const insideOf = [inside.bannedAs, inside.enter, inside.reenter];
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
