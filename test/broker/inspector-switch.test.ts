// The inspector page's favicon, and `"inspector": false` in BROKER_CONFIG turning the page off for
// backend-only deployments (every page route answers 404, the API keeps working), in workerd. The
// page's files are static assets (build/assets/, binding ASSETS, wrangler.toml [assets] with
// run_worker_first): none may be reachable at its own path. These call the Worker's fetch; that
// the asset router in front of it sends every path to it is checked through wrangler dev, in
// test/e2e/inspector.e2e.mjs (vitest-pool-workers' SELF does not pass through that router).
import { describe, expect, it } from "vitest";
import { brokerConfig, brokerSecrets, guestApp } from "../support/config.js";
import { brokerClient } from "../support/requests.js";
import { type Json, problem } from "./helpers.js";

const APP = 1400000000;
const env = brokerSecrets([APP]);
const on = brokerConfig(guestApp(APP));
const off = brokerConfig(guestApp(APP), { inspector: false });
/** The broker on this BROKER_CONFIG (an object, or a string as is). */
const site = (config: Json | string) => brokerClient(config, env);
const PAGE_ROUTES = ["/", "/inspector.js", "/inspector.css", "/favicon.svg"];
/** Paths of the built files in build/assets/ (and what an asset server would map to them). */
const ASSET_PATHS = [
  "/index.html",
  "/inspector.html",
  "/inspector",
  "/inspector/",
  "/inspector/index.html",
  "/inspector/index",
  "/inspector/inspector.js",
  "/inspector/inspector.css",
  "/inspector/favicon.svg",
];

describe("the inspector switch", () => {
  it("serves the page, its assets and a favicon by default and with inspector: true", async () => {
    for (const config of [on, brokerConfig(guestApp(APP), { inspector: true })]) {
      for (const path of PAGE_ROUTES) {
        const response = await site(config).get(path);
        expect(response.status, path).toBe(200);
        await response.arrayBuffer();
      }
    }
    const icon = await site(on).get("/favicon.svg");
    expect(icon.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(icon.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const etag = icon.headers.get("ETag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(await icon.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const again = await site(on).get("/favicon.svg", { "If-None-Match": etag ?? "" });
    expect(again.status).toBe(304);
    expect(again.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(await again.text()).toBe("");
    const page = await (await site(on).get("/")).text();
    expect(page).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml" />');
  });

  it("with inspector: false, every page route is a 404 problem and the API still answers", async () => {
    for (const path of PAGE_ROUTES) {
      await problem(await site(off).get(path), 404, "NOT_FOUND");
    }
    const issued = await site(off).postJson("/v1/usersig");
    expect(issued.status).toBe(200);
    expect(((await issued.json()) as { userSig?: string }).userSig).toMatch(/^eJ/);
  });

  it("a config that cannot be read leaves the page on (the decoder helps most then)", async () => {
    const response = await site("{not json").get("/");
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });

  it("inspector must be a boolean", async () => {
    const response = await site({ inspector: "no", ...on }).postJson("/v1/usersig");
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/^BROKER_CONFIG\.inspector: /);
  });

  it("the page's ETag validates it: 304 with its headers on a match, the whole page on another tag", async () => {
    const first = await site(on).get("/");
    const etag = first.headers.get("ETag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const html = await first.text();
    const again = await site(on).get("/", { "If-None-Match": `"other", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(again.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    expect(again.headers.get("Cache-Control")).toBe("no-cache");
    expect(await again.text()).toBe("");
    const stale = await site(on).get("/", { "If-None-Match": '"other"' });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(html);
    // Switched off, a cached tag gets the 404 too, not a 304 that would keep the page alive.
    await problem(await site(off).get("/", { "If-None-Match": etag ?? "" }), 404, "NOT_FOUND");
  });

  it("the built files are not routes: their own paths answer 404, with the page on or off", async () => {
    for (const config of [on, off]) {
      for (const path of ASSET_PATHS) {
        await problem(await site(config).get(path), 404, "NOT_FOUND");
      }
    }
  });

  it("a build without the page's files is a 500 problem, never a partial page", async () => {
    const missing = { fetch: async () => new Response("Not Found", { status: 404 }) };
    for (const path of PAGE_ROUTES) {
      await problem(await site(on).withEnv({ ASSETS: missing }).get(path), 500, "INTERNAL");
    }
  });
});
