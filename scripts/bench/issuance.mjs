// Issuance under load: POST /v1/usersig for each kind of caller and POST /v1/admin/usersig (cached),
// side by side with GET /healthz on the same server in the same run. The whole broker (src/index.ts)
// is served by Miniflare's API (serve.mjs) on loopback, with rate limits on but set far above the
// load, so nothing is refused. Part of `npm run bench` (`npm run bench -- --only=issuance` runs it
// alone; so does `node scripts/bench/issuance.mjs`).
//
// Two ways in, both to the same Worker in the same workerd:
// - direct (the figures): a socket of workerd's straight to the broker (Miniflare's
//   unsafeDirectSockets), `Accept-Encoding: identity`. What is measured is the Worker.
// - entry (context): Miniflare's usual URL, through its entry worker (JavaScript in the same workerd
//   that rewrites every request, about 160 µs of CPU each here) with `Accept-Encoding: gzip`, which
//   makes workerd gzip the JSON answers as Cloudflare's edge would outside the Worker. Only /healthz
//   and the API-key scenario, for comparison with the other load section (ratelimit.mjs), which
//   measures this way.
// The load generator is node:http with a keep-alive agent: Node's fetch cost 2-3x more CPU per request
// on these 2 shared cores, as much as workerd's own /healthz.
//
// Measured, per scenario, in timed runs interleaved with the other scenarios (each repetition runs
// every scenario once, in a seeded shuffled order, so they share the machine's noise):
// - requests per second, and the ratio to /healthz (same way in) in the same repetition (goal >= 0.8);
// - latency p50/p99 over every timed request;
// - CPU per request of workerd (all its threads) and of this Node process (the load generator), from
//   /proc/<pid>/task/*/schedstat: where the time goes. src is not changed to switch signing off, so a
//   probe (GET /v1/apps) and the cached admin route, which signs nothing, split the difference;
// - KV operations per request once warm, from GET /v1/admin/stats before and after each run:
//   admin-set KV reads per issuance (goal 0) and, for context, rate-limit KV lists/puts.
// Checked: every response is 200 and says what it should; a sample of the UserSigs verifies through
// POST /v1/verify. Any failure makes the section fail (exit code 1).
//
//   BENCH_ISSUE_REQUESTS (default 2000) requests per timed run, BENCH_ISSUE_CONCURRENCY (8) in
//   flight, BENCH_ISSUE_REPS (5) repetitions, BENCH_ISSUE_WARMUP (1000) untimed requests per
//   scenario in each of 2 warm-up passes, BENCH_ISSUE_CAP_S (30) seconds at most per run,
//   BENCH_ISSUE_TOTAL_S (300): no new repetition starts after this many seconds.
//   BENCH_ISSUE_IDP_ALG (RS256 or ES256): the IdP's signing algorithm.
//   BENCH_ISSUE_BASELINE=<dir>: a checkout of another commit (with node_modules, e.g. a `git worktree`
//   with a link to this one's), served beside this one in its own workerd: its scenarios ("base: ")
//   run in the same shuffled repetitions, and the report compares workerd CPU per request.

import { readFileSync } from "node:fs";
import http from "node:http";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { childPids, schedstat, schedstatOf } from "./cpu.mjs";
import { shuffled } from "./report.mjs";
import { brokerStats, envInt, median, OFFLINE_ENV, packageVersion, serveBroker, sha256Hex } from "./serve.mjs";

const SDK_APP_ID = 1400000000;
const OPERATOR_TOKEN = "bench-operator-token-0123456789-0123456789";
const BENCH_KEY = "bench-issuance-api-key-0123456789abcdef";
const ISSUER = "https://idp.bench.invalid/";
const AUDIENCE = "usersig-broker-bench";
const ADMIN = "administrator";
const SUBJECTS = 5;
const IDP_SUBS = Array.from({ length: SUBJECTS }, (_, i) => `bench_idp_${i}`);
const API_USER_IDS = Array.from({ length: SUBJECTS }, (_, i) => `bench_api_${i}`);
const GUEST_IPS = Array.from({ length: SUBJECTS }, (_, i) => `203.0.113.${20 + i}`);
const HIGH = 1_000_000_000;
/** Every SAMPLE_EVERY-th response of a timed run is kept, and its UserSig verified afterwards. */
const SAMPLE_EVERY = 100;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * CPU of one signUserSig inside workerd (production flags), when the core section did not run in
 * this process: BENCHMARKS.md, run A-2 (116-121 µs across its runs).
 */
const SIGN_US_FALLBACK = 117.9;

const HEALTHZ = "GET /healthz";
const APPS = "probe: GET /v1/apps";
const API_KEY = `API key (${SUBJECTS} userIds)`;
const ADMIN_CACHED = "admin, cached (POST /v1/admin/usersig)";
const ENTRY = "entry, gzip: ";

function option(name, fallback) {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? fallback : raw;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function brokerConfig(apiKeySha256, publicJwk, alg) {
  const high = { windows: [{ seconds: 60, limit: HIGH }] };
  return {
    apps: [
      {
        sdkAppId: SDK_APP_ID,
        name: "bench",
        admins: [ADMIN],
        idp: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [publicJwk] }, algorithms: [alg] }] },
        apiKeys: [{ name: "bench-backend", sha256: apiKeySha256, allowUserId: true, allowAdmin: true }],
        guests: { enabled: true },
        rateLimits: {
          usersig: { guest: high, idp: high, apiKey: high },
          verify: { apiKey: high },
          admin: { apiKey: high },
          newGuests: { perDay: HIGH },
        },
      },
    ],
  };
}

// ---- The load generator: node:http, keep-alive, requests built once -----------------------------

/** A client for one base URL: at most `sockets` connections, kept alive. */
function client(base, sockets) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    agent,
    /** A request made ready once and sent many times. */
    prepare({ method = "GET", path, headers = {}, body, acceptEncoding = "identity" }) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const options = {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          "Accept-Encoding": acceptEncoding,
          ...(payload ? { "Content-Type": "application/json", "Content-Length": payload.length } : {}),
          ...headers,
        },
      };
      return { options, payload };
    },
  };
}

/** Sends a prepared request: { status, body (Buffer), gzip }; status is a string on a network error. */
function send({ options, payload }) {
  return new Promise((resolve) => {
    const request = http.request(options, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode,
          body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
          gzip: response.headers["content-encoding"] === "gzip",
        }),
      );
      response.on("error", (error) => resolve({ status: `error ${error.code ?? error.name}`, body: Buffer.alloc(0) }));
    });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error("timeout")));
    request.on("error", (error) => resolve({ status: `error ${error.code ?? error.message}`, body: Buffer.alloc(0) }));
    request.end(payload);
  });
}

function bodyText(result) {
  return (result.gzip ? gunzipSync(result.body) : result.body).toString("utf8");
}

// ---- Scenarios ---------------------------------------------------------------------------------

/**
 * The scenarios. `requests[i % length]` is request i, prepared once (the load generator shares the
 * 2 cores with workerd, so it should do as little as possible per request); `check(body, i)` says
 * what is wrong with a sampled 200 answer, if anything. `via`: which way in (header comment).
 */
function scenarios({ clients, idpTokens, tickets }) {
  const expectUser = (expected) => (body, i) => {
    const want = expected(i % SUBJECTS);
    const ok = typeof want === "string" ? body.userId === want : want.test(body.userId);
    return ok ? undefined : `userId ${body.userId}, expected ${want}`;
  };
  const each = (via, make) =>
    Array.from({ length: SUBJECTS }, (_, s) =>
      clients[via].prepare({ ...make(s), ...(via === "entry" ? { acceptEncoding: "gzip" } : {}) }),
    );
  const healthz = (via) => ({
    name: via === "entry" ? ENTRY + HEALTHZ : HEALTHZ,
    via,
    issues: false,
    requests: each(via, () => ({ path: "/healthz" })),
  });
  const apiKey = (via) => ({
    name: via === "entry" ? ENTRY + API_KEY : API_KEY,
    via,
    issues: true,
    requests: each(via, (s) => ({
      method: "POST",
      path: "/v1/usersig",
      headers: { "X-Api-Key": BENCH_KEY },
      body: { sdkAppId: SDK_APP_ID, userId: API_USER_IDS[s] },
    })),
    check: expectUser((s) => API_USER_IDS[s]),
  });
  return [
    healthz("direct"),
    // A probe, not an issuance: the /v1 middleware (audit line, body limit, rate-limit headers) and
    // nothing else, to split what issuance adds over /healthz.
    { name: APPS, via: "direct", issues: false, requests: each("direct", () => ({ path: "/v1/apps" })) },
    {
      name: `IdP user (${idpTokens.alg} JWT, ${SUBJECTS} users)`,
      via: "direct",
      issues: true,
      requests: each("direct", (s) => ({
        method: "POST",
        path: "/v1/usersig",
        headers: { Authorization: `Bearer ${idpTokens.tokens[s]}` },
        body: { sdkAppId: SDK_APP_ID },
      })),
      check: expectUser((s) => IDP_SUBS[s]),
    },
    apiKey("direct"),
    {
      name: `new guest (${SUBJECTS} client IPs)`,
      via: "direct",
      issues: true,
      requests: each("direct", (s) => ({
        method: "POST",
        path: "/v1/usersig",
        headers: { "CF-Connecting-IP": GUEST_IPS[s] },
        body: { sdkAppId: SDK_APP_ID },
      })),
      check: (body) =>
        /^guest_[a-z2-7]{16}$/.test(body.userId) && typeof body.guestTicket === "string"
          ? undefined
          : `not a new guest: ${body.userId}, ticket ${typeof body.guestTicket}`,
    },
    {
      name: `guest renewing (${SUBJECTS} tickets)`,
      via: "direct",
      issues: true,
      requests: each("direct", (s) => ({
        method: "POST",
        path: "/v1/usersig",
        headers: { "CF-Connecting-IP": GUEST_IPS[s] },
        body: { sdkAppId: SDK_APP_ID, guestTicket: tickets[s].ticket },
      })),
      check: (body, i) =>
        body.userId === tickets[i % SUBJECTS].userId && body.guestTicket === tickets[i % SUBJECTS].ticket
          ? undefined
          : `userId ${body.userId}, expected the ticket's ${tickets[i % SUBJECTS].userId}`,
    },
    {
      name: ADMIN_CACHED,
      via: "direct",
      issues: true,
      admin: true,
      requests: each("direct", () => ({
        method: "POST",
        path: "/v1/admin/usersig",
        headers: { "X-Api-Key": BENCH_KEY },
        body: { sdkAppId: SDK_APP_ID, userId: ADMIN },
      })),
      check: expectUser(() => ADMIN),
    },
    healthz("entry"),
    apiKey("entry"),
  ];
}

/** `n` requests of a scenario, `concurrency` in flight, no new ones after `capMs`. */
async function load(scenario, n, concurrency, capMs, sample) {
  const latencies = new Float64Array(n);
  const statuses = {};
  const samples = [];
  const bad = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + capMs;
  async function worker() {
    while (next < n && performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      const result = await send(scenario.requests[i % scenario.requests.length]);
      latencies[done++] = performance.now() - t0;
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.status !== 200) {
        if (bad.length < 3) bad.push(`${result.status} ${bodyText(result).slice(0, 200)}`);
      } else if (sample && i % SAMPLE_EVERY === 0) samples.push({ i, result });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - started;
  return { done, ms, perSecond: (done * 1000) / ms, statuses, latencies: latencies.subarray(0, done), samples, bad };
}

function cpuDelta(before, after) {
  return before && after ? { ns: after.cpuNs - before.cpuNs, waitNs: after.waitNs - before.waitNs } : undefined;
}

/** One timed run, bracketed by the isolate's counters and both processes' CPU time. */
async function timedRun(base, scenario, cfg, pids) {
  const statsBefore = await brokerStats(base, OPERATOR_TOKEN);
  const w0 = schedstatOf(pids);
  const n0 = schedstat(process.pid);
  const run = await load(scenario, cfg.requests, cfg.concurrency, cfg.capMs, true);
  const n1 = schedstat(process.pid);
  const w1 = schedstatOf(pids);
  const statsAfter = await brokerStats(base, OPERATOR_TOKEN);
  run.workerdCpu = cpuDelta(w0, w1);
  run.nodeCpu = cpuDelta(n0, n1);
  const kv = (s) => s.rateLimit.kv;
  run.kv = {
    adminReads: statsAfter.admins.kv.reads - statsBefore.admins.kv.reads,
    banLists: statsAfter.bans.object.lists - statsBefore.bans.object.lists,
    banWaits: statsAfter.bans.object.coldWaits - statsBefore.bans.object.coldWaits,
    lists: kv(statsAfter).lists - kv(statsBefore).lists,
    puts: kv(statsAfter).puts - kv(statsBefore).puts,
    errors: kv(statsAfter).errors - kv(statsBefore).errors,
  };
  return run;
}

/** Five guests, each with its ticket, for the renewal scenario. */
async function newGuests(direct) {
  const tickets = [];
  for (const ip of GUEST_IPS) {
    const result = await send(
      direct.prepare({
        method: "POST",
        path: "/v1/usersig",
        headers: { "CF-Connecting-IP": ip },
        body: { sdkAppId: SDK_APP_ID },
      }),
    );
    const text = bodyText(result);
    const body = result.status === 200 ? JSON.parse(text) : {};
    if (typeof body.guestTicket !== "string") {
      throw new Error(`new guest for the renewal scenario: ${result.status} ${text.slice(0, 200)}`);
    }
    tickets.push({ userId: body.userId, ticket: body.guestTicket });
  }
  return tickets;
}

async function mintIdpTokens(alg) {
  const kid = `bench-${alg.toLowerCase()}`;
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  const tokens = await Promise.all(
    IDP_SUBS.map((sub) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(privateKey),
    ),
  );
  return { alg, publicJwk, tokens };
}

/** Every sampled answer: what it says, and whether its UserSig verifies through POST /v1/verify. */
async function verifySamples(direct, runsByScenario, list) {
  const failures = [];
  let verified = 0;
  for (const scenario of list.filter((s) => s.issues)) {
    const sigs = new Set();
    for (const run of runsByScenario[scenario.name]) {
      for (const { i, result } of run.samples) {
        const body = JSON.parse(bodyText(result));
        const wrong = scenario.check(body, i);
        if (wrong) {
          failures.push(`${scenario.name}: request ${i}: ${wrong}`);
          continue;
        }
        sigs.add(body.userSig);
        const answer = await send(
          direct.prepare({
            method: "POST",
            path: "/v1/verify",
            headers: { "X-Api-Key": BENCH_KEY },
            body: { sdkAppId: SDK_APP_ID, userSig: body.userSig, userId: body.userId },
          }),
        );
        const text = bodyText(answer);
        const decoded = answer.status === 200 ? JSON.parse(text) : {};
        if (decoded.valid !== true || decoded.userId !== body.userId || decoded.expireSeconds !== body.expireSeconds) {
          failures.push(`${scenario.name}: request ${i}: /v1/verify ${answer.status} ${text.slice(0, 200)}`);
        } else verified++;
      }
    }
    // The admin sig is cached: every sample must be the very same token.
    if (scenario.admin && sigs.size > 1) failures.push(`${scenario.name}: ${sigs.size} different sigs, expected 1`);
  }
  return { verified, failures };
}

// ---- Report ------------------------------------------------------------------------------------

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "-");
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : "-");

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const cell = (text, c) => (c === 0 ? String(text).padEnd(widths[c]) : String(text).padStart(widths[c]));
  const line = (r) => `| ${r.map(cell).join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

const BASE = "base: ";

function report({ cfg, list, runs, reps, loadBefore, signUs, root, checked, events, started }) {
  const perReq = (run, which) => (run[which] ? run[which].ns / 1000 / run.done : Number.NaN);
  const summary = {};
  for (const scenario of list) {
    const rs = runs[scenario.name];
    summary[scenario.name] = {
      rs,
      perSecond: median(rs.map((r) => r.perSecond)),
      workerd: median(rs.map((r) => perReq(r, "workerdCpu"))),
      node: median(rs.map((r) => perReq(r, "nodeCpu"))),
    };
  }
  const healthOf = (scenario) => summary[scenario.label + (scenario.via === "entry" ? ENTRY : "") + HEALTHZ];
  const rows = [
    [
      "scenario",
      "req/s",
      "× /healthz",
      "range",
      "p50 ms",
      "p99 ms",
      "workerd CPU µs/req",
      "over /healthz",
      "Node CPU µs/req",
      "CPU-bound ×",
      "workerd-bound ×",
    ],
  ];
  for (const scenario of list) {
    const s = summary[scenario.name];
    const health = healthOf(scenario);
    const isHealth = s === health;
    s.ratios = s.rs.map((r, i) => r.perSecond / health.rs[i].perSecond);
    s.ratio = median(s.ratios);
    const lat = Float64Array.from(s.rs.flatMap((r) => [...r.latencies])).sort();
    rows.push([
      scenario.name,
      f0(s.perSecond),
      isHealth ? "1" : f2(s.ratio),
      isHealth ? "" : `${f2(Math.min(...s.ratios))}-${f2(Math.max(...s.ratios))}`,
      f2(percentile(lat, 50)),
      f2(percentile(lat, 99)),
      f0(s.workerd),
      isHealth ? "" : `+${f0(s.workerd - health.workerd)}`,
      f0(s.node),
      // The ratio if throughput were set by the CPU both processes use per request.
      isHealth ? "" : f2((health.workerd + health.node) / (s.workerd + s.node)),
      isHealth ? "" : f2(health.workerd / s.workerd),
    ]);
  }
  const compared = compare(list, summary);
  // Every figure below the table is this checkout's; the baseline's are its "base: " rows.
  list = list.filter((s) => !s.label);
  const issuing = list.filter((s) => s.issues && s.via === "direct");
  const reached = issuing.filter((s) => summary[s.name].ratio >= 0.8).map((s) => s.name);
  const all = list.flatMap((s) => runs[s.name]);
  const sum = (rs, key) => rs.reduce((a, r) => a + r.kv[key], 0);
  const issued = list.filter((s) => s.issues).flatMap((s) => runs[s.name]);
  const issuedCount = issued.reduce((a, r) => a + r.done, 0);
  const adminReads = sum(issued, "adminReads");
  const banLists = sum(issued, "banLists");
  const banWaits = sum(issued, "banWaits");
  const waitShare = (which) => {
    const rs = all.filter((r) => r[which]);
    const cpu = rs.reduce((a, r) => a + r[which].ns, 0);
    return cpu ? `${((rs.reduce((a, r) => a + r[which].waitNs, 0) / cpu) * 100).toFixed(0)}%` : "n/a";
  };
  const busy = median(
    all.filter((r) => r.workerdCpu && r.nodeCpu).map((r) => (r.workerdCpu.ns + r.nodeCpu.ns) / 1e6 / r.ms),
  );
  const w = (name) => summary[name].workerd;
  const sign = signUs ?? SIGN_US_FALLBACK;
  const load = (avg) => avg.map((l) => l.toFixed(2)).join(" ");
  return [
    `Issuance under load: ${cfg.requests} requests per timed run, ${cfg.concurrency} in flight (node:http, keep-alive), ${reps} repetitions (every scenario once per repetition, shuffled order), after 2 x ${cfg.warmup} warm-up requests per scenario; Miniflare ${packageVersion(root, "miniflare")} (workerd ${packageVersion(root, "workerd")}) on loopback, Node ${process.versions.node}`,
    `load average (1/5/15 min) before: ${load(loadBefore)}, after: ${load(loadavg())}`,
    `Rows without "${ENTRY}": workerd's direct socket to the Worker, Accept-Encoding: identity. "${ENTRY}": through Miniflare's entry worker, Accept-Encoding: gzip (ratios against its own /healthz).`,
    "req/s: median of the runs; × /healthz: median of the per-repetition ratios (range: min-max); p50/p99: all timed requests;",
    "CPU µs/req: medians; workerd: all its threads (KV simulator included); Node: this process (the load generator);",
    "CPU-bound ×: the ratio if throughput were set by the CPU both use per request, (workerd + Node at /healthz) / (workerd + Node here);",
    "workerd-bound ×: the same for workerd alone (/healthz's workerd CPU / this one's), i.e. with the load generator on other cores.\n",
    table(rows),
    "",
    ...compared,
    `goal (issuance >= 0.8 x /healthz, direct): ${reached.length === issuing.length ? "reached by every scenario" : `reached by ${reached.length} of ${issuing.length}${reached.length ? ` (${reached.join(", ")})` : ""}`}`,
    `per-repetition ratios: ${list
      .filter((s) => s.issues)
      .map((s) => `${s.name} ${summary[s.name].ratios.map(f2).join("/")}`)
      .join("; ")}`,
    `req/s per run: ${list.map((s) => `${s.name} ${runs[s.name].map((r) => f0(r.perSecond)).join("/")}`).join("; ")}`,
    `where workerd's time goes (direct, CPU µs per request): /healthz ${f0(w(HEALTHZ))}; + the /v1 middleware and its audit line (${APPS} − /healthz) ${f0(w(APPS) - w(HEALTHZ))}; + body, API key, limiter, admin set, no signature (admin cached − ${APPS}) ${f0(w(ADMIN_CACHED) - w(APPS))}; + a signature and the rest of /v1/usersig (API key − admin cached) ${f0(w(API_KEY) - w(ADMIN_CACHED))}`,
    `one signUserSig in workerd (prod flags): ${sign.toFixed(1)} µs CPU (${signUs === undefined ? "BENCHMARKS.md, core section, run A-2" : "core section of this run"}); for 0.8 with workerd the bottleneck, an issuance may cost at most /healthz / 0.8 = ${f0(w(HEALTHZ) / 0.8)} µs, i.e. ${f0(w(HEALTHZ) / 0.8 - w(HEALTHZ))} µs over /healthz`,
    `Miniflare's entry worker (+ gzip) adds ${f0(w(ENTRY + HEALTHZ) - w(HEALTHZ))} µs of workerd CPU to /healthz and ${f0(w(ENTRY + API_KEY) - w(API_KEY))} µs to an API-key issuance`,
    `bans stored: ${cfg.bans}; issuances that waited for the ban list (the app's object), warm: ${banWaits} of ${issuedCount} (goal 0: ${banWaits === 0 ? "reached" : "NOT reached"}); ban lists read from the object: ${banLists} in ${(issued.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(1)} s, all background refreshes (waitUntil, at most one per 20 s per app), none awaited by a request`,
    `admin-set KV reads per issuance, warm: ${(adminReads / issuedCount).toFixed(5)} (${adminReads} in ${issuedCount} issuances over ${(issued.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(1)} s of timed runs; goal 0: ${adminReads === 0 ? "reached" : "NOT reached: background refreshes (waitUntil) once the 30 s soft TTL has passed, not awaited by any request"})`,
    `rate-limit KV per request, warm (lists/puts): ${list
      .filter((s) => s.issues)
      .map((s) => {
        const rs = runs[s.name];
        const n = rs.reduce((a, r) => a + r.done, 0);
        return `${s.name} ${(sum(rs, "lists") / n).toFixed(4)}/${(sum(rs, "puts") / n).toFixed(4)}`;
      })
      .join(
        "; ",
      )}; /healthz and the probe 0/0: ${sum([...runs[HEALTHZ], ...runs[APPS]], "lists") + sum([...runs[HEALTHZ], ...runs[APPS]], "puts") === 0 ? "yes" : "no"} (errors ${sum(all, "errors")})`,
    `CPU used during the timed runs by workerd + Node together: ${busy.toFixed(2)} cores (median of the runs; the machine has 2); time runnable but waiting for a CPU, as a share of CPU used: workerd ${waitShare("workerdCpu")}, Node ${waitShare("nodeCpu")}`,
    `checks: ${checked.verified} sampled UserSigs verified through POST /v1/verify (every ${SAMPLE_EVERY}th response of each timed run); Worker log events ${JSON.stringify(events)}`,
    `timed ${(all.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(1)} s, section total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  ].join("\n");
}

/** With a baseline: each scenario's workerd CPU per request, this checkout against the baseline's. */
function compare(list, summary) {
  const base = list.filter((s) => s.label);
  if (base.length === 0) return [];
  const lines = base.map((b) => {
    const own = summary[b.name.slice(b.label.length)];
    const theirs = summary[b.name];
    const perRep = own.rs.map((r, i) => {
      const other = theirs.rs[i];
      return r.workerdCpu && other?.workerdCpu
        ? r.workerdCpu.ns / r.done / (other.workerdCpu.ns / other.done)
        : Number.NaN;
    });
    return `- ${b.name.slice(b.label.length)}: ${f0(own.workerd)} / ${f0(theirs.workerd)} µs = ${f2(own.workerd / theirs.workerd)} (per repetition ${perRep.map(f2).join("/")})`;
  });
  return [
    `workerd CPU µs per request, this checkout / the baseline (BENCH_ISSUE_BASELINE, the "${BASE.trim()}" rows), medians of the runs:`,
    ...lines,
    "",
  ];
}

/**
 * Runs the issuance benchmark and returns its report (text) and failures (a request that did not
 * succeed, a sampled sig that does not verify). A missed goal is reported, not failed: the machine is
 * shared and noisy. `signUs`: CPU µs of one signUserSig in workerd measured by the core section in
 * this run, if it ran.
 */
export async function benchIssuance({ root, Miniflare, log = console.log, signUs }) {
  const cfg = {
    requests: envInt("BENCH_ISSUE_REQUESTS", 2000),
    concurrency: envInt("BENCH_ISSUE_CONCURRENCY", 8),
    reps: envInt("BENCH_ISSUE_REPS", 5),
    warmup: envInt("BENCH_ISSUE_WARMUP", 1000),
    capMs: envInt("BENCH_ISSUE_CAP_S", 30) * 1000,
    totalMs: envInt("BENCH_ISSUE_TOTAL_S", 300) * 1000,
    alg: option("BENCH_ISSUE_IDP_ALG", "RS256"),
    /** Bans stored before the runs (none of them a user the scenarios issue for); 0 for a run without. */
    bans: option("BENCH_ISSUE_BANS", "100") === "0" ? 0 : envInt("BENCH_ISSUE_BANS", 100),
    baseline: option("BENCH_ISSUE_BASELINE", undefined),
  };
  if (!["RS256", "ES256"].includes(cfg.alg)) throw new Error("BENCH_ISSUE_IDP_ALG must be RS256 or ES256");
  const started = performance.now();
  const loadBefore = loadavg();
  const failures = [];
  const events = {};
  const secretKey = JSON.parse(readFileSync(join(root, "test/fixtures/vectors.json"), "utf8")).secretKey;
  const idpTokens = await mintIdpTokens(cfg.alg);
  const bindings = {
    BROKER_CONFIG: JSON.stringify(brokerConfig(await sha256Hex(BENCH_KEY), idpTokens.publicJwk, cfg.alg)),
    ADMIN_API_TOKEN: OPERATOR_TOKEN,
    [`SECRET_KEY_${SDK_APP_ID}`]: secretKey,
  };
  // One audit line per /v1 request: count the events, do not print them.
  const onOutput = (chunk) => {
    for (const match of chunk.matchAll(/"event":"([a-z_]+)"/g)) events[match[1]] = (events[match[1]] ?? 0) + 1;
  };
  const servers = [];
  try {
    for (const [label, dir] of [["", root], ...(cfg.baseline ? [[BASE, cfg.baseline]] : [])]) {
      const server = await serveBroker({
        root: dir,
        Miniflare,
        prefix: "usersig-bench-issue-",
        direct: true,
        bindings,
        onOutput,
      });
      const clients = {
        direct: client(server.directBase, cfg.concurrency),
        entry: client(server.base, cfg.concurrency),
      };
      // This server's workerd: the one not counted for an earlier server.
      const taken = new Set(servers.flatMap((s) => s.pids));
      servers.push({ label, server, clients, pids: childPids("workerd").filter((pid) => !taken.has(pid)) });
    }
  } catch (error) {
    for (const { server } of servers) await server.close();
    throw error;
  }
  const clients = servers[0].clients;
  try {
    const list = [];
    for (const s of servers) {
      const own = scenarios({ clients: s.clients, idpTokens, tickets: await newGuests(s.clients.direct) });
      list.push(...own.map((scenario) => ({ ...scenario, name: s.label + scenario.name, label: s.label, at: s })));
    }
    for (let i = 0; i < cfg.bans * servers.length; i++) {
      const banned = await send(
        servers[i % servers.length].clients.direct.prepare({
          method: "PUT",
          path: `/v1/admin/apps/${SDK_APP_ID}/bans/bench_banned_${Math.floor(i / servers.length)}`,
          headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
          body: { reason: "bench" },
        }),
      );
      if (banned.status !== 201) failures.push(`ban ${i}: HTTP ${banned.status}`);
    }

    log(`  issuance: warm-up, 2 x ${cfg.warmup} requests per scenario ...`);
    for (let pass = 0; pass < 2; pass++) {
      for (const scenario of shuffled(list, 1000 + pass)) {
        const run = await load(scenario, cfg.warmup, cfg.concurrency, cfg.capMs, false);
        if ((run.statuses[200] ?? 0) !== run.done) {
          failures.push(`warm-up, ${scenario.name}: ${JSON.stringify(run.statuses)} ${run.bad.join(" / ")}`);
        }
      }
    }

    const runs = Object.fromEntries(list.map((s) => [s.name, []]));
    let reps = 0;
    for (let rep = 0; rep < cfg.reps; rep++) {
      if (rep > 0 && performance.now() - started > cfg.totalMs) break;
      log(`  issuance: repetition ${rep + 1}/${cfg.reps} ...`);
      for (const scenario of shuffled(list, rep + 1)) {
        const run = await timedRun(scenario.at.server.directBase, scenario, cfg, scenario.at.pids);
        runs[scenario.name].push(run);
        if ((run.statuses[200] ?? 0) !== run.done || run.done !== cfg.requests) {
          failures.push(
            `${scenario.name}, repetition ${rep + 1}: ${run.done}/${cfg.requests} done, ${JSON.stringify(run.statuses)} ${run.bad.join(" / ")}`,
          );
        }
      }
      reps++;
    }

    log("  issuance: verifying sampled UserSigs through POST /v1/verify ...");
    const checked = await verifySamples(clients.direct, runs, list);
    failures.push(...checked.failures);
    for (const event of ["internal_error", "admin_set_unavailable", "config_error"]) {
      if (events[event]) failures.push(`the Worker logged ${events[event]} ${event}`);
    }
    return { report: report({ cfg, list, runs, reps, loadBefore, signUs, root, checked, events, started }), failures };
  } finally {
    for (const s of servers) {
      for (const c of Object.values(s.clients)) c.agent.destroy();
      await s.server.close();
    }
  }
}

// Alone: `node scripts/bench/issuance.mjs`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  Object.assign(process.env, OFFLINE_ENV);
  const { Miniflare } = await import("miniflare");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const { report: text, failures } = await benchIssuance({ root, Miniflare });
  console.log(text);
  if (failures.length > 0) console.log(`Issuance FAILED:\n  ${failures.join("\n  ")}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}
