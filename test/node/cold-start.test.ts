// What keeps the Worker's upload small and its cold start cheap (BENCHMARKS.md, Cold start), checked
// on the sources so that a change cannot undo it unnoticed: `import { z } from "zod"` anywhere in the
// Worker brings back every zod locale and the JSON Schema converter (about 300 KiB minified), and the
// OpenAPI generator and the response shapes are for the build only. Runs under plain Node (reads files).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);

/** src/ files that go into the Worker: not the CLI, the browser client or the inspector page's own code. */
function workerSources(dir = "src"): string[] {
  return readdirSync(new URL(`${dir}/`, root), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      return ["src/cli", "src/client", "src/inspector/page"].includes(path) ? [] : workerSources(path);
    }
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** [specifier, type-only] for every import and re-export of a file. */
function importsOf(source: string): [string, boolean][] {
  return [
    ...source.matchAll(/^\s*(import|export)(\s+type)?\b[^;]*?\bfrom\s*["']([^"']+)["']/gms),
    ...source.matchAll(/^\s*(import)()\s*["']([^"']+)["']/gm),
  ].map((m) => [m[3] as string, m[2] !== undefined && m[2] !== ""]);
}

const files = workerSources();
const imports = new Map(files.map((file) => [file, importsOf(readFileSync(new URL(file, root), "utf8"))]));

describe("cold start: what the Worker imports", () => {
  it("has the Worker's sources to check", () => {
    expect(files).toContain("src/index.ts");
    expect(files).toContain("src/http/schemas.ts");
    expect(files.length).toBeGreaterThan(20);
  });

  it("zod only as zod/mini (and its English messages), never the whole of zod", () => {
    const found: string[] = [];
    for (const [file, list] of imports) {
      for (const [specifier] of list) {
        if (
          (specifier === "zod" || specifier.startsWith("zod/")) &&
          !["zod/mini", "zod/v4/locales/en.js"].includes(specifier)
        )
          found.push(`${file}: ${specifier}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("the OpenAPI generator and the response shapes are imported by the build, not by the Worker", () => {
    const found: string[] = [];
    for (const [file, list] of imports) {
      for (const [specifier, typeOnly] of list) {
        if (/(^|\/)openapi-document\.js$/.test(specifier)) found.push(`${file}: ${specifier}`);
        if (/(^|\/)responses\.js$/.test(specifier) && !typeOnly && file !== "src/http/openapi-document.ts")
          found.push(`${file}: ${specifier} (only \`import type\` outside the build)`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe("cold start: what wrangler uploads", () => {
  /** The script `wrangler deploy` would upload (its own build, [build] step included), built once. */
  let uploaded: string | undefined;
  /** esbuild's metafile of that build: every input and its imports. */
  let meta: { inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }> } | undefined;
  function upload(): string {
    if (uploaded !== undefined) return uploaded;
    const outdir = mkdtempSync(join(tmpdir(), "usersig-upload-"));
    try {
      execFileSync(
        fileURLToPath(new URL("node_modules/.bin/wrangler", root)),
        ["deploy", "--dry-run", "--outdir", join(outdir, "dist"), "--metafile", join(outdir, "meta.json")],
        {
          cwd: fileURLToPath(root),
          stdio: "pipe",
          timeout: 120_000,
          env: {
            ...process.env,
            WRANGLER_SEND_METRICS: "false",
            WRANGLER_SEND_ERROR_REPORTS: "false",
            WRANGLER_HIDE_BANNER: "true",
            CLOUDFLARE_CF_FETCH_ENABLED: "false",
          },
        },
      );
      uploaded = readFileSync(join(outdir, "dist/index.js"), "utf8");
      meta = JSON.parse(readFileSync(join(outdir, "meta.json"), "utf8"));
      return uploaded;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  // zod/mini's English messages are set by a module-level call in src/config/zod.ts. A bundler that
  // takes a package's `"sideEffects": false` at its word drops that call (nothing imports a value
  // from the module itself), and every config and body error reads "Invalid input" without naming
  // the unknown key. The real build is wrangler's, so this builds the upload exactly as deploy does.
  it("keeps zod's English messages (src/config/zod.ts is a module with side effects)", () => {
    expect(upload()).toContain("Unrecognized key");
  }, 150_000);

  // A valid configuration and a valid body are judged by the validators compiled at build time
  // (build/validators/); zod is reached only through a dynamic import (config/check.ts and
  // http/body.ts, to word an error), which esbuild turns into a lazy initialiser: nothing imported
  // statically from the entry point may be zod, or a cold isolate evaluates it again.
  it("reaches zod only through a dynamic import (evaluated on the first error, not at start-up)", () => {
    upload();
    const inputs = meta?.inputs ?? {};
    const entry = "src/index.ts";
    expect(Object.keys(inputs)).toContain(entry);
    const seen = new Set([entry]);
    const queue = [entry];
    const lazy: string[] = [];
    while (queue.length > 0) {
      for (const edge of inputs[queue.shift() as string]?.imports ?? []) {
        if (edge.external) continue;
        if (edge.kind === "dynamic-import") lazy.push(edge.path);
        else if (!seen.has(edge.path)) {
          seen.add(edge.path);
          queue.push(edge.path);
        }
      }
    }
    expect([...seen].filter((path) => path.includes("node_modules/zod/"))).toEqual([]);
    expect([...seen]).toContain("build/validators/index.js");
    expect(lazy.sort()).toEqual(["src/config/explain.ts", "src/http/schemas.ts"]);
    // zod is in the upload, for the error path.
    expect(Object.keys(inputs).some((path) => path.includes("node_modules/zod/"))).toBe(true);
  }, 150_000);

  // The inspector page and /openapi.json are static assets (wrangler.toml [assets], build/assets/),
  // uploaded beside the script: an import of them from the Worker would put them back in it.
  it("carries neither the inspector page nor the OpenAPI document (they are static assets)", () => {
    const markers = [
      ["build/assets/inspector/index.html", "<h1>UserSig inspector</h1>"],
      ["build/assets/openapi.json", "Errors are RFC 9457 problem details with a stable"],
    ] as const;
    const script = upload();
    for (const [file, marker] of markers) {
      expect(readFileSync(new URL(file, root), "utf8"), file).toContain(marker);
      expect(script.includes(marker), `${file} is in the script`).toBe(false);
    }
  }, 150_000);
});
