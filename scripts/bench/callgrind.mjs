// workerd started by the cold-start benches and counted by callgrind (valgrind): the instructions it
// runs from its start to the first 200 of GET /healthz. The same count on every run for the same
// binary and inputs, whatever else the machine does (a few hundred thousand apart), so a change of 1%
// shows where timed runs cannot see it. Used by scripts/bench/direct.mjs (workerd on a config the bench
// writes) and scripts/bench/startup.mjs (workerd on the config Miniflare writes, captured). Loopback
// only; the child is killed by its pid.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CALLGRIND_TIMEOUT_MS = 300_000;

/** GET /healthz until it answers (connection refused until workerd listens); throws on a non-200. */
export async function firstHealthz(port, startedMs, timeoutMs, pollMs, what) {
  for (;;) {
    if (performance.now() - startedMs > timeoutMs) throw new Error(`${what}: no answer in ${timeoutMs} ms`);
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
      const body = await answer.text();
      if (answer.status !== 200) throw new Error(`${what}: /healthz is ${answer.status}: ${body.slice(0, 200)}`);
      return;
    } catch (error) {
      if (error?.cause?.code !== "ECONNREFUSED") throw error;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** Kills a child by its pid and waits for it to exit. */
export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** Throws unless valgrind is installed (`what`: the knob that asked for it). */
export function requireValgrind(what) {
  if (spawnSync("valgrind", ["--version"]).status !== 0) throw new Error(`${what} needs valgrind (Debian: valgrind)`);
}

/**
 * The instructions `workerd args…` runs from its start to the first 200 of GET /healthz on `port`
 * (which `args` must make it listen on), counted by callgrind into files named `out*`; `stdin`: bytes
 * written to its standard input (a `--binary -` config), or none.
 */
export async function countInstructions({ workerd, args, stdin, port, out, what }) {
  const child = spawn(
    "valgrind",
    ["--tool=callgrind", "--smc-check=all-non-file", `--callgrind-out-file=${out}`, workerd, ...args],
    { stdio: [stdin === undefined ? "ignore" : "pipe", "ignore", "pipe"] },
  );
  if (stdin !== undefined) child.stdin.end(stdin);
  // valgrind's and workerd's own words, for the error when workerd never answers.
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise((_, reject) =>
    child.once("exit", (code, signal) =>
      reject(new Error(`${what} (callgrind): workerd exited (${signal ?? code}) before answering:\n${stderr.trim()}`)),
    ),
  );
  exited.catch(() => {});
  try {
    await Promise.race([
      firstHealthz(port, performance.now(), CALLGRIND_TIMEOUT_MS, 20, `${what} (callgrind)`),
      exited,
    ]);
    // The counts so far, written now: what follows (the kill) is not counted.
    execFileSync("callgrind_control", ["--dump", String(child.pid)], { stdio: "ignore" });
  } finally {
    await stopChild(child);
  }
  const dir = join(out, "..");
  const prefix = out.slice(dir.length + 1);
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.startsWith(prefix))) {
    const match = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, file), "utf8"));
    if (match) total += Number(match[1]);
  }
  return total;
}
