/**
 * Which identity a public issuance (POST /v1/usersig, POST /v1/privatemapkey) signs for, as one
 * pipeline both routes share:
 *
 *   1. claim   the identity this caller may have: an API key's named UserID, the IdP user's own,
 *              a guest's from its ticket, or a new guest (budget, Turnstile, a fresh random ID);
 *   2. rule    the app's UserID rule;
 *   3. guard   never an admin identity, nor a case or compatibility variant of one, whoever asks;
 *   4. bans    (moderation) a banned user is refused here, for every caller kind;
 *   5. ticket  a new guest gets its ticket only after passing every check.
 *
 * No HTTP here: the route gives the caller, the request's fields and what the steps need (deps).
 */

import type { AdminSet } from "../admins/set.js";
import type { Caller } from "../auth/caller.js";
import { issueTicket, newGuestUserId, verifyTicket } from "../auth/guest.js";
import type { RoomGrant } from "../auth/idp.js";
import type { LoadedApp } from "../config/load.js";
import type { CallerKind } from "../shared/callers.js";
import type { Keyring } from "../shared/keys.js";
import { PolicyError } from "./errors.js";
import { checkUserIdRule, guardNotAdmin, type UserIdSource } from "./policy.js";

export interface IdentityRequest {
  userId?: string | undefined;
  guestTicket?: string | undefined;
  turnstileToken?: string | undefined;
}

export interface Identity {
  userId: string;
  kind: CallerKind;
  lifetime: { default: number; max: number };
  /** An IdP user's room grants, when the issuer has a rooms claim. */
  grants?: RoomGrant[] | undefined;
  /** Guests: the ticket that renews this identity. */
  ticket?: { ticket: string; expiresAt: number };
}

export interface IdentityDeps {
  keys: Keyring;
  /** The request's clock, unix seconds. */
  nowSeconds: number;
  /** The app's admin identities (config and runtime; may wait for KV when the isolate is cold). */
  adminSets(): Promise<readonly AdminSet[]>;
  /** Takes one new guest from the app's daily budget; the result gives it back. */
  reserveNewGuest(): Promise<() => void>;
  verifyTurnstile(token: string): Promise<void>;
  /**
   * Throws USER_BANNED when the app has banned this UserID or a case/Unicode variant of it (the
   * isolate's ban cache: no KV read when warm).
   */
  refuseBanned(userId: string): Promise<void>;
  /** Told each UserID as soon as it is known: the audit line names it, refused or not. */
  noteUserId(userId: string): void;
}

interface Claim extends Identity {
  source: UserIdSource;
  /** A new guest: gives its budget back if a later step refuses. */
  release?: () => void;
}

export async function resolveIdentity(
  deps: IdentityDeps,
  app: LoadedApp,
  caller: Caller,
  request: IdentityRequest,
  options: { newGuest: boolean },
): Promise<Identity> {
  // 1. Claim.
  const claim = await claimIdentity(deps, app, caller, request, options);
  try {
    // 2. Rule.
    checkUserIdRule(claim.userId, app.userIdRule, claim.source);
    // 3. Guard: the one place where admin identities are refused on public routes.
    guardNotAdmin(claim.userId, await deps.adminSets());
    // 4. Bans: a banned user is refused whoever asks (same folding as the guard).
    await deps.refuseBanned(claim.userId);
    // 5. Ticket.
    const ticket = claim.ticket ?? (claim.release ? await newTicket(deps, app, claim.userId) : undefined);
    const { source: _source, release: _release, ...identity } = claim;
    return ticket ? { ...identity, ticket } : identity;
  } catch (error) {
    claim.release?.();
    throw error;
  }
}

async function claimIdentity(
  deps: IdentityDeps,
  app: LoadedApp,
  caller: Caller,
  request: IdentityRequest,
  options: { newGuest: boolean },
): Promise<Claim> {
  const { config } = app;
  if (caller.kind === "apiKey") {
    if (!caller.key.allowUserId) throw new PolicyError("USERID_NOT_ALLOWED", "This API key may not choose UserIDs.");
    if (request.userId === undefined) {
      throw new PolicyError("USERID_REQUIRED", "userId is required with an API key.", { data: { field: "userId" } });
    }
    deps.noteUserId(request.userId);
    return { userId: request.userId, kind: "apiKey", source: "named", lifetime: config.lifetimes.apiKey };
  }

  if (caller.kind === "idp") {
    const { userId, grants } = caller.user;
    deps.noteUserId(userId);
    if (request.userId !== undefined && request.userId !== userId) {
      throw new PolicyError("USERID_NOT_ALLOWED", "You can only get a UserSig for your own identity.");
    }
    // A self-chosen IdP username must not take over a guest's identity (guest IDs are visible to
    // everyone in a room).
    if (config.guests.enabled && config.guests.userIdPrefix !== "" && userId.startsWith(config.guests.userIdPrefix)) {
      throw new PolicyError("USERID_NOT_ALLOWED", "This user ID is reserved for guests of this app.");
    }
    return { userId, kind: "idp", source: "idp", lifetime: config.lifetimes.idp, grants };
  }

  const guests = config.guests;
  if (!guests.enabled) {
    throw new PolicyError("GUESTS_DISABLED", "This app has no guests: send credentials.", {
      reason: "guest: guests are not enabled for this app",
      data: { challenge: "Bearer", credentialsGiven: false },
    });
  }
  if (request.userId !== undefined) throw new PolicyError("USERID_NOT_ALLOWED", "Guests cannot choose a UserID.");
  if (request.guestTicket !== undefined) {
    const { userId, expiresAt } = await verifyTicket(
      deps.keys,
      app.secretKey,
      config.sdkAppId,
      request.guestTicket,
      deps.nowSeconds,
    );
    deps.noteUserId(userId);
    return {
      userId,
      kind: "guest",
      source: "guest",
      lifetime: config.lifetimes.guest,
      ticket: { ticket: request.guestTicket, expiresAt },
    };
  }
  if (!options.newGuest) {
    throw new PolicyError(
      "GUEST_TICKET_REQUIRED",
      "A guest needs a guestTicket here: get one with POST /v1/usersig first, then send it in the body.",
      { reason: "guest: a guest ticket is required here", data: { challenge: "GuestTicket" } },
    );
  }
  if (guests.turnstile && request.turnstileToken === undefined) {
    throw new PolicyError("TURNSTILE_REQUIRED", "This app requires a Turnstile token (turnstileToken) for new guests.");
  }
  // The app's daily budget of new guests, taken before the challenge and given back if creating fails.
  const release = await deps.reserveNewGuest();
  try {
    if (guests.turnstile) await deps.verifyTurnstile(request.turnstileToken as string);
  } catch (error) {
    release();
    throw error;
  }
  const userId = newGuestUserId(guests.userIdPrefix);
  deps.noteUserId(userId);
  return { userId, kind: "guest", source: "guest", lifetime: config.lifetimes.guest, release };
}

function newTicket(deps: IdentityDeps, app: LoadedApp, userId: string) {
  return issueTicket(
    deps.keys,
    app.secretKey,
    app.config.sdkAppId,
    userId,
    deps.nowSeconds,
    app.config.guests.ticketLifetimeSeconds,
  );
}
