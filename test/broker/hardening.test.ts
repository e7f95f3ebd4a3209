// Hardening from the security review: things a caller or a careless config must not be able to do.
import { afterEach, describe, expect, it, vi } from "vitest";
import { apiKey, appConfig, brokerConfig, brokerSecrets, inlineIssuer } from "../support/config.js";
import { auditLinesIn } from "../support/console.js";
import { bearer, brokerClient, withApiKey } from "../support/requests.js";
import { mintJwt, newIdpKey, problem } from "./helpers.js";

const APP = 1400009001;
const API_KEY = "hardening-backend-key-0123456789";
const config = brokerConfig(appConfig(APP, { apiKeys: [await apiKey("backend", API_KEY, { allowUserId: true })] }));
const broker = brokerClient(config, brokerSecrets([APP]));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("request ids", () => {
  it("come from CF-Ray or are generated, never from the client's X-Request-Id", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const forged = await broker.postJson(
      "/v1/usersig",
      { userId: "alice" },
      { ...withApiKey(API_KEY), "X-Request-Id": "victim-ray-123" },
    );
    expect(forged.status).toBe(200);
    expect(forged.headers.get("X-Request-Id")).not.toBe("victim-ray-123");
    expect(forged.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    const ray = await broker.postJson(
      "/v1/usersig",
      { userId: "alice" },
      { ...withApiKey(API_KEY), "X-Request-Id": "victim-ray-123", "CF-Ray": "8f1e2d3c4b5a6978-SJC" },
    );
    expect(ray.headers.get("X-Request-Id")).toBe("8f1e2d3c4b5a6978-SJC");
    const audit = auditLinesIn(lines);
    expect(audit.map((l) => l.requestId)).toEqual([forged.headers.get("X-Request-Id"), "8f1e2d3c4b5a6978-SJC"]);
    expect(lines.join("\n")).not.toContain("victim-ray-123");
  });
});

describe("secrets that are too weak or not secrets at all", () => {
  it("a SECRET_KEY_<id> over 1024 characters is a config error, not a 500 per request", async () => {
    const body = await problem(
      await broker
        .withEnv({ [`SECRET_KEY_${APP}`]: "k".repeat(1025) })
        .postJson("/v1/usersig", { userId: "alice" }, withApiKey(API_KEY)),
      500,
      "CONFIG_ERROR",
    );
    expect(String(body.detail)).toContain(`SECRET_KEY_${APP}`);
    expect(String(body.detail)).not.toContain("kkkk");
  });

  it("an ADMIN_API_TOKEN shorter than 32 characters leaves the operator API disabled", async () => {
    const short = "short-operator-token";
    const response = await broker
      .withEnv({ ADMIN_API_TOKEN: short })
      .get(`/v1/admin/apps/${APP}/admins`, bearer(short));
    const body = await problem(response, 403, "OPERATOR_API_DISABLED");
    expect(String(body.detail)).toContain("32");
    expect(String(body.detail)).not.toContain(short);
  });
});

describe("the audit line", () => {
  it("cuts an IdP user ID that is far too long before logging it", async () => {
    const key = await newIdpKey("ES256");
    const idpBroker = brokerClient(
      brokerConfig(appConfig(APP + 1, { idp: { issuers: [inlineIssuer(key, { algorithms: ["ES256"] })] } })),
      brokerSecrets([APP + 1]),
    );
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const sub = "x".repeat(5000);
    const response = await idpBroker.postJson("/v1/usersig", undefined, bearer(await mintJwt(key, { sub })));
    await problem(response, 403, "USERID_NOT_ALLOWED");
    const audit = auditLinesIn(lines)[0] as { userId?: string } | undefined;
    expect(audit?.userId?.length).toBeLessThanOrEqual(65);
    expect(audit?.userId?.startsWith("xxxx")).toBe(true);
    expect(lines.join("").length).toBeLessThan(2000);
  });
});

describe("a body that cannot be read to its end (issue 9, defect 2)", () => {
  const encoder = new TextEncoder();
  /** A body that sends `sent` and then fails, as a dropped connection or broken chunked framing does. */
  function brokenBody(sent: string, end: "error" | "close" = "error"): ReadableStream<Uint8Array> {
    return new ReadableStream({
      pull(controller) {
        controller.enqueue(encoder.encode(sent));
        if (end === "error") controller.error(new TypeError("Network connection lost."));
        else controller.close();
      },
    });
  }

  async function expectUnreadable(headers: Record<string, string>, body: ReadableStream<Uint8Array>) {
    const errors: string[] = [];
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const response = await broker.send("/v1/usersig", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...withApiKey(API_KEY), ...headers },
      body,
    });
    const problemBody = await problem(response, 400, "BODY_UNREADABLE");
    expect(problemBody.detail).toMatch(/could not be read/);
    expect(errors.join("\n")).not.toContain("internal_error");
    const audit = auditLinesIn(lines)[0];
    expect(audit).toMatchObject({ status: 400, code: "BODY_UNREADABLE", outcome: "refused" });
  }

  it("Content-Length: 100 with 12 bytes sent, then the connection lost: 400, not 500", async () => {
    await expectUnreadable({ "Content-Length": "100" }, brokenBody('{"userId":"a'));
  });

  it("no Content-Length (chunked) and the stream breaks midway: 400, not 500", async () => {
    await expectUnreadable({}, brokenBody('{"userId":"a'));
  });
});
