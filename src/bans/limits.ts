/** The bounds of a ban, defined once: the request schema, the decision (moderate.ts) and the store use these. */

/**
 * A reason short enough for every answer and audit line that carries it (the bound the bans KV held
 * before the object needed: their metadata under 1024 bytes, even in 4-byte characters).
 */
export const BAN_REASON_MAX_CHARS = 200;
/**
 * A temporary ban ends by 2038-01-19 (a signed 32-bit integer of unix seconds): the Chat mute's
 * seconds until then stay under setnospeaking's 4294967295, which would mean "for ever".
 */
export const BAN_EXPIRES_AT_MAX = 2 ** 31 - 1;
