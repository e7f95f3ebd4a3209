/**
 * Base64 in the two alphabets a UserSig uses, on `btoa`/`atob` only.
 *
 * - Standard base64 (`+/`, `=` padding) for `TLS.sig` and `TLS.userbuf` inside the JSON.
 * - The token alphabet: standard base64 with `+` -> `*`, `/` -> `-`, `=` -> `_` (padding kept).
 *   It is not base64url.
 */

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TOKEN_ALPHABET = /^[A-Za-z0-9*-]+_{0,2}$/;

export function bytesToBase64(bytes: Uint8Array): string {
  // Inputs here are at most a few KiB, so one String.fromCharCode per chunk of 4096 stays far
  // below the engine's argument limit while avoiding a per-byte string concatenation.
  let binary = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return btoa(binary);
}

/** Decodes canonical, padded standard base64; returns undefined for anything else. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!STANDARD_BASE64.test(text)) return undefined;
  return binaryToBytes(atob(text));
}

export function bytesToToken(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/[+/=]/g, toTokenChar);
}

/**
 * Decodes the token alphabet. Padding may be present (as every official library writes it) or
 * absent (as some copy-paste paths leave it); anything outside the alphabet is refused.
 */
export function tokenToBytes(token: string): Uint8Array | undefined {
  if (!TOKEN_ALPHABET.test(token)) return undefined;
  const standard = token.replace(/[*\-_]/g, fromTokenChar);
  const unpadded = standard.replace(/=+$/, "");
  if (unpadded.length % 4 === 1) return undefined;
  const padded = unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4);
  if (standard.length !== unpadded.length && standard !== padded) return undefined;
  try {
    return binaryToBytes(atob(padded));
  } catch {
    return undefined;
  }
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toTokenChar(c: string): string {
  return c === "+" ? "*" : c === "/" ? "-" : "_";
}

function fromTokenChar(c: string): string {
  return c === "*" ? "+" : c === "-" ? "/" : "=";
}
