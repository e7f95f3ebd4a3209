// Issue 18, item 2: wrangler writes its debug log (default ~/.wrangler/logs/, or the XDG config dir)
// with the outbound URLs it sees, the Chat REST URL with the admin's usersig included. `npm start`
// (scripts/start.mjs) must leave no such file behind. The broker is started the way `npm start` does
// it, with HOME, XDG_CONFIG_HOME and TMPDIR inside one scratch directory, on a config whose `chat`
// points at a loopback fake of Tencent; a kick is made; then no file under the scratch directory may
// hold the admin sig, during the run the private log directory exists, and after the stop it is gone.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createFakeTencent } from "../fakes/tencent.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const READY_MS = 90_000;
const OPERATOR_TOKEN = "demo-operator-token-not-a-secret-0123456789";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

const scratch = mkdtempSync(join(tmpdir(), "usersig-wrangler-log-test-"));
let fake: Server | undefined;
let child: ReturnType<typeof spawn> | undefined;

async function stop(): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null) return;
  const exited = once(child, "exit");
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

afterAll(async () => {
  await stop();
  fake?.close();
  rmSync(scratch, { recursive: true, force: true });
}, 20_000);

describe("wrangler's debug log under npm start", () => {
  it("never keeps the admin sig on disk, and its private directory is gone after the stop", async () => {
    // The fake Tencent on loopback; it keeps each usersig it was sent, to look for it on disk.
    const tencent = createFakeTencent();
    const sigs: string[] = [];
    fake = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const sig = url.searchParams.get("usersig");
      if (sig) sigs.push(sig);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks);
      const answer = await tencent.handle(
        new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body }),
      );
      res.writeHead(answer.status, { "Content-Type": answer.headers.get("Content-Type") ?? "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
    fake.listen(0, "127.0.0.1");
    await once(fake, "listening");
    const tencentBase = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;

    const demo = JSON.parse(readFileSync(join(root, "demo/config.json"), "utf8"));
    const app = { ...demo.apps[0], chat: { apiBaseUrl: tencentBase } };
    const secret = /^SECRET_KEY_1400000000=(.*)$/m.exec(readFileSync(join(root, "demo/secrets.env"), "utf8"))?.[1];
    await tencent.handle(
      new Request(`${tencentBase}/__fake/setup`, {
        method: "POST",
        body: JSON.stringify({ apps: [{ sdkAppId: app.sdkAppId, secretKey: secret, admins: app.admins }] }),
      }),
    );

    const home = join(scratch, "home");
    const tmp = join(scratch, "tmp");
    mkdirSync(home, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    const port = await freePort();
    const inspectorPort = await freePort();
    const { WRANGLER_LOG_PATH: _inherited, ...parentEnv } = process.env;
    child = spawn(
      process.execPath,
      [
        "scripts/start.mjs",
        "--port",
        String(port),
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        join(scratch, "kv"),
        "--var",
        `BROKER_CONFIG:${JSON.stringify({ apps: [app] })}`,
      ],
      {
        cwd: root,
        detached: true,
        stdio: "ignore",
        env: { ...parentEnv, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), TMPDIR: tmp },
      },
    );
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + READY_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode})`);
      if (Date.now() > deadline) throw new Error(`npm start was not ready within ${READY_MS} ms`);
      try {
        if ((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const kicked = await fetch(`${base}/v1/admin/apps/${app.sdkAppId}/users/mallory/kick`, {
      method: "POST",
      headers: { Authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(await kicked.json()).toMatchObject({ userId: "mallory", kicked: true });
    expect(sigs.length).toBeGreaterThan(0);

    // While it runs, wrangler's log is in a private directory under TMPDIR, not in HOME.
    const privateDirs = readdirSync(tmp).filter((name) => name.startsWith("usersig-wrangler-log-"));
    expect(privateDirs).toHaveLength(1);
    expect(statSync(join(tmp, privateDirs[0] as string)).mode & 0o077).toBe(0);

    await stop();
    expect(readdirSync(tmp).filter((name) => name.startsWith("usersig-wrangler-log-"))).toEqual([]);
    const files = filesUnder(scratch);
    expect(files.filter((path) => /wrangler-.*\.log$|wrangler\.log$/.test(path))).toEqual([]);
    for (const path of files) {
      if (statSync(path).size > 50 * 1024 * 1024) continue;
      const text = readFileSync(path, "latin1");
      for (const sig of sigs) expect(text.includes(sig), `${path} holds the admin sig`).toBe(false);
    }
  }, 150_000);
});
