// The inspector switch reads BROKER_CONFIG once per config string, not on every inspector request.
import { afterEach, describe, expect, it, vi } from "vitest";
import { inspectorEnabled } from "../../src/inspector/switch.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("inspectorEnabled", () => {
  it("answers from the raw config: off only for inspector: false; a broken config leaves it on", () => {
    expect(inspectorEnabled('{"inspector": false, "apps": []}')).toBe(false);
    expect(inspectorEnabled('{"inspector": true}')).toBe(true);
    expect(inspectorEnabled('{"apps": []}')).toBe(true);
    expect(inspectorEnabled("{ not json")).toBe(true);
    expect(inspectorEnabled({ inspector: false })).toBe(false);
    expect(inspectorEnabled(undefined)).toBe(true);
  });

  it("parses a config string once, however many requests ask", () => {
    const parse = vi.spyOn(JSON, "parse");
    const raw = '{"inspector": false, "apps": [{"sdkAppId": 1}]}';
    for (let i = 0; i < 5; i++) expect(inspectorEnabled(raw)).toBe(false);
    expect(parse).toHaveBeenCalledTimes(1);
    // A new config is read afresh.
    expect(inspectorEnabled('{"apps": [{"sdkAppId": 2}]}')).toBe(true);
    expect(parse).toHaveBeenCalledTimes(2);
  });
});
