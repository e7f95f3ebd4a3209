/**
 * Who gets what: pure decisions on lifetimes, UserIDs, rooms and privileges. No I/O, no clock.
 */

import { type AdminSet, hasEdgeSpace, isAdminLike } from "../admins/set.js";
import type { RoomGrant } from "../auth/idp.js";
import type { RoomPolicy } from "../config/schema.js";
import { isValidUserId, Privilege, type PrivilegeName } from "../usersig/index.js";
import { PolicyError } from "./errors.js";

/** Where a UserID on a public route comes from. */
export type UserIdSource = "named" | "idp" | "guest";

/** The lifetime actually issued: the caller's wish, clamped to the kind's maximum. */
export function clampLifetime(lifetime: { default: number; max: number }, requested: number | undefined): number {
  return Math.min(requested ?? lifetime.default, lifetime.max);
}

/**
 * The app's UserID rule, the core's byte limit whatever the app's pattern allows, and no white space
 * (or invisible character) at either end, which no pattern can allow (admins/set.ts, hasEdgeSpace).
 */
export function checkUserIdRule(userId: string, rule: RegExp, source: UserIdSource): void {
  if (isValidUserId(userId) && !hasEdgeSpace(userId) && rule.test(userId)) return;
  if (source === "named") {
    throw new PolicyError("USERID_RULE", "userId does not match this app's UserID rule.", {
      data: { field: "userId" },
    });
  }
  throw new PolicyError(
    "USERID_NOT_ALLOWED",
    source === "idp"
      ? "The identity provider's user ID does not satisfy this app's UserID rule."
      : "The guest UserID does not satisfy this app's UserID rule.",
  );
}

/**
 * The admin guard: no admin identity, nor any case or Unicode-compatibility variant of one, is ever
 * issued on a public route (see admins/set.ts for the folding). Tencent compares UserIDs byte for
 * byte as far as we know, but "Administrator" next to "administrator" is a confusion nobody needs.
 */
export function guardNotAdmin(userId: string, admins: readonly AdminSet[]): void {
  if (isAdminLike(userId, admins)) {
    throw new PolicyError(
      "ADMIN_IDENTITY_FORBIDDEN",
      "This identity is an admin of the app: its UserSig is never issued on a public route.",
    );
  }
}

export type PrivilegeInput = number | PrivilegeName[];

/** Named privileges or a bitmap, to a bitmap 1..255. */
export function privilegeMask(input: PrivilegeInput): number {
  if (typeof input === "number") return input;
  let mask = 0;
  for (const name of input) mask |= Privilege[name];
  return mask;
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
    throw new PolicyError("PRIVATEMAPKEY_NOT_ALLOWED", "This caller kind may not get PrivateMapKeys for this app.");
  }
  if (policy.rooms !== "any" && !policy.rooms.some((r) => sameRoom(r, room))) {
    throw new PolicyError("ROOM_NOT_ALLOWED", "This room is not allowed for this caller kind.");
  }
  let ceiling = policy.maxPrivileges;
  if (grants) {
    const grant = grants.find((g) => sameRoom(g.room, room));
    if (!grant) throw new PolicyError("ROOM_NOT_ALLOWED", "The identity provider grants this user no such room.");
    ceiling &= grant.privileges;
  }
  if ((privileges & ~ceiling) !== 0) {
    throw new PolicyError(
      "PRIVILEGES_NOT_ALLOWED",
      `The requested privileges exceed what is allowed here (at most ${ceiling}).`,
    );
  }
}

/** Numeric rooms and string rooms are different rooms in TRTC, even "7" and 7. */
function sameRoom(a: number | string, b: number | string): boolean {
  return a === b;
}
