/** Why a moderation operation failed. No HTTP here: src/http/problem.ts maps each code to a problem. */
import { BrokerError } from "../shared/errors.js";

export type BansErrorCode =
  /** The user is banned: no UserSig or PrivateMapKey on a public route. */
  | "USER_BANNED"
  /** A cold isolate could not read the app's bans: issuance waits rather than forget a ban. */
  | "BAN_LIST_UNAVAILABLE"
  /** Reading or writing a ban in KV failed (moderation routes). */
  | "BANS_STORE_UNAVAILABLE"
  /** Admin identities cannot be banned. */
  | "ADMIN_NOT_BANNABLE"
  /** Admin identities cannot be kicked: a kick would also void the broker's own admin sig at Tencent. */
  | "ADMIN_NOT_KICKABLE"
  /** Admin identities are never removed from a TRTC room. */
  | "ADMIN_NOT_REMOVABLE"
  /** DELETE of a user who is not banned. */
  | "NOT_BANNED"
  | "BAN_EXPIRY_PAST"
  | "BAN_REASON_TOO_LONG"
  /** Authenticated, but not allowed to moderate (API key without allowModeration, IdP user without the role). */
  | "MODERATION_NOT_ALLOWED"
  /** The app has BANS_MAX bans already. */
  | "BANS_FULL";

/** How long a caller waits before retrying after KV failed. */
export const BANS_RETRY_AFTER_SECONDS = 5;

export class BansError extends BrokerError<BansErrorCode> {
  override readonly name = "BansError";
}
