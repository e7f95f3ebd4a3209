// The timed loop both runtimes use: N operations one after another, each awaited, as a request
// handler would issue them. Inside workerd the clock it reads is only a cross-check (see bench.mjs).

/** A result as JSON-safe text: tokens stay strings, bytes become base64. */
export function describe(value) {
  if (value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return btoa(String.fromCharCode(...value));
  return JSON.stringify(value);
}

export async function runBatch(op, n) {
  let first;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const result = await op(i);
    if (i === 0) first = result;
  }
  const ms = performance.now() - t0;
  return { ms, first: describe(first) };
}
