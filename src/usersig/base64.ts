/**
 * Base64 in the two alphabets a UserSig uses: encoding by table lookup, decoding with `atob`.
 *
 * - Standard base64 (`+/`, `=` padding) for `TLS.sig` and `TLS.userbuf` inside the JSON.
 * - The token alphabet: standard base64 with `+` -> `*`, `/` -> `-`, `=` -> `_` (padding kept).
 *   It is not base64url.
 */

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TOKEN_ALPHABET = /^[A-Za-z0-9*-]+_{0,2}$/;

const STANDARD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const TOKEN_ALPHABET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-";

/**
 * Encodes with a 64-character alphabet and padding character. A table lookup per 6 bits: a token
 * is encoded on every issuance, and btoa needs a binary string first plus a second pass to swap
 * alphabets, which cost about 3x the HMAC inside workerd (`npm run bench`).
 */
function encode(bytes: Uint8Array, alphabet: string, pad: string): string {
  let out = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += alphabet[n >> 18] + (alphabet[(n >> 12) & 63] as string) + alphabet[(n >> 6) & 63] + alphabet[n & 63];
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = (bytes[whole] as number) << 16;
    out += alphabet[n >> 18] + (alphabet[(n >> 12) & 63] as string) + pad + pad;
  } else if (rest === 2) {
    const n = ((bytes[whole] as number) << 16) | ((bytes[whole + 1] as number) << 8);
    out += alphabet[n >> 18] + (alphabet[(n >> 12) & 63] as string) + alphabet[(n >> 6) & 63] + pad;
  }
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD_ALPHABET, "=");
}

/** Decodes canonical, padded standard base64; returns undefined for anything else. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  if (!STANDARD_BASE64.test(text)) return undefined;
  return binaryToBytes(atob(text));
}

export function bytesToToken(bytes: Uint8Array): string {
  return encode(bytes, TOKEN_ALPHABET_CHARS, "_");
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

function fromTokenChar(c: string): string {
  return c === "*" ? "+" : c === "-" ? "/" : "=";
}
