// Under `npm start` (scripts/start.mjs: wrangler dev with the demo config), CF-Connecting-IP is
// whatever the client sent (Miniflare sets it only when absent), so a spoofed one must not buy a
// fresh guest budget (issue 9, defect 3). The demo allows 10 guest UserSigs a minute per subject:
// with every request naming another address, a refusal must still come (within 21 requests, in
// case a minute turns in between); were the header trusted, none would.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const READY_MS = 90_000;
const DEMO_GUESTS_PER_MINUTE = 10;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let child: ReturnType<typeof spawn> | undefined;
let kvDir = "";
let base = "";

beforeAll(async () => {
  kvDir = await mkdtemp(join(tmpdir(), "usersig-client-ip-"));
  const port = await freePort();
  const inspectorPort = await freePort();
  child = spawn(
    process.execPath,
    ["scripts/start.mjs", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", kvDir],
    // Its own process group: wrangler and workerd are stopped together by the group id.
    { cwd: root, detached: true, stdio: "ignore" },
  );
  base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode})`);
    try {
      if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`npm start was not ready within ${READY_MS} ms`);
}, READY_MS + 10_000);

afterAll(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = once(child, "exit");
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 8000))]);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (kvDir) await rm(kvDir, { recursive: true, force: true });
}, 20_000);

describe("npm start and CF-Connecting-IP", () => {
  it("a new spoofed address per request buys no fresh guest budget", async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= 2 * DEMO_GUESTS_PER_MINUTE && !statuses.includes(429); i++) {
      const response = await fetch(`${base}/v1/usersig`, {
        method: "POST",
        headers: { "CF-Connecting-IP": `203.0.113.${100 + i}` },
      });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    // They all share one subject: refused once the minute's ten are used.
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2 * DEMO_GUESTS_PER_MINUTE);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
  }, 60_000);
});
