// The whole broker, served for the load sections of `npm run bench` (ratelimit.mjs, issuance.mjs):
// src/index.ts bundled with esbuild and run by Miniflare's Node API (workerd, no wrangler dev proxy,
// which would dominate the figures: see /work/shared/docs/toolchain.md), on loopback, with the local
// KV simulator behind RATE_LIMITS and ADMINS. Also the small helpers both sections use.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** Set before wrangler or Miniflare is loaded: only loopback connections. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

export function envInt(name, fallback) {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function bundleBroker(root, outdir) {
  // Build the page and the OpenAPI document as wrangler's [build] does: today's Worker serves them as
  // static assets (not needed by the bench), but an older commit bundled for a before/after run
  // (BENCH_STARTUP_BASELINE) imports them into its script.
  // The validators compiled from the zod schemas (build/validators/), which today's Worker imports.
  for (const script of [
    "scripts/build-validators.mjs",
    "scripts/build-router.mjs",
    "scripts/build-inspector.mjs",
    "scripts/build-openapi.mjs",
  ]) {
    if (existsSync(join(root, script))) spawnSync(process.execPath, [script], { cwd: root, stdio: "inherit" });
  }
  await build({
    absWorkingDir: root,
    entryPoints: { broker: "src/index.ts" },
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    outdir,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
  return join(outdir, "broker.mjs");
}

export function compatibilityDate(root) {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  return /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? "2026-04-01";
}

export function packageVersion(root, name) {
  return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) of the workerd processes this Node process started, from /proc; undefined
 * where there is no /proc. Unlike throughput it hardly moves when other work shares the machine, so it
 * shows the limiter's own cost (the local KV simulator runs in that workerd too).
 */
export function workerdCpuMs() {
  let ticks = 0;
  let found = false;
  let pids;
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // After the command: state, ppid, ..., utime (14th field of the line) and stime (15th).
    if (comm !== "workerd" || Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
    found = true;
  }
  return found ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
}

/**
 * Bundles the broker into a temp dir and serves it with Miniflare. `bindings`: BROKER_CONFIG, the
 * secrets. `onOutput(chunk)` gets everything the Worker writes to stdout/stderr (one audit line per
 * /v1 request): read and count it there rather than print it. Returns the server's base URL (no
 * trailing slash) and `close()`, which disposes Miniflare (and its workerd) and removes the temp dir.
 *
 * `base` goes through Miniflare's entry worker, a JavaScript worker in the same workerd that rewrites
 * each request, and gzips JSON answers when the client accepts gzip (as Cloudflare's edge would, outside
 * the Worker). With `direct: true`, `directBase` is also served: a socket of workerd's straight to
 * the broker (Miniflare's unsafeDirectSockets), without that layer.
 */
export async function serveBroker({
  root,
  Miniflare,
  bindings,
  onOutput = () => {},
  prefix = "usersig-bench-",
  direct = false,
}) {
  const outdir = mkdtempSync(join(tmpdir(), prefix));
  let mf;
  const close = async () => {
    try {
      await mf?.dispose();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };
  try {
    const scriptPath = await bundleBroker(root, outdir);
    mf = new Miniflare({
      modules: true,
      modulesRoot: outdir,
      scriptPath,
      compatibilityDate: compatibilityDate(root),
      kvNamespaces: ["RATE_LIMITS", "ADMINS"],
      // Bans live in the app's Durable Object (wrangler.toml's MODERATION binding).
      durableObjects: { MODERATION: { className: "ModerationObject", useSQLite: true } },
      handleRuntimeStdio(stdout, stderr) {
        for (const stream of [stdout, stderr]) {
          stream.setEncoding("utf8");
          stream.on("data", onOutput);
        }
      },
      bindings,
      ...(direct ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
    });
    const trim = (url) => url.toString().replace(/\/$/, "");
    const base = trim(await mf.ready);
    return { mf, base, directBase: direct ? trim(await mf.unsafeGetDirectURL()) : undefined, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** GET /v1/admin/stats: this isolate's counters (rate-limit KV operations, admin-set KV reads). */
export async function brokerStats(base, operatorToken) {
  const response = await fetch(`${base}/v1/admin/stats`, { headers: { Authorization: `Bearer ${operatorToken}` } });
  if (!response.ok) throw new Error(`stats: HTTP ${response.status}`);
  return response.json();
}
