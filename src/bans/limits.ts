/** The bounds of a ban, defined once: the request schema, the decision (moderate.ts) and the store use these. */

/** Keeps the metadata (reason, actor, times) under KV's 1024 bytes, even in 4-byte characters. */
export const BAN_REASON_MAX_CHARS = 200;
/** A temporary ban's KV `expiration` must fit in a signed 32-bit integer (2038-01-19). */
export const BAN_EXPIRES_AT_MAX = 2 ** 31 - 1;
