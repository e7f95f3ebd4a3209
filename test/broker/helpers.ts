// Helpers for the broker's route tests (run in workerd): build a BROKER_CONFIG, call the real
// Worker with it, and play the identity provider through the local fake (test/fakes/internet.mjs).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { createApp } from "../../src/http/app.js";
import worker from "../../src/index.js";
import { createIsolateState, type IsolateOptions, type IsolateState } from "../../src/isolate.js";
import { verifyUserSig } from "../../src/usersig/index.js";
import vectors from "../fixtures/vectors.json";

export const SECRET_KEY = vectors.secretKey;
export const TURNSTILE_PASS = "1x0000000000000000000000000000000AA";
export const TURNSTILE_FAIL = "2x0000000000000000000000000000000AA";
export const TURNSTILE_SPENT = "3x0000000000000000000000000000000AA";
export const ISSUER = "https://idp.test/";
export const JWKS_URI = "https://idp.test/.well-known/jwks.json";
export const AUDIENCE = "usersig-broker-tests";

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export type Json = Record<string, unknown>;

type Broker = { fetch: (request: Request, env: never, ctx: ExecutionContext) => Response | Promise<Response> };

/**
 * What `call` sends requests to: an app with an isolate state of this test file's own. The setup
 * file test/support/fresh-isolate.ts calls freshIsolate() before every workerd test file, so no
 * file sees another's caches or counters, whatever the pool shares; a file or test that needs a
 * clean state (or a fake clock) calls freshIsolate() again.
 */
let broker: Broker = worker as never;

/**
 * From now on (in this test file), `call` goes to a new app with a new isolate state: empty caches
 * and counters, and the given clock (milliseconds; default Date.now). Returns the state to inspect.
 */
export function freshIsolate(options: IsolateOptions = {}): IsolateState {
  const state = createIsolateState(options);
  const app = createApp(state);
  broker = { fetch: (request, env, ctx) => app.fetch(request, env, ctx) };
  return state;
}

/** From now on (in this test file), `call` goes to the Worker's own entry (src/index.ts) and its isolate. */
export function useWorkerEntry(): void {
  broker = worker as never;
}

/** A clock the test moves by hand: `clock.read` is the Clock, `clock.set(ms)` / `clock.advance(ms)`. */
export function fakeClock(startMs: number = Date.now()) {
  let now = startMs;
  return {
    read: () => now,
    set(ms: number) {
      now = ms;
    },
    advance(ms: number) {
      now += ms;
    },
    get ms() {
      return now;
    },
  };
}

/** Calls the Worker's fetch handler in this isolate with the given config and secrets. */
export async function call(
  config: Json | string | undefined,
  path: string,
  init: RequestInit & { json?: unknown } = {},
  extraEnv: Json = {},
): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  const request = new Request(`https://broker.test${path}`, {
    method: json !== undefined ? "POST" : "GET",
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const testEnv: Json = { ...env, ...extraEnv };
  if (config !== undefined) testEnv.BROKER_CONFIG = typeof config === "string" ? config : JSON.stringify(config);
  const ctx = createExecutionContext();
  const response = await broker.fetch(request, testEnv as never, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Secrets for every app id used in the tests. */
export function secretsFor(...sdkAppIds: number[]): Json {
  return Object.fromEntries(sdkAppIds.map((id) => [`SECRET_KEY_${id}`, SECRET_KEY]));
}

export async function problem(response: Response, status: number, code: string): Promise<Json> {
  const body = (await response.json()) as Json;
  if (response.status !== status || body.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${JSON.stringify(body)}`);
  }
  if (response.headers.get("Content-Type") !== "application/problem+json") {
    throw new Error(`expected application/problem+json, got ${response.headers.get("Content-Type")}`);
  }
  for (const member of ["type", "title", "status", "detail", "code"]) {
    if (!(member in body)) throw new Error(`problem without ${member}`);
  }
  return body;
}

/** A signing key of the fake identity provider, published in its JWKS. */
export interface IdpKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  publicJwk: Json;
}

export async function newIdpKey(alg: "RS256" | "ES256" = "RS256", kid = crypto.randomUUID()): Promise<IdpKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

/** Publishes exactly these keys at the fake IdP's JWKS URI. */
export async function publishJwks(...keys: IdpKey[]): Promise<void> {
  const response = await fetch("https://idp.test/__admin/jwks", {
    method: "POST",
    body: JSON.stringify({ keys: keys.map((k) => k.publicJwk) }),
  });
  if (response.status !== 204) throw new Error("fake IdP did not take the JWKS");
}

export async function idpStats(): Promise<{
  jwksFetches: number;
  siteverifyCalls: number;
  lastSiteverify: Json | null;
}> {
  return (await (await fetch("https://idp.test/__admin/stats")).json()) as never;
}

export async function resetFakes(): Promise<void> {
  await fetch("https://idp.test/__admin/reset", { method: "POST" });
}

export async function failJwks(count: number): Promise<void> {
  await fetch("https://idp.test/__admin/fail", { method: "POST", body: JSON.stringify({ count }) });
}

/** A JWT as the IdP would issue it; override any claim or header. */
export async function mintJwt(
  key: IdpKey,
  claims: JWTPayload = {},
  options: { header?: Json; expiresIn?: string | number; issuer?: string; audience?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ sub: "alice", ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...options.header })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt();
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn);
  else if (!("exp" in claims)) jwt.setExpirationTime("10m");
  return jwt.sign(key.privateKey);
}

/** What a successful /v1/usersig answer carries. */
export interface IssuedBody {
  sdkAppId: number;
  userId: string;
  userSig: string;
  expireSeconds: number;
  expiresAt: number;
  guestTicket?: string;
  guestTicketExpiresAt?: number;
}

/**
 * Asserts a 200 from /v1/usersig: JSON, `Cache-Control: no-store`, the expected fields, and a userSig
 * that verifies with the app's secret key for exactly that userId, sdkAppId and lifetime, issued now
 * (expiresAt = issuedAt + expireSeconds). `userId` may be a RegExp (guests).
 */
export async function expectIssued(
  response: Response,
  expected: { sdkAppId: number; userId: string | RegExp; expireSeconds: number },
): Promise<IssuedBody> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status} ${text}`);
  if (response.headers.get("Cache-Control") !== "no-store") {
    throw new Error(`expected Cache-Control: no-store, got ${response.headers.get("Cache-Control")}`);
  }
  if (!(response.headers.get("Content-Type") ?? "").startsWith("application/json")) {
    throw new Error(`expected application/json, got ${response.headers.get("Content-Type")}`);
  }
  const body = JSON.parse(text) as IssuedBody;
  const userIdOk =
    typeof expected.userId === "string" ? body.userId === expected.userId : expected.userId.test(body.userId);
  if (!userIdOk) throw new Error(`expected userId ${expected.userId}, got ${body.userId}`);
  if (body.sdkAppId !== expected.sdkAppId) throw new Error(`expected sdkAppId ${expected.sdkAppId}: ${text}`);
  if (body.expireSeconds !== expected.expireSeconds) {
    throw new Error(`expected expireSeconds ${expected.expireSeconds}, got ${body.expireSeconds}`);
  }
  const decoded = await verifyUserSig(body.userSig, {
    sdkAppId: expected.sdkAppId,
    secretKey: SECRET_KEY,
    userId: body.userId,
  });
  const now = Math.floor(Date.now() / 1000);
  if (
    decoded.sdkAppId !== expected.sdkAppId ||
    decoded.userId !== body.userId ||
    decoded.expireSeconds !== body.expireSeconds ||
    decoded.expiresAt !== body.expiresAt ||
    decoded.issuedAt + decoded.expireSeconds !== body.expiresAt ||
    Math.abs(decoded.issuedAt - now) > 5
  ) {
    throw new Error(`the userSig does not say what the body says: ${JSON.stringify({ decoded, body, now })}`);
  }
  return body;
}
