#!/usr/bin/env node
// Bundles the browser client (src/client) into three ES modules with no imports:
//   dist/client.js       usersig-broker/client       createUserSigSource() and its types' runtime
//   dist/client/chat.js  usersig-broker/client/chat  loginChat() for @tencentcloud/chat
//   dist/client/trtc.js  usersig-broker/client/trtc  enterTrtcRoom() / switchTrtcRole() for trtc-sdk-v5
// The adapters are separate entry points, so an app that only needs UserSigs does not download them,
// and they never contain the SDKs (they take the SDK instance). Run by `npm run build:client`, by
// npm's `prepare` script (after build-cli.mjs), by scripts/build-package.mjs and by the e2e tests.
// Refuses to build if anything outside src/client got in: the client must never carry hono, the
// signing core, a Tencent SDK or a Node module to browsers.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const CLIENT_OUTFILE = new URL("dist/client.js", root);
/** Entry point → output, relative to the repository. */
export const CLIENT_ENTRIES = [
  { entry: "src/client/index.ts", outfile: "dist/client.js", name: "usersig-broker/client" },
  { entry: "src/client/chat.ts", outfile: "dist/client/chat.js", name: "usersig-broker/client/chat" },
  { entry: "src/client/trtc.ts", outfile: "dist/client/trtc.js", name: "usersig-broker/client/trtc" },
];

/**
 * Builds the three bundles; `{ built: true, bytes }` (bytes of dist/client.js, and `sizes` per file),
 * or `{ built: false, reason }` when esbuild (a devDependency) is not installed.
 */
export async function buildClient() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  const pkg = JSON.parse(await readFile(new URL("package.json", root), "utf8"));
  const sizes = {};
  for (const { entry, outfile: relative, name } of CLIENT_ENTRIES) {
    const outfile = fileURLToPath(new URL(relative, root));
    const result = await esbuild.build({
      absWorkingDir: fileURLToPath(root),
      entryPoints: [entry],
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
        js: `// ${name} ${pkg.version}. Built by scripts/build-client.mjs from src/client; do not edit.`,
      },
    });
    const outside = Object.keys(result.metafile.inputs).filter((path) => !path.startsWith("src/client/"));
    if (outside.length > 0) throw new Error(`${relative} must bundle only src/client, but got: ${outside.join(", ")}`);
    const output = result.outputFiles.find((file) => file.path === outfile);
    if (!output) throw new Error(`esbuild produced no ${relative}`);
    if (/^\s*import\b|\brequire\(/m.test(output.text)) throw new Error(`${relative} must not import anything`);
    await writeAtomic(outfile, output.contents);
    sizes[relative] = output.contents.length;
  }
  return { built: true, bytes: sizes["dist/client.js"], sizes };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildClient();
  if (!result.built) {
    // Same rule as build-cli.mjs: `npm ci --omit=dev` runs `prepare` without esbuild and must still
    // succeed; building or packing on purpose without esbuild must fail.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-client: ${result.reason}; dist/client*.js were not built`);
    process.exit(installing ? 0 : 1);
  }
}
