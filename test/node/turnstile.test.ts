// verifyTurnstile with its fetch injected (no workerd, no network): what it sends, and that a
// failure to reach siteverify is TURNSTILE_UNAVAILABLE whose log reason holds neither secret nor token.
import { describe, expect, it } from "vitest";
import { verifyTurnstile } from "../../src/auth/turnstile.js";
import { SITEVERIFY_URL } from "../../src/config/schema.js";

const check = { secret: "0x-THE-SECRET", token: "THE-TOKEN", remoteIp: "203.0.113.9" };

describe("verifyTurnstile (injected fetch)", () => {
  it("POSTs JSON to Cloudflare's siteverify by default, or to the configured URL", async () => {
    const seen: { url: string; body: Record<string, unknown> }[] = [];
    const fetch = async (request: Request) => {
      seen.push({ url: request.url, body: (await request.json()) as Record<string, unknown> });
      return Response.json({ success: true, hostname: "example.com" });
    };
    await verifyTurnstile(check, { fetch, timeoutMs: 1000 });
    await verifyTurnstile({ ...check, siteverifyUrl: "http://127.0.0.1:9/sv" }, { fetch, timeoutMs: 1000 });
    expect(seen.map((s) => s.url)).toEqual([SITEVERIFY_URL, "http://127.0.0.1:9/sv"]);
    expect(seen[0]?.body).toMatchObject({ secret: check.secret, response: check.token, remoteip: check.remoteIp });
  });

  it("a fetch that fails is 503 TURNSTILE_UNAVAILABLE, logged by the error's name only", async () => {
    const fetch = () => Promise.reject(new DOMException(`timed out sending ${check.secret}`, "TimeoutError"));
    const error = await verifyTurnstile(check, { fetch, timeoutMs: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TURNSTILE_UNAVAILABLE", reason: "turnstile: TimeoutError" });
    expect(JSON.stringify(error)).not.toMatch(/THE-SECRET|THE-TOKEN/);
  });

  it("a refusal is 403 TURNSTILE_FAILED with siteverify's error codes in the log reason", async () => {
    const fetch = async () => Response.json({ success: false, "error-codes": ["invalid-input-response"] });
    await expect(verifyTurnstile(check, { fetch, timeoutMs: 1000 })).rejects.toMatchObject({
      code: "TURNSTILE_FAILED",
      reason: "turnstile: error-codes invalid-input-response",
    });
  });
});
