/**
 * Keys derived from an app's Tencent secret key with HKDF-SHA-256, one per purpose and app (salt
 * "usersig-broker", info `<purpose>/v1/<sdkAppId>`): no extra secret to manage, the Tencent key itself
 * never signs anything but Tencent tokens, and a key of one app or purpose is worthless at another.
 * Derivation is cached per isolate (in the isolate state: src/isolate.ts).
 */

export type KeyPurpose = "guest-ticket" | "rate-limit-subject";

/** Derived keys kept per isolate: a handful of apps, so a small bound is plenty. */
const DERIVED_KEYS_MAX = 64;
const SALT = "usersig-broker";
const encoder = new TextEncoder();

export interface Keyring {
  /** An HMAC-SHA-256 key for this purpose and app, derived once per isolate. */
  hmacKey(secretKey: string, sdkAppId: number, purpose: KeyPurpose): Promise<CryptoKey>;
}

export function createKeyring(): Keyring {
  const keys = new Map<string, Promise<CryptoKey>>();
  return {
    hmacKey(secretKey, sdkAppId, purpose) {
      const id = `${purpose}:${sdkAppId}:${secretKey}`;
      let key = keys.get(id);
      if (!key) {
        key = derive(secretKey, sdkAppId, purpose);
        if (keys.size >= DERIVED_KEYS_MAX) keys.clear();
        keys.set(id, key);
      }
      return key;
    },
  };
}

async function derive(secretKey: string, sdkAppId: number, purpose: KeyPurpose): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", encoder.encode(secretKey), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode(SALT), info: encoder.encode(`${purpose}/v1/${sdkAppId}`) },
    base,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}
