// The inspector page's text rules (src/inspector/page/format.ts) that the browser test cannot reach
// without exhausting a rate limit: the guest panel's message for a refusal.
import { describe, expect, it } from "vitest";
import { guestProblemText } from "../../src/inspector/page/format.js";

describe("guestProblemText", () => {
  it("a 429 whose detail already says when to try again is not told twice", () => {
    const text = guestProblemText(
      429,
      { code: "RATE_LIMITED", detail: "Too many requests; try again in 30 seconds." },
      "30",
    );
    expect(text).toBe("No guest UserSig: Too many requests; try again in 30 seconds. (RATE_LIMITED)");
    expect(text.match(/try again/gi)).toHaveLength(1);
  });

  it("Retry-After is added when the detail does not say it", () => {
    expect(guestProblemText(503, { code: "UNAVAILABLE", detail: "KV is unavailable." }, "5")).toBe(
      "No guest UserSig: KV is unavailable. (UNAVAILABLE) Try again in 5 s.",
    );
  });

  it("without a problem body, the status", () => {
    expect(guestProblemText(502, undefined, null)).toBe("No guest UserSig: The broker answered HTTP 502.");
  });
});
