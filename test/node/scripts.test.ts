// The operator's scripts, run as `npm start` and `npm run deploy` run them: scripts/start.mjs refusing
// a busy port in one line, and scripts/deploy.mjs refusing wrangler.toml's placeholder KV ids, the
// workerd tests' switch, and a --secrets-file whose config or secret values the Worker would refuse.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { kvNamespaces, placeholderNamespaces, secretsFileOf, setsTestSwitch } from "../../scripts/deploy.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** The first line of `npm run deploy` refusing a --secrets-file. */
const REFUSED =
  /^npm run deploy: not deploying: .*secrets\.json is refused by `usersig-broker check-config --secrets-file`/;
const PLACEHOLDER_TOKEN = "replace-with-a-long-random-token";
const GOOD_TOKEN = "a-real-operator-token-0123456789abcdef";
const GOOD_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(root, script), ...args], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    timeout: 30_000,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `body` with a loopback port that something is listening on, then frees it. */
async function withBusyPort(body: (port: number) => Promise<void>): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    await body(port);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("npm start", () => {
  it("a busy port fails at once with one clear line", async () => {
    await withBusyPort(async (port) => {
      const result = await run("scripts/start.mjs", ["--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `npm start: port ${port} on 127.0.0.1 is already in use (another broker?): stop it, or pick another port: npm start -- --port ${port + 1}\n`,
      );
    });
  });

  it("a malformed --cors-origin is refused before anything starts", async () => {
    for (const value of ["http://127.0.0.1:3000/app", "ftp://127.0.0.1", "127.0.0.1:3000", ""]) {
      const result = await run("scripts/start.mjs", ["--cors-origin", value]);
      expect(result.code, value).toBe(2);
      expect(result.stderr).toMatch(/^npm start: --cors-origin needs an origin \(scheme, host and port, no path\)/);
    }
  });

  it("a malformed --port is refused before anything starts", async () => {
    const result = await run("scripts/start.mjs", ["--port", "http"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^npm start: --port needs a port number from 1 to 65535/);
  });
});

describe("examples/spa/serve.mjs", () => {
  it("a busy port: one line naming it and the way out, exit 1", async () => {
    await withBusyPort(async (port) => {
      const result = await run("examples/spa/serve.mjs", ["--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `example: port ${port} on 127.0.0.1 is already in use: pick another with --port ${port + 1} (and start the broker with npm start -- --cors-origin http://127.0.0.1:${port + 1})\n`,
      );
    });
  });

  it("a malformed --port is refused", async () => {
    const result = await run("examples/spa/serve.mjs", ["--port", "x"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^example: --port needs a port number/);
  });
});

describe("npm run deploy", () => {
  it("finds the placeholder KV ids of the committed wrangler.toml", () => {
    const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
    expect(kvNamespaces(toml).map((n) => n.binding)).toEqual(["RATE_LIMITS", "ADMINS"]);
    expect(placeholderNamespaces(toml).map((n) => n.binding)).toEqual(["RATE_LIMITS", "ADMINS"]);
    const real = toml
      .replace('"00000000000000000000000000000000"', '"0f1e2d3c4b5a69788796a5b4c3d2e1f0"')
      .replace('"00000000000000000000000000000001"', '"a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"');
    expect(placeholderNamespaces(real)).toEqual([]);
  });

  it("never deploys the workerd tests' switch TEST_ONLY_OBJECT_VARS (the committed wrangler.toml has none)", async () => {
    const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
    expect(setsTestSwitch(toml)).toBe(false);
    expect(setsTestSwitch(`${toml}\n[vars]\nTEST_ONLY_OBJECT_VARS = true\n`)).toBe(true);
    expect(setsTestSwitch(`${toml}\n# TEST_ONLY_OBJECT_VARS is for the tests only\n`)).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "deploy-switch-"));
    try {
      const path = join(dir, "wrangler.toml");
      writeFileSync(path, `${toml}\n[vars]\nTEST_ONLY_OBJECT_VARS = true\n`);
      const result = await run("scripts/deploy.mjs", ["--dry-run", "--config", path]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^npm run deploy: not deploying: wrangler\.toml sets TEST_ONLY_OBJECT_VARS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never deploys a BROKER_CONFIG of --secrets-file that check-config refuses: every app is checked", async () => {
    expect(secretsFileOf(["--dry-run", "--secrets-file", "s.json"])).toBe("s.json");
    expect(secretsFileOf(["--secrets-file=t.json"])).toBe("t.json");
    expect(secretsFileOf(["--dry-run"])).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), "deploy-config-"));
    const secretsFile = (apps: unknown[]) => {
      const path = join(dir, "secrets.json");
      writeFileSync(path, JSON.stringify({ BROKER_CONFIG: JSON.stringify({ apps }), SECRET_KEY_1400000001: "k" }));
      return path;
    };
    try {
      // app 2 is bad: the Worker's GET /healthz would still answer 200 (it checks the top level only)
      const bad = secretsFile([{ sdkAppId: 1400000001 }, { sdkAppId: 1400000002, userIdPattern: "(" }]);
      for (const args of [["--dry-run", "--secrets-file", bad], [`--secrets-file=${bad}`]]) {
        const result = await run("scripts/deploy.mjs", args);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(REFUSED);
        expect(result.stderr).toContain("the BROKER_CONFIG of");
        expect(result.stderr).toContain("BROKER_CONFIG.apps[1].userIdPattern: must be a valid regular expression");
      }
      // a sound config passes this check, and the next one (the placeholder KV ids) refuses
      const good = secretsFile([{ sdkAppId: 1400000001 }, { sdkAppId: 1400000002 }]);
      const result = await run("scripts/deploy.mjs", ["--secrets-file", good]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^npm run deploy: not deploying: wrangler\.toml still has the placeholder KV/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("never deploys a --secrets-file that sets a secret the Worker reads to a value it refuses: the names, never the values", async () => {
    const dir = mkdtempSync(join(tmpdir(), "deploy-secrets-"));
    const config = JSON.stringify({ apps: [{ sdkAppId: 1400000001 }, { sdkAppId: 1400000002 }] });
    const secretsFile = (secrets: Record<string, string>) => {
      const path = join(dir, "secrets.json");
      writeFileSync(path, JSON.stringify(secrets));
      return path;
    };
    const refused = async (secrets: Record<string, string>, names: string[]) => {
      const path = secretsFile(secrets);
      for (const args of [["--dry-run", "--secrets-file", path], [`--secrets-file=${path}`]]) {
        const result = await run("scripts/deploy.mjs", args);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe("");
        expect(result.stderr).toMatch(REFUSED);
        for (const name of names) expect(result.stderr).toContain(`${name} still holds the placeholder`);
        // No value of the file is shown: not the placeholders, not the good key beside them.
        for (const [name, value] of Object.entries(secrets)) {
          if (name !== "BROKER_CONFIG") expect(result.stderr).not.toContain(value);
        }
      }
    };
    try {
      await refused({ BROKER_CONFIG: config, SECRET_KEY_1400000001: GOOD_KEY, ADMIN_API_TOKEN: PLACEHOLDER_TOKEN }, [
        "ADMIN_API_TOKEN",
      ]);
      await refused({ BROKER_CONFIG: config, SECRET_KEY_1400000002: " replace-with-your-secret-key " }, [
        "SECRET_KEY_1400000002",
      ]);
      // Without a BROKER_CONFIG in the file (it is set already, or in wrangler.toml) the names tell.
      await refused({ SECRET_KEY_1400000001: "replace-with-your-secret-key", ADMIN_API_TOKEN: PLACEHOLDER_TOKEN }, [
        "SECRET_KEY_1400000001",
        "ADMIN_API_TOKEN",
      ]);
      // Good values, and secrets left out of the file (SECRET_KEY_1400000002, ADMIN_API_TOKEN: put
      // already): this check passes, and the next one (the placeholder KV ids) refuses.
      const goodFiles: Record<string, string>[] = [
        { BROKER_CONFIG: config, SECRET_KEY_1400000001: GOOD_KEY, ADMIN_API_TOKEN: GOOD_TOKEN },
        { BROKER_CONFIG: config, SECRET_KEY_1400000001: GOOD_KEY },
        { SECRET_KEY_1400000002: GOOD_KEY },
      ];
      for (const secrets of goodFiles) {
        const result = await run("scripts/deploy.mjs", ["--secrets-file", secretsFile(secrets)]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/^npm run deploy: not deploying: wrangler\.toml still has the placeholder KV/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses to deploy with them, naming the bindings and the fix (nothing reaches wrangler)", async () => {
    const result = await run("scripts/deploy.mjs", []);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "npm run deploy: not deploying: wrangler.toml still has the placeholder KV namespace ids of RATE_LIMITS, ADMINS: create them with `npx wrangler kv namespace create <BINDING>` and put the printed ids in wrangler.toml (README, Deploying).\n",
    );
  });
});
