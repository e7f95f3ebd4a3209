// Cold start with workerd run directly: `npm run bench -- --only=direct`. The same upload as the
// startup section (`wrangler deploy --dry-run`), but no Miniflare: a Cap'n Proto config written here
// (the script and each binding embedded from files, the two KV namespaces bound to a stub Worker, as
// /healthz reads neither) and `workerd serve` on it, timed from the spawn to the first 200 of GET
// /healthz. Without Miniflare's own Workers and its Node side in the way the figures are steadier, and
// they split the cost: the one-line Worker; the broker's script beside it, never imported (what
// compiling its bytes costs, as the instruction counts show: workerd compiles every module it is
// given; a few timed runs may not order it below the broker); the broker; each with the
// demo configuration and with the large one (scripts/bench/large-config.mjs), each against a
// one-line Worker with the same bindings.
//
// CPU is the workerd process's, all threads, from /proc/<pid>/task/*/schedstat at the first 200.
// With BENCH_DIRECT_CALLGRIND=1, each Worker is also started once under valgrind's callgrind, which
// counts the instructions workerd runs from its start to the first 200: the same count on every run
// for the same binary and inputs, whatever else the machine does (a few hundred thousand apart), so a
// change of 1% shows where the CPU times cannot see it. valgrind must be installed (Debian: valgrind).
//
//   BENCH_DIRECT_RUNS (default 31, at least 7) interleaved runs, in a seeded shuffled order, after one
//   untimed start of each; BENCH_DIRECT_TOTAL_S (180): no new run after this many seconds;
//   BENCH_STARTUP_BASELINE=<git ref>: that commit's upload too (exported with `git archive`, built with
//   this checkout's node_modules). Loopback only; every workerd is killed by its pid before the next.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { countInstructions, firstHealthz, requireValgrind, stopChild } from "./callgrind.mjs";
import { schedstat } from "./cpu.mjs";
import { largeConfig } from "./large-config.mjs";
import { shuffled } from "./report.mjs";
import { compatibilityDate, envInt, median, packageVersion } from "./serve.mjs";
import { buildLikeDeploy, exportAndBuild, parseEnvFile } from "./startup.mjs";

const ONE_LINE = 'export default { fetch() { return new Response("ok"); } };\n';
const KV_STUB = "export default { fetch() { return new Response(null, { status: 404 }); } };\n";
const START_TIMEOUT_MS = 15_000;

/** A directory holding a workerd config for `modules` (name → source, the first the main) and `bindings`. */
function writeVariant(dir, { modules, bindings, date }) {
  mkdirSync(dir, { recursive: true });
  const moduleEntries = Object.entries(modules).map(([name, source], i) => {
    writeFileSync(join(dir, `module-${i}.js`), source);
    return `(name = ${JSON.stringify(name)}, esModule = embed "module-${i}.js")`;
  });
  const textBindings = Object.entries(bindings).map(([name, value], i) => {
    writeFileSync(join(dir, `binding-${i}.txt`), String(value));
    return `(name = ${JSON.stringify(name)}, text = embed "binding-${i}.txt")`;
  });
  writeFileSync(join(dir, "kv.js"), KV_STUB);
  const path = join(dir, "config.capnp");
  writeFileSync(
    path,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .main), (name = "kv", worker = .kv) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const main :Workerd.Worker = (
  modules = [ ${moduleEntries.join(", ")} ],
  compatibilityDate = "${date}",
  bindings = [ ${[...textBindings, '(name = "RATE_LIMITS", kvNamespace = "kv")', '(name = "ADMINS", kvNamespace = "kv")'].join(", ")} ],
);
const kv :Workerd.Worker = (
  modules = [ (name = "kv.js", esModule = embed "kv.js") ],
  compatibilityDate = "${date}",
);
`,
  );
  return path;
}

/** A free loopback port, below Linux's ephemeral range (a client's own port could be picked otherwise). */
let nextPort = 10_000 + Math.floor(Math.random() * 15_000);

/** One start: spawn → first 200; the CPU of workerd's threads at that moment. */
async function coldStart(workerd, variant) {
  const port = nextPort++;
  const startedMs = performance.now();
  const child = spawn(workerd, ["serve", variant.config, "--experimental", `--socket-addr=http=127.0.0.1:${port}`], {
    stdio: ["ignore", "ignore", "ignore"],
  });
  try {
    await firstHealthz(port, startedMs, START_TIMEOUT_MS, 1, variant.name);
    const wallMs = performance.now() - startedMs;
    const cpu = schedstat(child.pid);
    return { wallMs, cpuMs: cpu ? cpu.cpuNs / 1e6 : undefined };
  } finally {
    await stopChild(child);
  }
}

/** Instructions workerd runs from its start to the first 200, counted by callgrind. */
function instructions(workerd, variant, dir) {
  const port = nextPort++;
  return countInstructions({
    workerd,
    args: ["serve", variant.config, "--experimental", `--socket-addr=http=127.0.0.1:${port}`],
    port,
    out: join(dir, `callgrind.${basename(variant.dir)}`),
    what: variant.name,
  });
}

export async function benchDirect({ root, log = console.log }) {
  const runs = Math.max(7, envInt("BENCH_DIRECT_RUNS", 31));
  const totalMs = envInt("BENCH_DIRECT_TOTAL_S", 180) * 1000;
  const withCallgrind = process.env.BENCH_DIRECT_CALLGRIND === "1";
  const workerd = join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
  const started = performance.now();
  const loadBefore = loadavg();
  const outdir = mkdtempSync(join(tmpdir(), "usersig-bench-direct-"));
  try {
    log("  direct: wrangler deploy --dry-run --outdir ... --metafile ...");
    const upload = buildLikeDeploy(root, outdir);
    const script = readFileSync(upload.mainPath, "utf8");
    const baselineRef = process.env.BENCH_STARTUP_BASELINE;
    const baseline = baselineRef ? exportAndBuild(root, baselineRef, outdir) : undefined;
    const demoSecrets = parseEnvFile(readFileSync(join(root, "demo/secrets.env"), "utf8"));
    const demo = { BROKER_CONFIG: readFileSync(join(root, "demo/config.json"), "utf8"), ...demoSecrets };
    const large = largeConfig(demoSecrets.SECRET_KEY_1400000000);
    const largeBindings = {
      BROKER_CONFIG: JSON.stringify(large.config),
      ...large.secrets,
      ADMIN_API_TOKEN: demoSecrets.ADMIN_API_TOKEN,
    };
    const date = compatibilityDate(root);
    const main = basename(upload.mainPath);
    const specs = [
      ["one-line", { "one-line.mjs": ONE_LINE }, demo],
      ["broker", { [main]: script }, demo],
      [
        "the broker's script beside the one-line Worker, never imported",
        { "one-line.mjs": ONE_LINE, [main]: script },
        demo,
      ],
      ["one-line, large bindings", { "one-line.mjs": ONE_LINE }, largeBindings],
      ["broker, large config", { [main]: script }, largeBindings],
    ];
    if (baseline) {
      const old = readFileSync(baseline.mainPath, "utf8");
      specs.push([`baseline (${baselineRef})`, { [basename(baseline.mainPath)]: old }, demo]);
      specs.push([`baseline (${baselineRef}), large config`, { [basename(baseline.mainPath)]: old }, largeBindings]);
    }
    const variants = specs.map(([name, modules, bindings], i) => {
      const dir = join(outdir, `variant-${i}`);
      return { name, dir, config: writeVariant(dir, { modules, bindings, date }) };
    });

    log(`  direct: one untimed start of each of ${variants.length} Workers, then ${runs} timed runs ...`);
    for (const variant of variants) await coldStart(workerd, variant);
    const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
    let done = 0;
    for (let run = 0; run < runs; run++) {
      if (run >= 7 && performance.now() - started > totalMs) break;
      for (const variant of shuffled(variants, run + 1)) samples[variant.name].push(await coldStart(workerd, variant));
      done++;
    }
    const counts = {};
    if (withCallgrind) {
      requireValgrind("BENCH_DIRECT_CALLGRIND=1");
      log("  direct: each Worker once under callgrind ...");
      for (const variant of variants) counts[variant.name] = await instructions(workerd, variant, outdir);
    }

    const stat = (name, field) => median(samples[name].map((s) => s[field]).filter(Number.isFinite));
    const baseOf = (name) => (/large/.test(name) ? "one-line, large bindings" : "one-line");
    const header = ["Worker", "CPU", "ratio", "wall", "ratio", ...(withCallgrind ? ["instructions", "ratio"] : [])];
    const rows = variants.map(({ name }) => {
      const base = baseOf(name);
      const row = [
        name,
        `${stat(name, "cpuMs").toFixed(1)} ms`,
        `${(stat(name, "cpuMs") / stat(base, "cpuMs")).toFixed(3)}x`,
        `${stat(name, "wallMs").toFixed(1)} ms`,
        `${(stat(name, "wallMs") / stat(base, "wallMs")).toFixed(3)}x`,
      ];
      if (withCallgrind)
        row.push(`${(counts[name] / 1e6).toFixed(2)}M`, `${(counts[name] / counts[base]).toFixed(3)}x`);
      return row;
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
    const report = [
      "",
      `## Cold start, workerd run directly (${new Date().toISOString().slice(0, 10)})`,
      "",
      `\`npm run bench -- --only=direct\`: BENCH_DIRECT_RUNS=${runs} (${done} done), ` +
        `BENCH_DIRECT_CALLGRIND=${withCallgrind ? 1 : 0}${baseline ? `, BENCH_STARTUP_BASELINE=${baselineRef}` : ""}; ` +
        `workerd ${packageVersion(root, "workerd")} serve, compatibility date ${date}; medians, spawn → first 200 of GET /healthz; ` +
        `each ratio to the one-line Worker with the same bindings; load average ${loadBefore.map((l) => l.toFixed(1)).join(" ")} before, ` +
        `${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")} after; upload ${upload.raw} bytes.`,
      "",
      line(header),
      rule,
      ...rows.map(line),
      "",
    ].join("\n");
    return { report, failures: [] };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
