/** Why the issuance policy refused: who may have which identity, room or privileges. */
import { BrokerError } from "../shared/errors.js";

export type PolicyErrorCode =
  | "USERID_NOT_ALLOWED"
  /** A UserID the caller named does not match the app's rule (a bad input, `field: "userId"`). */
  | "USERID_RULE"
  | "USERID_REQUIRED"
  | "ADMIN_IDENTITY_FORBIDDEN"
  | "ADMIN_NOT_ALLOWED"
  | "PRIVATEMAPKEY_NOT_ALLOWED"
  | "ROOM_NOT_ALLOWED"
  | "PRIVILEGES_NOT_ALLOWED"
  | "TURNSTILE_REQUIRED"
  /** A caller without credentials, at an app without guests. */
  | "GUESTS_DISABLED"
  /** A guest without a ticket where only a ticket will do (PrivateMapKeys). */
  | "GUEST_TICKET_REQUIRED";

export class PolicyError extends BrokerError<PolicyErrorCode> {
  override readonly name = "PolicyError";
}
