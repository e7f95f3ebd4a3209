/**
 * The parts of jose the broker uses, in one module that src/auth/jose.ts imports dynamically, so
 * that a cold isolate evaluates jose only on its first IdP token or guest ticket (BENCHMARKS.md,
 * Cold start). Named re-exports, not `import("jose")`, so the bundle keeps only these.
 */
export {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  jwksCache,
  jwtVerify,
  SignJWT,
} from "jose";
