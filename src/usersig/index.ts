/**
 * The UserSig core: sign, decode and verify Tencent RTC / Chat UserSigs and TRTC PrivateMapKeys.
 *
 * Pure Web standards only (crypto.subtle, TextEncoder/TextDecoder, CompressionStream/
 * DecompressionStream, Response to drain a stream, atob), so it runs in Workers, browsers, Deno,
 * Bun and Node alike.
 * It must never import hono, cloudflare:* or node:*, and never read a clock more than once per call.
 */

export { type DecodedPrivateMap, type DecodedUserSig, decodeUserSig } from "./decode.js";
export { UserSigError, UserSigErrorCode } from "./errors.js";
export * as limits from "./limits.js";
export { Privilege, type PrivilegeName, privilegeNames } from "./privilege.js";
export {
  hasControlCharacter,
  isValidStrRoomId,
  isValidUserId,
  jsonToToken,
  type SignOptions,
  type SignPrivateMapKeyInput,
  type SignUserSigInput,
  signPrivateMapKey,
  signUserSig,
} from "./sign.js";
export { type VerifyExpectation, verifyUserSig } from "./verify.js";
