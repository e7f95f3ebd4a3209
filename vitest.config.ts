import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Two projects: everything runs inside workerd with Miniflare's KV (the real runtime); the pure
// UserSig core's tests run a second time under plain Node to prove the core is runtime-agnostic.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, main: "./src/index.ts" })],
        test: { name: "workerd", include: ["test/**/*.test.ts"], exclude: ["test/node/**"] },
      },
      {
        test: { name: "node", environment: "node", include: ["test/usersig/**/*.test.ts", "test/node/**/*.test.ts"] },
      },
    ],
  },
});
