// build/router/index.js, the parameters of the Worker's prepared router (src/http/router.ts), is
// what scripts/build-router.mjs makes from the app's routes now: a stale build fails here, as
// test/node/validators.test.ts does for the validators. Runs under plain Node (reads the file).
// What the prepared router does: test/unit/router.test.ts, test/broker/router.test.ts.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildRouter, ROUTER_OUTFILE } from "../../scripts/build-router.mjs";

describe("build/router/ (scripts/build-router.mjs)", () => {
  it("build/router/index.js is what scripts/build-router.mjs makes from the app's routes now", async () => {
    const result = await buildRouter({ write: false });
    if (!result.built) throw new Error(result.reason);
    // the app's paths, each once, in the order it registers them
    expect(result.paths.slice(0, 3)).toEqual(["/*", "/openapi.json", "/"]);
    expect(result.paths).toEqual(
      expect.arrayContaining(["/healthz", "/v1/*", "/v1/usersig", "/v1/chat/:service/:command"]),
    );
    expect(new Set(result.paths).size).toBe(result.paths.length);
    expect(readFileSync(ROUTER_OUTFILE, "utf8"), "stale: run node scripts/build-router.mjs").toBe(result.text);
  });

  // The Worker does not start without it (src/http/router.ts imports it): it is built wherever the
  // validators it needs are, after them.
  it("is built wherever build/validators/ is, after it: wrangler's [build], npm's prepare, npm test, the bench", () => {
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
    const places = {
      "wrangler.toml [build]": /^command\s*=\s*"([^"]*)"/m.exec(read("wrangler.toml"))?.[1] ?? "",
      "package.json prepare": JSON.parse(read("package.json")).scripts.prepare as string,
      "scripts/test.mjs": read("scripts/test.mjs"),
      "scripts/bench/serve.mjs": read("scripts/bench/serve.mjs"),
    };
    for (const [place, text] of Object.entries(places)) {
      const validators = text.indexOf("build-validators.mjs");
      expect(validators, place).toBeGreaterThanOrEqual(0);
      expect(text.indexOf("build-router.mjs", validators), place).toBeGreaterThan(validators);
    }
  });
});
