import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { buildSync } from "esbuild";
import { defineConfig } from "vitest/config";

// The fake internet imports the broker's UserSig core (TypeScript) to check the admin sig the way
// Tencent would: bundle it into one module for workerd, which runs JavaScript only.
const FAKE_INTERNET = "./build/test/internet.mjs";
buildSync({
  entryPoints: ["./test/fakes/internet.mjs"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: FAKE_INTERNET,
  logLevel: "warning",
});

// Two projects: everything runs inside workerd with Miniflare's KV (the real runtime); the pure
// UserSig core's tests run a second time under plain Node to prove the core is runtime-agnostic.
export default defineConfig({
  test: {
    // Audit lines are printed for every request; show them only for failing tests.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            main: "./src/index.ts",
            miniflare: {
              // Every outbound fetch of the worker under test goes to a local fake of the outside
              // parties (an identity provider, Turnstile's siteverify, Tencent's Chat REST API): see
              // test/fakes/internet.mjs.
              outboundService: "fake-internet",
              // The test seam of the moderation object's config (src/env.ts, docs/moderation.md): each
              // test request has an env of its own, which the object loads its app from only under
              // this switch. A JSON `true`, set only here: never in wrangler.toml (npm run deploy refuses it).
              bindings: { TEST_ONLY_OBJECT_VARS: true },
              workers: [
                {
                  name: "fake-internet",
                  modules: true,
                  scriptPath: FAKE_INTERNET,
                  compatibilityDate: "2026-04-01",
                },
              ],
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/**/*.test.ts"],
          exclude: ["test/node/**", "test/unit/**"],
          // An isolate state of its own for every test file (test/broker/helpers.ts `call`).
          setupFiles: ["./test/support/fresh-isolate.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "test/usersig/**/*.test.ts",
            "test/node/**/*.test.ts",
            "test/client/**/*.test.ts",
            "test/ratelimit/**/*.test.ts",
            // The rules moved out of route files (operator token, allow-list, admin editing, moderators).
            "test/unit/**/*.test.ts",
          ],
        },
      },
    ],
  },
});
