// One config judgement: `usersig-broker check-config FILE` and the Worker give the same verdict on
// the same `.dev.vars` files. The Worker's side is real: wrangler 4.86 reads each file (its
// getPlatformProxy() goes through the same .dev.vars loader as `wrangler dev`) and the Worker's own
// config cache (createConfigCache, src/config/load.ts) judges that environment; the CLI's side is the
// real bin in a child process. The CLI's .dev.vars reader (src/config/dotenv.ts) is also checked
// against dotenv 16.3.1, the library wrangler 4.86 parses .dev.vars with, on edge cases and on
// generated files.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import dotenv from "dotenv";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLACEHOLDER_SECRET_VALUES } from "../../src/config/check.js";
import { parseDotenv } from "../../src/config/dotenv.js";
import { ConfigError } from "../../src/config/errors.js";
import { createConfigCache } from "../../src/config/load.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
const KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const TOKEN = "a-real-operator-token-0123456789abcdef";
const pretty = JSON.stringify({ apps: [{ sdkAppId: 1400000000, guests: { enabled: true } }] }, null, 2);
const turnstile = JSON.stringify({
  apps: [{ sdkAppId: 1400000000, guests: { enabled: true, turnstile: { siteKey: "0x4AAAAAAA" } } }],
});
const trtc = JSON.stringify({
  apps: [{ sdkAppId: 1400000000, guests: { enabled: true }, trtc: { region: "ap-singapore" } }],
});
const callbacks = JSON.stringify({
  apps: [{ sdkAppId: 1400000000, guests: { enabled: true }, callbacks: { trtc: true, chat: true } }],
});
/** The secrets read only when an app uses the feature: the config that makes the Worker read them. */
function configFor(placeholder: string): string | undefined {
  if (placeholder.includes("callback")) return callbacks;
  if (placeholder.includes("turnstile")) return turnstile;
  if (placeholder.includes("trtc")) return trtc;
  return undefined;
}

/** A usable value for each placeholder of .dev.vars.example. */
const REAL_VALUES: Record<string, string> = {
  "replace-with-your-secret-key": KEY,
  "replace-with-a-long-random-token": TOKEN,
  "replace-with-your-turnstile-secret": "a-turnstile-secret",
  "replace-with-your-trtc-secret-id": "AKIDexampleexampleexample",
  "replace-with-your-trtc-secret-key": "a-trtc-secret-key",
  "replace-with-your-trtc-callback-key": "TrtcCallbackKey0123456789",
  "replace-with-your-chat-callback-token": "a-chat-callback-token",
};

/** .dev.vars.example with each placeholder replaced, except `keep`. */
function exampleWith(keep: string | undefined, config?: string): string {
  let text = example;
  for (const [placeholder, value] of Object.entries(REAL_VALUES)) {
    if (placeholder !== keep) text = text.replace(placeholder, value);
  }
  if (config !== undefined) text = text.replace(/^BROKER_CONFIG=.*$/m, `BROKER_CONFIG='${config}'`);
  return text;
}

const FILES: Record<string, { text: string; valid: boolean }> = {
  ".dev.vars.example as shipped": { text: example, valid: false },
  "every placeholder replaced": { text: exampleWith(undefined), valid: true },
  "every placeholder replaced, both callbacks on": { text: exampleWith(undefined, callbacks), valid: true },
  ...Object.fromEntries(
    PLACEHOLDER_SECRET_VALUES.map((value) => [
      `only ${value} left`,
      // The Turnstile, TRTC and callback secrets are read only when an app uses Turnstile, trtc or callbacks.
      { text: exampleWith(value, configFor(value)), valid: false },
    ]),
  ),
  "a pretty-printed BROKER_CONFIG in single quotes": {
    text: `BROKER_CONFIG='${pretty}'\nSECRET_KEY_1400000000=${KEY}\n`,
    valid: true,
  },
  "a pretty-printed BROKER_CONFIG in backticks, with comments": {
    text: `# mine\nexport BROKER_CONFIG=\`${pretty}\` # the policy\n\nSECRET_KEY_1400000000="${KEY}"\n`,
    valid: true,
  },
  "a pretty-printed BROKER_CONFIG without quotes (wrangler reads its first line only)": {
    text: `BROKER_CONFIG=${pretty}\nSECRET_KEY_1400000000=${KEY}\n`,
    valid: false,
  },
  "a pretty-printed BROKER_CONFIG in double quotes (its inner quotes end the value)": {
    text: `BROKER_CONFIG="${pretty}"\nSECRET_KEY_1400000000=${KEY}\n`,
    valid: false,
  },
  "a secret key missing": { text: `BROKER_CONFIG='${pretty}'\n`, valid: false },
};

function runCli(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin/usersig-broker.mjs"), "check-config", file], {
      cwd: root,
      timeout: 20_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment `wrangler dev` gives the Worker for this .dev.vars (wrangler's own reader). */
async function wranglerEnv(dir: string): Promise<Record<string, unknown>> {
  const { getPlatformProxy } = await import("wrangler");
  const proxy = await getPlatformProxy({ configPath: join(dir, "wrangler.toml"), persist: false });
  try {
    return { ...proxy.env };
  } finally {
    await proxy.dispose();
  }
}

/**
 * The Worker's verdict on every part: its cache's top level, then every app (LoadedConfig.apps()),
 * each checked as a request for it would check it.
 */
async function everyPart(env: Record<string, unknown>): Promise<{ ok: true } | { ok: false; error: ConfigError }> {
  const loaded = await createConfigCache().load(env);
  if (!loaded.ok) return loaded;
  try {
    loaded.config.apps();
    return { ok: true };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    throw error;
  }
}

describe("check-config and the Worker judge a .dev.vars file the same way", { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "config-judgement-"));
    writeFileSync(join(dir, "wrangler.toml"), 'name = "judgement"\ncompatibility_date = "2026-04-01"\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, file] of Object.entries(FILES)) {
    it(`${name}: ${file.valid ? "valid" : "refused"} by both, in the same words`, async () => {
      writeFileSync(join(dir, ".dev.vars"), file.text);
      const env = await wranglerEnv(dir);
      // The CLI reads the file as wrangler does.
      const vars = parseDotenv(file.text);
      for (const [key, value] of Object.entries(vars)) expect(env[key], key).toBe(value);
      const worker = await everyPart(env);
      const cli = await runCli(join(dir, ".dev.vars"));
      expect(worker.ok).toBe(file.valid);
      expect(cli.code, cli.stderr).toBe(file.valid ? 0 : 1);
      if (!worker.ok) {
        const firstProblem = cli.stderr.split("\n")[1]?.trim();
        expect(worker.error.detail.startsWith(firstProblem ?? "-")).toBe(true);
        expect(firstProblem?.length).toBeGreaterThan(10);
      }
    });
  }

  it("the refusals name the placeholder, and say how to quote a multi-line value", async () => {
    for (const value of PLACEHOLDER_SECRET_VALUES) {
      const file = join(dir, `one-${value}`);
      writeFileSync(file, FILES[`only ${value} left`]?.text ?? "");
      expect((await runCli(file)).stderr).toMatch(/still holds the placeholder from \.dev\.vars\.example/);
    }
    const unquoted = join(dir, "unquoted");
    writeFileSync(
      unquoted,
      FILES["a pretty-printed BROKER_CONFIG without quotes (wrangler reads its first line only)"]?.text ?? "",
    );
    expect((await runCli(unquoted)).stderr).toContain("must be in single quotes");
  });
});

describe("the CLI's .dev.vars reader is dotenv 16.3.1's (wrangler's)", () => {
  const cases = [
    ...Object.values(FILES).map((f) => f.text),
    "A=1\nB= two words  # comment\nC='x' # c\nD=\"a\\nb\"\nE=`t`\n",
    "export A=1\nexport =2\nexport\nB=3\n",
    "A=\nB=1\n",
    "A=\n'x'\n",
    "A: b\nC:d\nE :f\n",
    "A='a\\'b'\nB=\"a\\\"b\" \nC='unclosed\nD=2\n",
    "A='x' y\nB='x'\nmore'\n",
    "A=1\r\nB='2\r\n3'\rC=4",
    "  # only a comment\n\n   KEY.with-dots=v\n",
    "A=\"x\\ry\"\nB='x\\ny'\n",
    "A=#not a value\nB=a#b\n",
    "A='x\\'\ny'\nB=\"p\\\"\nq\"\n",
  ];
  it.each(cases.map((text, i) => [i, text]))("case %i", (_i, text) => {
    expect(parseDotenv(text as string)).toEqual(dotenv.parse(text as string));
  });

  it("on generated files", () => {
    const piece = fc.constantFrom(
      "A",
      "B_1",
      "x.y",
      "export ",
      "=",
      ":",
      " ",
      "\n",
      "\r\n",
      "#",
      "'",
      '"',
      "`",
      "\\",
      "{",
      "v",
      "\\n",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join("");
        expect(parseDotenv(text)).toEqual(dotenv.parse(text));
      }),
      { numRuns: 3000 },
    );
  });
});
