// The inspector page's favicon, and `"inspector": false` in BROKER_CONFIG turning the page off for
// backend-only deployments (every page route answers 404, the API keeps working), in workerd.
import { describe, expect, it } from "vitest";
import { call, problem, secretsFor } from "./helpers.js";

const APP = 1400000000;
const env = secretsFor(APP);
const on = { apps: [{ sdkAppId: APP, guests: { enabled: true } }] };
const off = { inspector: false, ...on };
const PAGE_ROUTES = ["/", "/inspector.js", "/inspector.css", "/favicon.svg"];

describe("the inspector switch", () => {
  it("serves the page, its assets and a favicon by default and with inspector: true", async () => {
    for (const config of [on, { inspector: true, ...on }]) {
      for (const path of PAGE_ROUTES) {
        const response = await call(config, path, {}, env);
        expect(response.status, path).toBe(200);
        await response.arrayBuffer();
      }
    }
    const icon = await call(on, "/favicon.svg", {}, env);
    expect(icon.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(icon.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(icon.headers.get("ETag")).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(await icon.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const page = await (await call(on, "/", {}, env)).text();
    expect(page).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml" />');
  });

  it("with inspector: false, every page route is a 404 problem and the API still answers", async () => {
    for (const path of PAGE_ROUTES) {
      await problem(await call(off, path, {}, env), 404, "NOT_FOUND");
    }
    const issued = await call(off, "/v1/usersig", { method: "POST" }, env);
    expect(issued.status).toBe(200);
    expect(((await issued.json()) as { userSig?: string }).userSig).toMatch(/^eJ/);
  });

  it("a config that cannot be read leaves the page on (the decoder helps most then)", async () => {
    const response = await call("{not json", "/", {}, env);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });

  it("inspector must be a boolean", async () => {
    const response = await call({ inspector: "no", ...on }, "/v1/usersig", { method: "POST" }, env);
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toMatch(/^BROKER_CONFIG\.inspector: /);
  });
});
