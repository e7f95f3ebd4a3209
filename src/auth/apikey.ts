/**
 * Trusted backends: `X-Api-Key: <key>`, checked against the app's SHA-256 hashes in constant time.
 * Every configured hash is compared (no early exit), so timing does not tell which key was close.
 */

import type { ApiKeyConfig } from "../config/schema.js";
import { hexToBytes, sha256, timingSafeEqual } from "./compare.js";
import { unauthorized } from "./errors.js";

/** Real keys are 32 to 64 characters; anything much longer is not a key. */
export const API_KEY_MAX_CHARS = 256;

const hashBytes = new WeakMap<ApiKeyConfig, Uint8Array>();

export async function authenticateApiKey(keys: readonly ApiKeyConfig[], presented: string): Promise<ApiKeyConfig> {
  if (presented.length === 0 || presented.length > API_KEY_MAX_CHARS) {
    throw unauthorized("ApiKey", "api key: empty or too long");
  }
  const digest = await sha256(presented);
  let match: ApiKeyConfig | undefined;
  for (const key of keys) {
    let expected = hashBytes.get(key);
    if (!expected) {
      expected = hexToBytes(key.sha256);
      hashBytes.set(key, expected);
    }
    if (timingSafeEqual(digest, expected)) match = key;
  }
  if (!match) throw unauthorized("ApiKey", "api key: no configured hash matches");
  return match;
}
