// The large configuration of the cold-start bench (`npm run bench -- --only=startup`): 10 apps, 50
// API keys (5 per app), each app with an IdP (two issuers, one JWKS URL and one inline key),
// guests behind Turnstile, moderation by an IdP role, Chat and TRTC, and its secrets. Deterministic,
// so the bench prints it and test/node/validators.test.ts judges the same value.
import { createHash } from "node:crypto";

export const LARGE_APPS = 10;
export const LARGE_KEYS_PER_APP = 5;

/** A public RSA key (JWK): its value does not matter, only its shape (nothing is verified). */
const INLINE_JWK = {
  kty: "RSA",
  kid: "bench-1",
  alg: "RS256",
  use: "sig",
  e: "AQAB",
  n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
};

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** `{ config, secrets }`: BROKER_CONFIG as an object, and the Worker secrets it needs. */
export function largeConfig(secretKey) {
  const apps = [];
  const secrets = { TURNSTILE_SECRET_KEY: "bench-turnstile-secret" };
  for (let a = 0; a < LARGE_APPS; a++) {
    const sdkAppId = 1400000100 + a;
    secrets[`SECRET_KEY_${sdkAppId}`] = secretKey;
    secrets[`TRTC_SECRET_ID_${sdkAppId}`] = `bench-trtc-id-${a}`;
    secrets[`TRTC_SECRET_KEY_${sdkAppId}`] = `bench-trtc-key-${a}`;
    apps.push({
      sdkAppId,
      name: `bench app ${a}`,
      admins: ["administrator", `ops_${a}`],
      apiKeys: Array.from({ length: LARGE_KEYS_PER_APP }, (_, k) => ({
        name: `backend-${k}`,
        sha256: sha256(`bench-key-${a}-${k}`),
        allowUserId: k % 2 === 0,
        allowAdmin: k === 0,
        allowModeration: k === 1,
        chatCommands: k === 2 ? ["openim/sendmsg", "openim/batchsendmsg", "group_open_http_svc/get_group_info"] : [],
      })),
      idp: {
        issuers: [
          {
            issuer: `https://idp${a}.example.com/`,
            audience: ["broker", `app-${a}`],
            jwksUri: `https://idp${a}.example.com/.well-known/jwks.json`,
            algorithms: ["RS256", "ES256"],
            userIdPrefix: "idp_",
            roomsClaim: "rooms",
          },
          {
            issuer: `https://partner${a}.example.com`,
            audience: "broker",
            jwks: { keys: [INLINE_JWK] },
            userIdClaim: "uid",
            userIdPrefix: "partner_",
          },
        ],
      },
      guests: {
        enabled: true,
        userIdPrefix: "guest_",
        ticketLifetimeSeconds: 86400,
        turnstile: { siteKey: `0x4AAAAAAAbench${a}`, hostnames: [`app${a}.example.com`], action: "guest" },
      },
      lifetimes: { idp: { default: 86400, max: 604800 }, guest: { default: 3600, max: 7200 } },
      privateMapKey: { guest: { enabled: true, rooms: ["lobby", 1000 + a], maxPrivileges: 3 } },
      cors: { origins: [`https://app${a}.example.com`, `https://www.app${a}.example.com`] },
      rateLimits: {
        usersig: {
          guest: {
            windows: [
              { seconds: 60, limit: 10 },
              { seconds: 86400, limit: 100 },
            ],
            failMode: "closed",
          },
        },
        newGuests: { perDay: 5000 },
      },
      chat: { apiBaseUrl: "https://adminapisgp.im.qcloud.com" },
      trtc: { region: "ap-singapore" },
      moderation: { idpRole: { claim: "roles", value: "moderator" } },
    });
  }
  return { config: { apps }, secrets };
}
