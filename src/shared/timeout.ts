/** Waiting for a promise at most so long. In src/shared: every server part may import it; it imports nothing. */

export const TIMED_OUT: unique symbol = Symbol("timed out");

/** The promise's value, or TIMED_OUT after `ms` (the promise itself keeps running). */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
