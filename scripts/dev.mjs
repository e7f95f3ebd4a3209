#!/usr/bin/env node
// `npm run dev`: plain `wrangler dev` on your own configuration (.dev.vars), with CF-Connecting-IP
// untrusted (docs/rate-limits.md) and wrangler's debug log in a private directory removed when it
// exits (scripts/wrangler-log.mjs: the log would keep the Chat REST URL with the admin sig).
// Options go to wrangler: `npm run dev -- --port 9000`.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { privateWranglerLog } from "./wrangler-log.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wranglerLog = privateWranglerLog();
const wrangler = spawn(
  join(root, "node_modules/.bin/wrangler"),
  ["dev", "--var", "CLIENT_IP_HEADER:untrusted", ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: { ...process.env, ...wranglerLog.env } },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => {
  wranglerLog.remove();
  process.exit(code ?? (signal ? 1 : 0));
});
