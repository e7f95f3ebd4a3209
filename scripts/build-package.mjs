#!/usr/bin/env node
// Builds what the published package ships (npm's `prepack` runs this before `npm pack` and
// `npm publish`): compiled ES modules and type declarations for every export, and the CLI.
//   dist/usersig.js            usersig-broker/usersig      the signing core (pure Web APIs; Node 20+, browsers, Workers)
//   dist/client.js             usersig-broker/client       } scripts/build-client.mjs
//   dist/client/{chat,trtc}.js usersig-broker/client/...   }
//   dist/cli.mjs               the `usersig-broker` bin    scripts/build-cli.mjs
//   dist/types/**.d.ts         tsc -p tsconfig.build.json
// The Worker (src/http, src/auth, …) is not in the package: it is deployed from a checkout with
// wrangler, and its libraries (hono, jose, zod) are devDependencies for that reason.
import { spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await buildPackage();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
