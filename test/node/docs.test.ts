// The configuration examples in the README and the demo configuration must be valid: a user copies
// them. Runs under plain Node (reads files); the schema is the one the Worker validates with.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const examples = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] as string);

describe("configuration examples", () => {
  it("the README has the three use cases", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  for (const [i, text] of examples.entries()) {
    it(`README example ${i + 1} is a valid BROKER_CONFIG`, () => {
      const result = configSchema.safeParse(JSON.parse(text));
      expect(result.success, result.success ? "" : JSON.stringify(result.error.issues)).toBe(true);
    });
  }

  it("demo/config.json is a valid BROKER_CONFIG with guests on and an admin identity", () => {
    const demo = configSchema.parse(
      JSON.parse(readFileSync(new URL("../../demo/config.json", import.meta.url), "utf8")),
    );
    expect(demo.apps[0]?.sdkAppId).toBe(1400000000);
    expect(demo.apps[0]?.guests.enabled).toBe(true);
    expect(demo.apps[0]?.admins).toContain("administrator");
  });

  it("demo/secrets.env holds the shared vectors' sample key (public, never valid at Tencent)", () => {
    const vectors = JSON.parse(readFileSync(new URL("../fixtures/vectors.json", import.meta.url), "utf8"));
    const secrets = readFileSync(new URL("../../demo/secrets.env", import.meta.url), "utf8");
    expect(secrets).toContain(`SECRET_KEY_1400000000=${vectors.secretKey}\n`);
  });
});
