/**
 * Decoding a UserSig from a stranger: every step is bounded and every failure is a UserSigError.
 * Nothing here checks the signature (see verify.ts); decodeUserSig only says what a token claims.
 *
 * Accepts what every official library emits: any key order, any JSON spacing and escaping
 * (`\/`, `\uXXXX`), a trailing newline, userbuf after sig, any zlib level including Go's stored
 * blocks. Fields are read from the parsed JSON, never from the token's bytes.
 */

import { base64ToBytes, tokenToBytes } from "./base64.js";
import type { SignedFields } from "./content.js";
import { inflateBounded } from "./deflate.js";
import { malformed, UserSigError, UserSigErrorCode } from "./errors.js";
import { INFLATED_MAX_BYTES, SDKAPPID_MAX, TOKEN_MAX_CHARS, UNIX_SECONDS_MAX } from "./limits.js";
import { decodePrivateMapBuf } from "./privatemap.js";

export interface DecodedPrivateMap {
  /** Numeric room id (absent for a string room). */
  roomId?: number;
  /** String room id (absent for a numeric room). */
  strRoomId?: string;
  /** Bitmap of `Privilege` values. */
  privileges: number;
  /** Absolute unix seconds, as written in the userbuf. */
  expiresAt: number;
}

export interface DecodedUserSig {
  /** `TLS.ver`, "2.0" for every token this format covers. */
  version: string;
  sdkAppId: number;
  userId: string;
  /** `TLS.time`, unix seconds. */
  issuedAt: number;
  /** `TLS.expire`, the lifetime in seconds. */
  expireSeconds: number;
  /** issuedAt + expireSeconds. */
  expiresAt: number;
  /** The raw userbuf, when the token carries one. */
  userBuf?: Uint8Array;
  /** The room and privileges, when the userbuf is a PrivateMapKey's. */
  privateMap?: DecodedPrivateMap;
}

/** What verify needs beyond the public fields. */
export interface ParsedUserSig {
  decoded: DecodedUserSig;
  signed: SignedFields;
  signature: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export async function decodeUserSig(userSig: string): Promise<DecodedUserSig> {
  return (await parseUserSig(userSig)).decoded;
}

export async function parseUserSig(userSig: string): Promise<ParsedUserSig> {
  if (typeof userSig !== "string") throw malformed("a UserSig must be a string");
  if (userSig.length > TOKEN_MAX_CHARS) {
    throw new UserSigError(UserSigErrorCode.TooLarge, `a UserSig is at most ${TOKEN_MAX_CHARS} characters`);
  }
  const compressed = tokenToBytes(userSig);
  if (!compressed) throw malformed("not a UserSig: bad characters or base64");
  const inflated = await inflateBounded(compressed, INFLATED_MAX_BYTES);
  if (!inflated.ok) {
    if (inflated.reason === "too-large") {
      throw new UserSigError(UserSigErrorCode.TooLarge, `a UserSig inflates to at most ${INFLATED_MAX_BYTES} bytes`);
    }
    throw malformed("not a UserSig: not a zlib stream");
  }
  // Some DecompressionStreams (Node's) ignore bytes after the end of the zlib stream and others
  // (workerd's) refuse them; refuse them everywhere: the stream must end with its Adler-32.
  if (!endsWithAdler32(compressed, inflated.bytes)) throw malformed("not a UserSig: data after the zlib stream");
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(inflated.bytes));
  } catch {
    throw malformed("not a UserSig: not UTF-8 JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw malformed("not a UserSig: not a JSON object");
  const fields = doc as Record<string, unknown>;

  const version = fields["TLS.ver"];
  if (version !== "2.0") throw malformed('not a UserSig: TLS.ver must be "2.0"');
  const identifier = fields["TLS.identifier"];
  if (typeof identifier !== "string" || identifier.length === 0) {
    throw malformed("not a UserSig: TLS.identifier must be a non-empty string");
  }
  const sdkAppId = u32Field(fields, "TLS.sdkappid");
  if (sdkAppId === 0 || sdkAppId > SDKAPPID_MAX) throw malformed("not a UserSig: TLS.sdkappid out of range");
  const time = u32Field(fields, "TLS.time");
  const expire = u32Field(fields, "TLS.expire");
  const sig = fields["TLS.sig"];
  const signature = typeof sig === "string" ? base64ToBytes(sig) : undefined;
  if (signature?.length !== 32) throw malformed("not a UserSig: TLS.sig must be a base64 HMAC-SHA256");

  const rawUserBuf = fields["TLS.userbuf"];
  let userBuf: Uint8Array | undefined;
  if (rawUserBuf !== undefined) {
    userBuf = typeof rawUserBuf === "string" ? base64ToBytes(rawUserBuf) : undefined;
    if (!userBuf) throw malformed("not a UserSig: TLS.userbuf must be base64");
  }

  const decoded: DecodedUserSig = {
    version,
    sdkAppId,
    userId: identifier,
    issuedAt: time,
    expireSeconds: expire,
    expiresAt: time + expire,
  };
  if (userBuf) {
    decoded.userBuf = userBuf;
    const privateMap = toDecodedPrivateMap(userBuf);
    if (privateMap) decoded.privateMap = privateMap;
  }
  return {
    decoded,
    signed: { identifier, sdkAppId, time, expire, userBuf: rawUserBuf as string | undefined },
    signature,
  };
}

function endsWithAdler32(compressed: Uint8Array, inflated: Uint8Array): boolean {
  let a = 1;
  let b = 0;
  // Inflated output is capped at a few KiB, so the sums stay far below 2^53 between reductions.
  for (let i = 0; i < inflated.length; i++) {
    a += inflated[i] as number;
    b += a;
    if ((i & 0xfff) === 0xfff) {
      a %= 65521;
      b %= 65521;
    }
  }
  a %= 65521;
  b %= 65521;
  const n = compressed.length;
  const tail =
    (((compressed[n - 4] as number) << 24) |
      ((compressed[n - 3] as number) << 16) |
      ((compressed[n - 2] as number) << 8) |
      (compressed[n - 1] as number)) >>>
    0;
  return n >= 4 && tail === ((b << 16) | a) >>> 0;
}

function u32Field(fields: Record<string, unknown>, name: string): number {
  const value = fields[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UNIX_SECONDS_MAX) {
    throw malformed(`not a UserSig: ${name} must be an unsigned 32-bit integer`);
  }
  return value;
}

function toDecodedPrivateMap(userBuf: Uint8Array): DecodedPrivateMap | undefined {
  const buf = decodePrivateMapBuf(userBuf);
  if (!buf) return undefined;
  if (typeof buf.room === "number") {
    return { roomId: buf.room, privileges: buf.privileges, expiresAt: buf.expiresAt };
  }
  let strRoomId: string;
  try {
    strRoomId = utf8.decode(buf.room);
  } catch {
    return undefined;
  }
  return { strRoomId, privileges: buf.privileges, expiresAt: buf.expiresAt };
}
