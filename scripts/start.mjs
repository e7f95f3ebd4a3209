#!/usr/bin/env node
// `npm start`: runs the broker locally on workerd (`wrangler dev`) with the built-in demo
// configuration (demo/config.json + demo/secrets.env) on http://127.0.0.1:8787, offline, with its own
// local KV state in .wrangler/demo-state. Options go to wrangler (`npm start -- --port 9000`,
// `--persist-to DIR` for a fresh KV state).
//
// To run your own configuration instead, put BROKER_CONFIG and the secrets in .dev.vars and use
// `npm run dev` (plain `wrangler dev`).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(join(root, "demo/config.json"), "utf8"));
const secrets = readFileSync(join(root, "demo/secrets.env"), "utf8");

// One env file for wrangler: the config as one single-quoted line (JSON has no single quotes).
mkdirSync(join(root, ".wrangler"), { recursive: true });
const envFile = join(root, ".wrangler/demo.env");
// CLIENT_IP_HEADER=untrusted: locally CF-Connecting-IP is whatever the client sent (docs/rate-limits.md).
writeFileSync(envFile, `${secrets}\nBROKER_CONFIG='${JSON.stringify(config)}'\nCLIENT_IP_HEADER=untrusted\n`);

const args = process.argv.slice(2);
const port = args.includes("--port") ? args[args.indexOf("--port") + 1] : "8787";
console.log(`
  usersig-broker DEMO on http://127.0.0.1:${port}
  ------------------------------------------------------------------------------------------
  app 1400000000 signs with Tencent's PUBLISHED SAMPLE KEY: its UserSigs are NOT valid at Tencent.
  Never deploy this configuration. Guests on; admin identity "administrator" (never issued publicly).
  Demo API key: demo-api-key-not-a-secret   Operator token: demo-operator-token-not-a-secret-0123456789
  Try:  curl -s -X POST http://127.0.0.1:${port}/v1/usersig
`);

const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  [
    "dev",
    "--ip",
    "127.0.0.1",
    ...(args.includes("--port") ? [] : ["--port", port]),
    "--env-file",
    envFile,
    ...(args.includes("--persist-to") ? [] : ["--persist-to", join(root, ".wrangler/demo-state")]),
    "--show-interactive-dev-session=false",
    ...args,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      // Offline: no metrics, no error reports, no cf.json fetch, no update banner.
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
