// The secret values of a secrets file (wrangler's `--secrets-file`, which `npm run deploy` checks
// first) judged by the Worker's own rules: judgeSecretValues (src/config/load.ts) reads each secret
// the file sets with the rule the Worker's loader reads it with, so its refusals are the Worker's
// CONFIG_ERRORs (judgeEnvironment's words), a secret the file leaves out is not judged, and no value
// is ever in a message. Then the CLI's `check-config --secrets-file`, driven in-process.
import { describe, expect, it } from "vitest";
import type { Io } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { PLACEHOLDER_SECRET_VALUES, secretsNeeded } from "../../src/config/check.js";
import { checkConfig } from "../../src/config/explain.js";
import { type ConfigProblem, judgeEnvironment, judgeSecretValues } from "../../src/config/load.js";
import type { BrokerConfig } from "../../src/config/schema.js";

const APP = 1400000000;
const KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
/** Every feature that needs a secret, so the Worker reads every kind of secret. */
const FULL = JSON.stringify({
  apps: [
    {
      sdkAppId: APP,
      guests: { enabled: true, turnstile: { siteKey: "0x4AAAAAAA" } },
      trtc: { region: "ap-singapore" },
      callbacks: { trtc: true, chat: true },
    },
  ],
});
const PLAIN = JSON.stringify({ apps: [{ sdkAppId: APP, guests: { enabled: true } }] });
/** A usable value of each secret FULL reads. */
const REAL: Record<string, string> = {
  [`SECRET_KEY_${APP}`]: KEY,
  ADMIN_API_TOKEN: "a-real-operator-token-0123456789abcdef",
  TURNSTILE_SECRET_KEY: "a-turnstile-secret",
  [`TRTC_SECRET_ID_${APP}`]: "AKIDexampleexampleexample",
  [`TRTC_SECRET_KEY_${APP}`]: "a-trtc-secret-key",
  [`TRTC_CALLBACK_KEY_${APP}`]: "TrtcCallbackKey0123456789",
  [`CHAT_CALLBACK_TOKEN_${APP}`]: "a-chat-callback-token",
};

function configOf(json: string): BrokerConfig {
  const check = checkConfig(json);
  if (!check.ok) throw new Error("the test's config is refused");
  return check.config;
}

const full = configOf(FULL);
const details = (problems: readonly { detail: string }[]) => problems.map((p) => p.detail);

/**
 * `name` set to `value` alone in a file: refused, naming that secret only, in the very words the
 * Worker answers with when that one value is in an otherwise good environment. The problems.
 */
async function refusedAsTheWorkerDoes(name: string, value: string): Promise<ConfigProblem[]> {
  const problems = judgeSecretValues({ [name]: value }, full);
  expect(
    problems.map((p) => p.secret),
    name,
  ).toEqual([name]);
  const worker = await judgeEnvironment({ BROKER_CONFIG: FULL, ...REAL, [name]: value });
  expect(worker.ok ? [] : details(worker.problems), name).toEqual(details(problems));
  return problems;
}

describe("judgeSecretValues: the Worker's rule for each secret a file sets", () => {
  it("reads exactly the secrets the config needs, all of them usable here", async () => {
    expect(Object.keys(REAL).sort()).toEqual(
      secretsNeeded(full)
        .map((s) => s.name)
        .sort(),
    );
    expect(judgeSecretValues(REAL, full)).toEqual([]);
    expect((await judgeEnvironment({ BROKER_CONFIG: FULL, ...REAL })).ok).toBe(true);
  });

  it("refuses a placeholder in any secret the Worker reads, in the Worker's words, naming the secret only", async () => {
    for (const name of Object.keys(REAL)) {
      for (const placeholder of PLACEHOLDER_SECRET_VALUES) {
        for (const value of [placeholder, ` ${placeholder}\n`]) {
          const problems = await refusedAsTheWorkerDoes(name, value);
          expect(problems[0]?.detail).toContain(`${name} still holds the placeholder`);
          expect(problems[0]?.detail).not.toContain(placeholder);
        }
      }
    }
  });

  it("a secret the file leaves out is not judged: none, one, or all but one", () => {
    expect(judgeSecretValues({}, full)).toEqual([]);
    expect(judgeSecretValues({}, undefined)).toEqual([]);
    expect(judgeSecretValues({ [`SECRET_KEY_${APP}`]: KEY }, full)).toEqual([]);
    const { ADMIN_API_TOKEN: _, ...allButOne } = REAL;
    expect(judgeSecretValues(allButOne, full)).toEqual([]);
  });

  it("applies the Worker's other rules of a value: an empty required secret, a callback key's format, a key's length", async () => {
    const cases: Record<string, string> = {
      [`SECRET_KEY_${APP}`]: "",
      [`TRTC_CALLBACK_KEY_${APP}`]: "not-letters-and-digits!",
      [`CHAT_CALLBACK_TOKEN_${APP}`]: "t".repeat(129),
    };
    for (const [name, value] of Object.entries(cases)) {
      const problems = await refusedAsTheWorkerDoes(name, value);
      if (value !== "") expect(problems[0]?.detail).not.toContain(value);
    }
    expect(judgeSecretValues({ [`SECRET_KEY_${APP}`]: "k".repeat(10_000) }, full)).toHaveLength(1);
    // An empty ADMIN_API_TOKEN is the Worker's "unset": the operator API is off, not an error.
    expect(judgeSecretValues({ ADMIN_API_TOKEN: "" }, full)).toEqual([]);
  });

  it("judges only the secrets the config makes the Worker read", () => {
    const plain = configOf(PLAIN);
    const unread = {
      [`TRTC_SECRET_ID_${APP}`]: "replace-with-your-trtc-secret-id",
      [`TRTC_CALLBACK_KEY_${APP}`]: "replace-with-your-trtc-callback-key",
      TURNSTILE_SECRET_KEY: "replace-with-your-turnstile-secret",
      SECRET_KEY_1400000001: "replace-with-your-secret-key",
      SOMETHING_ELSE: "replace-with-your-secret-key",
    };
    expect(judgeSecretValues(unread, plain)).toEqual([]);
    expect(judgeSecretValues({ ...unread, [`SECRET_KEY_${APP}`]: "replace-with-your-secret-key" }, plain)).toHaveLength(
      1,
    );
  });

  it("without a config, judges ADMIN_API_TOKEN and each app's secrets by their names", () => {
    const problems = judgeSecretValues(
      {
        ADMIN_API_TOKEN: "replace-with-a-long-random-token",
        SECRET_KEY_1400000007: "replace-with-your-secret-key",
        TRTC_SECRET_KEY_1400000007: "replace-with-your-trtc-secret-key",
        TRTC_CALLBACK_KEY_1400000007: "not-letters-and-digits!",
        SECRET_KEY_1400000008: KEY,
        SOMETHING_ELSE_1400000007: "replace-with-your-secret-key",
      },
      undefined,
    );
    expect(problems.map((p) => p.secret)).toEqual([
      "ADMIN_API_TOKEN",
      "SECRET_KEY_1400000007",
      "TRTC_SECRET_KEY_1400000007",
      "TRTC_CALLBACK_KEY_1400000007",
    ]);
  });
});

/** An in-process Io: stdin from `input`, everything written collected. */
function fakeIo(input: string): Io & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    env: {},
    stdinIsTTY: false,
    readStdin: async () => input,
    readFile: async () => {
      throw new Error("no files here");
    },
    fetch: () => Promise.reject(new Error("no network here")),
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
  };
  return io;
}

async function checkSecrets(secrets: Record<string, unknown> | string, json = false) {
  const io = fakeIo(typeof secrets === "string" ? secrets : JSON.stringify(secrets));
  const code = await main(["check-config", "--secrets-file", "-", ...(json ? ["--json"] : [])], io);
  return { code, stdout: io.out, stderr: io.err };
}

describe("usersig-broker check-config --secrets-file", () => {
  it("refuses a placeholder ADMIN_API_TOKEN and SECRET_KEY, naming each secret and never its value", async () => {
    const run = await checkSecrets({
      BROKER_CONFIG: PLAIN,
      [`SECRET_KEY_${APP}`]: "replace-with-your-secret-key",
      ADMIN_API_TOKEN: "replace-with-a-long-random-token",
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      new RegExp(`^invalid: stdin sets 2 secrets to values the Worker refuses, ADMIN_API_TOKEN, SECRET_KEY_${APP} `),
    );
    expect(run.stderr).toContain("ADMIN_API_TOKEN still holds the placeholder");
    expect(run.stderr).toContain(`SECRET_KEY_${APP} still holds the placeholder`);
    for (const value of PLACEHOLDER_SECRET_VALUES) expect(run.stderr).not.toContain(value);
  });

  it("a value in the wrong format is named, and not shown, in JSON too", async () => {
    const secret = "my-Real-Callback-Secret!";
    const callbacks = JSON.stringify({ apps: [{ sdkAppId: APP, callbacks: { trtc: true } }] });
    const text = await checkSecrets({ BROKER_CONFIG: callbacks, [`TRTC_CALLBACK_KEY_${APP}`]: secret });
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`TRTC_CALLBACK_KEY_${APP} is not the TRTC callback key`);
    expect(text.stderr).not.toContain(secret);
    const json = await checkSecrets({ BROKER_CONFIG: callbacks, [`TRTC_CALLBACK_KEY_${APP}`]: secret }, true);
    expect(json.code).toBe(1);
    expect(json.stdout).not.toContain(secret);
    const answer = JSON.parse(json.stdout) as { valid: boolean; errors: unknown[]; secretErrors: { secret: string }[] };
    expect(answer.valid).toBe(false);
    expect(answer.errors).toEqual([]);
    expect(answer.secretErrors.map((e) => e.secret)).toEqual([`TRTC_CALLBACK_KEY_${APP}`]);
  });

  it("passes a good file, and one that leaves secrets out (they may be set already)", async () => {
    for (const secrets of [
      { BROKER_CONFIG: PLAIN, [`SECRET_KEY_${APP}`]: KEY, ADMIN_API_TOKEN: REAL.ADMIN_API_TOKEN },
      { BROKER_CONFIG: PLAIN },
      { ADMIN_API_TOKEN: REAL.ADMIN_API_TOKEN },
      `SECRET_KEY_${APP}=${KEY}\n`,
    ]) {
      const run = await checkSecrets(secrets);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^valid: /);
      expect(run.stdout).not.toContain(KEY);
    }
  });

  it("names both a refused BROKER_CONFIG and a refused secret; a value that is not a string by its name", async () => {
    const both = await checkSecrets({
      BROKER_CONFIG: JSON.stringify({ apps: [{ sdkAppId: APP, userIdPattern: "(" }] }),
      [`SECRET_KEY_${APP}`]: "replace-with-your-secret-key",
    });
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(
      /^invalid: the BROKER_CONFIG of stdin has 1 error:\n {2}BROKER_CONFIG\.apps\[0\]\.userIdPattern/,
    );
    expect(both.stderr).toContain(`SECRET_KEY_${APP} still holds the placeholder`);
    const notString = await checkSecrets({ ADMIN_API_TOKEN: 1234567890 });
    expect(notString.code).toBe(1);
    expect(notString.stderr).toBe(
      "invalid: stdin has values that are not strings (wrangler refuses the file): ADMIN_API_TOKEN\n",
    );
  });

  it("takes the secrets file or a config, not both", async () => {
    const io = fakeIo("{}");
    expect(await main(["check-config", "config.json", "--secrets-file", "-"], io)).toBe(2);
    expect(io.err).toMatch(/not both/);
  });
});
