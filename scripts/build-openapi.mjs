#!/usr/bin/env node
// Builds GET /openapi.json into build/assets/openapi.json, from the same zod schemas the routes
// validate with (src/http/openapi-document.ts). Generating it here rather than in the Worker keeps
// zod's JSON Schema converter and the document's construction out of every cold isolate, and
// putting it in the static assets (wrangler.toml [assets]) keeps the document itself out of the
// script: the Worker's route reads it through env.ASSETS (src/http/openapi.ts). Written compact,
// as it is served.
//
// Run by wrangler's [build] command (`wrangler dev`, so `npm start`, and `wrangler deploy`), by
// npm's `prepare`, by `npm test` before vitest, and by hand: `node scripts/build-openapi.mjs`. The
// output is git-ignored; it is rewritten only when it changes. test/broker/http.test.ts checks that
// the served document is the one the schemas produce now (a stale build fails it).
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { importBundled } from "./lib/import-bundled.mjs";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const OPENAPI_OUTFILE = new URL("build/assets/openapi.json", root);

/** Builds the document; `{ built: false, reason }` when esbuild (a devDependency) is not installed. */
export async function buildOpenApi() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  // The generator is TypeScript: bundle it for Node in memory and import it from a data: URL.
  const module = await importBundled(esbuild, {
    entryPoints: [fileURLToPath(new URL("src/http/openapi-document.ts", root))],
  });
  const text = JSON.stringify(module.buildOpenApiDocument());
  const outfile = fileURLToPath(OPENAPI_OUTFILE);
  const previous = await readFile(outfile, "utf8").catch(() => undefined);
  if (previous === text) return { built: true, changed: false };
  await writeAtomic(outfile, text);
  return { built: true, changed: true };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildOpenApi();
  if (!result.built) {
    // As build-inspector.mjs: `npm ci --omit=dev` must still install; anything else must stop here.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-openapi: ${result.reason}; build/assets/openapi.json was not built`);
    process.exit(installing ? 0 : 1);
  }
}
