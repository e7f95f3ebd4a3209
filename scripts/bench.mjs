#!/usr/bin/env node
// `npm run bench`: UserSig signatures and verifications per second in Node and inside workerd, side
// by side with the same work done by node:crypto createHmac + node:zlib deflateSync in the same
// runtime (the floor) and, in Node, with Tencent's own tls-sig-api-v2. Also times the parts of a
// signature and several ways of driving CompressionStream('deflate'). Results: BENCHMARKS.md.
//
//   npm run bench                      # N=2000 operations per batch, 3 timed repetitions
//   npm run bench -- --n=5000 --reps=5 # or BENCH_N=5000 BENCH_REPS=5 npm run bench
//   (--warmup=W / BENCH_WARMUP: iterations per operation in the untimed first pass; default N/2)
//   npm run bench -- --only=issuance   # one section: core (this file), ratelimit, issuance
//                                      # (scripts/bench/*.mjs, load on the whole Worker), startup
//                                      # (scripts/bench/startup.mjs: upload size, cold start),
//                                      # direct (scripts/bench/direct.mjs: cold start, workerd
//                                      # without Miniflare; BENCH_DIRECT_CALLGRIND=1 counts instructions),
//                                      # moderation (scripts/bench/moderation.mjs); a,b for two
//

// Timing inside workerd: every batch is one request (GET /run?op=NAME&n=N) whose handler runs the N
// operations back to back. Node brackets that request with its own monotonic clock and with the CPU
// time of the workerd process (all threads, from /proc/<pid>/task/*/schedstat), and subtracts the
// median of an empty batch (n=0) through the same path, measured in the same repetition. Neither
// needs workerd's own clock, which in production is frozen during synchronous execution and only
// advances across I/O (a Spectre mitigation). The handler still reads performance.now() around its
// loop and reports it as a cross-check: the local workerd here advances it in 1 ms steps even
// mid-loop, so it agrees with the wall time for batches this long.
//
// The table's µs/op is CPU time (Node: this process's threads, which include zlib's thread pool),
// because on a shared machine the CPU a batch consumed varies far less than the wall time it took;
// wall time is shown beside it. Off Linux, wall time is used instead.

// Offline before anything from wrangler or Miniflare is loaded: only loopback connections.
Object.assign(process.env, {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
});

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { childPids, schedstat, schedstatOf } from "./bench/cpu.mjs";
import { FLOOR_SIGN, FLOOR_VERIFY, formatMemory, formatTable, median, shuffled } from "./bench/report.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);

const OURS_SIGN = "sign: ours (signUserSig)";
const OURS_VERIFY = "verify: ours (verifyUserSig)";
const TLS_SIGN = "sign: tls-sig-api-v2 (genUserSig)";
const SRC_DEFLATE = "deflate: src/usersig deflate()";
const READER_LOOP_DEFLATE = "deflate: writer + reader loop, unawaited";
const EMPTY = "loop: empty (await only)";

/** Outside the full driver comparison, only src's deflate and the reader loop it replaced. */
function keepDriver(op) {
  return !op.startsWith("deflate: ") || op === SRC_DEFLATE || op === READER_LOOP_DEFLATE;
}

// --expose-gc at run time, so heap figures are read after a full collection.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

function option(name, fallback) {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  const raw = flag ? flag.slice(name.length + 3) : process.env[`BENCH_${name.toUpperCase()}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function config() {
  const n = option("n", 2000);
  return { n, reps: option("reps", 3), warmup: option("warmup", Math.ceil(n / 2)) };
}

/** The production worker's compatibility date, so the bench worker runs the same workerd behaviour. */
function compatibilityDate() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  return /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? "2026-04-01";
}

function packageVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

function append(lists, key, value) {
  if (!lists[key]) lists[key] = [];
  lists[key].push(value);
}

/** CPU µs per operation between two schedstat readings, less a fixed overhead; undefined off Linux. */
function cpuPerOp(cpu0, cpu1, overheadNs, n) {
  if (!cpu0 || !cpu1) return undefined;
  const ns = cpu1.cpuNs - cpu0.cpuNs;
  return { us: (ns - overheadNs) / 1000 / n, ns, waitNs: cpu1.waitNs - cpu0.waitNs };
}

function heapUsed() {
  return process.memoryUsage().heapUsed;
}

// ---------------------------------------------------------------------------------------------
// Measuring, the same way in both runtimes

/**
 * One untimed pass over every operation first: the operations share stream and crypto code that
 * keeps getting faster for thousands of calls (Node's web streams most of all), so warming each
 * one only just before its own batch favours whichever runs later. Then `reps` timed passes, each
 * in a different order so that no operation always follows the same neighbour.
 */
async function measure(names, cfg, { run, beforeRep }) {
  const results = { samples: {}, wall: {}, clock: {}, firsts: {}, errors: {}, cpuNs: 0, waitNs: 0 };
  const attempt = async (name, n, timed) => {
    if (results.errors[name]) return;
    try {
      const { wallUs, cpu, clockUs, first } = await run(name, n);
      if (!timed) return;
      // CPU time is the primary figure when the platform reports it (see the header comment).
      append(results.samples, name, cpu ? cpu.us : wallUs);
      append(results.wall, name, wallUs);
      if (cpu) {
        results.cpuNs += cpu.ns;
        results.waitNs += cpu.waitNs;
      }
      if (clockUs !== undefined) append(results.clock, name, clockUs);
      results.firsts[name] = first;
    } catch (error) {
      results.errors[name] = String(error?.message ?? error);
    }
  };
  for (const name of names) await attempt(name, cfg.warmup, false);
  for (let rep = 0; rep < cfg.reps; rep++) {
    await beforeRep?.();
    for (const name of shuffled(names, rep + 1)) await attempt(name, cfg.n, true);
  }
  // Back in the order the operations were listed, for the table.
  results.samples = Object.fromEntries(names.filter((n) => results.samples[n]).map((n) => [n, results.samples[n]]));
  if (!results.cpuNs) results.cpuNs = undefined;
  return results;
}

// ---------------------------------------------------------------------------------------------
// Node

async function benchNode(bundle, cfg) {
  const m = await import(pathToFileURL(bundle).href);
  const { Api } = require("tls-sig-api-v2");
  const api = new Api(m.SDK_APP_ID, m.SECRET_KEY);
  const ops = {
    ...(await m.coreOps()),
    ...m.floorOps(),
    // genUserSig reads the clock itself; only its UserID varies with i.
    [TLS_SIGN]: async (i) => api.genUserSig(m.userIdFor(i), m.EXPIRE_SECONDS),
  };
  // Node is not where the drivers matter (the worker is); it keeps the two src has used, to show
  // that the change made for workerd does not cost Node anything.
  const names = Object.keys(ops).filter(keepDriver);
  const results = await measure(names, cfg, {
    async run(name, n) {
      const cpu0 = schedstat(process.pid);
      const { ms, first } = await m.runBatch(ops[name], n);
      const cpu1 = schedstat(process.pid);
      return { wallUs: (ms * 1000) / n, cpu: cpuPerOp(cpu0, cpu1, 0, n), first };
    },
  });
  results.memory = await memoryPass(m, ops, names, cfg.n);
  return { ...results, checks: await m.coreChecks(), lib: m };
}

/**
 * Heap used around one more batch of each operation, after the timed ones: a forced full gc before
 * a batch made Node's web streams ~1.5x slower in the batch that followed, so no timed batch
 * comes after one.
 */
async function memoryPass(m, ops, names, n) {
  const memory = {};
  for (const name of names) {
    gc();
    const before = heapUsed();
    await m.runBatch(ops[name], n);
    const after = heapUsed();
    gc();
    memory[name] = { op: name, before, after, afterGc: heapUsed() };
  }
  return memory;
}

// ---------------------------------------------------------------------------------------------
// workerd

/**
 * The two bench workers, run by one workerd so that their batches interleave in time: on a noisy
 * machine a ratio is only worth something between batches run close together.
 */
const WORKERS = {
  workerd: { name: "full", bundle: "workerFull", compatibilityFlags: ["nodejs_compat"], keep: () => true },
  "workerd, prod flags": { name: "plain", bundle: "workerPlain", compatibilityFlags: [], keep: keepDriver },
};
const SEP = "\t";

async function startWorkerd(Miniflare, bundles) {
  const mf = new Miniflare({
    workers: Object.values(WORKERS).map((w) => ({
      name: w.name,
      modules: true,
      // The bundles live in a temp dir: module paths must be relative to it, not to the cwd.
      modulesRoot: dirname(bundles[w.bundle]),
      scriptPath: bundles[w.bundle],
      compatibilityDate: compatibilityDate(),
      compatibilityFlags: w.compatibilityFlags,
      routes: [`${w.name}.bench/*`],
    })),
  });
  await mf.ready;
  return mf;
}

async function getJson(mf, worker, path) {
  const response = await mf.dispatchFetch(`http://${worker}.bench${path}`);
  const body = await response.json();
  if (!response.ok) throw new Error(`${path}: ${body.error ?? response.status}`);
  return body;
}

/** One batch as one request, timed from Node: wall clock, and workerd's CPU (header comment). */
async function timedBatch(mf, pids, worker, op, n) {
  const cpu0 = schedstatOf(pids);
  const t0 = performance.now();
  const body = await getJson(mf, worker, `/run?op=${encodeURIComponent(op)}&n=${n}`);
  const wallMs = performance.now() - t0;
  const cpu1 = schedstatOf(pids);
  const cpu = cpu0 && cpu1 ? { ns: cpu1.cpuNs - cpu0.cpuNs, waitNs: cpu1.waitNs - cpu0.waitNs } : undefined;
  return { wallMs, cpu, clockMs: body.ms, first: body.first };
}

/** What a request costs with nothing in it, to subtract from every batch. */
async function emptyBatch(mf, pids, worker) {
  const walls = [];
  const cpus = [];
  for (let i = 0; i < 7; i++) {
    const { wallMs, cpu } = await timedBatch(mf, pids, worker, EMPTY, 0);
    walls.push(wallMs);
    if (cpu) cpus.push(cpu.ns);
  }
  return { wallMs: median(walls), cpuNs: cpus.length ? median(cpus) : 0 };
}

/** Both workers' operations in one shuffled list; the results are split per worker afterwards. */
async function benchWorkerd(Miniflare, bundles, cfg) {
  const mf = await startWorkerd(Miniflare, bundles);
  try {
    const pids = childPids("workerd");
    const entries = [];
    const runs = {};
    for (const [label, w] of Object.entries(WORKERS)) {
      runs[label] = { samples: {}, wall: {}, clock: {}, firsts: {}, errors: {}, overheads: [] };
      runs[label].checks = await getJson(mf, w.name, "/check");
      const ops = (await getJson(mf, w.name, "/ops")).filter(w.keep);
      entries.push(...ops.map((op) => `${label}${SEP}${op}`));
    }
    const results = await measure(entries, cfg, {
      async beforeRep() {
        for (const [label, w] of Object.entries(WORKERS))
          runs[label].overheads.push(await emptyBatch(mf, pids, w.name));
      },
      async run(entry, n) {
        const [label, op] = entry.split(SEP);
        const { wallMs, cpu, clockMs, first } = await timedBatch(mf, pids, WORKERS[label].name, op, n);
        const overhead = runs[label].overheads.at(-1) ?? { wallMs: 0, cpuNs: 0 };
        return {
          wallUs: ((wallMs - overhead.wallMs) * 1000) / n,
          cpu: cpu && { us: (cpu.ns - overhead.cpuNs) / 1000 / n, ns: cpu.ns, waitNs: cpu.waitNs },
          clockUs: (clockMs * 1000) / n,
          first,
        };
      },
    });
    for (const label of Object.keys(WORKERS))
      Object.assign(runs[label], { cpuNs: results.cpuNs, waitNs: results.waitNs });
    for (const field of ["samples", "wall", "clock", "firsts", "errors"]) {
      for (const [entry, value] of Object.entries(results[field])) {
        const [label, op] = entry.split(SEP);
        runs[label][field][op] = value;
      }
    }
    return runs;
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Correctness

/** Every implementation's first token must verify with verifyUserSig; equal inputs, equal bytes. */
async function checkCorrectness(lib, node, workerd) {
  const failures = [];
  const expect = (ok, what) => {
    if (!ok) failures.push(what);
  };
  const verifies = async (token, now) => {
    try {
      await lib.verifyUserSig(token, {
        sdkAppId: lib.SDK_APP_ID,
        secretKey: lib.SECRET_KEY,
        userId: lib.userIdFor(0),
        now,
      });
      return true;
    } catch {
      return false;
    }
  };
  const reference = node.firsts[OURS_SIGN];
  expect(node.checks.knownAnswerMatches, "Node: signUserSig does not reproduce the known-answer vector");
  expect(await verifies(reference, lib.NOW + 1), "Node: our first token does not verify");
  expect(node.firsts[FLOOR_SIGN] === reference, "Node: the floor's first token differs from ours");
  expect(await verifies(node.firsts[FLOOR_SIGN], lib.NOW + 1), "Node: the floor's first token does not verify");
  expect(
    await verifies(node.firsts[TLS_SIGN], Date.now() / 1000),
    "Node: tls-sig-api-v2's first token does not verify",
  );
  for (const [label, run] of Object.entries(workerd)) {
    expect(run.checks.knownAnswerMatches, `${label}: signUserSig does not reproduce the known-answer vector`);
    expect(run.firsts[OURS_SIGN] === reference, `${label}: our first token differs from Node's`);
    if (run.firsts[FLOOR_SIGN] !== undefined) {
      expect(run.firsts[FLOOR_SIGN] === reference, `${label}: the floor's first token differs from ours`);
    }
    for (const op of [OURS_SIGN, FLOOR_SIGN]) {
      if (run.firsts[op] !== undefined)
        expect(await verifies(run.firsts[op], lib.NOW + 1), `${label}: ${op} does not verify`);
    }
  }
  for (const [label, run] of [["Node", node], ...Object.entries(workerd)]) {
    for (const op of [OURS_SIGN, OURS_VERIFY, FLOOR_SIGN, FLOOR_VERIFY, SRC_DEFLATE]) {
      if (run.errors[op]) failures.push(`${label}: ${op} failed: ${run.errors[op]}`);
    }
  }
  return failures;
}

/** Variants whose output differs from src's deflate (or that throw) are reported and not ranked. */
function variantVerdicts(checks) {
  const reference = checks.variants["src/usersig deflate()"];
  return Object.fromEntries(
    Object.entries(checks.variants).map(([name, out]) => [`deflate: ${name}`, out === reference ? "identical" : out]),
  );
}

function cheapestVariant(samples, verdicts) {
  const ranked = Object.keys(samples)
    .filter((op) => op.startsWith("deflate: ") && verdicts[op] === "identical")
    .map((op) => [op, median(samples[op])])
    .sort((a, b) => a[1] - b[1]);
  return ranked.map(([op, us]) => `${op.slice(9)} ${us.toFixed(1)} µs`).join(" < ");
}

// ---------------------------------------------------------------------------------------------
// Report

function rowsFor(runtime, run) {
  return Object.keys(run.samples).map((op) => ({
    runtime,
    op,
    us: run.samples[op],
    wallUs: run.wall[op],
    clockUs: run.clock?.[op],
  }));
}

function medians(samples) {
  return Object.fromEntries(Object.entries(samples).map(([op, us]) => [op, median(us)]));
}

const PARTS = {
  deflate: SRC_DEFLATE,
  HMAC: "part: HMAC sign, WebCrypto (cached key)",
  "content+JSON+UTF-8": "part: glue 1, content + JSON + UTF-8",
  "base64+token": "part: glue 2, base64 + token alphabet",
};

/** Ours against the floor, and what ours spends its time on (the rest: validation, awaits). */
function summary(label, run, floorRun) {
  const m = medians(run.samples);
  const floor = medians(floorRun.samples);
  const sign = m[OURS_SIGN];
  const ratio = sign / floor[FLOOR_SIGN];
  const share = (us) => `${us.toFixed(1)} µs (${((us / sign) * 100).toFixed(0)}%)`;
  const parts = Object.entries(PARTS).map(([name, op]) => `${name} ${share(m[op])}`);
  const rest = sign - Object.values(PARTS).reduce((sum, op) => sum + m[op], 0);
  const lines = [
    `${label}: sign ours ${sign.toFixed(1)} µs vs floor ${floor[FLOOR_SIGN].toFixed(1)} µs = ${ratio.toFixed(2)}x (goal <= 2x: ${ratio <= 2 ? "reached" : "NOT reached"}); verify ours ${m[OURS_VERIFY].toFixed(1)} µs vs floor ${floor[FLOOR_VERIFY].toFixed(1)} µs = ${(m[OURS_VERIFY] / floor[FLOOR_VERIFY]).toFixed(2)}x`,
    `  sign ours = ${parts.join(" + ")} + rest ${share(rest)}`,
    `  an identity stream driven like the deflate (plumbing, no zlib): ${m["part: stream plumbing only (identity, writer + Response)"].toFixed(1)} µs`,
  ];
  if (run === floorRun) {
    lines.push(
      `  floor parts: deflateSync ${floor["part: deflate, deflateSync"].toFixed(1)} µs, createHmac ${floor["part: HMAC sign, createHmac"].toFixed(1)} µs`,
    );
  }
  return lines.join("\n");
}

function printReport(cfg, node, workerd, versions, failures, seconds, loadBefore) {
  const cpu = cpus();
  const floors = { Node: medians(node.samples), workerd: medians(workerd.workerd.samples) };
  const rows = [...rowsFor("Node", node), ...rowsFor("workerd", workerd.workerd)];
  rows.push(...rowsFor("workerd, prod flags", workerd["workerd, prod flags"]));
  const floorOf = (runtime) => (runtime.startsWith("workerd") ? "workerd" : runtime);
  console.log(
    `\nUserSig benchmark: N=${cfg.n} per batch, ${cfg.reps} repetitions (median shown, spread = half the min-max range), after one untimed warm-up pass of ${cfg.warmup} per operation`,
  );
  console.log(
    `${cpu.length} x ${cpu[0]?.model ?? "cpu"}, Node ${process.versions.node}, workerd ${versions.workerd}, esbuild ${versions.esbuild}, compatibility_date ${compatibilityDate()}`,
  );
  const load = (avg) => avg.map((l) => l.toFixed(2)).join(" ");
  console.log(`load average (1/5/15 min) before: ${load(loadBefore)}, after: ${load(loadavg())}`);
  console.log(
    "µs/op: CPU time per operation, all threads of the process doing the work (workerd: less an empty request);",
  );
  console.log(
    "wall: Node's monotonic clock around the batch (workerd: less an empty request); in-worker clock: workerd's own",
  );
  console.log(
    "performance.now() inside the handler. × floor: against the floor's sign (verify rows: the floor's verify) in the same runtime;",
  );
  console.log(
    '"workerd, prod flags" has no nodejs_compat; its ratios use the floor of the nodejs_compat worker, run interleaved in the same workerd.\n',
  );
  console.log(formatTable(rows, floors, floorOf));
  console.log(`\n${formatMemory(Object.keys(node.samples).map((op) => node.memory[op]))}\n`);
  console.log(summary("Node", node, node));
  console.log(summary("workerd", workerd.workerd, workerd.workerd));
  console.log(summary("workerd, prod flags", workerd["workerd, prod flags"], workerd.workerd));
  for (const [label, run] of [
    ["Node (only src's current and previous driver timed)", node],
    ["workerd", workerd.workerd],
  ]) {
    const verdicts = variantVerdicts(run.checks);
    console.log(
      `\nCompressionStream drivers, ${label}, cheapest first (identical bytes only): ${cheapestVariant(run.samples, verdicts)}`,
    );
    for (const [op, verdict] of Object.entries(verdicts)) {
      if (verdict !== "identical")
        console.log(`  not ranked: ${op}: ${verdict.startsWith("error") ? verdict : "bytes differ"}`);
    }
    for (const [op, error] of Object.entries(run.errors)) console.log(`  failed while timed: ${op}: ${error}`);
  }
  const overheads = Object.entries(workerd).map(
    ([label, run]) =>
      `${label} ${run.overheads.map((o) => `${o.wallMs.toFixed(2)} ms wall/${(o.cpuNs / 1e6).toFixed(2)} ms CPU`).join(", ")}`,
  );
  console.log(`\nEmpty-batch request overhead subtracted (per repetition): ${overheads.join("; ")}`);
  const wait = (run) => (run.cpuNs ? `${((run.waitNs / run.cpuNs) * 100).toFixed(0)}%` : "n/a");
  console.log(
    `Time spent runnable but waiting for a CPU, as a share of CPU time used (noise indicator): Node ${wait(node)}, workerd ${wait(workerd.workerd)}`,
  );
  console.log(
    failures.length === 0
      ? "Correctness: every implementation's first token verifies with verifyUserSig; ours, the floor's and workerd's are byte-identical; the known answer matches."
      : `Correctness FAILED:\n  ${failures.join("\n  ")}`,
  );
  console.log(`Total ${seconds.toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------

/** `--only=core|ratelimit|issuance|startup|direct|moderation` (a comma-separated list too; or BENCH_ONLY): just these sections. */
const SECTIONS = ["core", "ratelimit", "issuance", "startup", "direct", "moderation"];

function sections() {
  const flag = process.argv.find((arg) => arg.startsWith("--only="));
  const raw = flag ? flag.slice("--only=".length) : process.env.BENCH_ONLY;
  if (!raw) return new Set(SECTIONS);
  const picked = raw.split(",").map((name) => name.trim());
  const unknown = picked.filter((name) => !SECTIONS.includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(", ")} (${SECTIONS.join(", ")})`);
  return new Set(picked);
}

async function main() {
  const started = performance.now();
  const loadBefore = loadavg();
  const only = sections();
  const cfg = config();
  const { Miniflare } = await import("miniflare");
  let ok = true;
  let signUs;
  if (only.has("core")) {
    const outdir = mkdtempSync(join(tmpdir(), "usersig-bench-"));
    try {
      const { buildBundles } = await import("./bench/build.mjs");
      const bundles = await buildBundles(ROOT, outdir);
      console.log(`Node: N=${cfg.n} x ${cfg.reps} ...`);
      const node = await benchNode(bundles.node, cfg);
      console.log("workerd: nodejs_compat worker (with the floor) and production-flags worker, interleaved ...");
      const workerd = await benchWorkerd(Miniflare, bundles, cfg);
      const failures = await checkCorrectness(node.lib, node, workerd);
      const versions = { workerd: packageVersion("workerd"), esbuild: packageVersion("esbuild") };
      printReport(cfg, node, workerd, versions, failures, (performance.now() - started) / 1000, loadBefore);
      signUs = median(workerd["workerd, prod flags"].samples[OURS_SIGN] ?? []);
      ok &&= failures.length === 0;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  if (only.has("ratelimit")) {
    // Rate limits under load (scripts/bench/ratelimit.mjs): KV operations per request, on/off throughput.
    const { benchRateLimits } = await import("./bench/ratelimit.mjs");
    console.log("\nRate limits under load ...");
    const rateLimits = await benchRateLimits({ root: ROOT, Miniflare });
    console.log(rateLimits.report);
    for (const failure of rateLimits.failures) console.log(`Rate limits FAILED: ${failure}`);
    ok &&= rateLimits.failures.length === 0;
  }
  if (only.has("issuance")) {
    // Issuance under load (scripts/bench/issuance.mjs): req/s per caller kind against /healthz, KV reads.
    const { benchIssuance } = await import("./bench/issuance.mjs");
    console.log("\nIssuance under load ...");
    const issuance = await benchIssuance({
      root: ROOT,
      Miniflare,
      signUs: Number.isFinite(signUs) ? signUs : undefined,
    });
    console.log(issuance.report);
    for (const failure of issuance.failures) console.log(`Issuance FAILED: ${failure}`);
    ok &&= issuance.failures.length === 0;
  }
  if (only.has("startup")) {
    // Cold start (scripts/bench/startup.mjs): upload size as wrangler builds it, new workerd → first 200.
    const { benchStartup } = await import("./bench/startup.mjs");
    console.log("\nCold start ...");
    const startup = await benchStartup({ root: ROOT, Miniflare });
    console.log(startup.report);
    for (const failure of startup.failures) console.log(`Start-up FAILED: ${failure}`);
    ok &&= startup.failures.length === 0;
  }
  if (only.has("direct")) {
    // Cold start with workerd run directly (scripts/bench/direct.mjs): no Miniflare, steadier; callgrind optional.
    const { benchDirect } = await import("./bench/direct.mjs");
    console.log("\nCold start, workerd run directly ...");
    const direct = await benchDirect({ root: ROOT });
    console.log(direct.report);
    for (const failure of direct.failures) console.log(`Direct start-up FAILED: ${failure}`);
    ok &&= direct.failures.length === 0;
  }
  if (only.has("moderation")) {
    // Bans through the app's Durable Object (scripts/bench/moderation.mjs): PUT -> removals, callback decisions.
    const { benchModeration } = await import("./bench/moderation.mjs");
    console.log("\nModeration ...");
    const moderation = await benchModeration({ root: ROOT, Miniflare });
    console.log(moderation.report);
    for (const failure of moderation.failures) console.log(`Moderation FAILED: ${failure}`);
    ok &&= moderation.failures.length === 0;
  }
  return ok ? 0 : 1;
}

process.exitCode = await main();
