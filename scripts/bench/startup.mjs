// Cold start: what a new isolate of the Worker costs. Part of `npm run bench` (`npm run bench --
// --only=startup` runs it alone).
//
// 1. The upload: `wrangler deploy --dry-run --outdir DIR --metafile` (wrangler's own build, [build]
//    step and minify included), so what is measured is exactly what `wrangler deploy` would upload.
//    Raw and gzip sizes of the modules in DIR (wrangler's own "Total Upload" line is shown beside
//    them), and a breakdown by piece from esbuild's metafile (bytes each input left in the minified
//    output: hono, jose, zod, our code). The static assets (wrangler.toml [assets]: the inspector
//    page and /openapi.json, uploaded beside the script and not parsed at start-up) are listed apart.
// 2. Start-up: a new Miniflare (so a new workerd process) with the built Worker, the demo
//    configuration (demo/config.json as BROKER_CONFIG, demo/secrets.env as secrets) and the two KV
//    namespaces, timed from `new Miniflare()` to the first 200 from GET /healthz (which parses the
//    configuration, as every route but the inspector's does). The same for a one-line Worker
//    (`fetch() { return new Response("ok") }`) with the same bindings: the ratio of the two medians is
//    the figure. The same again with a large configuration (scripts/bench/large-config.mjs: 10 apps,
//    50 API keys, IdP, guests, moderation, Chat, TRTC) and its secrets, against a one-line Worker
//    with those bindings. Goals: wall ratio <= 1.10 and workerd CPU ratio <= 1.15, for both. Runs are interleaved in one process (each run starts both Workers, in a seeded
//    shuffled order), after one untimed pair (Node's own first-use costs). Also: the first request
//    after `ready` (wall), and the CPU time of the workerd process from spawn to that first 200 (from
//    /proc/<pid>/task/*/schedstat: steadier than wall time on a shared machine). And the wall time from
//    workerd's spawn to that first 200: `new Miniflare()` first serialises the configuration, the
//    modules' source included, into Cap'n Proto in Node (a cost that grows with the script and that
//    no Cloudflare location pays), so the wall ratio is given both ways. For context, the first
//    request an API-key issuance instead of /healthz (the object bound): a real first call.
//
// 3. The floor of each piece: small Workers that hold one piece of the broker each (a one-route Hono
//    app; the jose functions src imports; the validators compiled from the zod schemas, validating
//    the demo configuration on the first request, as the broker does; and, for comparison, what they
//    replaced: zod/mini alone; zod with the schema modules loaded; the same building every schema
//    and parsing the demo configuration), built by esbuild with wrangler's
//    settings (minified, ES modules, the workerd conditions), timed the same way in the same
//    interleaved runs. What each adds over the one-line Worker is what it would save if it went.
//
// 4. With BENCH_STARTUP_BASELINE=<git ref> (e.g. main): that commit's tree, exported with `git
//    archive` into a temp dir and built the same way with this checkout's node_modules, runs in the
//    same interleaved runs, so a before/after comparison comes from one run on the same machine noise.
//
// 5. With BENCH_STARTUP_CALLGRIND=1: the one-line Workers, the broker (and the baseline) with each
//    configuration once more, counted in instructions (scripts/bench/callgrind.mjs, valgrind needed):
//    the config Miniflare writes to workerd's stdin is captured (the spawn wrapper below) and replayed
//    into workerd under callgrind, to the first 200 of GET /healthz. The same count on every run, so
//    the CPU goal can be judged in it on a noisy machine (BENCHMARKS.md, runs S-11 and S-13).
//
//   BENCH_STARTUP_RUNS (default 9, at least 7) runs; BENCH_STARTUP_TOTAL_S (240): no new run starts
//   after this many seconds; BENCH_STARTUP_PIECES=0 skips step 3. Only loopback: Miniflare's own
//   server, workerd's replay on a port of its own; wrangler with telemetry off.

import childProcess, { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { countInstructions, requireValgrind } from "./callgrind.mjs";
import { childPids, schedstatOf } from "./cpu.mjs";
import { LARGE_APPS, LARGE_KEYS_PER_APP, largeConfig } from "./large-config.mjs";
import { shuffled } from "./report.mjs";
import { compatibilityDate, envInt, median, OFFLINE_ENV, packageVersion } from "./serve.mjs";

const HEALTHZ = "/healthz";
/** The demo's API key, printed in the README (not a secret: demo/config.json holds only its SHA-256). */
const DEMO_API_KEY = "demo-api-key-not-a-secret";
const FIRST_ISSUANCE = "broker, first request an issuance";
/** The goals (issue 17): a cold isolate within these ratios of a one-line Worker with the same bindings. */
const GOAL_WALL_RATIO = 1.1;
const GOAL_CPU_RATIO = 1.15;
const GOAL_GZIP_BYTES = 64 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const ONE_LINE = 'export default { fetch() { return new Response("ok"); } };\n';

// ---- 1. The upload -----------------------------------------------------------------------------

/** `wrangler deploy --dry-run --outdir DIR --metafile`; returns DIR's modules and the metafile. */
export function buildLikeDeploy(root, outdir, wrangler = join(root, "node_modules/wrangler/bin/wrangler.js")) {
  const metafile = join(outdir, "bundle-meta.json");
  const run = spawnSync(
    process.execPath,
    [wrangler, "deploy", "--dry-run", "--outdir", join(outdir, "dist"), "--metafile", metafile],
    { cwd: root, env: { ...process.env, ...OFFLINE_ENV }, encoding: "utf8", timeout: 120_000 },
  );
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${run.status ?? run.signal}):\n${output}`);
  const dist = join(outdir, "dist");
  // What wrangler uploads: the JavaScript modules (not its README, nor source maps, which it uploads
  // only with upload_source_maps).
  const modules = readdirSync(dist, { recursive: true })
    .map(String)
    .filter((name) => /\.(m?js|wasm|txt|bin|html)$/.test(name) && !name.endsWith(".map"))
    .map((name) => {
      const bytes = readFileSync(join(dist, name));
      return { name, raw: bytes.length, gzip: gzipSync(bytes).length };
    });
  const main = modules.find((m) => m.name === "index.js") ?? modules[0];
  return {
    dist,
    mainPath: join(dist, main.name),
    modules,
    raw: modules.reduce((sum, m) => sum + m.raw, 0),
    gzip: modules.reduce((sum, m) => sum + m.gzip, 0),
    wranglerLine: /Total Upload: [^\n]*/.exec(output)?.[0],
    meta: JSON.parse(readFileSync(metafile, "utf8")),
  };
}

/** The static assets directory of wrangler.toml ([assets] directory), with each file's sizes. */
export function staticAssets(root) {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const directory = /^\[assets\][^[]*?^directory\s*=\s*"([^"]+)"/ms.exec(toml)?.[1];
  if (directory === undefined) return { files: [], raw: 0, gzip: 0 };
  const dir = join(root, directory);
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const bytes = readFileSync(path);
      return { name: path.slice(dir.length + 1), raw: bytes.length, gzip: gzipSync(bytes).length };
    });
  return {
    directory,
    files,
    raw: files.reduce((sum, f) => sum + f.raw, 0),
    gzip: files.reduce((sum, f) => sum + f.gzip, 0),
  };
}

/** The piece an input of the bundle belongs to. */
export function pieceOf(path) {
  const p = path.replaceAll("\\", "/");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(p);
  if (pkg) {
    const [, name, rest] = pkg;
    if (name === "zod") {
      if (rest.includes("/locales/")) return "zod: locales";
      if (/json-schema|to-json-schema/.test(rest)) return "zod: JSON Schema converter";
      return "zod: validation";
    }
    if (name === "hono" || name === "jose") return name;
    return `other package: ${name}`;
  }
  if (p.includes("build/")) return `build output: ${p.slice(p.indexOf("build/"))}`;
  if (/(^|\/)src\/usersig\//.test(p)) return "our code: src/usersig (core)";
  if (/(^|\/)src\/(config\/schema|http\/schemas|ratelimit\/config)\.ts$/.test(p)) return "our code: schemas";
  if (/(^|\/)src\/http\/openapi\.ts$/.test(p)) return "our code: openapi.ts";
  if (/(^|\/)src\//.test(p)) return "our code: the rest of src";
  return "wrangler's wrapper and shims";
}

/** Minified bytes per piece, from the metafile's output for the main module. */
export function breakdown(meta) {
  const outputs = Object.entries(meta.outputs).filter(([name]) => !name.endsWith(".map"));
  const pieces = {};
  let total = 0;
  for (const [, output] of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const piece = pieceOf(input);
      pieces[piece] = (pieces[piece] ?? 0) + bytesInOutput;
      total += bytesInOutput;
    }
  }
  return { pieces: Object.entries(pieces).sort((a, b) => b[1] - a[1]), total };
}

// ---- 4. A baseline commit ----------------------------------------------------------------------

/** `git archive <ref>` into outdir/baseline, node_modules linked from root; returns the tree. */
export function exportTree(root, ref, outdir) {
  const tree = join(outdir, "baseline");
  mkdirSync(tree, { recursive: true });
  const archive = spawnSync("git", ["archive", "--format=tar", ref], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
  if (archive.status !== 0) throw new Error(`git archive ${ref}: ${archive.stderr}`);
  const untar = spawnSync("tar", ["-x", "-C", tree], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  symlinkSync(join(root, "node_modules"), join(tree, "node_modules"), "dir");
  return tree;
}

/** exportTree, built like the checkout. */
export function exportAndBuild(root, ref, outdir) {
  const tree = exportTree(root, ref, outdir);
  mkdirSync(join(outdir, "baseline-out"), { recursive: true });
  return buildLikeDeploy(tree, join(outdir, "baseline-out"), join(root, "node_modules/wrangler/bin/wrangler.js"));
}

// ---- 3. Pieces ---------------------------------------------------------------------------------

/** Entry modules of the piece Workers, importing from the repository at `root`. */
function pieceSources(root) {
  const src = (path) => JSON.stringify(join(root, path));
  const respond = (what) => `export default { fetch() { return new Response(String(${what})); } };`;
  return {
    "hono: a one-route Hono app": `import { Hono } from "hono";
const app = new Hono();
app.get("/healthz", (c) => c.json({ ok: true }));
export default app;`,
    // src/auth/{idp,jwks,guest}.ts: the functions and the error classes by name (not jose's `errors` namespace).
    "jose: the functions src imports": `import { CompactSign, createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, jwksCache, jwtVerify } from "jose";
import { JOSEError, JWKSInvalid, JWKSNoMatchingKey, JWKSTimeout, JWTClaimValidationFailed, JWTExpired } from "jose/errors";
const used = [CompactSign, createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, jwksCache, jwtVerify, JOSEError, JWKSInvalid, JWKSNoMatchingKey, JWKSTimeout, JWTClaimValidationFailed, JWTExpired];
${respond("used.length")}`,
    "zod/mini alone, one small schema parsed": `import * as z from ${src("src/config/zod.ts")};
const schema = z.strictObject({ ok: z.optional(z.boolean()) });
${respond("schema.safeParse({ ok: true }).success")}`,
    "zod + every schema module, loaded (schemas not built)": `import { configSchema } from ${src("src/config/schema.ts")};
import * as schemas from ${src("src/http/schemas.ts")};
${respond("typeof configSchema + Object.keys(schemas).length")}`,
    "compiled validators, demo config's top level and its apps validated (what the broker runs)": `import { app, configTop } from ${src("build/validators/index.js")};
export default {
  fetch(_request, env) {
    const json = JSON.parse(env.BROKER_CONFIG);
    const ok = configTop(json).ok && json.apps.every((entry) => app(entry).ok);
    return new Response("ok", { status: ok ? 200 : 500 });
  },
};`,
    "zod + every schema built, demo config parsed (what it replaced)": `import { configSchema } from ${src("src/config/schema.ts")};
import { requestSchemas } from ${src("src/http/schemas.ts")};
export default {
  fetch(_request, env) {
    const built = Object.keys(requestSchemas()).length;
    const parsed = configSchema.safeParse(JSON.parse(env.BROKER_CONFIG));
    return new Response(String(built), { status: parsed.success ? 200 : 500 });
  },
};`,
  };
}

/** Each piece as one minified module, built as wrangler builds the Worker. */
async function buildPieces(root, outdir) {
  const dir = join(outdir, "pieces");
  const sources = pieceSources(root);
  const names = Object.keys(sources);
  const entryPoints = {};
  names.forEach((name, i) => {
    const entry = join(outdir, `piece-${i}.mjs`);
    writeFileSync(entry, `${sources[name]}\n`);
    entryPoints[`piece-${i}`] = entry;
  });
  await build({
    absWorkingDir: root,
    entryPoints,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    // The entries live in a temp dir: packages resolve from the repository's node_modules.
    nodePaths: [join(root, "node_modules")],
    outdir: dir,
    logLevel: "error",
  });
  return names.map((name, i) => {
    const file = `piece-${i}.js`;
    const bytes = readFileSync(join(dir, file));
    return { name, dir, file, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
}

// ---- 2. Start-up -------------------------------------------------------------------------------

/** KEY=VALUE lines, # comments: demo/secrets.env. */
export function parseEnvFile(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq > 0) out[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return out;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * When Miniflare spawned workerd, for the wall time a Cloudflare location pays. `new Miniflare()` first
 * serialises the whole configuration, the modules' source included, into Cap'n Proto in Node (its arena
 * grows by copying: ~5 ms for a 178 KB script here), then spawns workerd. No location does that work,
 * so the time from the spawn is reported beside the time from `new Miniflare()`. Miniflare calls
 * `require("node:child_process").spawn` at the moment it starts workerd; wrapping that export records
 * the moment and changes nothing else (the arguments and the child are the original's).
 */
let lastWorkerdSpawnMs;
/** While capturing (capturedConfig), the bytes Miniflare writes to workerd's stdin: its Cap'n Proto config. */
let stdinCapture;
let spawnClockInstalled = false;
function installSpawnClock() {
  if (spawnClockInstalled) return;
  spawnClockInstalled = true;
  const original = childProcess.spawn;
  childProcess.spawn = function spawn(command, ...rest) {
    const isWorkerd = /workerd/.test(String(command));
    if (isWorkerd) lastWorkerdSpawnMs = performance.now();
    const child = original.call(this, command, ...rest);
    const capture = stdinCapture;
    if (isWorkerd && capture && child.stdin) {
      const write = child.stdin.write;
      child.stdin.write = function captureWrite(chunk, ...args) {
        capture.push(Buffer.from(chunk));
        return write.call(this, chunk, ...args);
      };
    }
    return child;
  };
}

/**
 * The config Miniflare gives workerd for `worker` (the bytes `new Miniflare()` writes to its stdin, for
 * `workerd serve --binary -`), its storage moved to directories of the replay's own: Miniflare's
 * (`<tmpdir>/miniflare-<hash>/…`) are removed as it is disposed, and reused by the next Miniflare
 * of the same options. Each is renamed in the config to a path of the same length, so that no
 * length in the Cap'n Proto message changes; the replay makes them, empty, as a new Miniflare would.
 */
async function capturedConfig(Miniflare, worker, common) {
  installSpawnClock();
  const chunks = [];
  stdinCapture = chunks;
  const mf = new Miniflare({ ...common, ...worker.options });
  try {
    await withTimeout(mf.ready, REQUEST_TIMEOUT_MS * 3, `${worker.name}: ready`);
  } finally {
    stdinCapture = undefined;
    await mf.dispose();
  }
  const captured = Buffer.concat(chunks);
  if (captured.length === 0) throw new Error(`${worker.name}: Miniflare wrote no config to workerd`);
  const asPattern = (path) => path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const text = captured.toString("latin1");
  const roots = [...new Set(text.match(new RegExp(`${asPattern(tmpdir())}/miniflare-[0-9a-f]{32}`, "g")) ?? [])];
  let replaced = text;
  const storage = [];
  for (const root of roots) {
    const own = join(tmpdir(), `cgreplay--${randomBytes(16).toString("hex")}`);
    if (own.length !== root.length) throw new Error(`${worker.name}: cannot rename ${root} in the config`);
    replaced = replaced.replaceAll(root, own);
    storage.push(own);
  }
  // The directories Miniflare's storage Workers use under each root: made before the replay.
  const dirs = [
    ...new Set(storage.flatMap((own) => replaced.match(new RegExp(`${asPattern(own)}/[\\w-]+`, "g")) ?? [])),
  ];
  return { config: Buffer.from(replaced, "latin1"), storage, dirs };
}

/**
 * The instructions workerd runs on Miniflare's own config for `worker`, from its start to the first
 * 200 of GET /healthz (callgrind). Miniflare's entry Worker, its storage Workers and the Worker itself,
 * as `npm run bench -- --only=startup` starts them, minus Node: the config is replayed into workerd
 * with a port of its own and the loopback service (Node's side, which /healthz does not use) pointed
 * at a closed port.
 */
async function startupInstructions(Miniflare, worker, common, { workerd, outdir, index }) {
  const { config, storage, dirs } = await capturedConfig(Miniflare, worker, common);
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  const port = 10_000 + Math.floor(Math.random() * 15_000);
  try {
    return await countInstructions({
      workerd,
      args: [
        "serve",
        "--binary",
        "--experimental",
        `--socket-addr=entry=127.0.0.1:${port}`,
        "--external-addr=loopback=127.0.0.1:9",
        "-",
      ],
      stdin: config,
      port,
      out: join(outdir, `callgrind.startup-${index}`),
      what: worker.name,
    });
  } finally {
    for (const dir of storage) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One cold start: new Miniflare → ready → the first answer to `worker.first` (default GET /healthz,
 * which must be a 200), then a second request (warm). Miniflare is always disposed (its workerd
 * stopped) before this returns.
 */
export async function coldStart(Miniflare, worker, common) {
  installSpawnClock();
  const first = worker.first ?? { path: HEALTHZ, status: 200 };
  const before = new Set(childPids("workerd"));
  lastWorkerdSpawnMs = undefined;
  const t0 = performance.now();
  const mf = new Miniflare({ ...common, ...worker.options });
  try {
    const url = await withTimeout(mf.ready, REQUEST_TIMEOUT_MS * 3, `${worker.name}: ready`);
    const tReady = performance.now();
    const tSpawn = lastWorkerdSpawnMs;
    const answer = await withTimeout(
      mf.dispatchFetch(new URL(first.path, url), first.init ? first.init() : undefined),
      REQUEST_TIMEOUT_MS,
      worker.name,
    );
    const firstBody = await answer.text();
    const tFirst = performance.now();
    const pids = childPids("workerd").filter((pid) => !before.has(pid));
    const cpu = schedstatOf(pids);
    const second = await withTimeout(mf.dispatchFetch(new URL(HEALTHZ, url)), REQUEST_TIMEOUT_MS, worker.name);
    await second.text();
    const tSecond = performance.now();
    if (answer.status !== first.status) {
      throw new Error(
        `${worker.name}: first ${first.path} is ${answer.status}, not ${first.status}: ${firstBody.slice(0, 200)}`,
      );
    }
    return {
      startMs: tFirst - t0,
      spawnStartMs: tSpawn === undefined ? undefined : tFirst - tSpawn,
      serializeMs: tSpawn === undefined ? undefined : tSpawn - t0,
      readyMs: tReady - t0,
      firstMs: tFirst - tReady,
      secondMs: tSecond - tFirst,
      cpuMs: cpu ? cpu.cpuNs / 1e6 : undefined,
    };
  } finally {
    await mf.dispose();
  }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : "n/a");

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export async function benchStartup({ root, Miniflare, log = console.log }) {
  const runs = Math.max(7, envInt("BENCH_STARTUP_RUNS", 9));
  const totalMs = envInt("BENCH_STARTUP_TOTAL_S", 240) * 1000;
  const withPieces = process.env.BENCH_STARTUP_PIECES !== "0";
  const withCallgrind = process.env.BENCH_STARTUP_CALLGRIND === "1";
  const started = performance.now();
  const loadBefore = loadavg();
  const failures = [];
  const outdir = mkdtempSync(join(tmpdir(), "usersig-bench-startup-"));
  try {
    log("  startup: wrangler deploy --dry-run --outdir ... --metafile ...");
    const upload = buildLikeDeploy(root, outdir);
    const pieces = breakdown(upload.meta);
    const assets = staticAssets(root);
    const oneLinePath = join(outdir, "one-line.mjs");
    writeFileSync(oneLinePath, ONE_LINE);

    const demoText = readFileSync(join(root, "demo/config.json"), "utf8");
    const demoSecrets = parseEnvFile(readFileSync(join(root, "demo/secrets.env"), "utf8"));
    const bindings = { BROKER_CONFIG: demoText, ...demoSecrets };
    const large = largeConfig(demoSecrets.SECRET_KEY_1400000000);
    const largeText = JSON.stringify(large.config);
    const largeBindings = { BROKER_CONFIG: largeText, ...large.secrets, ADMIN_API_TOKEN: demoSecrets.ADMIN_API_TOKEN };
    const common = {
      compatibilityDate: compatibilityDate(root),
      kvNamespaces: ["RATE_LIMITS", "ADMINS"],
      bindings,
      // Only loopback; the Worker's output (none expected for /healthz) is not printed.
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio(stdout, stderr) {
        stdout.resume();
        stderr.resume();
      },
    };
    // Modules listed explicitly, as wrangler dev passes its bundle: with `scriptPath` alone Miniflare
    // would first parse the script in Node (acorn) to find its imports, a cost that grows with the
    // bundle and that no Cloudflare location pays.
    const esModules = (dir, names) =>
      names.map((name) => ({
        type: "ESModule",
        path: join(dir, name),
        contents: readFileSync(join(dir, name), "utf8"),
      }));
    const workers = [
      {
        name: "broker",
        options: {
          modulesRoot: upload.dist,
          modules: esModules(
            upload.dist,
            upload.modules.map((m) => m.name),
          ),
        },
      },
      { name: "one-line", options: { modulesRoot: outdir, modules: esModules(outdir, ["one-line.mjs"]) } },
      {
        name: "broker, large config",
        options: {
          modulesRoot: upload.dist,
          modules: esModules(
            upload.dist,
            upload.modules.map((m) => m.name),
          ),
          bindings: largeBindings,
        },
      },
      {
        name: "one-line, large bindings",
        options: { modulesRoot: outdir, modules: esModules(outdir, ["one-line.mjs"]), bindings: largeBindings },
      },
      // For context: the first request an API-key issuance instead of /healthz (what a backend's first
      // call costs: the rate limiter's first KV read, the bans' first read from the object, the key
      // check, the signing), against the same one-line Worker.
      {
        name: FIRST_ISSUANCE,
        first: {
          path: "/v1/usersig",
          status: 200,
          init: () => ({
            method: "POST",
            headers: { "X-Api-Key": DEMO_API_KEY, "Content-Type": "application/json" },
            body: JSON.stringify({ userId: "alice" }),
          }),
        },
        // An issuance reads the app's bans: the moderation object is bound, as in wrangler.toml.
        options: {
          modulesRoot: upload.dist,
          modules: esModules(
            upload.dist,
            upload.modules.map((m) => m.name),
          ),
          durableObjects: { MODERATION: { className: "ModerationObject", useSQLite: true } },
        },
      },
      // For context: the same bundle given as `scriptPath` (Node parses it before workerd starts).
      {
        name: "broker, scriptPath",
        options: { modules: true, modulesRoot: upload.dist, scriptPath: upload.mainPath },
      },
    ];
    const baselineRef = process.env.BENCH_STARTUP_BASELINE;
    const baseline = baselineRef ? exportAndBuild(root, baselineRef, outdir) : undefined;
    if (baseline) {
      const modules = esModules(
        baseline.dist,
        baseline.modules.map((m) => m.name),
      );
      workers.push({ name: "baseline", options: { modulesRoot: baseline.dist, modules } });
      workers.push({
        name: "baseline, large config",
        options: { modulesRoot: baseline.dist, modules, bindings: largeBindings },
      });
      const issuance = workers.find((w) => w.name === FIRST_ISSUANCE);
      workers.push({
        name: `baseline, ${FIRST_ISSUANCE.replace(/^broker, /, "")}`,
        first: issuance.first,
        options: { ...issuance.options, modulesRoot: baseline.dist, modules },
      });
    }
    const pieceList = withPieces ? await buildPieces(root, outdir) : [];
    if (withPieces) {
      // The broker's own upload, loaded (parsed and evaluated) but answering as the one-line Worker:
      // what module evaluation costs, apart from the first request.
      const dir = join(outdir, "loaded");
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, basename(upload.mainPath)), readFileSync(upload.mainPath));
      writeFileSync(
        join(dir, "loaded.mjs"),
        `import * as broker from "./${basename(upload.mainPath)}";\nexport default { fetch() { return new Response(typeof broker.default); } };\n`,
      );
      // The same upload beside the one-line Worker but never imported: workerd compiles every module
      // it is given at start-up, imported or not, so this is the cost of the script's bytes alone
      // (parse and compile, no evaluation).
      const unused = join(outdir, "unused");
      mkdirSync(unused, { recursive: true });
      writeFileSync(join(unused, basename(upload.mainPath)), readFileSync(upload.mainPath));
      writeFileSync(join(unused, "one-line.mjs"), ONE_LINE);
      pieceList.push({
        name: "the broker's upload beside the one-line Worker, never imported (compiled only)",
        dir: unused,
        files: ["one-line.mjs", basename(upload.mainPath)],
        raw: upload.raw,
        gzip: upload.gzip,
      });
      pieceList.push({
        name: "the broker's upload loaded, answering as the one-line Worker",
        dir,
        files: ["loaded.mjs", basename(upload.mainPath)],
        raw: upload.raw,
        gzip: upload.gzip,
      });
    }
    for (const piece of pieceList) {
      workers.push({
        name: piece.name,
        options: { modulesRoot: piece.dir, modules: esModules(piece.dir, piece.files ?? [piece.file]) },
      });
    }

    log(`  startup: one untimed start of each of ${workers.length} Workers, then ${runs} timed runs ...`);
    for (const worker of workers) await coldStart(Miniflare, worker, common);
    const samples = Object.fromEntries(workers.map((w) => [w.name, []]));
    for (let run = 0; run < runs; run++) {
      if (run >= 7 && performance.now() - started > totalMs) break;
      for (const worker of shuffled(workers, run + 1)) {
        try {
          samples[worker.name].push(await coldStart(Miniflare, worker, common));
        } catch (error) {
          failures.push(String(error?.message ?? error));
        }
      }
    }

    // Instructions, in Miniflare's own config: the figure a change of 1% shows in (BENCHMARKS.md, S-11).
    const counts = {};
    if (withCallgrind) {
      requireValgrind("BENCH_STARTUP_CALLGRIND=1");
      const counted = ["one-line", "broker", "one-line, large bindings", "broker, large config"];
      if (baseline) counted.push("baseline", "baseline, large config");
      log(`  startup: ${counted.length} Workers once each under callgrind, on the config Miniflare writes ...`);
      const workerd = join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
      for (const [index, name] of counted.entries()) {
        const worker = workers.find((w) => w.name === name);
        counts[name] = await startupInstructions(Miniflare, worker, common, { workerd, outdir, index });
      }
    }

    const stat = (name, field) => median(samples[name].map((s) => s[field]).filter(Number.isFinite));
    const ratio = (field, name = "broker", base = "one-line") => stat(name, field) / stat(base, field);
    const startRatio = ratio("startMs");
    const cpuRatio = ratio("cpuMs");
    const spawnRatio = ratio("spawnStartMs");
    const largeSpawnRatio = ratio("spawnStartMs", "broker, large config", "one-line, large bindings");
    const largeStartRatio = ratio("startMs", "broker, large config", "one-line, large bindings");
    const largeCpuRatio = ratio("cpuMs", "broker, large config", "one-line, large bindings");
    const goal = (value, max) =>
      `${value.toFixed(2)} (goal <= ${max.toFixed(2)}: ${value <= max ? "reached" : "NOT reached"})`;
    const LABELS = {
      startMs: "new Miniflare → first 200 from /healthz (wall)",
      readyMs: "  of which: new Miniflare → ready",
      serializeMs: "new Miniflare → workerd spawned (Node serialising the config, modules included)",
      spawnStartMs: "workerd spawned → first 200 from /healthz (wall)",
      firstMs: "  of which: first request after ready",
      secondMs: "second request (warm)",
      cpuMs: "workerd CPU, spawn → first 200",
    };
    /** One row per field: this Worker, its one-line Worker, the ratio, the difference. */
    const comparison = (fields, name, base) =>
      fields.map((field) => [
        LABELS[field],
        ms(stat(name, field)),
        ms(stat(base, field)),
        `${ratio(field, name, base).toFixed(2)}x`,
        ms(stat(name, field) - stat(base, field)),
      ]);
    const largeRows = comparison(
      ["startMs", "serializeMs", "spawnStartMs", "firstMs", "cpuMs"],
      "broker, large config",
      "one-line, large bindings",
    );
    const sha = (text) => createHash("sha256").update(text).digest("hex").slice(0, 16);
    const inputs = [
      "Inputs:",
      `  command: ${[
        "BENCH_STARTUP_RUNS",
        "BENCH_STARTUP_TOTAL_S",
        "BENCH_STARTUP_PIECES",
        "BENCH_STARTUP_BASELINE",
        "BENCH_STARTUP_CALLGRIND",
      ]
        .filter((name) => process.env[name] !== undefined)
        .map((name) => `${name}=${process.env[name]} `)
        .join("")}node ${process.argv
        .slice(1)
        .map((arg) => arg.replace(`${root}/`, ""))
        .join(
          " ",
        )} (cwd ${root}); runs ${runs}, at most ${totalMs / 1000} s, pieces ${withPieces ? "on" : "off"}, shuffle seeds 1..${runs}`,
      `  Worker: wrangler deploy --dry-run (wrangler.toml: compatibility_date ${compatibilityDate(root)}, minify, [build] ${/^command\s*=\s*"([^"]*)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1] ?? "?"}), modules handed over as wrangler dev does; bindings: KV RATE_LIMITS, ADMINS; GET ${HEALTHZ} on Miniflare's URL`,
      `  demo configuration: demo/config.json (${demoText.length} bytes, sha256 ${sha(demoText)}…), secrets from demo/secrets.env: ${Object.keys(demoSecrets).join(", ")}`,
      `  large configuration: scripts/bench/large-config.mjs (${LARGE_APPS} apps × ${LARGE_KEYS_PER_APP} API keys, 2 IdP issuers each, guests with Turnstile, moderation, chat, trtc; ${largeText.length} bytes, sha256 ${sha(largeText)}…), ${Object.keys(largeBindings).length - 1} secrets`,
      `  one-line Worker: ${JSON.stringify(ONE_LINE.trim())}, with the same bindings as the broker it is compared to`,
    ];
    const rows = comparison(
      ["startMs", "readyMs", "firstMs", "serializeMs", "spawnStartMs", "secondMs", "cpuMs"],
      "broker",
      "one-line",
    );
    const spreadOf = (name) => {
      const values = samples[name].map((s) => s.startMs);
      return values.length ? `${ms(Math.min(...values))}-${ms(Math.max(...values))}` : "n/a";
    };
    const goalSize = upload.gzip <= GOAL_GZIP_BYTES;
    const report = [
      "",
      `Cold start (${samples.broker.length} runs of each Worker, interleaved; medians), workerd ${packageVersion(root, "workerd")}, wrangler ${packageVersion(root, "wrangler")}, load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
      ...inputs,
      `Upload (wrangler deploy --dry-run): ${kib(upload.raw)} raw, ${kib(upload.gzip)} gzip in ${upload.modules.length} module(s) (wrangler: ${upload.wranglerLine ?? "n/a"}); goal <= 64 KiB gzip: ${goalSize ? "reached" : "NOT reached"}`,
      ...(assets.files.length === 0
        ? []
        : [
            `Static assets (${assets.directory}/, uploaded beside the script, not in it): ${assets.files.length} files, ${kib(assets.raw)} raw, ${kib(assets.gzip)} gzip (${assets.files.map((f) => `${f.name} ${kib(f.gzip)}`).join(", ")})`,
          ]),
      "",
      table(
        ["piece (esbuild metafile, minified bytes in the output)", "bytes", "share"],
        pieces.pieces.map(([piece, bytes]) => [piece, kib(bytes), `${((bytes / pieces.total) * 100).toFixed(0)}%`]),
      ),
      "",
      table(["start-up, demo configuration", "broker", "one-line Worker", "ratio", "difference"], rows),
      `Demo configuration: start-up ratio ${goal(startRatio, GOAL_WALL_RATIO)}; from workerd's spawn ${goal(spawnRatio, GOAL_WALL_RATIO)}; workerd CPU ratio ${goal(cpuRatio, GOAL_CPU_RATIO)}; range of the wall start-up: broker ${spreadOf("broker")}, one-line ${spreadOf("one-line")}`,
      "",
      table(["start-up, large configuration", "broker", "one-line Worker", "ratio", "difference"], largeRows),
      `Large configuration: start-up ratio ${goal(largeStartRatio, GOAL_WALL_RATIO)}; from workerd's spawn ${goal(largeSpawnRatio, GOAL_WALL_RATIO)}; workerd CPU ratio ${goal(largeCpuRatio, GOAL_CPU_RATIO)}; range of the wall start-up: broker ${spreadOf("broker, large config")}, one-line ${spreadOf("one-line, large bindings")}`,
      ...(withCallgrind
        ? [
            "",
            table(
              [
                "instructions, workerd spawn → first 200 of /healthz (callgrind, Miniflare's config)",
                "count",
                "ratio to its one-line Worker",
                "goal (the CPU ratio's)",
              ],
              Object.entries(counts).map(([name, count]) => {
                const base = /large/.test(name) ? "one-line, large bindings" : "one-line";
                const value = count / counts[base];
                return [
                  name,
                  `${(count / 1e6).toFixed(2)}M`,
                  `${value.toFixed(3)}x`,
                  name.startsWith("one-line")
                    ? ""
                    : `<= ${GOAL_CPU_RATIO.toFixed(2)}: ${value <= GOAL_CPU_RATIO ? "reached" : "NOT reached"}`,
                ];
              }),
            ),
          ]
        : []),
      ...(baseline
        ? [
            "",
            table(
              [`before/after: ${baselineRef} → this checkout`, "baseline", "this checkout", "after / before"],
              [
                ["upload, raw", kib(baseline.raw), kib(upload.raw), `${(upload.raw / baseline.raw).toFixed(2)}x`],
                ["upload, gzip", kib(baseline.gzip), kib(upload.gzip), `${(upload.gzip / baseline.gzip).toFixed(2)}x`],
                ...["startMs", "spawnStartMs", "firstMs", "cpuMs"].map((field) => [
                  {
                    startMs: "start-up (wall)",
                    spawnStartMs: "workerd spawned → first 200 (wall)",
                    firstMs: "first request after ready",
                    cpuMs: "workerd CPU, spawn → first 200",
                  }[field],
                  ms(stat("baseline", field)),
                  ms(stat("broker", field)),
                  `${(stat("broker", field) / stat("baseline", field)).toFixed(2)}x`,
                ]),
                [
                  "start-up ratio to the one-line Worker",
                  ratio("startMs", "baseline").toFixed(2),
                  startRatio.toFixed(2),
                  "",
                ],
                [
                  "from workerd's spawn: wall ratio to the one-line Worker",
                  ratio("spawnStartMs", "baseline").toFixed(2),
                  spawnRatio.toFixed(2),
                  "",
                ],
                [
                  "workerd CPU ratio to the one-line Worker",
                  ratio("cpuMs", "baseline").toFixed(2),
                  ratio("cpuMs").toFixed(2),
                  "",
                ],
                ...["cpuMs", "firstMs"].map((field) => [
                  `first request an issuance: ${field === "cpuMs" ? "workerd CPU, spawn → its answer" : "the request itself (wall)"}`,
                  ms(stat("baseline, first request an issuance", field)),
                  ms(stat(FIRST_ISSUANCE, field)),
                  `${(stat(FIRST_ISSUANCE, field) / stat("baseline, first request an issuance", field)).toFixed(2)}x`,
                ]),
                [
                  "large config: workerd CPU, spawn → first 200",
                  ms(stat("baseline, large config", "cpuMs")),
                  ms(stat("broker, large config", "cpuMs")),
                  `${(stat("broker, large config", "cpuMs") / stat("baseline, large config", "cpuMs")).toFixed(2)}x`,
                ],
                [
                  "large config: start-up ratio to its one-line Worker",
                  ratio("startMs", "baseline, large config", "one-line, large bindings").toFixed(2),
                  largeStartRatio.toFixed(2),
                  "",
                ],
                [
                  "large config: workerd CPU ratio to its one-line Worker",
                  ratio("cpuMs", "baseline, large config", "one-line, large bindings").toFixed(2),
                  largeCpuRatio.toFixed(2),
                  "",
                ],
              ],
            ),
          ]
        : []),
      `Context: the first request an API-key issuance (POST /v1/usersig, X-Api-Key, {"userId":"alice"}; the MODERATION object bound) instead of /healthz: workerd CPU ${ms(stat(FIRST_ISSUANCE, "cpuMs"))}, ratio ${ratio("cpuMs", FIRST_ISSUANCE).toFixed(2)}; from workerd's spawn (wall) ${ms(stat(FIRST_ISSUANCE, "spawnStartMs"))}, ratio ${ratio("spawnStartMs", FIRST_ISSUANCE).toFixed(2)}; first request ${ms(stat(FIRST_ISSUANCE, "firstMs"))} (one-line: ${ms(stat("one-line", "firstMs"))})`,
      `Context: the same bundle given to Miniflare as scriptPath (Miniflare parses it in Node to find its imports before workerd starts; wrangler dev passes the modules instead): ${ms(stat("broker, scriptPath", "startMs"))}, ratio ${ratio("startMs", "broker, scriptPath").toFixed(2)}`,
      ...(pieceList.length === 0
        ? []
        : [
            "",
            table(
              [
                "piece alone (esbuild, minified, as wrangler builds)",
                "raw",
                "gzip",
                "workerd CPU",
                "+ over one-line",
                "wall → first 200",
                "first request",
              ],
              [
                [
                  "one-line Worker",
                  "-",
                  "-",
                  ms(stat("one-line", "cpuMs")),
                  "-",
                  ms(stat("one-line", "startMs")),
                  ms(stat("one-line", "firstMs")),
                ],
                ...pieceList.map((piece) => [
                  piece.name,
                  kib(piece.raw),
                  kib(piece.gzip),
                  ms(stat(piece.name, "cpuMs")),
                  ms(stat(piece.name, "cpuMs") - stat("one-line", "cpuMs")),
                  ms(stat(piece.name, "startMs")),
                  ms(stat(piece.name, "firstMs")),
                ]),
                [
                  "the whole broker (wrangler's build)",
                  kib(upload.raw),
                  kib(upload.gzip),
                  ms(stat("broker", "cpuMs")),
                  ms(stat("broker", "cpuMs") - stat("one-line", "cpuMs")),
                  ms(stat("broker", "startMs")),
                  ms(stat("broker", "firstMs")),
                ],
              ],
            ),
          ]),
      `Total ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ].join("\n");
    return {
      report,
      failures,
      result: {
        raw: upload.raw,
        gzip: upload.gzip,
        pieces: pieces.pieces,
        startRatio,
        spawnRatio,
        cpuRatio,
        largeStartRatio,
        largeSpawnRatio,
        largeCpuRatio,
        samples,
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// `node scripts/bench/startup.mjs`: this section alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  Object.assign(process.env, OFFLINE_ENV);
  const { Miniflare } = await import("miniflare");
  const { report, failures } = await benchStartup({
    root: fileURLToPath(new URL("../..", import.meta.url)),
    Miniflare,
  });
  console.log(report);
  for (const failure of failures) console.log(`Start-up FAILED: ${failure}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
