#!/usr/bin/env node
// Builds what the published package ships (npm's `prepack` runs this before `npm pack` and
// `npm publish`): compiled ES modules and type declarations for every export, and the CLI.
//   dist/usersig.js            usersig-broker/usersig      the signing core (pure Web APIs; Node 20+, browsers, Workers)
//   dist/client.js             usersig-broker/client       } scripts/build-client.mjs
//   dist/client/{chat,trtc}.js usersig-broker/client/...   }
//   dist/cli.mjs               the `usersig-broker` bin    scripts/build-cli.mjs
//   dist/types/**.d.ts         tsc -p tsconfig.build.json
// Under `npm pack` / `npm publish` (prepack) it then swaps in the package.json the tarball ships
// (packedManifest: no scripts, no devDependencies); postpack (`--restore-manifest`) puts the
// checkout's back.
// The Worker (src/http, src/auth, …) is not in the package: it is deployed from a checkout with
// wrangler, and its libraries (hono, jose, zod) are devDependencies for that reason.
import { spawnSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildCli } from "./build-cli.mjs";
import { buildClient } from "./build-client.mjs";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const CORE_OUTFILE = new URL("dist/usersig.js", root);
const TYPES_DIR = new URL("dist/types/", root);

export async function buildPackage() {
  const esbuild = await import("esbuild").catch(() => {
    throw new Error("build-package: esbuild (a devDependency) is not installed; run npm ci first");
  });
  for (const [name, build] of [
    ["CLI", buildCli],
    ["client", buildClient],
  ]) {
    const result = await build();
    if (!result.built) throw new Error(`build-package: the ${name} was not built: ${result.reason}`);
  }

  const outfile = fileURLToPath(CORE_OUTFILE);
  const core = await esbuild.build({
    absWorkingDir: fileURLToPath(root),
    entryPoints: ["src/usersig/index.ts"],
    outfile,
    bundle: true,
    platform: "neutral",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "error",
    legalComments: "none",
    banner: { js: "// usersig-broker/usersig. Built by scripts/build-package.mjs from src/usersig; do not edit." },
  });
  const outside = Object.keys(core.metafile.inputs).filter((path) => !path.startsWith("src/usersig/"));
  if (outside.length > 0)
    throw new Error(`dist/usersig.js must bundle only src/usersig, but got: ${outside.join(", ")}`);
  const output = core.outputFiles.find((file) => file.path === outfile);
  if (!output) throw new Error("esbuild produced no dist/usersig.js");
  await writeAtomic(outfile, output.contents);

  // Declarations from scratch, so a deleted source leaves no stale .d.ts behind.
  await rm(TYPES_DIR, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: fileURLToPath(root),
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`build-package: tsc failed:\n${result.stdout}${result.stderr}`);
}

const MANIFEST = new URL("package.json", root);
/** The checkout's package.json while `npm pack` runs with the packed one (restored by postpack). */
const MANIFEST_BACKUP = new URL("dist/package.json.checkout", root);

/**
 * The package.json the tarball ships: no scripts (a consumer's npm would list `prepare` as an
 * install script to approve, and it needs scripts/, which is not shipped), no devDependencies (the
 * Worker's and the tests' libraries), and no `sideEffects` path into src/ (not shipped: the bundles
 * have no side effects).
 */
export function packedManifest(manifest) {
  const { scripts: _scripts, devDependencies: _dev, sideEffects: _sideEffects, ...packed } = manifest;
  return { ...packed, sideEffects: false };
}

/** prepack: writes the packed package.json over the checkout's, which is kept in dist/ until postpack. */
async function writePackedManifest() {
  await restoreManifest(); // a pack that failed before its postpack left the packed one in place
  const text = await readFile(MANIFEST, "utf8");
  await writeAtomic(fileURLToPath(MANIFEST_BACKUP), text);
  await writeAtomic(fileURLToPath(MANIFEST), `${JSON.stringify(packedManifest(JSON.parse(text)), null, 2)}\n`);
}

/** postpack (and the start of every prepack): puts the checkout's package.json back. */
export async function restoreManifest() {
  const saved = await readFile(MANIFEST_BACKUP, "utf8").catch(() => undefined);
  if (saved === undefined) return;
  await writeAtomic(fileURLToPath(MANIFEST), saved);
  await rm(MANIFEST_BACKUP, { force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (process.argv.includes("--restore-manifest")) await restoreManifest();
    else {
      await buildPackage();
      if (process.env.npm_lifecycle_event === "prepack") await writePackedManifest();
    }
  } catch (error) {
    await restoreManifest().catch(() => {});
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
