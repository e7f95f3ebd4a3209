/**
 * Who may moderate, and how the audit line and a ban's `bannedBy` name them: the operator (its
 * token, when no API key is sent), an API key with `allowModeration`, or an IdP user whose token
 * carries the app's moderator role and who is not banned. Anyone else is refused: 401 without
 * credentials, 403 MODERATION_NOT_ALLOWED with valid ones. No I/O of its own: the check's steps
 * are given.
 */

import { unauthorized } from "../auth/errors.js";
import { BansError } from "./errors.js";

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

/** A caller as the moderation check reads it (src/auth's Caller has this shape). */
export type ModerationCaller =
  | { kind: "apiKey"; key: { readonly name: string; readonly allowModeration: boolean } }
  | { kind: "idp"; user: { issuer: string; userId: string; claims: Readonly<Record<string, unknown>> } }
  | { kind: "guest" };

export interface ModeratorCheck<C extends ModerationCaller> {
  /** The request sends an API key: its bearer (if any) is then never taken for the operator's token. */
  hasApiKey: boolean;
  /** Whether the request's bearer is the operator's token. */
  presentsOperatorToken(): Promise<boolean>;
  /** The caller, from its API key or IdP token; a guest when it sent neither. */
  identify(): Promise<C>;
  /** Throws USER_BANNED when the app has banned this user (or a variant of the ID). */
  refuseBanned(userId: string): Promise<void>;
}

export interface Admitted<C> {
  who: Moderator;
  /** `actorName(who)`: the audit line's actor and a ban's `bannedBy`. */
  actor: string;
  /** The authenticated caller; absent for the operator (who is not rate limited). */
  caller?: Exclude<C, { kind: "guest" }>;
}

/** The moderator of this request, or the refusal. `role`: the app's `moderation.idpRole`. */
export async function admitModerator<C extends ModerationCaller>(
  check: ModeratorCheck<C>,
  role: { claim: string; value: string } | undefined,
): Promise<Admitted<C>> {
  if (!check.hasApiKey && (await check.presentsOperatorToken())) return admitted({ kind: "operator" });
  const caller = await check.identify();
  if (caller.kind === "guest") throw unauthorized("Bearer", "moderation: no credentials", false);
  const known = caller as Exclude<C, { kind: "guest" }>;
  if (caller.kind === "apiKey") {
    if (!caller.key.allowModeration) {
      throw new BansError("MODERATION_NOT_ALLOWED", "This API key may not moderate (allowModeration).");
    }
    return admitted({ kind: "apiKey", name: caller.key.name }, known);
  }
  if (!role || !hasModeratorRole(caller.user.claims, role)) {
    throw new BansError("MODERATION_NOT_ALLOWED", "Your token does not carry this app's moderator role.", {
      reason: role ? `moderation: ${caller.user.userId} lacks ${role.claim}=${role.value}` : "moderation: no idpRole",
    });
  }
  // A banned moderator moderates no more (not even to lift their own ban): issuance's ban lookup.
  await check.refuseBanned(caller.user.userId);
  return admitted({ kind: "idp", issuer: caller.user.issuer, userId: caller.user.userId }, known);
}

function admitted<C>(who: Moderator, caller?: Exclude<C, { kind: "guest" }>): Admitted<C> {
  return { who, actor: actorName(who), ...(caller ? { caller } : {}) };
}
