/** Why an admin-identity operation failed. */
import { BrokerError } from "../shared/errors.js";

export type AdminsErrorCode =
  | "ADMIN_SET_UNAVAILABLE"
  | "ADMINS_STORE_UNAVAILABLE"
  /** Asked for an admin's sig with a UserID that is no admin identity. */
  | "NOT_AN_ADMIN_IDENTITY"
  /** Asked to remove a UserID that is no runtime admin. */
  | "NOT_A_RUNTIME_ADMIN"
  | "CONFIG_ADMIN"
  | "ADMIN_ID_RULE"
  | "ADMIN_USERID_REQUIRED"
  | "RUNTIME_ADMINS_FULL";

export class AdminsError extends BrokerError<AdminsErrorCode> {
  override readonly name = "AdminsError";
}

/** How long a caller waits before retrying after the ADMINS namespace failed. */
export const ADMINS_RETRY_AFTER_SECONDS = 5;
