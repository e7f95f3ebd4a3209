/**
 * The broker's one identity normalization: the admin guard, the ban match (bans/cache.ts), unban,
 * kick and the gateway's admin targets (tencent/gateway-targets.ts) all compare UserIDs with it.
 *
 * - **Edges**: a UserID that begins or ends with white space (U+0020, NBSP, U+2000–200A, U+3000 and
 *   every other White_Space character) or an invisible default-ignorable character (ZWSP, U+FEFF, …)
 *   is not valid anywhere (hasEdgeSpace; the routes' schemas and the IdP rule refuse it). Tencent
 *   documents a UserID as "a string of up to 32 bytes" and TRTC recommends letters, digits and
 *   underscores; it documents no trimming, so " admin" may well be another account at Tencent, and
 *   the broker cannot fold it onto "admin" when it signs or kicks: it refuses it.
 * - **Folding** (foldUserId, for comparing only; nothing is signed or kicked under a folded ID):
 *   NFKC (full-width ＭＡＬＬＯＲＹ ≡ MALLORY, ligatures, the Kelvin sign), default-ignorable
 *   characters removed anywhere ("admin\u200Bistrator" ≡ "administrator"), white space trimmed, then
 *   full case folding, to a fixed point: `toUpperCase` then `toLowerCase` (ß and ẞ to "ss", final ς
 *   and σ alike, dotless ı to i), and a dotted İ's "i + U+0307" to plain i. Combining marks are
 *   composed by NFKC ("e" + U+0301 ≡ "é") but not removed: "é" and "e" stay different people.
 *
 * It refuses more than Unicode's own case folding (ı ≡ i, İ ≡ i): for a guard, a false
 * "admin-like" costs one refused ID, a miss costs an admin's sig.
 */

export interface AdminSet {
  /** The UserIDs as configured. */
  readonly ids: ReadonlySet<string>;
  /** The same, folded. */
  readonly folded: ReadonlySet<string>;
}

/** Enough for any string: each round only shortens or settles it after the second. */
const FOLD_ROUNDS_MAX = 4;
/** Printable ASCII: its only White_Space character is U+0020, and none is default-ignorable. */
const ASCII_ONLY = /^[\x20-\x7e]*$/;

/**
 * The Unicode property patterns, made on their first use by a UserID that is not printable ASCII.
 * Written as literals they cost every cold isolate an ICU property lookup while V8 parses the script
 * (it checks each literal's syntax then, used or not): about 2.6M instructions, 2% of a cold start
 * (BENCHMARKS.md, run S-13). `String.raw`, so the patterns read as they would as literals.
 */
interface UnicodePatterns {
  invisible: RegExp;
  edgeSpace: RegExp;
  edgeWhiteSpace: RegExp;
}
let unicodePatterns: UnicodePatterns | undefined;
function patterns(): UnicodePatterns {
  // biome-ignore-start lint/complexity/useRegexLiterals: a literal is what this avoids (above; test/node/cold-start.test.ts).
  unicodePatterns ??= {
    invisible: new RegExp(String.raw`\p{Default_Ignorable_Code_Point}`, "gu"),
    edgeSpace: new RegExp(
      String.raw`^[\p{White_Space}\p{Default_Ignorable_Code_Point}]|[\p{White_Space}\p{Default_Ignorable_Code_Point}]$`,
      "u",
    ),
    edgeWhiteSpace: new RegExp(String.raw`^\p{White_Space}+|\p{White_Space}+$`, "gu"),
  };
  // biome-ignore-end lint/complexity/useRegexLiterals: see above.
  return unicodePatterns;
}

/** Whether `id` begins or ends with white space or an invisible character: not a valid UserID. */
export function hasEdgeSpace(id: string): boolean {
  if (ASCII_ONLY.test(id)) return id.startsWith(" ") || id.endsWith(" ");
  return patterns().edgeSpace.test(id);
}

export function foldUserId(id: string): string {
  if (ASCII_ONLY.test(id)) return id.trim().toLowerCase();
  const { invisible, edgeWhiteSpace } = patterns();
  let folded = id;
  for (let round = 0; round < FOLD_ROUNDS_MAX; round++) {
    const next = folded
      .normalize("NFKC")
      .replace(invisible, "")
      .replace(edgeWhiteSpace, "")
      .toUpperCase()
      .toLowerCase()
      .replaceAll("i\u0307", "i")
      .normalize("NFKC");
    if (next === folded) break;
    folded = next;
  }
  return folded;
}

export function adminSetOf(ids: Iterable<string>): AdminSet {
  const set = new Set(ids);
  return { ids: set, folded: new Set([...set].map(foldUserId)) };
}

/** Pure, so that a bundle that never uses it (the Worker's) drops it: no call at load. */
export const NO_ADMINS: AdminSet = /* @__PURE__ */ adminSetOf([]);

/** Whether `userId` is an admin of any of the sets, or a case or compatibility variant of one. */
export function isAdminLike(userId: string, sets: readonly AdminSet[]): boolean {
  if (sets.some((set) => set.ids.has(userId))) return true;
  if (sets.every((set) => set.folded.size === 0)) return false;
  const folded = foldUserId(userId);
  return sets.some((set) => set.folded.has(folded));
}
