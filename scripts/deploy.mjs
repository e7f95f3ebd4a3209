#!/usr/bin/env node
// `npm run deploy [-- wrangler deploy options]`: `wrangler deploy`, after a check that wrangler.toml
// no longer has the placeholder KV namespace ids of this repository. Deployed with them, the Worker
// would fail on its first KV access (rate limits, admin identities), or, worse, bind to whatever
// namespace happens to have that id. With `--dry-run` (nothing is uploaded) the check only warns.
// Nor one that sets the workerd tests' switch TEST_ONLY_OBJECT_VARS (src/env.ts), dry run or not.
// Nor, dry run or not, a `--secrets-file` (README, Deploying, step 6) that `usersig-broker
// check-config --secrets-file` refuses: its BROKER_CONFIG, the whole judgement (the top level and
// every app), and each secret value it sets that the Worker reads, judged by the Worker's own rule
// for that secret (src/config/load.ts judgeSecretValues: e.g. ADMIN_API_TOKEN or SECRET_KEY_<id>
// still holding a placeholder of .dev.vars.example, a callback key in the wrong format). A secret
// the file leaves out is not judged (it may be set already with `wrangler secret put`); no value is
// ever printed, and this script reads none (the CLI reads the file). The Worker checks an app and
// its secrets only when a request first needs it (and GET /healthz checks none), so a bad one would
// otherwise reach production and be seen only by its first caller.
//
// Create the namespaces and put their ids in wrangler.toml (README, Deploying):
//   npx wrangler kv namespace create RATE_LIMITS
//   npx wrangler kv namespace create ADMINS
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The ids wrangler.toml ships with: 31 zeros and a digit. */
const PLACEHOLDER_ID = /^0{31}[0-9]$/;

/** [[kv_namespaces]] entries of a wrangler.toml: binding and id (enough TOML for this file's shape). */
export function kvNamespaces(toml) {
  const entries = [];
  for (const block of toml.split(/^\s*\[\[kv_namespaces\]\]\s*$/m).slice(1)) {
    const body = block.split(/^\s*\[/m)[0] ?? "";
    const binding = /^\s*binding\s*=\s*"([^"]*)"/m.exec(body)?.[1];
    const id = /^\s*id\s*=\s*"([^"]*)"/m.exec(body)?.[1];
    entries.push({ binding, id });
  }
  return entries;
}

export function placeholderNamespaces(toml) {
  return kvNamespaces(toml).filter(({ id }) => id !== undefined && PLACEHOLDER_ID.test(id));
}

/**
 * Whether a wrangler.toml sets the workerd tests' switch TEST_ONLY_OBJECT_VARS (src/env.ts: under
 * it the moderation object loads its app from each caller's env strings): a line that names it
 * outside a comment. Never right in a deployment, so never deployed, not even as a dry run.
 */
export function setsTestSwitch(toml) {
  return toml.split("\n").some((line) => /\bTEST_ONLY_OBJECT_VARS\b/.test(line.replace(/#.*$/, "")));
}

/** The value of wrangler deploy's `--secrets-file PATH` (or `--secrets-file=PATH`), or undefined. */
export function secretsFileOf(args) {
  for (const [i, arg] of args.entries()) {
    if (arg === "--secrets-file") return args[i + 1];
    if (arg.startsWith("--secrets-file=")) return arg.slice("--secrets-file=".length);
  }
  return undefined;
}

/**
 * A secrets file (wrangler's `--secrets-file`: JSON of name → value, or dotenv) judged by `usersig-broker
 * check-config --secrets-file`: its BROKER_CONFIG whole (the same parts the Worker checks, composed),
 * and each secret value it sets that the Worker reads, by the Worker's own rule for it
 * (judgeSecretValues, src/config/load.ts: a placeholder of .dev.vars.example, a value in the wrong
 * format). `{ ok, problems }` with the CLI's words, which name a secret, never its value: this
 * script reads no value itself, the CLI reads the file.
 */
export async function judgeSecretsFile(path) {
  const cli = spawn(
    process.execPath,
    [join(root, "bin/usersig-broker.mjs"), "check-config", `--secrets-file=${path}`],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let problems = "";
  cli.stderr.setEncoding("utf8").on("data", (chunk) => {
    problems += chunk;
  });
  const code = await new Promise((resolve, reject) => {
    cli.on("error", reject);
    cli.on("close", resolve);
  });
  return { ok: code === 0, problems: problems.trim() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const dryRun = args.includes("--dry-run");
  const configIndex = args.findIndex((a) => a === "--config" || a === "-c");
  const configPath = configIndex >= 0 ? args[configIndex + 1] : join(root, "wrangler.toml");
  const toml = readFileSync(configPath, "utf8");
  if (setsTestSwitch(toml)) {
    console.error(
      "npm run deploy: not deploying: wrangler.toml sets TEST_ONLY_OBJECT_VARS, the workerd tests' switch (src/env.ts, docs/moderation.md): remove it.",
    );
    process.exit(1);
  }
  const secretsFile = secretsFileOf(args);
  const judged = secretsFile === undefined ? undefined : await judgeSecretsFile(secretsFile);
  if (judged && !judged.ok) {
    console.error(
      `npm run deploy: not deploying: ${secretsFile} is refused by \`usersig-broker check-config --secrets-file\` (its BROKER_CONFIG judged whole, every app, and each secret value it sets by the Worker's own rule; deployed like this, the Worker would answer 500 CONFIG_ERROR to the requests that need a refused part):\n${judged.problems}`,
    );
    process.exit(1);
  }
  const placeholders = placeholderNamespaces(toml);
  if (placeholders.length > 0) {
    const names = placeholders.map((p) => p.binding ?? "(no binding)").join(", ");
    const message = `wrangler.toml still has the placeholder KV namespace id${placeholders.length > 1 ? "s" : ""} of ${names}: create ${placeholders.length > 1 ? "them" : "it"} with \`npx wrangler kv namespace create <BINDING>\` and put the printed id${placeholders.length > 1 ? "s" : ""} in wrangler.toml (README, Deploying).`;
    if (!dryRun) {
      console.error(`npm run deploy: not deploying: ${message}`);
      process.exit(1);
    }
    console.error(`npm run deploy: warning: ${message} (a dry run uploads nothing, so it goes on)`);
  }
  const wrangler = spawn(join(root, "node_modules/.bin/wrangler"), ["deploy", ...args], {
    cwd: root,
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
  wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
