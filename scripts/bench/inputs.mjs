// The fixed inputs every implementation in the benchmark works on, in Node and in workerd alike.
// Bundled by esbuild together with the operations, so both runtimes see the same constants.
import vectors from "../../test/fixtures/vectors.json";

export const SDK_APP_ID = 1400000000;
export const SECRET_KEY = vectors.secretKey;
/** A fixed issue time, so tokens from different implementations can be compared byte for byte. */
export const NOW = vectors.time;
export const EXPIRE_SECONDS = 86400;

/** The first known answer, to prove each runtime's CompressionStream still produces zlib's bytes. */
export const KNOWN_ANSWER = {
  userId: "xiaojun",
  expireSeconds: 15552000,
  userSig: vectors.sign[0].userSig,
};

/** A different UserID every iteration, so no layer can serve a token it made before. */
export function userIdFor(i) {
  return `bench_user_${i}`;
}

/**
 * Precomputed inputs for the "parts" operations (HMAC alone, deflate alone, ...), which must not
 * spend their time building their input. POOL_SIZE distinct entries, used round-robin.
 */
export const POOL_SIZE = 256;
