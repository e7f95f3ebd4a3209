/**
 * Redeliveries: Tencent retries a callback it got no answer to, so the object remembers each
 * event's key (src/callbacks/: the event's own fields) for SEEN_TTL_SECONDS and acts on it once.
 * Bounded: at most SEEN_MAX keys per app, the oldest forgotten first.
 */

/** Longer than Tencent retries a callback (a few times within a minute). */
export const SEEN_TTL_SECONDS = 10 * 60;
export const SEEN_MAX = 50_000;
/** Longer keys are refused: a key is an event's identity, not its body. */
export const EVENT_KEY_MAX_CHARS = 512;

export function seenCutoff(nowSeconds: number): number {
  return nowSeconds - SEEN_TTL_SECONDS;
}

export function checkEventKey(eventKey: string): void {
  if (typeof eventKey !== "string" || eventKey.length === 0 || eventKey.length > EVENT_KEY_MAX_CHARS) {
    throw new RangeError(`an event key is 1 to ${EVENT_KEY_MAX_CHARS} characters`);
  }
}
