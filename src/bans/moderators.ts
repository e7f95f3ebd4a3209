/**
 * Who is moderating, as the audit line and the ban's `bannedBy` name them, and whether an IdP user's
 * token carries the app's moderator role. Pure: no I/O, no clock.
 */

export type Moderator =
  | { kind: "operator" }
  | { kind: "apiKey"; name: string }
  | { kind: "idp"; issuer: string; userId: string };

/** "operator", "apiKey:<name>", "idp:<userId>@<issuer>". */
export function actorName(moderator: Moderator): string {
  switch (moderator.kind) {
    case "operator":
      return "operator";
    case "apiKey":
      return `apiKey:${moderator.name}`;
    case "idp":
      return `idp:${moderator.userId}@${moderator.issuer}`;
  }
}

/** The claim equals the value, or is a list that contains it (e.g. `"roles": ["moderator"]`). */
export function hasModeratorRole(
  claims: Readonly<Record<string, unknown>>,
  role: { claim: string; value: string },
): boolean {
  const claim = Object.hasOwn(claims, role.claim) ? claims[role.claim] : undefined;
  if (claim === role.value) return true;
  return Array.isArray(claim) && claim.includes(role.value);
}
