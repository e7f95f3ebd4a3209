#!/usr/bin/env node
// `npm test`: runs the whole suite (workerd + plain-Node projects) once with vitest, then prints
// the plain closing line `N passed, N failed` that CI reads (vitest's own summary is not read).
// Extra arguments go to vitest, e.g. `npm test -- test/usersig`.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// Wrangler and Miniflare must not reach the internet from tests (see the README).
const offline = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

const resultsDir = ".test-results";
mkdirSync(resultsDir, { recursive: true });
const jsonFile = join(resultsDir, "vitest.json");

const child = spawn(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", env: { ...process.env, ...offline } },
);

child.on("exit", (code, signal) => {
  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(jsonFile, "utf8"));
    passed = report.numPassedTests;
    failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    if (report.numTotalTests === 0) failed += 1;
  } catch {
    failed += 1;
  }
  if (code !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
