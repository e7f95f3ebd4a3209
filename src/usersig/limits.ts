/**
 * Caps and ranges of the UserSig format. Every number here bounds work done on input from strangers
 * or mirrors a limit Tencent documents; the comment says which.
 */

/** SDKAppID is a u32 in the format; 0 is never assigned. */
export const SDKAPPID_MAX = 0xffff_ffff;

/** Tencent documents UserIDs of at most 32 bytes. */
export const USERID_MAX_BYTES = 32;

/** `TLS.time + TLS.expire` (the PrivateMapKey's absolute expiry) is a u32. */
export const UNIX_SECONDS_MAX = 0xffff_ffff;

/** TRTC's numeric room ids are 1 to 4294967294 (0xffffffff is reserved). */
export const ROOM_ID_MAX = 0xffff_fffe;

/** TRTC's string room ids are at most 64 bytes. */
export const STR_ROOM_ID_MAX_BYTES = 64;

/** The privilege bitmap has eight defined bits. */
export const PRIVILEGES_MAX = 0xff;

/**
 * A caller-supplied userbuf. A PrivateMapKey's is at most 121 bytes (string room, 32-byte UserID);
 * 1 KiB leaves room for other uses while keeping every token we sign under TOKEN_MAX_CHARS.
 */
export const USERBUF_MAX_BYTES = 1024;

/**
 * Tokens longer than this are refused before any decoding. The largest token an official library
 * makes (Go's uncompressed stored blocks with a string-room PrivateMapKey) is about 600 characters;
 * one with a 1 KiB userbuf is about 2.3 KiB. 4 KiB is generous and still cheap to refuse.
 */
export const TOKEN_MAX_CHARS = 4096;

/**
 * Inflation stops as soon as the output passes this. The JSON of any legitimate token is under
 * 2.5 KiB (a 1 KiB userbuf is 1.4 KiB of base64; Python's `\uXXXX` escapes at most sextuple a
 * 32-byte UserID).
 */
export const INFLATED_MAX_BYTES = 8192;

/** Secret keys are 64 hex characters at Tencent; refuse absurd ones before importing. */
export const SECRET_KEY_MAX_CHARS = 1024;
