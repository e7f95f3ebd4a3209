// Builders for BROKER_CONFIG and the Worker's secrets in the workerd tests: each test states only
// what it varies (an app's sdkAppId and the fields it is about); the rest is the fake IdP's issuer,
// the known-answer secret key and hashed API keys.
import { AUDIENCE, type IdpKey, ISSUER, type Json, JWKS_URI, secretsFor, sha256Hex } from "../broker/helpers.js";

/** One app of BROKER_CONFIG: its sdkAppId and the fields the test is about. */
export function appConfig(sdkAppId: number, overrides: Json = {}): Json {
  return { sdkAppId, ...overrides };
}

/** An app whose guests may sign in (no Turnstile), with the test's other fields. */
export function guestApp(sdkAppId: number, overrides: Json = {}): Json {
  return appConfig(sdkAppId, { guests: { enabled: true }, ...overrides });
}

/** BROKER_CONFIG holding these apps (and top-level fields such as `inspector`, when given). */
export function brokerConfig(apps: Json | Json[], topLevel: Json = {}): Json {
  return { ...topLevel, apps: Array.isArray(apps) ? apps : [apps] };
}

/** An issuer of the fake IdP (its remote JWKS, test/fakes/internet.mjs), with the test's overrides. */
export function idpIssuer(overrides: Json = {}): Json {
  return { issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI, ...overrides };
}

/** An issuer of the fake IdP whose keys are inline (`jwks`: these public keys), with the test's overrides. */
export function inlineIssuer(keys: IdpKey | IdpKey[], overrides: Json = {}): Json {
  const list = Array.isArray(keys) ? keys : [keys];
  return { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: list.map((key) => key.publicJwk) }, ...overrides };
}

/** An app's `idp` block of one fake-IdP issuer (see idpIssuer). */
export function idpOf(overrides: Json = {}): Json {
  return { issuers: [idpIssuer(overrides)] };
}

/** An `apiKeys` entry: its name, the SHA-256 of the key, and its rights (allowUserId, chatCommands, …). */
export async function apiKey(name: string, key: string, rights: Json = {}): Promise<Json> {
  return { name, sha256: await sha256Hex(key), ...rights };
}

/** The Worker's secrets: the known-answer secret key for each app, and ADMIN_API_TOKEN when given. */
export function brokerSecrets(sdkAppIds: number[], operatorToken?: string): Json {
  return { ...secretsFor(...sdkAppIds), ...(operatorToken === undefined ? {} : { ADMIN_API_TOKEN: operatorToken }) };
}
