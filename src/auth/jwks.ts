/**
 * An identity provider's remote JWKS, as jose fetches and caches it, made resilient to the IdP
 * being down:
 *
 * - After a failed fetch, the endpoint is not asked again for JWKS_RETRY_AFTER_FAILURE_MS: an outage
 *   must not turn every request (each made-up `kid` included) into a request to the IdP.
 * - Meanwhile, and whenever a fetch fails, tokens are checked against the last JWKS fetched
 *   successfully, if it is younger than JWKS_STALE_MAX_MS. Without this, once jose's cache passed
 *   its max age every request would fail with 503 although the keys were at hand.
 * - With no usable JWKS at all the caller gets 503 IDP_UNAVAILABLE (see idp.ts).
 */

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwksCache,
} from "jose";
// The error classes by name, not jose's `errors` namespace: the namespace object keeps every class
// (the JWE ones too) in the upload; named imports let the bundler drop the ones never used.
import { JOSEError, JWKSInvalid, JWKSNoMatchingKey, JWKSTimeout } from "jose/errors";

const JWKS_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;
const JWKS_RETRY_AFTER_FAILURE_MS = 5_000;
/** Keys fetched more than a day ago are not trusted for an outage's sake: rotation must win. */
const JWKS_STALE_MAX_MS = 24 * 3_600_000;

/**
 * Is this error about reaching the JWKS (503), rather than about the token (401)? Only jose's errors
 * are: anything else is a bug and must reach the INTERNAL path (a network failure is made a jose
 * error by `fetchJwks` below).
 */
export function isJwksUnavailable(error: unknown): boolean {
  return (
    error instanceof JWKSTimeout ||
    error instanceof JWKSInvalid ||
    // jose reports a JWKS endpoint answering non-200 or non-JSON with a bare JOSEError.
    (error instanceof JOSEError && error.code === JOSEError.code)
  );
}

/** The JWKS fetch, with a network failure turned into a bare JOSEError (an outage, not a bug). */
function fetchJwks(url: string, init: RequestInit): Promise<Response> {
  return fetch(url, init).catch((error: unknown) => {
    // jose turns a TimeoutError into JWKSTimeout itself.
    if (error instanceof Error && error.name === "TimeoutError") throw error;
    throw new JOSEError("the JWKS endpoint could not be reached", { cause: error });
  });
}

/** One remote JWKS, shared by the isolate's requests; each asks for its key set at its own `nowMs`. */
export interface RemoteJwks {
  at(nowMs: number): JWTVerifyGetKey;
}

export function resilientRemoteJwks(url: URL): RemoteJwks {
  // jose writes the last successful fetch here: { jwks, uat (ms) }.
  const cache: { jwks?: JSONWebKeySet; uat?: number } = {};
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: JWKS_COOLDOWN_MS,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [jwksCache]: cache as never,
    [customFetch]: fetchJwks,
  });
  let failedAt = Number.NEGATIVE_INFINITY;
  let stale: { uat: number; set: JWTVerifyGetKey } | undefined;

  /** The key from the last good JWKS; the outage's error when there is none or it lacks the kid. */
  const fromLastGood = async (nowMs: number, outage: unknown, ...args: Parameters<JWTVerifyGetKey>) => {
    const { jwks, uat } = cache;
    if (!jwks || uat === undefined || nowMs - uat > JWKS_STALE_MAX_MS) throw outage;
    if (stale?.uat !== uat) stale = { uat, set: createLocalJWKSet(jwks) };
    try {
      return await stale.set(...args);
    } catch (error) {
      // An unknown kid while the IdP cannot be asked: maybe a new key, so "unavailable", not "invalid".
      throw error instanceof JWKSNoMatchingKey ? outage : error;
    }
  };

  return {
    at: (nowMs) =>
      async function resolveKey(...args) {
        if (nowMs - failedAt < JWKS_RETRY_AFTER_FAILURE_MS) {
          return fromLastGood(nowMs, new JOSEError("the JWKS endpoint failed moments ago"), ...args);
        }
        try {
          return await remote(...args);
        } catch (error) {
          if (!isJwksUnavailable(error)) throw error;
          failedAt = nowMs;
          return fromLastGood(nowMs, error, ...args);
        }
      },
  };
}
