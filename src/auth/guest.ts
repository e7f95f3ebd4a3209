/**
 * Guests of public demos. A new guest gets a fresh random UserID with the app's prefix and a guest
 * ticket: a short JWT (HS256) that names that UserID. Presenting the ticket renews the same
 * identity without a new challenge; it cannot name any other identity, and it expires.
 *
 * The ticket key is derived from the app's secret key with HKDF (info names the purpose and the
 * app), so there is no extra secret to manage, the Tencent key itself never signs a ticket, and a
 * ticket of one app is worthless at another.
 */

import { jwtVerify, SignJWT } from "jose";
import { problems } from "../http/problem.js";

const TICKET_ISSUER = "usersig-broker";
const TICKET_TYPE = "guest-ticket+jwt";
/** Tickets are ~250 characters; refuse anything much longer unread. */
export const TICKET_MAX_CHARS = 1024;
const RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
/** 16 characters of a 32-letter alphabet: 80 bits, so guest IDs never collide in practice. */
const RANDOM_CHARS = 16;

const ticketKeys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

function ticketKey(secretKey: string, sdkAppId: number): Promise<CryptoKey> {
  const id = `${sdkAppId}:${secretKey}`;
  let key = ticketKeys.get(id);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", encoder.encode(secretKey), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: encoder.encode("usersig-broker"),
          info: encoder.encode(`guest-ticket/v1/${sdkAppId}`),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    if (ticketKeys.size > 64) ticketKeys.clear();
    ticketKeys.set(id, key);
  }
  return key;
}

export function newGuestUserId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_CHARS));
  let suffix = "";
  for (const byte of bytes) suffix += RANDOM_ALPHABET[byte & 31];
  return prefix + suffix;
}

export async function issueTicket(
  secretKey: string,
  sdkAppId: number,
  userId: string,
  now: number,
  lifetimeSeconds: number,
): Promise<{ ticket: string; expiresAt: number }> {
  const expiresAt = now + lifetimeSeconds;
  const ticket = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: TICKET_TYPE })
    .setIssuer(TICKET_ISSUER)
    .setAudience(`guest:${sdkAppId}`)
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(await ticketKey(secretKey, sdkAppId));
  return { ticket, expiresAt };
}

/** The guest's UserID, or 401. */
export async function verifyTicket(
  secretKey: string,
  sdkAppId: number,
  ticket: string,
  now: number,
): Promise<{ userId: string; expiresAt: number }> {
  if (ticket.length === 0 || ticket.length > TICKET_MAX_CHARS) throw badTicket("length");
  try {
    const { payload } = await jwtVerify(ticket, await ticketKey(secretKey, sdkAppId), {
      issuer: TICKET_ISSUER,
      audience: `guest:${sdkAppId}`,
      algorithms: ["HS256"],
      typ: TICKET_TYPE,
      requiredClaims: ["sub", "exp"],
      currentDate: new Date(now * 1000),
    });
    return { userId: payload.sub as string, expiresAt: payload.exp as number };
  } catch (error) {
    throw badTicket(error instanceof Error && "code" in error ? String(error.code) : "invalid");
  }
}

function badTicket(reason: string) {
  return problems.unauthorized("GuestTicket", `guest ticket: ${reason}`);
}
