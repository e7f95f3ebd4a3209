/**
 * End users of an identity provider: `Authorization: Bearer <JWT>`, verified with jose against the
 * app's configured issuers. Algorithms are pinned per issuer (asymmetric only); `iss`, `aud` and
 * `exp` are required. The UserID comes from a configured claim, plus an optional prefix.
 *
 * Remote JWKS are cached per URI in the isolate (IdpKeySets, in the isolate state) by jose: refetched after 10 minutes, or on an
 * unknown `kid`, but at most once per 30 s, so a flood of tokens with made-up `kid`s cannot turn into
 * a flood of requests to the IdP; jwks.ts keeps that true while the IdP is down, and keeps the last
 * keys working through an outage.
 */

import { createLocalJWKSet, decodeJwt, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { JOSEError, JWTClaimValidationFailed, JWTExpired } from "jose/errors";
import type { AppConfig, IssuerConfig } from "../config/schema.js";
import { Privilege } from "../usersig/index.js";
import { AuthError, IDP_RETRY_AFTER_SECONDS, unauthorized } from "./errors.js";
import { isJwksUnavailable, type RemoteJwks, resilientRemoteJwks } from "./jwks.js";

/** A JWT longer than this is refused unread (real ID/access tokens are 1 to 4 KiB). */
export const JWT_MAX_CHARS = 8192;

export interface IdpUser {
  userId: string;
  issuer: string;
  /** Room grants from the issuer's rooms claim; undefined when the issuer has none configured. */
  grants: RoomGrant[] | undefined;
  /** The verified token's claims (e.g. a moderator role claim). */
  claims: Readonly<JWTPayload>;
}

/** A room grant from an IdP claim: a room id, or a room with its own privilege ceiling. */
export interface RoomGrant {
  room: number | string;
  privileges: number;
}

/** At most this many entries of a rooms claim are read: a token is not a database. */
const ROOMS_CLAIM_ENTRIES_MAX = 256;

/** The isolate's key sets, one per issuer: remote ones cache their JWKS (src/isolate.ts). */
export interface IdpKeySets {
  /** The issuer's key set, for a request at `nowMs` (the JWKS outage bookkeeping runs on it: jwks.ts). */
  keySet(config: IssuerConfig, nowMs: number): JWTVerifyGetKey;
}

export function createIdpKeySets(): IdpKeySets {
  const remoteSets = new Map<string, RemoteJwks>();
  const localSets = new WeakMap<IssuerConfig, JWTVerifyGetKey>();
  return {
    keySet(config, nowMs) {
      if (config.jwks) {
        let set = localSets.get(config);
        if (!set) {
          set = createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0]);
          localSets.set(config, set);
        }
        return set;
      }
      const uri = config.jwksUri as string;
      let remote = remoteSets.get(uri);
      if (!remote) {
        remote = resilientRemoteJwks(new URL(uri));
        remoteSets.set(uri, remote);
      }
      return remote.at(nowMs);
    },
  };
}

/** `nowMs`: the request's clock; tokens are checked against it. */
export async function authenticateIdp(
  app: AppConfig,
  token: string,
  keySets: IdpKeySets,
  nowMs: number,
): Promise<IdpUser> {
  const issuers = app.idp?.issuers ?? [];
  if (issuers.length === 0) throw unauthorized("Bearer", "idp: this app has no identity provider");
  if (token.length === 0 || token.length > JWT_MAX_CHARS) throw unauthorized("Bearer", "idp: token length");
  let iss: string | undefined;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw unauthorized("Bearer", "idp: not a JWT");
  }
  const config = issuers.find((i) => i.issuer === iss);
  if (!config) throw unauthorized("Bearer", "idp: unknown issuer");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySets.keySet(config, nowMs), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      requiredClaims: ["iss", "aud", "exp"],
      clockTolerance: config.clockToleranceSeconds,
      currentDate: new Date(nowMs),
    }));
  } catch (error) {
    throw toAuthError(error, config.issuer);
  }

  const claim = payload[config.userIdClaim];
  if (typeof claim !== "string" || claim.length === 0) {
    throw new AuthError(
      "USERID_CLAIM_MISSING",
      `The token has no string claim "${config.userIdClaim}" to take the UserID from.`,
    );
  }
  return {
    userId: config.userIdPrefix + claim,
    issuer: config.issuer,
    grants: config.roomsClaim ? parseRoomsClaim(payload[config.roomsClaim]) : undefined,
    claims: payload,
  };
}

/**
 * The caller learns only "not valid" (401) or "IdP unreachable" (503); the log learns jose's error
 * code and, for claim failures, which claim. jose messages are not logged: some carry claim values.
 * An error that is not jose's is a bug, not an outage: it is thrown on, to the INTERNAL 500 and its log.
 */
function toAuthError(error: unknown, issuer: string): AuthError {
  if (!(error instanceof JOSEError)) throw error;
  if (isJwksUnavailable(error)) {
    const reason = error.code;
    return new AuthError(
      "IDP_UNAVAILABLE",
      "The identity provider's keys cannot be fetched right now; try again shortly.",
      {
        reason: `idp ${issuer}: jwks ${reason}`,
        data: { retryAfterSeconds: IDP_RETRY_AFTER_SECONDS },
      },
    );
  }
  const claim = error instanceof JWTClaimValidationFailed || error instanceof JWTExpired ? ` ${error.claim}` : "";
  return unauthorized("Bearer", `idp ${issuer}: ${error.code}${claim}`);
}

/** Parses an IdP rooms claim: an array of room ids, or of `{ room, privileges }` objects. */
function parseRoomsClaim(value: unknown): RoomGrant[] {
  if (!Array.isArray(value)) return [];
  const grants: RoomGrant[] = [];
  for (const entry of value.slice(0, ROOMS_CLAIM_ENTRIES_MAX)) {
    if (typeof entry === "number" || typeof entry === "string") {
      grants.push({ room: entry, privileges: Privilege.All });
    } else if (typeof entry === "object" && entry !== null) {
      const { room, privileges } = entry as { room?: unknown; privileges?: unknown };
      if ((typeof room === "number" || typeof room === "string") && Number.isInteger(privileges)) {
        grants.push({ room, privileges: (privileges as number) & Privilege.All });
      }
    }
  }
  return grants;
}
