// Bundles the benchmark's harness with src/usersig (TypeScript) using esbuild: one bundle for Node
// and two single-file worker modules for workerd (node:* stays external for nodejs_compat).
import { join } from "node:path";
import { build } from "esbuild";

export async function buildBundles(root, outdir) {
  const common = {
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    target: "es2022",
    outdir,
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  };
  await build({
    ...common,
    platform: "node",
    entryPoints: { node: "scripts/bench/node-entry.mjs" },
  });
  await build({
    ...common,
    platform: "neutral",
    external: ["node:*"],
    entryPoints: {
      "worker-full": "scripts/bench/worker-full.mjs",
      "worker-plain": "scripts/bench/worker-plain.mjs",
    },
  });
  return {
    node: join(outdir, "node.mjs"),
    workerFull: join(outdir, "worker-full.mjs"),
    workerPlain: join(outdir, "worker-plain.mjs"),
  };
}
