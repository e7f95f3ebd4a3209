// Warm issuance, this checkout against a baseline commit, in one run: `node scripts/bench/warm-ab.mjs
// [ref]` (default 81ff21f, the commit before the compiled validators). Both Workers are bundled as
// scripts/bench/serve.mjs bundles the broker, served side by side (one workerd each, direct sockets),
// given the same configuration (one app: an API key allowed to name the UserID, guests on, rate limits
// at 10^9 so nothing is refused), warmed up, then measured in alternating batches: workerd CPU per
// request (/proc schedstat of that Worker's workerd alone) for POST /v1/usersig as the API key (a
// body the validators check), POST /v1/usersig as a new guest (an empty body), and GET /healthz. The
// figure is the median over the batches of (this checkout / baseline), batch by batch. Only loopback,
// bounded (BENCH_AB_REPS batches of BENCH_AB_N requests per scenario and Worker), and it stops by
// itself. It fails (exit 1) if any response is not 200.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childPids, schedstatOf } from "./cpu.mjs";
import { envInt, median, OFFLINE_ENV, serveBroker, sha256Hex } from "./serve.mjs";
import { exportTree, parseEnvFile } from "./startup.mjs";

Object.assign(process.env, OFFLINE_ENV);
const root = fileURLToPath(new URL("../..", import.meta.url));
const ref = process.argv[2] ?? "81ff21f";
const N = envInt("BENCH_AB_N", 1000);
const REPS = envInt("BENCH_AB_REPS", 8);
const IN_FLIGHT = 8;
/** Tencent's published sample key (demo/secrets.env): not a secret. */
const SECRET_KEY = parseEnvFile(readFileSync(join(root, "demo/secrets.env"), "utf8")).SECRET_KEY_1400000000;
const API_KEY = "bench-warm-ab-api-key-0123456789abcdef";

async function bindings() {
  const high = { windows: [{ seconds: 60, limit: 1_000_000_000 }], failMode: "open" };
  const config = {
    apps: [
      {
        sdkAppId: 1400000000,
        apiKeys: [{ name: "bench-backend", sha256: await sha256Hex(API_KEY), allowUserId: true }],
        guests: { enabled: true },
        rateLimits: {
          usersig: { guest: high, idp: high, apiKey: high },
          newGuests: { perDay: 1_000_000_000 },
        },
      },
    ],
  };
  return { BROKER_CONFIG: JSON.stringify(config), SECRET_KEY_1400000000: SECRET_KEY };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function send(base, { method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const request = http.request(new URL(path, base), { method, headers, agent }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    });
    request.on("error", reject);
    request.end(body);
  });
}

const SCENARIOS = {
  "API key (POST /v1/usersig, a body with userId)": (i) => ({
    method: "POST",
    path: "/v1/usersig",
    headers: { "X-Api-Key": API_KEY, "Content-Type": "application/json" },
    body: JSON.stringify({ userId: `user_${i % 5}`, expireSeconds: 3600 }),
  }),
  "new guest (POST /v1/usersig, no body)": (i) => ({
    method: "POST",
    path: "/v1/usersig",
    headers: { "CF-Connecting-IP": `203.0.113.${i % 5}` },
    body: "",
  }),
  "GET /healthz": () => ({ method: "GET", path: "/healthz", headers: {}, body: "" }),
};

/** N requests, IN_FLIGHT at a time; workerd CPU µs per request of that Worker's workerd. */
async function batch(worker, scenario) {
  const make = SCENARIOS[scenario];
  let next = 0;
  let bad = 0;
  const before = schedstatOf(worker.pids);
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) {
        const status = await send(worker.base, make(next++));
        if (status !== 200) bad++;
      }
    }),
  );
  const after = schedstatOf(worker.pids);
  if (bad > 0) throw new Error(`${worker.name}, ${scenario}: ${bad} responses were not 200`);
  return (after.cpuNs - before.cpuNs) / 1000 / N;
}

const outdir = mkdtempSync(join(tmpdir(), "usersig-warm-ab-"));
const workers = [];
try {
  const { Miniflare } = await import("miniflare");
  const env = await bindings();
  for (const [name, tree] of [
    ["baseline", exportTree(root, ref, outdir)],
    ["this checkout", root],
  ]) {
    const known = new Set(childPids("workerd"));
    const served = await serveBroker({ root: tree, Miniflare, bindings: env, direct: true, prefix: "usersig-ab-" });
    workers.push({
      name,
      base: served.directBase,
      close: served.close,
      pids: childPids("workerd").filter((p) => !known.has(p)),
    });
  }
  const loadBefore = loadavg();
  for (const worker of workers) for (const scenario of Object.keys(SCENARIOS)) await batch(worker, scenario);
  const ratios = Object.fromEntries(Object.keys(SCENARIOS).map((s) => [s, []]));
  const perRequest = Object.fromEntries(Object.keys(SCENARIOS).map((s) => [s, { baseline: [], "this checkout": [] }]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const scenario of Object.keys(SCENARIOS)) {
      const order = rep % 2 === 0 ? workers : [...workers].reverse();
      const cpu = {};
      for (const worker of order) cpu[worker.name] = await batch(worker, scenario);
      ratios[scenario].push(cpu["this checkout"] / cpu.baseline);
      for (const name of Object.keys(cpu)) perRequest[scenario][name].push(cpu[name]);
    }
  }
  console.log(
    `Warm requests, ${ref} → this checkout, one run: ${REPS} alternating batches of ${N} requests (${IN_FLIGHT} in flight) per scenario and Worker, after one warm-up batch each; load average ${loadBefore.map((l) => l.toFixed(2)).join(" ")} → ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  console.log(
    "| scenario | baseline: workerd CPU µs/req | this checkout | this / baseline (median of batch ratios) | range |",
  );
  console.log("|---|---:|---:|---:|---|");
  for (const scenario of Object.keys(SCENARIOS)) {
    const r = ratios[scenario];
    console.log(
      `| ${scenario} | ${median(perRequest[scenario].baseline).toFixed(0)} | ${median(perRequest[scenario]["this checkout"]).toFixed(0)} | ${median(r).toFixed(2)} | ${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)} |`,
    );
  }
} finally {
  for (const worker of workers) await worker.close().catch(() => {});
  agent.destroy();
  rmSync(outdir, { recursive: true, force: true });
}
