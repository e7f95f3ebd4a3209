// The operator's documents must stay true: the README's API table lists every route the OpenAPI
// description (src/http/openapi.ts, read as text: the Worker's types do not mix with Node's) has; the deploy section and the example CI workflow only use npm scripts and CLI
// commands that exist, and deploy through `npm run deploy` (which refuses the placeholder KV ids).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const readme = read("README.md");
const workflow = read(".github/workflows/deploy.yml");
const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README API table", () => {
  it("lists every route and method of the OpenAPI description", () => {
    const rows = section("API")
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .map((line) => line.split("|")[1] ?? "");
    const listed = new Set<string>();
    for (const row of rows) {
      for (const [, methods, path] of row.matchAll(/`([A-Z/]+) (\/[^` ]*)`/g)) {
        for (const method of (methods ?? "").split("/")) listed.add(`${method} ${path}`);
      }
    }
    // The document the Worker serves (a static asset), built from the schemas by scripts/build-openapi.mjs (npm test builds it first).
    const doc = JSON.parse(read("build/assets/openapi.json")) as { paths: Record<string, Record<string, unknown>> };
    const documented: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (["get", "post", "put", "delete", "patch"].includes(method))
          documented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(documented.length).toBeGreaterThanOrEqual(10);
    for (const route of [...documented, "GET /openapi.json", "GET /"]) expect([...listed], route).toContain(route);
  });
});

describe("the deploy section and the CI workflow", () => {
  const deploying = section("Deploying");

  it("use only npm scripts that exist", () => {
    for (const text of [deploying, workflow]) {
      const used = [...text.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1] as string);
      expect(used.length).toBeGreaterThan(0);
      for (const script of used) expect(scripts, script).toContain(script);
    }
  });

  it("use only CLI commands that exist", () => {
    const used = [...`${deploying}\n${workflow}`.matchAll(/npx usersig-broker ([a-z-]+)/g)].map((m) => m[1] as string);
    expect(used).toEqual(expect.arrayContaining(["check-config", "smoke"]));
    for (const command of used) expect(Object.keys(COMMANDS), command).toContain(command);
  });

  it("go from KV namespaces and secrets to a custom domain, a smoke test and the audit lines", () => {
    for (const step of [
      "npx wrangler kv namespace create RATE_LIMITS",
      "npx wrangler kv namespace create ADMINS",
      "npx wrangler secret bulk secrets.json",
      "custom_domain = true",
      "npx usersig-broker smoke",
      "npx wrangler tail",
      "Workers Logs",
      "https://deploy.workers.cloudflare.com/button",
      "--dry-run",
    ]) {
      expect(deploying, step).toContain(step);
    }
  });

  it("the secrets go up with the first deploy, so the URL never answers without them", () => {
    const deploys = [...deploying.matchAll(/^npm run deploy\b.*$/gm)].map((m) => m[0]);
    const first = deploys.find((command) => !command.includes("--dry-run"));
    expect(first).toBe("npm run deploy -- --secrets-file secrets.json");
    expect(deploying.indexOf("> secrets.json")).toBeLessThan(deploying.indexOf(first ?? "-"));
    expect(deploying).toContain("**Rotating keys.**");
  });

  it("the quick start says how to reset the demo's local state", () => {
    expect(section("Quick start")).toContain("rm -rf .wrangler/demo-state");
  });

  it("the workflow tests before it deploys, with an API token, through npm run deploy", () => {
    expect(workflow).toMatch(/deploy:\n\s+needs: test/);
    expect(workflow).toContain("- run: npm test");
    expect(workflow).toContain("- run: npm run deploy");
    expect(workflow).not.toMatch(/wrangler deploy\b(?!.*\))/m);
    expect(workflow).toMatch(/CLOUDFLARE_API_TOKEN: \$\{\{ secrets\.CLOUDFLARE_API_TOKEN \}\}/);
  });

  it("npm run dev is plain wrangler dev (with .dev.vars), as the quick start says; npm start stays the demo", () => {
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    // Plain wrangler dev, plus the one variable a local server needs (CF-Connecting-IP is the client's
    // own there); it is a --var so that .dev.vars.example, which the Deploy button reads, never holds it.
    // scripts/dev.mjs runs exactly that, with wrangler's debug log kept off the disk (issue 18).
    expect(pkg.scripts["dev"]).toBe("node scripts/dev.mjs");
    expect(read("scripts/dev.mjs")).toContain(
      '["dev", "--var", "CLIENT_IP_HEADER:untrusted", ...process.argv.slice(2)]',
    );
    expect(pkg.scripts["start"]).toBe("node scripts/start.mjs");
    expect(pkg.scripts["deploy"]).toBe("node scripts/deploy.mjs");
    expect(section("Quick start")).toMatch(/`npm run dev`: plain\s+`wrangler dev`, which reads `\.dev\.vars`/);
  });

  it("the quick start renews a guest with jq -r .guestTicket, not a placeholder", () => {
    const quick = section("Quick start");
    expect(quick).toContain("jq -r .guestTicket");
    expect(quick).not.toContain("<guestTicket");
    expect(quick).toContain("npm start -- --port 9000");
  });
});
