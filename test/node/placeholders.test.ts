// Every secret placeholder in .dev.vars.example is one the Worker refuses to run with
// (PLACEHOLDER_SECRET_VALUES in src/config/check.ts): whoever rewords the file updates the list.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PLACEHOLDER_SECRET_VALUES } from "../../src/config/check.js";

const example = readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8");

describe(".dev.vars.example", () => {
  it("each secret's placeholder value is in PLACEHOLDER_SECRET_VALUES", () => {
    const secrets = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)]
      .filter(([, name]) => name !== "BROKER_CONFIG" && name !== "CLIENT_IP_HEADER")
      .map(([, name, value]) => [name, (value as string).trim().replace(/^(['"])(.*)\1$/, "$2")] as const);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const [name, value] of secrets) expect(PLACEHOLDER_SECRET_VALUES, name).toContain(value);
  });
});
