// The identity normalization's edge rule and folding (src/admins/set.ts), under plain Node. A printable
// ASCII UserID takes a fast path that builds no Unicode property pattern (they are made on first use,
// for a cold start's sake): it must judge every such ID as the Unicode rule does. (Through the
// routes, for every caller kind: test/broker/guard.test.ts and the routes' own tests.)

import { describe, expect, it } from "vitest";
import { foldUserId, hasEdgeSpace } from "../../src/admins/set.js";

/** The rule as the module words it, as a literal: white space or a default-ignorable character at an end. */
const EDGE_SPACE_RULE =
  /^[\p{White_Space}\p{Default_Ignorable_Code_Point}]|[\p{White_Space}\p{Default_Ignorable_Code_Point}]$/u;

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

describe("hasEdgeSpace", () => {
  it("judges every printable ASCII ID of up to two characters, and each with a middle, as the Unicode rule does", () => {
    for (const a of PRINTABLE_ASCII) {
      for (const b of ["", ...PRINTABLE_ASCII]) {
        for (const id of [a + b, `${a}x${b}`])
          expect(hasEdgeSpace(id), JSON.stringify(id)).toBe(EDGE_SPACE_RULE.test(id));
      }
    }
  });

  it("refuses a space at either end of an ASCII ID, and nothing else in it", () => {
    expect(hasEdgeSpace(" admin")).toBe(true);
    expect(hasEdgeSpace("admin ")).toBe(true);
    expect(hasEdgeSpace(" ")).toBe(true);
    expect(hasEdgeSpace("ad min")).toBe(false);
    expect(hasEdgeSpace("admin")).toBe(false);
    expect(hasEdgeSpace("")).toBe(false);
  });

  it("refuses any other white space or invisible character at an end, as the Unicode rule does", () => {
    const edges = ["\t", "\n", "\r", "\v", "\f", "\u0085", "\u00a0", "\u2000", "\u200a", "\u2028", "\u3000"];
    const invisible = ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u2060", "\u034f"];
    for (const c of [...edges, ...invisible]) {
      for (const id of [`${c}admin`, `admin${c}`]) {
        expect(hasEdgeSpace(id), JSON.stringify(id)).toBe(true);
        expect(EDGE_SPACE_RULE.test(id)).toBe(true);
      }
      expect(hasEdgeSpace(`ad${c}min`), JSON.stringify(c)).toBe(false);
    }
    // Neither white space nor invisible: a control character and a letter beyond ASCII.
    for (const id of ["\u0001admin", "admin\u001f", "éadmin", "adminé"])
      expect(hasEdgeSpace(id), JSON.stringify(id)).toBe(false);
  });

  it("gives the same answer on a second call (the patterns are made once and carry no state between calls)", () => {
    for (let round = 0; round < 3; round++) {
      expect(hasEdgeSpace("\u3000admin")).toBe(true);
      expect(hasEdgeSpace("ad\u3000min")).toBe(false);
    }
  });
});

describe("foldUserId beyond ASCII", () => {
  it("removes invisible characters anywhere and trims Unicode white space, every call alike", () => {
    for (let round = 0; round < 3; round++) {
      expect(foldUserId("admin\u200bistrator")).toBe("administrator");
      expect(foldUserId("\u3000Admin\u00a0")).toBe("admin");
      expect(foldUserId("\ufeffＡＤＭＩＮ\u2060")).toBe("admin");
    }
  });
});
