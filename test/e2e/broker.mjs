// The demo broker for tests that need a real one over HTTP (the browser tests, the CLI's smoke test):
// `node scripts/start.mjs` (wrangler dev on workerd, which builds the inspector page through
// wrangler's [build]) on free ports, in its own process group, with a fresh KV state per run.
//
//   const broker = await startBroker();   // waits for GET /healthz
//   broker.base                           // http://127.0.0.1:<port>
//   broker.output()                       // what it printed so far (for a failure message or a log file)
//   await broker.stop();                  // SIGTERM to the group, SIGKILL after 5 s; removes the KV state
//
// It is stopped by its process group id, never by name: other wranglers may run on the machine.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const READY_MS = 90_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_MAX_CHUNKS = 400;

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts the demo broker; rejects (after stopping it) if it exits or is not ready within `readyMs`.
 * `args` are extra arguments for scripts/start.mjs (i.e. for wrangler dev).
 */
export async function startBroker({ readyMs = READY_MS, args = [] } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  // A fresh KV state per run: the demo's guest rate limits must not carry over between runs.
  const kvDir = mkdtempSync(join(tmpdir(), "usersig-e2e-kv-"));
  const chunks = [];
  const child = spawn(
    process.execPath,
    [
      join(root, "scripts/start.mjs"),
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      kvDir,
      ...args,
    ],
    // Its own process group: wrangler and its workerd processes are stopped together by the group id.
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk) => {
      chunks.push(chunk);
      if (chunks.length > OUTPUT_MAX_CHUNKS) chunks.splice(0, chunks.length - OUTPUT_MAX_CHUNKS);
    });
  }
  let exited = false;
  const exit = new Promise((resolve) => child.on("exit", resolve));
  exit.then(() => {
    exited = true;
  });

  let stopped = false;
  const broker = {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid,
    output: () => Buffer.concat(chunks.map((c) => Buffer.from(c))).toString("utf8"),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // Already gone.
        }
        await Promise.race([exit, sleep(STOP_GRACE_MS)]);
        if (!exited) {
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // Already gone.
          }
          await Promise.race([exit, sleep(STOP_GRACE_MS)]);
        }
      }
      rmSync(kvDir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    if (exited) {
      await broker.stop();
      throw new Error(`the broker exited early:\n${broker.output().slice(-2000)}`);
    }
    try {
      const response = await fetch(`${broker.base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return broker;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  await broker.stop();
  throw new Error(`the broker was not ready within ${readyMs / 1000} s:\n${broker.output().slice(-2000)}`);
}
