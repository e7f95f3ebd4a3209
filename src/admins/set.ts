/**
 * Admin identities as the guard compares them: exactly, and folded, so that no case or
 * compatibility variant of an admin's UserID is issued on a public route.
 *
 * Folding is NFKC, then full case folding, to a fixed point: `toUpperCase` then `toLowerCase`
 * (which maps ß and ẞ to "ss", final ς and σ alike, the Kelvin sign to k, dotless ı to i), and a
 * dotted İ's "i + U+0307" to plain i. It refuses more than Unicode's own case folding (ı ≡ i, İ ≡ i):
 * for a guard, a false "admin-like" costs one refused ID, a miss costs an admin's sig.
 */

export interface AdminSet {
  /** The UserIDs as configured. */
  readonly ids: ReadonlySet<string>;
  /** The same, folded. */
  readonly folded: ReadonlySet<string>;
}

/** Enough for any string: each round only shortens or settles it after the second. */
const FOLD_ROUNDS_MAX = 4;
const ASCII_ONLY = /^[\x20-\x7e]*$/;

export function foldUserId(id: string): string {
  if (ASCII_ONLY.test(id)) return id.toLowerCase();
  let folded = id;
  for (let round = 0; round < FOLD_ROUNDS_MAX; round++) {
    const next = folded.normalize("NFKC").toUpperCase().toLowerCase().replaceAll("i\u0307", "i").normalize("NFKC");
    if (next === folded) break;
    folded = next;
  }
  return folded;
}

export function adminSetOf(ids: Iterable<string>): AdminSet {
  const set = new Set(ids);
  return { ids: set, folded: new Set([...set].map(foldUserId)) };
}

export const NO_ADMINS: AdminSet = adminSetOf([]);

/** Whether `userId` is an admin of any of the sets, or a case or compatibility variant of one. */
export function isAdminLike(userId: string, sets: readonly AdminSet[]): boolean {
  if (sets.some((set) => set.ids.has(userId))) return true;
  if (sets.every((set) => set.folded.size === 0)) return false;
  const folded = foldUserId(userId);
  return sets.some((set) => set.folded.has(folded));
}
