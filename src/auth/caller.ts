/** Who is asking, once authenticated: a trusted backend, an identity provider's user, or a guest. */
import type { ApiKeyConfig } from "../config/schema.js";
import type { CallerKind } from "../shared/callers.js";
import type { IdpUser } from "./idp.js";

export type Caller = { kind: "apiKey"; key: ApiKeyConfig } | { kind: "idp"; user: IdpUser } | { kind: "guest" };

/** What a rate limit counts this caller by: the UserID, the key name; a guest's is its client address. */
export function callerSubject(caller: Exclude<Caller, { kind: "guest" }>): string {
  return caller.kind === "idp" ? caller.user.userId : caller.key.name;
}

export type { CallerKind };
