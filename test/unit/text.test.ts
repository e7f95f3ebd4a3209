// Code points and bidi controls (src/shared/text.ts), under plain Node. (A ban's stored name, cut on
// a code point: test/unit/ban-rules.test.ts and test/objects/bans.test.ts.)

import { describe, expect, it } from "vitest";
import { codePointLength, cutCodePoints, hasBidiControls } from "../../src/shared/text.js";

describe("text", () => {
  it("counts and cuts in code points", () => {
    expect(codePointLength("a\u{1F600}b")).toBe(3);
    expect(cutCodePoints("ab\u{1F600}c", 3)).toBe("ab\u{1F600}");
    expect(cutCodePoints("ab\u{1F600}c", 2)).toBe("ab");
    expect(cutCodePoints("abc", 5)).toBe("abc");
    expect(cutCodePoints("\u{1F600}".repeat(10), 5).isWellFormed()).toBe(true);
  });

  it("finds bidi controls", () => {
    for (const c of ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]) {
      expect(hasBidiControls(`x${c}y`)).toBe(true);
    }
    for (const c of ["\u200e", "\u200f", "\u061c"]) expect(hasBidiControls(c)).toBe(true);
    expect(hasBidiControls("spam \u{1F600} שלום")).toBe(false);
  });
});
