/**
 * jose, loaded on first use: `await jose()` before a verification or a signature; `loadedJose()` in
 * the synchronous parts that run after it (the key sets, the error classification). An isolate that
 * only serves API keys, or answers /healthz, never evaluates jose.
 */

type Jose = typeof import("./jose-functions.js");

let loaded: Jose | undefined;

export async function jose(): Promise<Jose> {
  loaded ??= await import("./jose-functions.js");
  return loaded;
}

/** jose, once `jose()` has resolved (in this isolate): a bug to call it before. */
export function loadedJose(): Jose {
  if (loaded === undefined) throw new Error("jose is used before `await jose()`");
  return loaded;
}
