#!/usr/bin/env node
// Bundles the browser client (src/client) into dist/client.js: one ES module with no imports, for
// `import { createUserSigSource } from "usersig-broker/client"` in a bundler or straight from a
// <script type="module">. Run by `npm run build:client`, by npm's `prepare` script (after
// build-cli.mjs) and by `npm run test:e2e`. Refuses to build if anything outside src/client got in:
// the client must never carry hono, the signing core or a Node module to browsers.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const CLIENT_OUTFILE = new URL("dist/client.js", root);

/** Builds dist/client.js; `{ built: false, reason }` when esbuild (a devDependency) is not installed. */
export async function buildClient() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
  const outfile = fileURLToPath(CLIENT_OUTFILE);
  const result = await esbuild.build({
    absWorkingDir: fileURLToPath(root),
    entryPoints: ["src/client/index.ts"],
    outfile,
    bundle: true,
    platform: "browser",
    format: "esm",
    // Chrome/Edge 109+, Firefox 115+, Safari 16.4+ all run ES2022 (class private fields, ??=).
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "error",
    legalComments: "none",
    banner: {
      js: `// usersig-broker/client ${pkg.version}. Built by scripts/build-client.mjs from src/client; do not edit.`,
    },
  });
  const outside = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith("src/client/"));
  if (outside.length > 0) throw new Error(`dist/client.js must bundle only src/client, but got: ${outside.join(", ")}`);
  const output = result.outputFiles.find((file) => file.path === outfile);
  if (!output) throw new Error("esbuild produced no dist/client.js");
  if (/^\s*import\b|\brequire\(/m.test(output.text)) throw new Error("dist/client.js must not import anything");
  await writeAtomic(outfile, output.contents);
  return { built: true, bytes: output.contents.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildClient();
  if (!result.built) {
    // Same rule as build-cli.mjs: `npm ci --omit=dev` runs `prepare` without esbuild and must still
    // succeed; building or packing on purpose without esbuild must fail.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-client: ${result.reason}; dist/client.js was not built`);
    process.exit(installing ? 0 : 1);
  }
}
