#!/usr/bin/env node
// `npm run types:check`: is worker-configuration.d.ts what `npm run types` would write?
// `wrangler types --check` ignores `--env-file` (wrangler 4.86), so it would compare against types
// built from a developer's own .dev.vars; this regenerates from .dev.vars.example into a scratch file
// beside the real one (relative import paths inside must match) and compares the two.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const scratch = "worker-configuration.check.d.ts";
const result = spawnSync("node_modules/.bin/wrangler", ["types", scratch, "--env-file", ".dev.vars.example"], {
  encoding: "utf8",
  env: {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  },
});
try {
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    process.exit(1);
  }
  // The header names the output file and its hash covers the command: compare what follows.
  const body = (text) => text.slice(text.indexOf("declare namespace Cloudflare"));
  const fresh = body(readFileSync(scratch, "utf8"));
  const committed = body(readFileSync("worker-configuration.d.ts", "utf8"));
  if (fresh !== committed) {
    console.error("worker-configuration.d.ts is out of date: run `npm run types` and commit it.");
    process.exit(1);
  }
  console.log("worker-configuration.d.ts is up to date.");
} finally {
  rmSync(scratch, { force: true });
}
