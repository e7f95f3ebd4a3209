// The admin guard's folding (issue 9, defect 1): NFKC + full case folding, so no case or
// compatibility variant of an admin identity is issued on a public route. Pure checks of the
// folding, then the same variants through the routes, for every caller kind that can name an ID.
import { describe, expect, it } from "vitest";
import { adminSetOf, foldUserId, isAdminLike } from "../../src/admins/set.js";
import { call, type Json, problem, secretsFor, sha256Hex } from "./helpers.js";

/** admin → variants that must be refused. */
const VARIANTS: [string, string[]][] = [
  // ß, ẞ and ss fold alike (ẞ lowercases to ß, which uppercases to SS)
  ["straße", ["STRASSE", "strasse", "ＳＴＲＡＳＳＥ", "STRAẞE", "Straße"]],
  ["boss", ["boß", "BOẞ", "BOSS"]],
  // final sigma: ς, σ and Σ
  ["ΟΔΟΣ", ["οδοσ", "οδος", "Οδος"]],
  ["οδος", ["ΟΔΟΣ", "οδοσ"]],
  // the Kelvin sign (U+212A) is a K
  ["kelvin", ["\u212Aelvin", "KELVIN"]],
  ["\u212Aelvin", ["kelvin", "Kelvin"]],
  // dotless ı and dotted İ are taken for i (stricter than Unicode's own folding: a guard may refuse more)
  ["admin", ["admın", "ADMİN", "adm\u0130n", "ADMIN", "ａｄｍｉｎ"]],
  ["admın", ["admin", "ADMIN"]],
];

describe("foldUserId", () => {
  it("folds ß/ẞ/ss, final sigma, the Kelvin sign and dotless/dotted i to one form", () => {
    expect(foldUserId("straße")).toBe("strasse");
    expect(foldUserId("ẞ")).toBe("ss");
    expect(foldUserId("ΟΔΟΣ")).toBe(foldUserId("οδοσ"));
    expect(foldUserId("οδος")).toBe(foldUserId("οδοσ"));
    expect(foldUserId("\u212A")).toBe("k");
    expect(foldUserId("ı")).toBe("i");
    expect(foldUserId("İ")).toBe("i");
  });

  it("is idempotent, and the ASCII fast path agrees with the general one", () => {
    for (const [admin, variants] of VARIANTS) {
      for (const id of [admin, ...variants]) expect(foldUserId(foldUserId(id)), id).toBe(foldUserId(id));
    }
    expect(foldUserId("Admin_User-1")).toBe("admin_user-1");
    expect(foldUserId("Admin_User-1\u00e9")).toBe("admin_user-1\u00e9");
  });

  it("every variant is admin-like; unrelated IDs are not", () => {
    for (const [admin, variants] of VARIANTS) {
      const sets = [adminSetOf([admin])];
      for (const id of variants) expect(isAdminLike(id, sets), `${id} vs ${admin}`).toBe(true);
    }
    const sets = [adminSetOf(["straße", "admin"])];
    for (const id of ["strase", "strasse2", "admins", "adm1n", "bob"]) expect(isAdminLike(id, sets), id).toBe(false);
  });
});

describe("the guard through the routes", () => {
  const APP = 1400009201;
  const KEY = "guard-test-namer-key-0123456789abcdef";

  it("an API key naming a case or compatibility variant of an admin gets 403 ADMIN_IDENTITY_FORBIDDEN", async () => {
    const admins = VARIANTS.map(([admin]) => admin);
    const config: Json = {
      apps: [
        {
          sdkAppId: APP,
          admins,
          // any UserID the variants need: letters of any script, digits
          userIdPattern: "[\\p{L}\\p{N}_-]{1,32}",
          apiKeys: [{ name: "namer", sha256: await sha256Hex(KEY), allowUserId: true }],
          privateMapKey: { apiKey: { enabled: true, rooms: "any" } },
        },
      ],
    };
    const send = (path: string, userId: string) =>
      call(
        config,
        path,
        {
          json: { userId, ...(path === "/v1/privatemapkey" ? { roomId: 1, privileges: 1 } : {}) },
          headers: { "X-Api-Key": KEY },
        },
        secretsFor(APP),
      );
    for (const [, variants] of VARIANTS) {
      for (const id of variants) {
        await problem(await send("/v1/usersig", id), 403, "ADMIN_IDENTITY_FORBIDDEN");
      }
    }
    await problem(await send("/v1/privatemapkey", "STRASSE"), 403, "ADMIN_IDENTITY_FORBIDDEN");
    // and a neighbour that is no variant is issued
    expect((await send("/v1/usersig", "strase")).status).toBe(200);
  });
});
