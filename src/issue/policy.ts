/**
 * Who gets what: pure decisions on lifetimes, UserIDs, rooms and privileges. No I/O, no clock.
 */

import type { AppConfig, CallerKind, RoomPolicy } from "../config/schema.js";
import { type Problem, problems } from "../http/problem.js";
import { isValidUserId, Privilege, type PrivilegeName } from "../usersig/index.js";

/** The lifetime actually issued: the caller's wish, clamped to the kind's maximum. */
export function clampLifetime(lifetime: { default: number; max: number }, requested: number | undefined): number {
  return Math.min(requested ?? lifetime.default, lifetime.max);
}

export function lifetimeFor(app: AppConfig, kind: CallerKind): { default: number; max: number } {
  return app.lifetimes[kind];
}

/** A UserID the broker will sign on a public route: matches the app's rule and is no admin. */
export function checkPublicUserId(
  userId: string,
  rule: RegExp,
  admins: ReadonlySet<string>,
  source: "named" | "idp" | "guest",
): void {
  // The byte limit is the core's, whatever the app's pattern allows (e.g. non-ASCII letters).
  if (!isValidUserId(userId) || !rule.test(userId)) {
    if (source === "named") {
      throw problems.badRequest("userId does not match this app's UserID rule.", { field: "userId" });
    }
    throw problems.forbidden(
      "USERID_NOT_ALLOWED",
      source === "idp"
        ? "The identity provider's user ID does not satisfy this app's UserID rule."
        : "The guest UserID does not satisfy this app's UserID rule.",
    );
  }
  if (isAdminLike(userId, admins)) throw adminForbidden();
}

/**
 * Exact match, and also any case or Unicode-normalisation variant of an admin identity: Tencent's
 * UserIDs are compared byte for byte as far as we know, but "Administrator" next to "administrator"
 * is a confusion nobody needs, and refusing it costs nothing.
 */
export function isAdminLike(userId: string, admins: ReadonlySet<string>): boolean {
  if (admins.has(userId)) return true;
  const folded = fold(userId);
  for (const admin of admins) if (fold(admin) === folded) return true;
  return false;
}

function fold(id: string): string {
  return id.normalize("NFKC").toLowerCase();
}

export function adminForbidden(): Problem {
  return problems.forbidden(
    "ADMIN_IDENTITY_FORBIDDEN",
    "This identity is an admin of the app: its UserSig is never issued on a public route.",
  );
}

export type PrivilegeInput = number | PrivilegeName[];

/** Named privileges or a bitmap, to a bitmap 1..255. */
export function privilegeMask(input: PrivilegeInput): number {
  if (typeof input === "number") return input;
  let mask = 0;
  for (const name of input) mask |= Privilege[name];
  return mask;
}

/** A room grant from an IdP claim: a room id, or a room with its own privilege ceiling. */
export interface RoomGrant {
  room: number | string;
  privileges: number;
}

/**
 * May this caller kind get a PrivateMapKey for `room` with `privileges`? The policy bounds every
 * caller of the kind; `grants` (an IdP user's rooms claim, when configured) bound this user further.
 */
export function checkRoomAccess(
  policy: RoomPolicy,
  room: number | string,
  privileges: number,
  grants: RoomGrant[] | undefined,
): void {
  if (!policy.enabled) {
    throw problems.forbidden("PRIVATEMAPKEY_NOT_ALLOWED", "This caller kind may not get PrivateMapKeys for this app.");
  }
  if (policy.rooms !== "any" && !policy.rooms.some((r) => sameRoom(r, room))) {
    throw problems.forbidden("ROOM_NOT_ALLOWED", "This room is not allowed for this caller kind.");
  }
  let ceiling = policy.maxPrivileges;
  if (grants) {
    const grant = grants.find((g) => sameRoom(g.room, room));
    if (!grant) throw problems.forbidden("ROOM_NOT_ALLOWED", "The identity provider grants this user no such room.");
    ceiling &= grant.privileges;
  }
  if ((privileges & ~ceiling) !== 0) {
    throw problems.forbidden(
      "PRIVILEGES_NOT_ALLOWED",
      `The requested privileges exceed what is allowed here (at most ${ceiling}).`,
    );
  }
}

/** Numeric rooms and string rooms are different rooms in TRTC, even "7" and 7. */
function sameRoom(a: number | string, b: number | string): boolean {
  return a === b;
}

/** Parses an IdP rooms claim: an array of room ids, or of `{ room, privileges }` objects. */
export function parseRoomsClaim(value: unknown): RoomGrant[] {
  if (!Array.isArray(value)) return [];
  const grants: RoomGrant[] = [];
  for (const entry of value.slice(0, 256)) {
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
