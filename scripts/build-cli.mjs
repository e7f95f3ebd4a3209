#!/usr/bin/env node
// Bundles the CLI (src/cli, the UserSig core, the doctor and the config schema it imports) into dist/cli.mjs: one ES module for
// Node 20+ with no runtime dependencies. Run by `npm run build:cli` and by npm's `prepare` script
// (npm install, npm ci, npm pack, npm publish); bin/usersig-broker.mjs also calls buildCli() in a
// checkout when dist/cli.mjs is missing or older than its sources.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const CLI_OUTFILE = new URL("dist/cli.mjs", root);
/** What the bundle is built from: newer files than the bundle mean it is stale. */
export const CLI_SOURCES = [
  "src/cli",
  "src/usersig",
  "src/doctor",
  "src/config",
  "src/admins",
  "src/ratelimit",
  "src/shared",
  "scripts/build-cli.mjs",
  "package.json",
].map((path) => new URL(path, root));

/** Builds dist/cli.mjs; `{ built: false, reason }` when esbuild (a devDependency) is not installed. */
export async function buildCli() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
  const outfile = fileURLToPath(CLI_OUTFILE);
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("src/cli/index.ts", root))],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "error",
    define: { __USERSIG_BROKER_VERSION__: JSON.stringify(pkg.version) },
    banner: { js: "// Built by scripts/build-cli.mjs from src/cli and what it imports; do not edit." },
  });
  const output = result.outputFiles.find((file) => file.path === outfile);
  if (!output) throw new Error("esbuild produced no dist/cli.mjs");
  await writeAtomic(outfile, output.contents);
  return { built: true };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildCli();
  if (!result.built) {
    // `npm ci --omit=dev` runs `prepare` without esbuild: the install still succeeds (the bin then
    // says how to build). Packing or publishing without the bundle must fail instead.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-cli: ${result.reason}; dist/cli.mjs was not built`);
    process.exit(installing ? 0 : 1);
  }
}
