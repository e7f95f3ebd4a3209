// Rate limits under load: the whole broker (src/index.ts bundled with esbuild) served by Miniflare's
// API (workerd, no wrangler dev proxy) on loopback, with the real local KV simulator behind
// RATE_LIMITS. Part of `npm run bench`; alone: `node scripts/bench/ratelimit.mjs`.
//
// Measured, per scenario (new guests from 5 client IPs; API-key callers with 5 keys):
// - throughput with limits on vs off: one worker, two apps that differ only in `rateLimits`
//   (limits set far above the load, so nothing is refused: this is the overhead), both modes back to
//   back in each repetition (alternating which goes first), median of the per-repetition ratios;
//   goal: on/off >= 0.9; and the workerd process's CPU per request in each mode (from /proc);
// - KV operations per request once warm, from GET /v1/admin/stats before and after each limits-on
//   run; goal: 0 reads per request, writes at most one per counter per second (the limiter writes a
//   counter at most once per flush interval, 5 s for minute windows: checked, a failure if not);
// - refusals: one IP over a low limit; refused requests must cause no KV operation at all.
//
//   BENCH_RL_REQUESTS (default 2000) requests per timed run, BENCH_RL_CONCURRENCY (8) in flight,
//   BENCH_RL_REPS (6) timed runs per mode and scenario, BENCH_RL_CAP_S (60) seconds at most per run.

import { fileURLToPath } from "node:url";
import { envInt, median, packageVersion, serveBroker, sha256Hex, workerdCpuMs } from "./serve.mjs";

const SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const OPERATOR_TOKEN = "bench-operator-token-0123456789-0123456789";
const APP_ON = 1400000901;
const APP_OFF = 1400000902;
const APP_REFUSE = 1400000903;
const SUBJECTS = 5;
const API_KEYS = Array.from({ length: SUBJECTS }, (_, i) => `bench-api-key-${i}-0123456789abcdef`);
const GUEST_IPS = Array.from({ length: SUBJECTS }, (_, i) => `198.51.100.${10 + i}`);
const HIGH = 1_000_000_000;
const REFUSE_LIMIT = 5;

async function brokerConfig() {
  const apiKeys = await Promise.all(
    API_KEYS.map(async (key, i) => ({ name: `backend-${i}`, sha256: await sha256Hex(key), allowUserId: true })),
  );
  const base = (sdkAppId, rateLimits) => ({
    sdkAppId,
    guests: { enabled: true },
    apiKeys,
    rateLimits,
  });
  const high = {
    windows: [
      { seconds: 60, limit: HIGH },
      { seconds: 86_400, limit: HIGH },
    ],
  };
  return {
    apps: [
      base(APP_ON, { usersig: { guest: high, apiKey: high }, newGuests: { perDay: HIGH } }),
      base(APP_OFF, { enabled: false }),
      base(APP_REFUSE, { usersig: { guest: { windows: [{ seconds: 60, limit: REFUSE_LIMIT }] } } }),
    ],
  };
}

/** The requests of a scenario: request i of `sdkAppId`. */
const SCENARIOS = {
  "new guests, 5 client IPs": (sdkAppId, i) => ({
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": GUEST_IPS[i % SUBJECTS] },
    body: JSON.stringify({ sdkAppId }),
  }),
  "API keys, 5 keys": (sdkAppId, i) => ({
    headers: { "Content-Type": "application/json", "X-Api-Key": API_KEYS[i % SUBJECTS] },
    body: JSON.stringify({ sdkAppId, userId: `user_${i % 97}` }),
  }),
};

/**
 * The limits-on app's counters per scenario, as their flush intervals in seconds (src/ratelimit/policy.ts:
 * a twelfth of the shortest window, 1 to 30 s): one per subject (minute + day windows: 5 s), plus the
 * new-guest budget (a day window: 30 s).
 */
const COUNTERS = {
  "new guests, 5 client IPs": [...Array(SUBJECTS).fill(5), 30],
  "API keys, 5 keys": Array(SUBJECTS).fill(5),
};
/** At most this many writes in `seconds` if each counter is written at most once per `every(counter)` s. */
function writeBound(flushSeconds, seconds, every = (f) => f) {
  return flushSeconds.reduce((sum, f) => sum + Math.floor(seconds / every(f)) + 1, 0);
}

/** `n` requests, `concurrency` in flight, no new ones after `capMs`. */
async function load(base, makeRequest, n, concurrency, capMs) {
  const statuses = new Map();
  let next = 0;
  const started = performance.now();
  const deadline = started + capMs;
  async function worker() {
    while (next < n && performance.now() < deadline) {
      const i = next++;
      const response = await fetch(`${base}/v1/usersig`, { method: "POST", ...makeRequest(i) });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  const done = [...statuses.values()].reduce((a, b) => a + b, 0);
  return { done, ms, perSecond: (done * 1000) / ms, statuses: Object.fromEntries(statuses) };
}

async function stats(base) {
  const response = await fetch(`${base}/v1/admin/stats`, { headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` } });
  if (!response.ok) throw new Error(`stats: HTTP ${response.status}`);
  return response.json();
}

function kvDelta(before, after) {
  const kv = (s) => s.rateLimit.kv;
  return {
    lists: kv(after).lists - kv(before).lists,
    puts: kv(after).puts - kv(before).puts,
    errors: kv(after).errors - kv(before).errors,
    adminReads: after.admins.kv.reads - before.admins.kv.reads,
  };
}

/**
 * Runs the rate-limit benchmark and returns its report (text) and any failure (requests that did not
 * succeed, a refusal that touched KV). Goals that are missed are reported, not failed: the machine is
 * shared and noisy.
 */
export async function benchRateLimits({ root, Miniflare, log = console.log }) {
  const requests = envInt("BENCH_RL_REQUESTS", 2000);
  const concurrency = envInt("BENCH_RL_CONCURRENCY", 8);
  // Even, so that each mode runs first equally often.
  const reps = envInt("BENCH_RL_REPS", 6);
  const capMs = envInt("BENCH_RL_CAP_S", 60) * 1000;
  const failures = [];
  const lines = [];
  const rateLimitLogs = {};
  let server;
  try {
    server = await serveBroker({
      root,
      Miniflare,
      prefix: "usersig-bench-rl-",
      // The worker logs one audit line per request: read and count, not print, them.
      onOutput(chunk) {
        for (const match of chunk.matchAll(/"event":"(rate_limit_[a-z_]+)"/g)) {
          rateLimitLogs[match[1]] = (rateLimitLogs[match[1]] ?? 0) + 1;
        }
      },
      bindings: {
        BROKER_CONFIG: JSON.stringify(await brokerConfig()),
        ADMIN_API_TOKEN: OPERATOR_TOKEN,
        ...Object.fromEntries([APP_ON, APP_OFF, APP_REFUSE].map((id) => [`SECRET_KEY_${id}`, SECRET_KEY])),
      },
    });
    const { base } = server;
    lines.push(
      `Rate limits under load: ${requests} POST /v1/usersig per timed run, ${concurrency} in flight, ${reps} runs per mode (alternating order, median), loopback to Miniflare (workerd ${packageVersion(root, "workerd")})`,
    );

    const counters = [];
    for (const [scenario, makeRequest] of Object.entries(SCENARIOS)) {
      log(`  rate limits: ${scenario} ...`);
      // Warm-up, untimed: the isolate's code paths (JIT), the API-key hash cache, the limiter's
      // counters. Shorter warm-ups left the first timed run ~25% slower whichever mode it was.
      for (const app of [APP_ON, APP_OFF, APP_ON, APP_OFF]) {
        await load(base, (i) => makeRequest(app, i), 1000, concurrency, capMs);
      }
      const runs = { on: [], off: [] };
      const kv = [];
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? ["on", "off"] : ["off", "on"];
        for (const mode of order) {
          const app = mode === "on" ? APP_ON : APP_OFF;
          const before = await stats(base);
          const cpuBefore = workerdCpuMs();
          const run = await load(base, (i) => makeRequest(app, i), requests, concurrency, capMs);
          const cpuAfter = workerdCpuMs();
          const after = await stats(base);
          if (cpuBefore !== undefined && cpuAfter !== undefined) run.cpuUs = ((cpuAfter - cpuBefore) * 1000) / run.done;
          runs[mode].push(run);
          if (mode === "on") kv.push({ ...kvDelta(before, after), done: run.done, ms: run.ms });
          const ok = run.statuses[200] ?? 0;
          if (ok !== run.done) failures.push(`${scenario}, limits ${mode}: ${JSON.stringify(run.statuses)}`);
        }
      }
      const on = median(runs.on.map((r) => r.perSecond));
      const off = median(runs.off.map((r) => r.perSecond));
      // Each repetition runs both modes back to back: their ratio cancels the machine's slow drifts
      // (it is shared), so the headline is the median of the per-repetition ratios.
      const pairRatios = runs.on.map((r, i) => r.perSecond / runs.off[i].perSecond);
      const ratio = median(pairRatios);
      const done = kv.reduce((a, k) => a + k.done, 0);
      const seconds = kv.reduce((a, k) => a + k.ms, 0) / 1000;
      const total = (key) => kv.reduce((a, k) => a + k[key], 0);
      // In T seconds a counter written at most once per f seconds is written at most floor(T / f) + 1
      // times. Counters of earlier scenarios still write their last counts (the sweep), so the bound covers
      // every counter this isolate holds so far.
      counters.push(...COUNTERS[scenario]);
      const flush = COUNTERS[scenario];
      const putBound = kv.map((k) => writeBound(counters, k.ms / 1000));
      const perSecondBound = kv.map((k) => writeBound(counters, k.ms / 1000, () => 1));
      const putsOk = kv.every((k, i) => k.puts <= putBound[i]);
      if (!putsOk) failures.push(`${scenario}: more KV writes than one per counter per flush interval`);
      lines.push(
        `\n${scenario}:`,
        `  throughput limits on/off: ${ratio.toFixed(3)} (median of the per-repetition ratios ${pairRatios.map((x) => x.toFixed(3)).join(", ")}; goal >= 0.9: ${ratio >= 0.9 ? "reached" : "NOT reached"}); medians: on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s`,
        `    runs on:  ${runs.on.map((r) => `${r.perSecond.toFixed(0)} (${r.done} in ${(r.ms / 1000).toFixed(2)} s)`).join(", ")}`,
        `    runs off: ${runs.off.map((r) => `${r.perSecond.toFixed(0)} (${r.done} in ${(r.ms / 1000).toFixed(2)} s)`).join(", ")}`,
        ...(runs.on[0]?.cpuUs !== undefined
          ? [
              `  workerd CPU per request (user+system, KV simulator included): on ${median(runs.on.map((r) => r.cpuUs)).toFixed(0)} µs, off ${median(runs.off.map((r) => r.cpuUs)).toFixed(0)} µs (medians; runs on ${runs.on.map((r) => r.cpuUs.toFixed(0)).join("/")}, off ${runs.off.map((r) => r.cpuUs.toFixed(0)).join("/")})`,
            ]
          : []),
        `  KV per request, limits on, warm (${done} requests, ${seconds.toFixed(1)} s): lists ${(total("lists") / done).toFixed(4)}, puts ${(total("puts") / done).toFixed(4)} (errors ${total("errors")}); admin-set KV reads ${(total("adminReads") / done).toFixed(4)}`,
        `  KV writes per timed run: ${kv.map((k, i) => `${k.puts} in ${(k.ms / 1000).toFixed(2)} s (flush-interval bound ${putBound[i]}, one-per-second bound ${perSecondBound[i]})`).join(", ")}: this scenario's ${flush.length} counters (of ${counters.length} in the isolate), each written at most once per ${[...new Set(flush)].join(" or ")} s ${putsOk ? "(goal of at most one per second: reached)" : "(NOT within the bound)"}`,
        `  KV reads once warm: ${total("lists") === 0 ? "0 (goal reached)" : `${total("lists")} lists: background re-reads, one per counter per 10 s (60 s for the budget), never on the request's path`}`,
      );
    }

    // Refusals: one IP over a low limit. After the first (cold) request, nothing touches KV but the
    // one trailing write of the counts of the requests that were allowed.
    log("  rate limits: refusals ...");
    const refuse = () => SCENARIOS["new guests, 5 client IPs"](APP_REFUSE, 0);
    const cold = await load(base, refuse, 1, 1, capMs);
    const warm = await stats(base);
    const burst = await load(base, refuse, 500, concurrency, capMs);
    const after = await stats(base);
    const delta = kvDelta(warm, after);
    const refused = burst.statuses[429] ?? 0;
    lines.push(
      `\nrefusals: one IP, limit ${REFUSE_LIMIT}/min: first request ${JSON.stringify(cold.statuses)}, then ${burst.done} requests: ${JSON.stringify(burst.statuses)} in ${(burst.ms / 1000).toFixed(2)} s (${burst.perSecond.toFixed(0)} req/s); KV during them: lists ${delta.lists}, puts ${delta.puts} (only due writes of counts made before)`,
    );
    if (refused !== burst.done - (REFUSE_LIMIT - 1)) {
      failures.push(
        `refusals: expected ${burst.done - (REFUSE_LIMIT - 1)} refused, got ${JSON.stringify(burst.statuses)}`,
      );
    }
    if (delta.lists !== 0) failures.push(`refusals read KV: ${JSON.stringify(delta)}`);
    const final = await stats(base);
    lines.push(
      `isolate totals: ${final.requests} /v1 requests, ${final.rateLimit.entries} counters, decisions ${JSON.stringify(final.rateLimit.decisions)}, KV ${JSON.stringify(final.rateLimit.kv)}; rate-limit log lines ${JSON.stringify(rateLimitLogs)}`,
    );
  } finally {
    await server?.close();
  }
  return { report: lines.join("\n"), failures };
}

// Alone: `node scripts/bench/ratelimit.mjs`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  Object.assign(process.env, {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  });
  const { Miniflare } = await import("miniflare");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const { report, failures } = await benchRateLimits({ root, Miniflare });
  console.log(report);
  if (failures.length > 0) console.log(`FAILED:\n  ${failures.join("\n  ")}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
