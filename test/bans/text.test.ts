// Code points and bidi controls (src/shared/text.ts), and a ban's stored name: the answer to the ban
// and the list agree even when the actor is cut next to a surrogate pair.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { foldUserId } from "../../src/admins/set.js";
import { BanCache } from "../../src/bans/cache.js";
import { bansInForce, banUser } from "../../src/bans/moderate.js";
import { BAN_ACTOR_MAX_CHARS } from "../../src/bans/store.js";
import { kvStore } from "../../src/shared/storage.js";
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

describe("bannedBy", () => {
  it("is cut on a code point, and the ban's answer equals the list", async () => {
    const bans = new BanCache({ fold: foldUserId });
    const deps = {
      store: kvStore(env.ADMINS),
      bans,
      sdkAppId: 1400000181,
      nowMs: Date.now(),
      isAdmin: async () => false,
      kick: undefined,
    };
    // The cut point falls inside the emoji's surrogate pair when counted in UTF-16 units.
    const actor = `idp:${"a".repeat(BAN_ACTOR_MAX_CHARS - 5)}\u{1F600}\u{1F600}@https://idp.example/`;
    const result = await banUser("mallory", {}, actor, deps);
    expect(result.bannedBy.isWellFormed()).toBe(true);
    expect(codePointLength(result.bannedBy)).toBe(BAN_ACTOR_MAX_CHARS);
    const [listed] = await bansInForce(deps);
    expect(listed?.bannedBy).toBe(result.bannedBy);
  });
});
