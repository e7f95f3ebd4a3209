#!/usr/bin/env node
// `usersig-broker`: runs the bundled CLI, dist/cli.mjs (see scripts/build-cli.mjs and docs/cli.md).
// In a checkout, the bundle is rebuilt first when it is missing or older than its sources, so the
// CLI never runs stale code; a published package ships the bundle and has no build script.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const cli = new URL("dist/cli.mjs", root);
const builder = new URL("scripts/build-cli.mjs", root);

const major = Number(process.versions.node.split(".")[0]);
if (major < 20) {
  process.stderr.write(`usersig-broker: needs Node.js 20 or later (this is ${process.version})\n`);
  process.exit(3);
}

if (existsSync(builder)) {
  const { buildCli, CLI_SOURCES } = await import(builder.href);
  if (!existsSync(cli) || newestMtime(CLI_SOURCES) > statSync(cli).mtimeMs) {
    const result = await buildCli().catch(() => ({
      built: false,
      reason: "the build failed (run `npm run build:cli`)",
    }));
    if (!result.built && existsSync(cli)) {
      process.stderr.write(`usersig-broker: warning: dist/cli.mjs is older than its sources and ${result.reason}\n`);
    }
  }
}
if (!existsSync(cli)) {
  process.stderr.write(
    "usersig-broker: the CLI is not built (dist/cli.mjs is missing): run `npm run build:cli` with the dev dependencies installed\n",
  );
  process.exit(3);
}
await import(cli.href);

function newestMtime(urls) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const url of urls) visit(fileURLToPath(url));
  return newest;
}
