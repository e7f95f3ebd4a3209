#!/usr/bin/env node
// `npm start`: runs the broker locally on workerd (`wrangler dev`) with the built-in demo
// configuration (demo/config.json + demo/secrets.env) on http://127.0.0.1:8787, offline, with its own
// local KV state in .wrangler/demo-state. `--cors-origin URL` (repeatable) adds an origin the demo
// app allows (a page on another port than 5173); every other option goes to wrangler
// (`npm start -- --port 9000`, `--persist-to DIR` for a fresh KV state).
//
// To run your own configuration instead, put BROKER_CONFIG and the secrets in .dev.vars and use
// `npm run dev` (plain `wrangler dev`).
//
// Two lines wrangler 4.86 prints at every start are left out of the output, because they are false
// here (found in wrangler-dist/cli.js):
// - "Your types might be out of date": wrangler dev compares worker-configuration.d.ts with the
//   secrets of `.dev.vars`, never with the `--env-file` it was started with (checkTypesDiff calls
//   generateEnvTypes without the env file), so with the demo's env file it always differs. The types
//   are generated from .dev.vars.example and checked by `npm run types:check`.
// - "The file src/inspector/page,src/usersig changed, restarting build...": with a [build] command,
//   wrangler runs that build once more when its file watcher becomes ready, and logs it as a change
//   of the watched directories. Nothing changed; later rebuilds (real changes) are still shown.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { privateWranglerLog } from "./wrangler-log.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_PORT = 8787;
const HOST = "127.0.0.1";

const { corsOrigins, rest: args } = corsOriginOptions(process.argv.slice(2));
if (corsOrigins === undefined) {
  console.error(
    "npm start: --cors-origin needs an origin (scheme, host and port, no path), e.g. npm start -- --cors-origin http://127.0.0.1:3000",
  );
  process.exit(2);
}
const port = portOption(args);
if (port === undefined) {
  console.error("npm start: --port needs a port number from 1 to 65535, e.g. npm start -- --port 9000");
  process.exit(2);
}
if (!(await portIsFree(port))) {
  console.error(
    `npm start: port ${port} on ${HOST} is already in use (another broker?): stop it, or pick another port: npm start -- --port ${port === 65535 ? port - 1 : port + 1}`,
  );
  process.exit(1);
}

const config = JSON.parse(readFileSync(join(root, "demo/config.json"), "utf8"));
// --cors-origin: one more origin the demo app's browsers may call from (a page on another port).
for (const app of config.apps) app.cors.origins = [...new Set([...app.cors.origins, ...corsOrigins])];
const secrets = readFileSync(join(root, "demo/secrets.env"), "utf8");
// One env file for wrangler: the config as one single-quoted line (JSON has no single quotes).
mkdirSync(join(root, ".wrangler"), { recursive: true });
const envFile = join(root, ".wrangler/demo.env");
// CLIENT_IP_HEADER=untrusted: locally CF-Connecting-IP is whatever the client sent (docs/rate-limits.md).
writeFileSync(envFile, `${secrets}\nBROKER_CONFIG='${JSON.stringify(config)}'\nCLIENT_IP_HEADER=untrusted\n`);

const base = `http://${HOST}:${port}`;
const banner = `
  usersig-broker DEMO on ${base}
  ------------------------------------------------------------------------------------------
  Inspector (decode a UserSig, get a guest one):  ${base}/
  API description:                                ${base}/openapi.json
  app 1400000000 signs with Tencent's PUBLISHED SAMPLE KEY: its UserSigs are NOT valid at Tencent.
  Never deploy this configuration. Guests on; admin identity "administrator" (never issued publicly).
  Demo API key: demo-api-key-not-a-secret   Operator token: demo-operator-token-not-a-secret-0123456789
  Try:  curl -s -X POST ${base}/v1/usersig
  CORS origins: ${config.apps[0].cors.origins.join(", ")} (add one: npm start -- --cors-origin URL)
  Stop: Ctrl-C. Another port: npm start -- --port 9000. Your own config: .dev.vars + npm run dev.
`;

// Wrangler's debug log would keep outbound URLs (the Chat REST one carries the admin sig) on disk:
// it goes to a private directory, removed when wrangler exits (scripts/wrangler-log.mjs).
const wranglerLog = privateWranglerLog();

const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  [
    "dev",
    "--ip",
    HOST,
    ...(args.includes("--port") || args.some((a) => a.startsWith("--port=")) ? [] : ["--port", String(port)]),
    "--env-file",
    envFile,
    ...(args.includes("--persist-to") ? [] : ["--persist-to", join(root, ".wrangler/demo-state")]),
    "--show-interactive-dev-session=false",
    ...args,
  ],
  {
    cwd: root,
    stdio: ["inherit", "pipe", "pipe"],
    env: {
      ...process.env,
      // Offline: no metrics, no error reports, no cf.json fetch, no update banner.
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      ...wranglerLog.env,
      // Keep wrangler's colours although its output goes through the filter below.
      ...(process.stdout.isTTY && process.env.NO_COLOR === undefined ? { FORCE_COLOR: "1" } : {}),
    },
  },
);

let readyShown = false;
let skipNextCustomBuild = false;
forward(wrangler.stdout, process.stdout, (line) => {
  if (/Your types might be out of date/.test(line)) return false;
  if (!readyShown && /The file .* changed, restarting build\.\.\./.test(line)) {
    skipNextCustomBuild = true;
    return false;
  }
  if (skipNextCustomBuild && /\[custom build\] Running:/.test(line)) {
    skipNextCustomBuild = false;
    return false;
  }
  if (!readyShown && /Ready on http/.test(line)) {
    readyShown = true;
    process.stdout.write(`${line}\n${banner}`);
    return false;
  }
  return true;
});
forward(wrangler.stderr, process.stderr, () => true);

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => {
  wranglerLog.remove();
  process.exit(code ?? (signal ? 1 : 0));
});

/** Copies lines from a child's stream, dropping those `keep` refuses. */
function forward(from, to, keep) {
  const lines = createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (keep(line)) to.write(`${line}\n`);
  });
}

/**
 * Takes every `--cors-origin URL` / `--cors-origin=URL` out of the arguments (wrangler does not know
 * it). `corsOrigins` is undefined when one is not an http(s) origin.
 */
function corsOriginOptions(argv) {
  const corsOrigins = [];
  const rest = [];
  let bad = false;
  for (let i = 0; i < argv.length; i++) {
    let value;
    if (argv[i] === "--cors-origin") value = argv[++i] ?? "";
    else if (argv[i].startsWith("--cors-origin=")) value = argv[i].slice("--cors-origin=".length);
    else {
      rest.push(argv[i]);
      continue;
    }
    let url;
    try {
      url = new URL(value);
    } catch {
      bad = true;
      continue;
    }
    if (!/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, "")) bad = true;
    else corsOrigins.push(url.origin);
  }
  return { corsOrigins: bad ? undefined : corsOrigins, rest };
}

/** `--port N` or `--port=N` (the last one wins, as in wrangler); the default without; undefined if malformed. */
function portOption(argv) {
  let value = String(DEFAULT_PORT);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--port") value = argv[i + 1] ?? "";
    else if (argv[i].startsWith("--port=")) value = argv[i].slice("--port=".length);
  }
  const n = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  return n >= 1 && n <= 65535 ? n : undefined;
}

function portIsFree(p) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(p, HOST, () => server.close(() => resolve(true)));
  });
}
