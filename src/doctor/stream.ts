/**
 * Looking inside a token that the core refuses: decode as much of the alphabet as there is,
 * inflate as much of the zlib stream as there is, and keep what came out. The core refuses such a
 * token with one message ("not a zlib stream"); the doctor needs the partial JSON to say that the
 * token is cut short, and by how much. Bounded like the core: at most TOKEN_MAX_CHARS in, at most
 * INFLATED_MAX_BYTES out.
 */

import { jsonToToken, limits } from "../usersig/index.js";

/** The bytes of the longest decodable prefix of a token in the UserSig alphabet (padding optional). */
export function lenientTokenBytes(token: string): Uint8Array {
  const standard = token.replace(/_+$/, "").replace(/[*-]/g, (c) => (c === "*" ? "+" : "/"));
  // A dangling single character carries no whole byte.
  const usable = standard.length % 4 === 1 ? standard.slice(0, -1) : standard;
  const padded = usable + "=".repeat((4 - (usable.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** RFC 1950: CM = 8 (deflate), window <= 32 KiB, and the header's check bits. */
export function isZlibHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const cmf = bytes[0] as number;
  const flg = bytes[1] as number;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

export interface PartialInflate {
  /** Everything the stream produced before it ended or failed. */
  bytes: Uint8Array;
  /** The stream ended properly (its Adler-32 checked). */
  complete: boolean;
  tooLarge: boolean;
}

/** Inflates what there is, keeping the output produced before an error (a cut stream errors at its end). */
export async function inflatePartial(input: Uint8Array): Promise<PartialInflate> {
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  writer.write(input as Uint8Array<ArrayBuffer>).catch(ignore);
  writer.close().catch(ignore);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = false;
  let tooLarge = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        complete = true;
        break;
      }
      total += value.byteLength;
      if (total > limits.INFLATED_MAX_BYTES) {
        tooLarge = true;
        await reader.cancel().catch(ignore);
        break;
      }
      chunks.push(value);
    }
  } catch {
    // Truncated or corrupt: what was produced so far is kept.
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, complete, tooLarge };
}

/** Adler-32 (RFC 1950) of the inflated bytes, big-endian: the last 4 bytes of a whole zlib stream. */
export function adler32(bytes: Uint8Array): Uint8Array {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i++) {
    a = (a + (bytes[i] as number)) % 65521;
    b = (b + a) % 65521;
  }
  const sum = ((b << 16) | a) >>> 0;
  return new Uint8Array([sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff]);
}

/**
 * For a stream whose deflate data came out whole but which does not end properly: how many bytes
 * of its 4-byte checksum are present. Each guess is tested by putting the right checksum in place of
 * the bytes after the deflate data: only the right guess makes a stream that ends exactly and checks
 * (a wrong one either cuts the deflate data or leaves stray bytes in the checksum). 4 means all
 * bytes are there and wrong: the token was changed, not cut. Undefined when no guess works.
 */
export async function checksumBytesPresent(bytes: Uint8Array, inflated: Uint8Array): Promise<number | undefined> {
  const sum = adler32(inflated);
  for (let present = 0; present <= 4 && present <= bytes.length; present++) {
    const candidate = new Uint8Array(bytes.length - present + 4);
    candidate.set(bytes.subarray(0, bytes.length - present));
    candidate.set(sum, bytes.length - present);
    const result = await inflatePartial(candidate);
    if (result.complete && result.bytes.length === inflated.length) return present;
  }
  return undefined;
}

/** The length, in characters, of the token the given JSON text deflates to (zlib's default level, like the core). */
export async function tokenLengthOf(json: string): Promise<number> {
  return (await jsonToToken(json)).length;
}

/** A signature-sized placeholder: 32 random-looking bytes compress like a real HMAC. */
const PLACEHOLDER_SIG = "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=";

export interface LengthEstimate {
  /** Characters the whole token would have. */
  chars: number;
  /** True when a field of unknown length (the UserID, a userbuf) is missing: the token is at least this long. */
  lowerBound: boolean;
}

/**
 * Estimates how long the whole token was, from the beginning of its JSON: the members that came
 * through are kept as they are, the member that was cut and those after it are filled in with
 * values of the usual size, and the result is compressed again. A UserID or userbuf that did not
 * come through has an unknown length, so the estimate is then a lower bound.
 */
export async function estimateWholeLength(prefix: string): Promise<LengthEstimate> {
  const { kept, partialKey, partialValue } = splitAtLastMember(prefix);
  let present: Record<string, unknown> = {};
  try {
    present = JSON.parse(`${kept}}`) as Record<string, unknown>;
  } catch {
    present = {};
  }
  let lowerBound = false;
  const fill: [string, string][] = [];
  const value = (key: string): string | undefined => (partialKey === key ? partialValue : undefined);
  const add = (key: string, json: string) => {
    if (!(key in present)) fill.push([key, json]);
  };
  add("TLS.ver", '"2.0"');
  if (!("TLS.identifier" in present)) {
    const seen = value("TLS.identifier");
    // The cut UserID is at least what came through (its closing quote is gone).
    lowerBound = true;
    add("TLS.identifier", JSON.stringify(seen !== undefined ? seen.replace(/^"/, "").replace(/"$/, "") : "u"));
  }
  add("TLS.sdkappid", digits(value("TLS.sdkappid"), "1400000000"));
  add("TLS.time", digits(value("TLS.time"), "1700000000"));
  add("TLS.expire", digits(value("TLS.expire"), "86400"));
  if (!("TLS.userbuf" in present) && (partialKey === "TLS.userbuf" || /"TLS\.userbuf/.test(prefix))) {
    lowerBound = true;
    add("TLS.userbuf", JSON.stringify(partialValue?.replace(/^"/, "") ?? ""));
  }
  add("TLS.sig", JSON.stringify(PLACEHOLDER_SIG));
  const members = fill.map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(",");
  const body = kept.endsWith("{") || members === "" ? `${kept}${members}` : `${kept},${members}`;
  return { chars: await tokenLengthOf(`${body}}`), lowerBound };
}

function digits(partial: string | undefined, usual: string): string {
  const seen = partial?.match(/^[0-9]+/)?.[0] ?? "";
  return seen.length >= usual.length ? seen : seen + usual.slice(seen.length);
}

/**
 * Splits a cut JSON object after its last complete member: `{"a":1,"b":"x` gives kept `{"a":1`,
 * partial key `b` and partial value `"x`. Only the top level matters (a UserSig's JSON is flat).
 */
function splitAtLastMember(prefix: string): { kept: string; partialKey?: string; partialValue?: string } {
  let inString = false;
  let escaped = false;
  let lastComma = -1;
  const open = prefix.indexOf("{");
  if (open < 0) return { kept: "{" };
  for (let i = open + 1; i < prefix.length; i++) {
    const c = prefix[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ",") lastComma = i;
    else if (c === "}") {
      // A complete object: nothing was cut inside the JSON.
      return { kept: prefix.slice(0, i) };
    }
  }
  const cut = lastComma >= 0 ? lastComma : open;
  const kept = prefix.slice(0, lastComma >= 0 ? lastComma : open + 1);
  const rest = prefix.slice(cut + 1);
  const member = /^\s*"((?:[^"\\]|\\.)*)"?\s*:?\s*(.*)$/s.exec(rest);
  if (!member) return { kept };
  return { kept, partialKey: member[1] ?? "", partialValue: member[2] ?? "" };
}

function ignore(): void {}
