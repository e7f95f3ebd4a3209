// The signing core must stay pure: only Web standards, so it runs in Workers, browsers, Deno, Bun
// and Node alike. This reads its sources and fails on any import that is not another core module.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dir = new URL("../../src/usersig/", import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

describe("src/usersig is pure", () => {
  it("has sources to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    it(`${file} imports only sibling core modules`, () => {
      const source = readFileSync(new URL(file, dir), "utf8");
      const specifiers = [
        ...source.matchAll(/(?:import|export)\s(?:[^;]*?from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1] ?? m[2]);
      for (const specifier of specifiers) expect(specifier, file).toMatch(/^\.\/[a-z0-9-]+\.js$/);
      expect(source).not.toMatch(/\b(process|Buffer|require)\s*[.(]/);
    });
  }
});
