// The allowed dependencies between the parts of src/, as docs/architecture.md states them: every
// import of every file (type-only ones included) is checked against that file's table, so the
// document and the code cannot drift apart. Runs under plain Node (reads files).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const doc = readFileSync(join(root, "docs/architecture.md"), "utf8");

interface Part {
  name: string;
  where: string[];
  parts: Set<string>;
  packages: string[];
}

/** The "Allowed dependencies" table: part | where | may import. */
function readTable(): Part[] {
  const section = doc.split(/^## /m).find((s) => s.startsWith("Allowed dependencies"));
  if (!section) throw new Error("docs/architecture.md has no 'Allowed dependencies' section");
  const rows = section
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|\s*-/.test(line))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .filter(([name]) => name !== "part");
  return rows.map(([name = "", where = "", mayImport = ""]) => {
    const items = mayImport === "nothing" ? [] : mayImport.split(",").map((s) => s.trim());
    return {
      name,
      where: [...where.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
      parts: new Set(items.filter((i) => !i.startsWith("`"))),
      packages: items.filter((i) => i.startsWith("`")).map((i) => i.slice(1, -1)),
    };
  });
}

const table = readTable();

function partOf(path: string): Part | undefined {
  let best: Part | undefined;
  let bestLength = -1;
  for (const part of table) {
    for (const where of part.where) {
      if ((path === where || path.startsWith(where)) && where.length > bestLength) {
        best = part;
        bestLength = where.length;
      }
    }
  }
  return best;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function importsOf(text: string): string[] {
  const specifiers = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms))
    specifiers.add(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) specifiers.add(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specifiers.add(m[1] as string);
  return [...specifiers];
}

/** A relative specifier as a repository path (`.js` written for a `.ts` file). */
function resolve(from: string, specifier: string): string {
  return relative(root, normalize(join(root, dirname(from), specifier))).replace(/\.js$/, ".ts");
}

function packageAllowed(part: Part, specifier: string): boolean {
  return part.packages.some((pkg) =>
    pkg.endsWith(":*") ? specifier.startsWith(pkg.slice(0, -1)) : specifier === pkg || specifier.startsWith(`${pkg}/`),
  );
}

/** Every import of `file` (its text) that the table does not allow, as "file: specifier (part -> part)". */
function violationsOf(file: string, text: string): string[] {
  const part = partOf(file);
  if (!part) return [`${file}: belongs to no part of the table`];
  const found: string[] = [];
  for (const specifier of importsOf(text)) {
    if (!specifier.startsWith(".")) {
      if (!packageAllowed(part, specifier)) found.push(`${file}: ${specifier} (package not allowed in ${part.name})`);
      continue;
    }
    const target = partOf(resolve(file, specifier));
    if (!target) found.push(`${file}: ${specifier} (outside every part)`);
    else if (target !== part && !part.parts.has(target.name)) {
      found.push(`${file}: ${specifier} (${part.name} -> ${target.name})`);
    }
  }
  return found;
}

function violations(files: string[]): string[] {
  return files.flatMap((file) => violationsOf(file, readFileSync(join(root, file), "utf8")));
}

/** The parts that make up src/http/ (the app, its helpers, schemas and routes). */
function isWebPart(part: Part): boolean {
  return part.where.length > 0 && part.where.every((where) => where.startsWith("src/http/"));
}

const files = sourceFiles("src");

describe("architecture (docs/architecture.md)", () => {
  it("the table names every part it allows, and covers every file in src/", () => {
    const names = new Set(table.map((p) => p.name));
    expect(names.size).toBeGreaterThanOrEqual(10);
    for (const part of table)
      for (const allowed of part.parts) expect(names, `${part.name}: ${allowed}`).toContain(allowed);
    expect(files.filter((f) => partOf(f) === undefined)).toEqual([]);
  });

  it("every import in src/ is allowed by the table", () => {
    expect(violations(files)).toEqual([]);
  });

  it("the rules that never bend are in the table", () => {
    const part = (name: string) => table.find((p) => p.name === name) as Part;
    const web = new Set(table.filter(isWebPart).map((p) => p.name));
    expect([...web].sort()).toEqual(["helpers", "http", "routes", "schemas"]);
    // Only src/http (and the entry) may import hono or src/http.
    for (const p of table) {
      if (web.has(p.name)) continue;
      expect(p.packages, p.name).not.toContain("hono");
      if (p.name !== "entry")
        expect(
          [...p.parts].filter((name) => web.has(name)),
          p.name,
        ).toEqual([]);
    }
    // A route imports only the service layer, the HTTP helpers, the schemas and hono; no helper
    // or schema imports a route or the app; the service layer nothing of the web layer.
    expect([...part("routes").parts].sort()).toEqual(["helpers", "schemas", "services"]);
    expect(part("routes").packages).toEqual(["hono"]);
    for (const name of ["helpers", "schemas"]) {
      expect(
        [...part(name).parts].filter((p) => p === "routes" || p === "http"),
        name,
      ).toEqual([]);
    }
    expect(part("services").packages).toEqual([]);
    // Only the Durable Object imports cloudflare:workers.
    for (const p of table) {
      if (p.name !== "objects")
        expect(
          p.packages.filter((pkg) => pkg.startsWith("cloudflare:")),
          p.name,
        ).toEqual([]);
    }
    expect(part("objects").packages).toEqual(["cloudflare:workers"]);
    // Every route file is in the routes part, and the helpers the table names exist.
    for (const file of files.filter((f) => f.startsWith("src/http/routes/"))) expect(partOf(file)?.name).toBe("routes");
    for (const where of [...part("helpers").where, ...part("schemas").where]) expect(files, where).toContain(where);
    // The core imports nothing outside itself; the client nothing of the server.
    expect(part("core").parts.size + part("core").packages.length).toBe(0);
    expect([...part("client").parts].filter((name) => name !== "core")).toEqual([]);
    expect(part("client").packages).toEqual([]);
  });

  it("catches a route that imports a rule's part instead of the service layer", () => {
    const route = "src/http/routes/chat.ts";
    expect(violationsOf(route, 'import { authorizeChatCommand } from "../../tencent/gateway.js";')).toEqual([
      `${route}: ../../tencent/gateway.js (routes -> tencent)`,
    ]);
    expect(violationsOf(route, 'import type { AdminSet } from "../../admins/set.js";')).toHaveLength(1);
    expect(violationsOf(route, 'import { createApp } from "../app.js";')).toEqual([
      `${route}: ../app.js (routes -> http)`,
    ]);
    expect(violationsOf(route, 'import { z } from "zod";')).toHaveLength(1);
    expect(
      violationsOf(
        route,
        'import { Hono } from "hono";\nimport type { LoadedApp } from "../../services/broker.js";\nimport { readJson } from "../body.js";\nimport { banRequest } from "../schemas.js";',
      ),
    ).toEqual([]);
    expect(violationsOf("src/services/broker.ts", 'import type { BrokerContext } from "../http/context.js";')).toEqual([
      "src/services/broker.ts: ../http/context.js (services -> helpers)",
    ]);
  });

  it("catches a forbidden import (the check can fail)", () => {
    const auth = table.find((p) => p.name === "auth") as Part;
    expect(packageAllowed(auth, "hono")).toBe(false);
    expect(partOf("src/http/app.ts")?.name).toBe("http");
    expect(importsOf('import type { X } from "../http/context.js";\nexport { y } from "./y.js";')).toEqual([
      "../http/context.js",
      "./y.js",
    ]);
    const target = partOf(resolve("src/auth/idp.ts", "../http/context.js"));
    expect(target?.name).toBe("helpers");
    expect(auth.parts.has("helpers")).toBe(false);
    expect(violationsOf("src/auth/idp.ts", 'import type { BrokerContext } from "../http/context.js";')).toHaveLength(1);
  });
});
