/**
 * End users of an identity provider: `Authorization: Bearer <JWT>`, verified with jose against the
 * app's configured issuers. Algorithms are pinned per issuer (asymmetric only); `iss`, `aud` and
 * `exp` are required. The UserID comes from a configured claim, plus an optional prefix.
 *
 * Remote JWKS are cached per URI in the isolate by jose: refetched after 10 minutes, or on an
 * unknown `kid`, but at most once per 30 s, so a flood of tokens with made-up `kid`s cannot turn into
 * a flood of requests to the IdP; jwks.ts keeps that true while the IdP is down, and keeps the last
 * keys working through an outage.
 */

import { createLocalJWKSet, decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { AppConfig, IssuerConfig } from "../config/schema.js";
import { problems } from "../http/problem.js";
import { parseRoomsClaim, type RoomGrant } from "../issue/policy.js";
import { isJwksUnavailable, resilientRemoteJwks } from "./jwks.js";

/** A JWT longer than this is refused unread (real ID/access tokens are 1 to 4 KiB). */
export const JWT_MAX_CHARS = 8192;

export interface IdpUser {
  userId: string;
  issuer: string;
  /** Room grants from the issuer's rooms claim; undefined when the issuer has none configured. */
  grants: RoomGrant[] | undefined;
}

const remoteSets = new Map<string, JWTVerifyGetKey>();
const localSets = new WeakMap<IssuerConfig, JWTVerifyGetKey>();

export async function authenticateIdp(app: AppConfig, token: string): Promise<IdpUser> {
  const issuers = app.idp?.issuers ?? [];
  if (issuers.length === 0) throw problems.unauthorized("Bearer", "idp: this app has no identity provider");
  if (token.length === 0 || token.length > JWT_MAX_CHARS) throw problems.unauthorized("Bearer", "idp: token length");
  let iss: string | undefined;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw problems.unauthorized("Bearer", "idp: not a JWT");
  }
  const config = issuers.find((i) => i.issuer === iss);
  if (!config) throw problems.unauthorized("Bearer", "idp: unknown issuer");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(config), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
      requiredClaims: ["iss", "aud", "exp"],
      clockTolerance: config.clockToleranceSeconds,
    }));
  } catch (error) {
    throw toProblem(error, config.issuer);
  }

  const claim = payload[config.userIdClaim];
  if (typeof claim !== "string" || claim.length === 0) {
    throw problems.forbidden(
      "USERID_CLAIM_MISSING",
      `The token has no string claim "${config.userIdClaim}" to take the UserID from.`,
    );
  }
  return {
    userId: config.userIdPrefix + claim,
    issuer: config.issuer,
    grants: config.roomsClaim ? parseRoomsClaim(payload[config.roomsClaim]) : undefined,
  };
}

function keySet(config: IssuerConfig): JWTVerifyGetKey {
  if (config.jwks) {
    let set = localSets.get(config);
    if (!set) {
      set = createLocalJWKSet(config.jwks as Parameters<typeof createLocalJWKSet>[0]);
      localSets.set(config, set);
    }
    return set;
  }
  const uri = config.jwksUri as string;
  let set = remoteSets.get(uri);
  if (!set) {
    set = resilientRemoteJwks(new URL(uri));
    remoteSets.set(uri, set);
  }
  return set;
}

/** For tests: forget cached remote key sets. */
export function clearJwksCache(): void {
  remoteSets.clear();
}

/**
 * The caller learns only "not valid" (401) or "IdP unreachable" (503); the log learns jose's error
 * code and, for claim failures, which claim. jose messages are not logged: some carry claim values.
 */
function toProblem(error: unknown, issuer: string) {
  if (isJwksUnavailable(error) || !(error instanceof errors.JOSEError)) {
    const reason = error instanceof errors.JOSEError ? error.code : error instanceof Error ? error.name : "unknown";
    return problems.unavailable(
      "IDP_UNAVAILABLE",
      "The identity provider's keys cannot be fetched right now; try again shortly.",
      10,
      `idp ${issuer}: jwks ${reason}`,
    );
  }
  const claim =
    error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired ? ` ${error.claim}` : "";
  return problems.unauthorized("Bearer", `idp ${issuer}: ${error.code}${claim}`);
}
