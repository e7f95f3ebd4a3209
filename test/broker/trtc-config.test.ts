// `trtc` in BROKER_CONFIG: its schema (the base-URL rule shared with chat.apiBaseUrl, the regions
// TRTC's room actions serve), the secrets check-config lists for it, and the Worker refusing to run
// without them or with their .dev.vars.example placeholders.
import { describe, expect, it } from "vitest";
import { PLACEHOLDER_SECRET_VALUES } from "../../src/config/check.js";
import { checkConfig } from "../../src/config/explain.js";
import { call, problem, secretsFor } from "./helpers.js";

const APP = 1400009201;
const config = (trtc: unknown) => ({ apps: [{ sdkAppId: APP, guests: { enabled: true }, trtc }] });
const TRTC_SECRETS = { [`TRTC_SECRET_ID_${APP}`]: "AKIDconfig-test", [`TRTC_SECRET_KEY_${APP}`]: "config-test-key" };

describe("the trtc schema", () => {
  it("takes a region the room actions serve, and the default host", () => {
    const checked = checkConfig(config({ region: "ap-singapore" }));
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.config.apps[0]?.trtc).toEqual({
        apiBaseUrl: "https://trtc.tencentcloudapi.com",
        region: "ap-singapore",
      });
    }
    for (const region of ["ap-beijing", "ap-guangzhou"]) expect(checkConfig(config({ region })).ok).toBe(true);
  });

  it("refuses another region, no region, and unknown fields", () => {
    for (const trtc of [{ region: "eu-frankfurt" }, {}, { region: "ap-singapore", secretKey: "x" }]) {
      const checked = checkConfig(config(trtc));
      expect(checked.ok, JSON.stringify(trtc)).toBe(false);
      expect(checked.errors[0]?.field).toMatch(/^apps\[0\]\.trtc/);
    }
  });

  it("apiBaseUrl follows chat.apiBaseUrl's rule: https, or loopback http with a port, no path", () => {
    for (const apiBaseUrl of ["https://trtc.intl.tencentcloudapi.com", "http://127.0.0.1:8790", "http://localhost:9"]) {
      expect(checkConfig(config({ region: "ap-singapore", apiBaseUrl })).ok, apiBaseUrl).toBe(true);
    }
    for (const apiBaseUrl of [
      "http://trtc.tencentcloudapi.com",
      "http://127.0.0.1",
      "https://trtc.tencentcloudapi.com/v3",
    ]) {
      const checked = checkConfig(config({ region: "ap-singapore", apiBaseUrl }));
      expect(checked.errors[0]?.field, apiBaseUrl).toBe("apps[0].trtc.apiBaseUrl");
    }
  });

  it("check-config lists both TRTC secrets, required, only for apps with trtc", () => {
    const checked = checkConfig(config({ region: "ap-singapore" }));
    const names = checked.secrets.filter((s) => s.name.startsWith("TRTC_")).map((s) => [s.name, s.required]);
    expect(names).toEqual([
      [`TRTC_SECRET_ID_${APP}`, true],
      [`TRTC_SECRET_KEY_${APP}`, true],
    ]);
    const without = checkConfig({ apps: [{ sdkAppId: APP, guests: { enabled: true } }] });
    expect(without.secrets.some((s) => s.name.startsWith("TRTC_"))).toBe(false);
  });
});

describe("the Worker with trtc", () => {
  const trtc = config({ region: "ap-singapore" });

  it("runs with both secrets set", async () => {
    const response = await call(trtc, "/v1/usersig", { method: "POST" }, { ...secretsFor(APP), ...TRTC_SECRETS });
    expect(response.status).toBe(200);
  });

  it("without one of them: 500 CONFIG_ERROR naming it, never a value", async () => {
    for (const missing of Object.keys(TRTC_SECRETS)) {
      const secrets: Record<string, string> = { ...TRTC_SECRETS };
      delete secrets[missing];
      const body = await problem(
        await call(trtc, "/v1/usersig", { method: "POST" }, { ...secretsFor(APP), ...secrets }),
        500,
        "CONFIG_ERROR",
      );
      expect(body.detail).toContain(missing);
      expect(JSON.stringify(body)).not.toContain("config-test-key");
    }
  });

  it("with a .dev.vars.example placeholder: 500 CONFIG_ERROR naming it", async () => {
    expect(PLACEHOLDER_SECRET_VALUES).toContain("replace-with-your-trtc-secret-id");
    expect(PLACEHOLDER_SECRET_VALUES).toContain("replace-with-your-trtc-secret-key");
    const name = `TRTC_SECRET_KEY_${APP}`;
    const response = await call(
      trtc,
      "/v1/usersig",
      { method: "POST" },
      {
        ...secretsFor(APP),
        ...TRTC_SECRETS,
        [name]: "replace-with-your-trtc-secret-key",
      },
    );
    const body = await problem(response, 500, "CONFIG_ERROR");
    expect(body.detail).toContain(name);
    expect(body.detail).toContain(".dev.vars.example");
  });
});
