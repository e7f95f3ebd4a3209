// A body that breaks on the wire, sent straight to workerd over a raw socket (issue 9, defect 2):
// Content-Length larger than what is sent before the connection closes, and malformed chunked
// framing. The broker answers 400 BODY_UNREADABLE, never 500, and never logs an internal_error.
// The in-process variants are in test/broker/hardening.test.ts.
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { serveBroker } from "../../scripts/bench/serve.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SECRET_KEY = "body-framing-test-key-0123456789abcdef0123456789abcdef";
let server: { directBase: string; close: () => Promise<void> };
let output = "";

beforeAll(async () => {
  server = await serveBroker({
    root,
    Miniflare,
    direct: true,
    prefix: "usersig-framing-",
    bindings: {
      BROKER_CONFIG: JSON.stringify({ apps: [{ sdkAppId: 1400009301, guests: { enabled: true } }] }),
      SECRET_KEY_1400009301: SECRET_KEY,
    },
    onOutput: (chunk: string) => {
      output += chunk;
    },
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** Writes `raw` on a fresh connection (optionally half-closing it) and returns all it reads back. */
function exchange(raw: string, halfClose: boolean): Promise<string> {
  const { hostname, port } = new URL(server.directBase);
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(raw);
      if (halfClose) socket.end();
    });
    socket.setEncoding("utf8");
    socket.setTimeout(10_000, () => socket.destroy(new Error("timeout")));
    socket.on("data", (chunk) => {
      received += chunk;
      // one response is enough: close our side once its body has arrived
      if (/\r\n\r\n[\s\S]*\}$/.test(received)) socket.end();
    });
    socket.on("end", () => resolve(received));
    socket.on("close", () => resolve(received));
    socket.on("error", (error) => (received ? resolve(received) : reject(error)));
  });
}

const head = (extra: string) =>
  `POST /v1/usersig HTTP/1.1\r\nHost: broker.test\r\nContent-Type: application/json\r\n${extra}\r\n`;

/** A 400 BODY_UNREADABLE problem, and no internal_error event in the Worker's output. */
function expectUnreadable(reply: string): void {
  expect(reply).toMatch(/^HTTP\/1\.1 400 /);
  expect(reply).toContain("Content-Type: application/problem+json");
  expect(reply).toContain('"code":"BODY_UNREADABLE"');
  expect(output).not.toContain('"event":"internal_error"');
}

describe("bodies broken on the wire", () => {
  it("malformed chunked framing: 400 BODY_UNREADABLE", async () => {
    expectUnreadable(await exchange(`${head("Transfer-Encoding: chunked\r\n")}zz\r\n{}\r\n0\r\n\r\n`, false));
  });

  it("a chunk shorter than its size, then the connection half-closed: 400 BODY_UNREADABLE", async () => {
    expectUnreadable(await exchange(`${head("Transfer-Encoding: chunked\r\n")}40\r\n{"userId":`, true));
  });

  it("Content-Length: 100 with 12 bytes, then the connection half-closed: 400 BODY_UNREADABLE", async () => {
    expectUnreadable(await exchange(`${head("Content-Length: 100\r\n")}{"userId":"a`, true));
  });

  it("the audit lines name the refusal", async () => {
    // workerd prints an audit line after its answer has gone out, and its output reaches us through a
    // pipe: wait for the three lines (bounded), not for a fixed time.
    const refusals = () =>
      output
        .split("\n")
        .filter((line) => line.startsWith('{"event":"decision"'))
        .map((line) => JSON.parse(line))
        .filter((d) => d.code === "BODY_UNREADABLE" && d.status === 400);
    await vi.waitFor(() => expect(refusals()).toHaveLength(3), { timeout: 20_000, interval: 50 });
  });

  it("the same server answers a whole body (the checks above can fail)", async () => {
    const reply = await exchange(`${head("Content-Length: 2\r\nConnection: close\r\n")}{}`, false);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });
});
