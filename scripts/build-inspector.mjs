#!/usr/bin/env node
// Builds the inspector page (GET / of the Worker) into build/assets/inspector/: index.html,
// inspector.css, favicon.svg and inspector.js, one browser bundle of src/inspector/page/main.ts with
// the real UserSig core (src/usersig) and the doctor (src/doctor). build/assets/ is the Worker's
// static assets directory (wrangler.toml [assets], binding ASSETS): uploaded beside the script, not
// in it, so a cold isolate never parses the page. `run_worker_first = true` sends every request to
// the Worker first; src/http/routes/inspector.ts reads the files through env.ASSETS and adds the
// headers (CSP, nosniff, ETag) and the `"inspector": false` switch, so no file is reachable directly.
//
// Run by wrangler's [build] command (`wrangler dev`, so `npm start`, and `wrangler deploy`), by
// npm's `prepare` (npm install, npm ci), by `npm test` before vitest, and by hand:
// `node scripts/build-inspector.mjs`. The output is git-ignored; it is rewritten only when it
// changes, so watchers are not woken for nothing.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
const pageDir = new URL("src/inspector/page/", root);
/** The page's directory in the static assets; the Worker fetches `/inspector/<file>` from ASSETS. */
export const INSPECTOR_OUTDIR = new URL("build/assets/inspector/", root);

/** Builds the page; `{ built: false, reason }` when esbuild (a devDependency) is not installed. */
export async function buildInspector() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  const common = { bundle: true, write: false, minify: true, logLevel: "error", legalComments: "none" };
  const [script, style] = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [fileURLToPath(new URL("main.ts", pageDir))],
      format: "esm",
      platform: "browser",
      // Browsers with DecompressionStream('deflate') (the core needs it): Chrome 80, Safari 16.4, Firefox 113.
      target: ["es2022", "chrome100", "safari16.4", "firefox113"],
    }),
    esbuild.build({
      ...common,
      entryPoints: [fileURLToPath(new URL("styles.css", pageDir))],
      loader: { ".css": "css" },
      target: ["chrome100", "safari16.4", "firefox113"],
    }),
  ]);
  const js = only(script.outputFiles, "main.ts");
  const css = only(style.outputFiles, "styles.css");
  const html = await readFile(new URL("index.html", pageDir), "utf8");
  const favicon = await readFile(new URL("favicon.svg", pageDir), "utf8");
  if (/<script(?![^>]*\bsrc=)/i.test(html) || /\son[a-z]+=/i.test(html) || /\sstyle=/i.test(html)) {
    throw new Error("index.html must have no inline script, event handler or style attribute (the CSP refuses them)");
  }
  const files = { "index.html": html, "inspector.css": css, "inspector.js": js, "favicon.svg": favicon };
  let changed = false;
  for (const [name, text] of Object.entries(files)) {
    const outfile = fileURLToPath(new URL(name, INSPECTOR_OUTDIR));
    const previous = await readFile(outfile, "utf8").catch(() => undefined);
    if (previous === text) continue;
    await writeAtomic(outfile, text);
    changed = true;
  }
  return { built: true, changed };
}

function only(files, what) {
  if (files?.length !== 1) throw new Error(`esbuild produced ${files?.length ?? 0} files for ${what}`);
  return files[0].text;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildInspector();
  if (!result.built) {
    // `npm ci --omit=dev` runs `prepare` without esbuild: the install still succeeds. Anything else
    // (wrangler's [build], a test run) must stop here rather than serve a missing page.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-inspector: ${result.reason}; build/assets/inspector/ was not built`);
    process.exit(installing ? 0 : 1);
  }
}
