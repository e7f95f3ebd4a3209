/**
 * Signing UserSigs and PrivateMapKeys. Every argument is validated before any work is done; the
 * clock is read once per signature, so the PrivateMapKey's absolute expiry always equals
 * `TLS.time + TLS.expire` (the official libraries read it twice and can be a second off).
 */

import { bytesToBase64, bytesToToken } from "./base64.js";
import { contentToSign, type SignedFields, tokenJson } from "./content.js";
import { deflate } from "./deflate.js";
import { invalidInput } from "./errors.js";
import { hmacSign } from "./hmac.js";
import {
  PRIVILEGES_MAX,
  ROOM_ID_MAX,
  SDKAPPID_MAX,
  STR_ROOM_ID_MAX_BYTES,
  UNIX_SECONDS_MAX,
  USERBUF_MAX_BYTES,
  USERID_MAX_BYTES,
} from "./limits.js";
import { encodePrivateMapBuf } from "./privatemap.js";

export interface SignUserSigInput {
  sdkAppId: number;
  userId: string;
  /** Lifetime in seconds, relative to the issue time. */
  expireSeconds: number;
  /** Opaque bytes carried in `TLS.userbuf` and covered by the signature. */
  userBuf?: Uint8Array;
}

export interface SignPrivateMapKeyInput {
  sdkAppId: number;
  userId: string;
  expireSeconds: number;
  /**
   * Give exactly one of `roomId` and `strRoomId`, as everywhere else (the API, the client, the CLI).
   * `roomId`: a numeric room, 1..4294967294. (A string here is still read as a string room, as before:
   * prefer `strRoomId`.)
   */
  roomId?: number | string;
  /** A string room, 1..64 bytes of UTF-8 (TRTC's strRoomId: a different room from any numeric one). */
  strRoomId?: string;
  /** Bitmap of `Privilege` values, 1..255. */
  privileges: number;
}

export interface SignOptions {
  /** Issue time in unix seconds (truncated). Defaults to the current time, read once. */
  now?: number;
}

const encoder = new TextEncoder();

export async function signUserSig(input: SignUserSigInput, secretKey: string, options?: SignOptions): Promise<string> {
  const checked = checkCommon(input, options);
  let userBuf: string | undefined;
  if (input.userBuf !== undefined) {
    if (!(input.userBuf instanceof Uint8Array) || input.userBuf.length > USERBUF_MAX_BYTES) {
      throw invalidInput(`userBuf must be a Uint8Array of at most ${USERBUF_MAX_BYTES} bytes`);
    }
    userBuf = bytesToBase64(input.userBuf);
  }
  return sign({ ...checked, userBuf }, secretKey);
}

export async function signPrivateMapKey(
  input: SignPrivateMapKeyInput,
  secretKey: string,
  options?: SignOptions,
): Promise<string> {
  const checked = checkCommon(input, options);
  const { privileges } = input;
  if (input.roomId !== undefined && input.strRoomId !== undefined) {
    throw invalidInput("give roomId (a numeric room) or strRoomId (a string room), not both");
  }
  if (input.strRoomId !== undefined && typeof input.strRoomId !== "string") {
    throw invalidInput("strRoomId must be a string");
  }
  const roomId = input.strRoomId ?? input.roomId;
  let room: number | Uint8Array;
  if (typeof roomId === "number") {
    if (!Number.isInteger(roomId) || roomId < 1 || roomId > ROOM_ID_MAX) {
      throw invalidInput(`roomId must be an integer from 1 to ${ROOM_ID_MAX}`);
    }
    room = roomId;
  } else if (typeof roomId === "string") {
    if (!isValidStrRoomId(roomId)) {
      throw invalidInput(`strRoomId must be 1 to ${STR_ROOM_ID_MAX_BYTES} bytes of UTF-8`);
    }
    room = encoder.encode(roomId);
  } else {
    throw invalidInput("give roomId (a number) or strRoomId (a string)");
  }
  if (!Number.isInteger(privileges) || privileges < 1 || privileges > PRIVILEGES_MAX) {
    throw invalidInput(`privileges must be an integer bitmap from 1 to ${PRIVILEGES_MAX}`);
  }
  const buf = encodePrivateMapBuf({
    account: encoder.encode(checked.identifier),
    sdkAppId: checked.sdkAppId,
    room,
    expiresAt: checked.time + checked.expire,
    privileges,
  });
  return sign({ ...checked, userBuf: bytesToBase64(buf) }, secretKey);
}

async function sign(fields: SignedFields, secretKey: string): Promise<string> {
  const mac = await hmacSign(secretKey, encoder.encode(contentToSign(fields)));
  return jsonToToken(tokenJson(fields, bytesToBase64(mac)));
}

/** The token a JSON text becomes: zlib (CompressionStream's level) in the UserSig alphabet. */
export async function jsonToToken(json: string): Promise<string> {
  return bytesToToken(await deflate(encoder.encode(json)));
}

// C0 and C1 controls: a UserID is shown in consoles and logs, and a line break in it would also
// break the line structure of the signed content.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether the text holds a C0 or C1 control character (DEL included): the one definition, the broker's too. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/** A UserID the core will sign: 1 to 32 bytes of well-formed UTF-8 without control characters. */
export function isValidUserId(userId: unknown): userId is string {
  return (
    typeof userId === "string" &&
    userId.length > 0 &&
    userId.isWellFormed() &&
    !hasControlCharacter(userId) &&
    encoder.encode(userId).length <= USERID_MAX_BYTES
  );
}

/** A string room id the core will sign: 1 to 64 bytes of well-formed UTF-8. */
export function isValidStrRoomId(roomId: unknown): roomId is string {
  if (typeof roomId !== "string" || !roomId.isWellFormed()) return false;
  const bytes = encoder.encode(roomId).length;
  return bytes > 0 && bytes <= STR_ROOM_ID_MAX_BYTES;
}

function checkCommon(
  input: { sdkAppId: number; userId: string; expireSeconds: number },
  options: SignOptions | undefined,
): Omit<SignedFields, "userBuf"> {
  if (typeof input !== "object" || input === null) throw invalidInput("input must be an object");
  const { sdkAppId, userId, expireSeconds } = input;
  if (!Number.isInteger(sdkAppId) || sdkAppId < 1 || sdkAppId > SDKAPPID_MAX) {
    throw invalidInput(`sdkAppId must be an integer from 1 to ${SDKAPPID_MAX}`);
  }
  if (!isValidUserId(userId)) {
    throw invalidInput(`userId must be 1 to ${USERID_MAX_BYTES} bytes of UTF-8 without control characters`);
  }
  const nowSeconds = options?.now ?? Date.now() / 1000;
  if (
    typeof nowSeconds !== "number" ||
    !Number.isFinite(nowSeconds) ||
    nowSeconds < 0 ||
    nowSeconds > UNIX_SECONDS_MAX
  ) {
    throw invalidInput("now must be unix seconds");
  }
  const time = Math.floor(nowSeconds);
  if (!Number.isInteger(expireSeconds) || expireSeconds < 1 || time + expireSeconds > UNIX_SECONDS_MAX) {
    throw invalidInput("expireSeconds must be a positive integer and the expiry must fit in 32 bits");
  }
  return { identifier: userId, sdkAppId, time, expire: expireSeconds };
}
