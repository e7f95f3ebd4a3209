#!/usr/bin/env node
// `npm test`: the whole suite, then the plain closing line `N passed, N failed[, N skipped]` that CI
// reads (vitest's own summary is not read).
//
// 1. vitest: every suite inside workerd (Miniflare's KV, real WebCrypto) and the core, CLI, client
//    and docs suites under plain Node.
// 2. The browser tests (test/e2e/*.e2e.mjs: the client library and the inspector page in headless
//    Chromium against the demo broker), when Chromium is installed (`bash scripts/install-chromium.sh`).
//    Without it they are reported as skipped, except under CI=true, where they must run.
//
// Extra arguments go to vitest and skip the browser tests, e.g. `npm test -- test/usersig`.
// `npm test -- --no-e2e` runs vitest only.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { privateWranglerLog } from "./wrangler-log.mjs";

// The inspector page and the OpenAPI document are git-ignored build output in build/assets, which
// the Worker serves through its ASSETS binding (wrangler.toml [assets], read by the vitest pool too):
// build them first, as wrangler's [build] does.
// The validators compiled from the zod schemas (build/validators/, git-ignored too): the Worker and
// the CLI import them.
await (await import("./build-validators.mjs")).buildValidators();
await (await import("./build-router.mjs")).buildRouter(); // build/router/ (git-ignored): the app's prepared router
await (await import("./build-inspector.mjs")).buildInspector();
await (await import("./build-openapi.mjs")).buildOpenApi();

// Wrangler and Miniflare must not reach the internet from tests (see the README).
const offline = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};
// Wrangler's debug log (the vitest pool and the browser tests' broker run wrangler): a private
// directory, removed at the end (scripts/wrangler-log.mjs).
const wranglerLog = privateWranglerLog();
const env = { ...process.env, ...offline, ...wranglerLog.env };

const resultsDir = ".test-results";
mkdirSync(resultsDir, { recursive: true });
const jsonFile = join(resultsDir, "vitest.json");

const args = process.argv.slice(2).filter((a) => a !== "--no-e2e");
const runE2e = args.length === 0 && !process.argv.includes("--no-e2e");
const E2E_SCRIPTS = ["test/e2e/client.e2e.mjs", "test/e2e/inspector.e2e.mjs"];

let passed = 0;
let failed = 0;
let skipped = 0;

const vitest = await run(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonFile}`,
    ...args,
  ],
  false,
);
try {
  const report = JSON.parse(readFileSync(jsonFile, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.numTotalTests === 0) failed += 1;
} catch {
  failed += 1;
}
if (vitest.code !== 0 && failed === 0) failed = 1;

if (runE2e) {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (existsSync(chromium)) {
    for (const script of E2E_SCRIPTS) {
      const result = await run(process.execPath, [script], true);
      // Each script closes with `<name>: N passed, N failed`.
      const match = /(\d+) passed, (\d+) failed\s*$/m.exec(result.output.trimEnd().split("\n").at(-1) ?? "");
      if (match) {
        passed += Number(match[1]);
        failed += Number(match[2]);
      }
      if (!match || (result.code !== 0 && Number(match[2]) === 0)) failed += 1;
    }
  } else if (process.env.CI === "true") {
    console.error(`browser tests: Chromium not found at ${chromium}; CI must run them (scripts/install-chromium.sh)`);
    failed += 1;
  } else {
    console.log(
      `browser tests skipped: no Chromium at ${chromium} (install it with: bash scripts/install-chromium.sh)`,
    );
    skipped += E2E_SCRIPTS.length;
  }
}

wranglerLog.remove();
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);

/** Runs a command with inherited output (tee'd into `output` when asked), resolving on exit. */
function run(command, commandArgs, capture) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit", env });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}
