/**
 * Guests of public demos. A new guest gets a fresh random UserID with the app's prefix and a guest
 * ticket: a short JWT (HS256) that names that UserID. Presenting the ticket renews the same
 * identity without a new challenge; it cannot name any other identity, and it expires.
 *
 * The ticket key is derived from the app's secret key (src/shared/keys.ts, purpose "guest-ticket"),
 * so there is no extra secret to manage, the Tencent key itself never signs a ticket, and a ticket
 * of one app is worthless at another.
 */

import { CompactSign, jwtVerify } from "jose";
import type { Keyring } from "../shared/keys.js";
import { SECOND_MS } from "../shared/units.js";
import { unauthorized } from "./errors.js";

const TICKET_ISSUER = "usersig-broker";
const TICKET_TYPE = "guest-ticket+jwt";
/** Tickets are ~250 characters; refuse anything much longer unread. */
export const TICKET_MAX_CHARS = 1024;
const RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/** 16 characters of a 32-letter alphabet: 80 bits, so guest IDs never collide in practice. */
const RANDOM_CHARS = 16;
const encoder = new TextEncoder();

export function newGuestUserId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  let suffix = "";
  for (const byte of bytes) suffix += RANDOM_ALPHABET[byte & 31];
  return prefix + suffix;
}

export async function issueTicket(
  keys: Keyring,
  secretKey: string,
  sdkAppId: number,
  userId: string,
  nowSeconds: number,
  lifetimeSeconds: number,
): Promise<{ ticket: string; expiresAt: number }> {
  const expiresAt = nowSeconds + lifetimeSeconds;
  // jose's JWS signing over the claims as JSON: byte for byte the JWT its SignJWT makes from the
  // same claims set in this order (test/unit/guest-ticket.test.ts), without SignJWT's claims builder
  // in the upload (~1.1 KiB minified; BENCHMARKS.md, Cold start: each KiB is compiled by every cold isolate).
  const claims = { iss: TICKET_ISSUER, aud: `guest:${sdkAppId}`, sub: userId, iat: nowSeconds, exp: expiresAt };
  const ticket = await new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "HS256", typ: TICKET_TYPE })
    .sign(await keys.hmacKey(secretKey, sdkAppId, "guest-ticket"));
  return { ticket, expiresAt };
}

/** The guest's UserID, or an UNAUTHORIZED AuthError. */
export async function verifyTicket(
  keys: Keyring,
  secretKey: string,
  sdkAppId: number,
  ticket: string,
  nowSeconds: number,
): Promise<{ userId: string; expiresAt: number }> {
  if (ticket.length === 0 || ticket.length > TICKET_MAX_CHARS) throw badTicket("length");
  try {
    const { payload } = await jwtVerify(ticket, await keys.hmacKey(secretKey, sdkAppId, "guest-ticket"), {
      issuer: TICKET_ISSUER,
      audience: `guest:${sdkAppId}`,
      algorithms: ["HS256"],
      typ: TICKET_TYPE,
      requiredClaims: ["sub", "exp"],
      currentDate: new Date(nowSeconds * SECOND_MS),
    });
    return { userId: payload.sub as string, expiresAt: payload.exp as number };
  } catch (error) {
    throw badTicket(error instanceof Error && "code" in error ? String(error.code) : "invalid");
  }
}

function badTicket(reason: string) {
  return unauthorized("GuestTicket", `guest ticket: ${reason}`);
}
