import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

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
              // parties (an identity provider, Turnstile's siteverify): see test/fakes/internet.mjs.
              outboundService: "fake-internet",
              workers: [
                {
                  name: "fake-internet",
                  modules: true,
                  scriptPath: "./test/fakes/internet.mjs",
                  compatibilityDate: "2026-04-01",
                },
              ],
            },
          }),
        ],
        test: { name: "workerd", include: ["test/**/*.test.ts"], exclude: ["test/node/**"] },
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
          ],
        },
      },
    ],
  },
});
