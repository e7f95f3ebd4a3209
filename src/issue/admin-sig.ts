/**
 * POST /v1/admin/usersig without HTTP: only an API key with `allowAdmin` gets an admin identity's
 * sig, and only for an identity of the app (admins/edit.ts picks it). Sigs come from the isolate's
 * cache (admins/sigs.ts), given as `deps.sign`.
 */

import { pickAdminIdentity } from "../admins/edit.js";
import type { AdminSet } from "../admins/set.js";
import type { AdminSig } from "../admins/sigs.js";
import { PolicyError } from "./errors.js";

export interface AdminSigDeps {
  /** The app's runtime admin identities (the isolate cache; may wait for KV when cold). */
  runtimeAdmins(): Promise<AdminSet>;
  /** The identity's sig, cached while more than half of its life remains. */
  sign(userId: string): Promise<{ sig: AdminSig; cached: boolean }>;
}

export interface IssuedAdminSig {
  userId: string;
  sig: AdminSig;
  cached: boolean;
}

export async function issueAdminSig(
  key: { readonly allowAdmin: boolean },
  app: { readonly configAdmins: AdminSet },
  requested: string | undefined,
  deps: AdminSigDeps,
): Promise<IssuedAdminSig> {
  if (!key.allowAdmin) throw new PolicyError("ADMIN_NOT_ALLOWED", "This API key may not get admin UserSigs.");
  const userId = pickAdminIdentity(app, await deps.runtimeAdmins(), requested);
  return { userId, ...(await deps.sign(userId)) };
}
