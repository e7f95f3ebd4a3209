/**
 * Text measured and cut as people see it: in code points, never inside a surrogate pair (a cut
 * there leaves a lone surrogate, which JSON round-trips as U+FFFD and KV stores as something else).
 */

/** How many code points `text` has (an emoji is one, not two UTF-16 units). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The first `max` code points of `text` (all of it when shorter). */
export function cutCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = "";
  let count = 0;
  for (const char of text) {
    if (count === max) return cut;
    cut += char;
    count++;
  }
  return cut;
}

/**
 * Bidirectional formatting characters: the embeddings and overrides (U+202A–202E), the isolates
 * (U+2066–2069), and the marks (U+200E LRM, U+200F RLM, U+061C ALM). In a moderator's list they can
 * turn the text around ("Trojan Source"), and no reason needs them.
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function hasBidiControls(text: string): boolean {
  return BIDI_CONTROLS.test(text);
}
