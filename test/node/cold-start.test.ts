// What keeps the Worker's upload small and its cold start cheap (BENCHMARKS.md, Cold start), checked
// on the sources so that a change cannot undo it unnoticed: `import { z } from "zod"` anywhere in the
// Worker brings back every zod locale and the JSON Schema converter (about 300 KiB minified), and the
// OpenAPI generator and the response shapes are for the build only. Runs under plain Node (reads files).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
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
  let meta:
    | {
        inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
        outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
      }
    | undefined;
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

  // The validators compiled at build time (build/validators/) report zod's issues themselves and
  // take their words from zod's English locale module (zod/v4/locales/en.js), imported alone: it
  // must be in the upload (a bundler that dropped it would leave every 400 and CONFIG_ERROR without
  // its words), with the one zod helper module it uses, and nothing else of zod. The real build is
  // wrangler's, so this builds the upload exactly as deploy does.
  it("keeps zod's English messages (the locale module, which the compiled validators word issues with)", () => {
    const script = upload();
    for (const words of [
      "Unrecognized key",
      "Invalid input: expected ",
      "Too big: expected ",
      "Invalid option: expected one of",
    ]) {
      expect(script, words).toContain(words);
    }
  }, 150_000);

  // zod itself (its parser, zod/mini, the schemas) is for the CLI, the build and the tests: the
  // Worker judges with the compiled validators and carries only zod's English words.
  it("carries no zod but its English locale and the helpers that locale imports", () => {
    upload();
    const inputs = meta?.inputs ?? {};
    expect(Object.keys(inputs)).toContain("src/index.ts");
    expect(Object.keys(inputs)).toContain("build/validators/index.js");
    // what is left in the script (a module only resolved, such as zod/v4/core/core.js, leaves 0 bytes)
    const zod = Object.values(meta?.outputs ?? {}).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([path, input]) => path.includes("node_modules/zod/") && input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    expect(zod.sort()).toEqual(["node_modules/zod/v4/core/util.js", "node_modules/zod/v4/locales/en.js"]);
    // no module of the Worker's own is loaded lazily any more (the error path was zod's)
    const lazy = Object.values(inputs).flatMap((input) =>
      input.imports.filter((edge) => edge.kind === "dynamic-import"),
    );
    expect(lazy).toEqual([]);
    for (const path of ["src/http/schemas.ts", "src/config/schema.ts", "src/config/explain.ts", "src/config/zod.ts"]) {
      expect(Object.keys(inputs), path).not.toContain(path);
    }
  }, 150_000);

  // The app's router is prepared at build time (build/router/, src/http/router.ts): the upload holds
  // Hono's PreparedRegExpRouter, RegExpRouter's `match` and the build's parameters, and none of the
  // routers that `new Hono()` anywhere in the Worker (a sub-app too) would bring back: SmartRouter,
  // TrieRouter and RegExpRouter's matcher builder, which a cold isolate would run on its first request.
  it("carries Hono's prepared router and none of its default routers", () => {
    upload();
    expect(Object.keys(meta?.inputs ?? {})).toContain("build/router/index.js");
    const routers = Object.values(meta?.outputs ?? {}).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([path, input]) => path.includes("node_modules/hono/dist/router/") && input.bytesInOutput > 0)
        .map(([path]) => path),
    );
    expect(routers.sort()).toEqual([
      "node_modules/hono/dist/router/reg-exp-router/matcher.js",
      "node_modules/hono/dist/router/reg-exp-router/prepared-router.js",
    ]);
  }, 150_000);

  // V8 checks every regular expression literal's syntax as it parses the script, used or not, and a
  // Unicode property escape (\p{…}) costs it an ICU lookup there: about 2.6M instructions for the
  // identity rule's three, in every cold isolate (BENCHMARKS.md, run S-13). They are made with
  // `new RegExp` on first use (src/admins/set.ts); a lint fix or a bundler that made them literals
  // again would bring the cost back. The script is tokenized, so a `\p{` in a string is not counted.
  it("carries no regular expression literal with a Unicode property escape", () => {
    const script = upload();
    const literals: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isRegularExpressionLiteral(node)) literals.push(node.text);
      node.forEachChild(visit);
    };
    visit(ts.createSourceFile("index.js", script, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS));
    expect(literals.length, "the parse found the upload's other regular expressions").toBeGreaterThan(10);
    expect(literals.filter((literal) => /\\[pP]\{/.test(literal))).toEqual([]);
    expect(script).toContain("Default_Ignorable_Code_Point");
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
