/**
 * HMAC-SHA256 with a per-secret CryptoKey cache.
 *
 * Importing the key doubles the cost of a signature, so each secret is imported once per isolate
 * (non-extractable) and reused. The cache is bounded: a broker serves a handful of apps, and a
 * caller that cycles through secrets must not grow memory without end.
 */

import { invalidInput } from "./errors.js";
import { SECRET_KEY_MAX_CHARS } from "./limits.js";

const KEY_CACHE_MAX_ENTRIES = 32;
const keyCache = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

function hmacKey(secretKey: string): Promise<CryptoKey> {
  const cached = keyCache.get(secretKey);
  if (cached) return cached;
  if (typeof secretKey !== "string" || secretKey.length === 0 || secretKey.length > SECRET_KEY_MAX_CHARS) {
    throw invalidInput(`secretKey must be a non-empty string of at most ${SECRET_KEY_MAX_CHARS} characters`);
  }
  // The HMAC key is the UTF-8 bytes of the secret exactly as given: not hex-decoded, not trimmed.
  const imported = crypto.subtle.importKey("raw", encoder.encode(secretKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  if (keyCache.size >= KEY_CACHE_MAX_ENTRIES) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(secretKey, imported);
  // A failed import must not poison the cache for the next call.
  imported.catch(() => keyCache.delete(secretKey));
  return imported;
}

export async function hmacSign(secretKey: string, content: Uint8Array): Promise<Uint8Array> {
  const key = await hmacKey(secretKey);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, content as Uint8Array<ArrayBuffer>));
}

/** Constant-time comparison by construction: WebCrypto recomputes and compares the MAC itself. */
export async function hmacVerify(secretKey: string, signature: Uint8Array, content: Uint8Array): Promise<boolean> {
  const key = await hmacKey(secretKey);
  return crypto.subtle.verify("HMAC", key, signature as Uint8Array<ArrayBuffer>, content as Uint8Array<ArrayBuffer>);
}
