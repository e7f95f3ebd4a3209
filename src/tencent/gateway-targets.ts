/**
 * The gateway never acts on an admin identity (issue 18): a forwarded command that acts on an
 * account, and whose body names an admin identity of the app (or a case/Unicode variant of one, the
 * guard's folding), is refused with 409 CHAT_TARGET_ADMIN before anything is sent. A kick of the
 * admin would void the broker's own admin sig at Tencent; deleting or muting it, or rewriting its
 * profile, would break every later call. The moderation routes refuse the same (ADMIN_NOT_KICKABLE).
 *
 * The commands, and where each names its accounts (Tencent's REST API reference):
 * - im_open_login_svc/kick `UserID`: invalidates the account's login state
 *   (https://www.tencentcloud.com/document/product/1047/34957);
 * - im_open_login_svc/account_delete `DeleteItem[].UserID`: deletes accounts and their data
 *   (https://trtc.io/document/34955);
 * - openconfigsvr/setnospeaking `Set_Account`: global mute
 *   (https://www.tencentcloud.com/document/product/1047/34923);
 * - profile/portrait_set `From_Account`: rewrites the account's profile
 *   (https://www.tencentcloud.com/document/product/1047/34916);
 * - im_open_login_svc/account_import `UserID` and multiaccount_import `Accounts[]`,
 *   `AccountList[].UserID`: re-import an existing account with new profile fields
 *   (https://www.tencentcloud.com/document/product/1047/34953, /34954).
 * Commands that only read (account_check, getnospeaking, portrait_get) or send as the admin
 * (openim/sendmsg's From_Account is the sender, the gateway's purpose) are not refused.
 *
 * Pure: no I/O; the admin check is passed in (the route's admin sets, the isolate's cache).
 */

import { ChatError } from "./errors.js";

/** A path into the body: field names, "[]" for every element of an array. */
type Path = readonly string[];

export const ACCOUNT_COMMANDS: Readonly<Record<string, readonly Path[]>> = {
  "im_open_login_svc/kick": [["UserID"]],
  "im_open_login_svc/account_delete": [["DeleteItem", "[]", "UserID"]],
  "im_open_login_svc/account_import": [["UserID"]],
  "im_open_login_svc/multiaccount_import": [
    ["Accounts", "[]"],
    ["AccountList", "[]", "UserID"],
  ],
  "openconfigsvr/setnospeaking": [["Set_Account"]],
  "profile/portrait_set": [["From_Account"]],
};

/** Every string the body holds at `path` (nothing for a missing field or another type). */
function valuesAt(value: unknown, path: Path): string[] {
  if (path.length === 0) return typeof value === "string" ? [value] : [];
  const [step, ...rest] = path;
  if (step === "[]") return Array.isArray(value) ? value.flatMap((item) => valuesAt(item, rest)) : [];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  const record = value as Record<string, unknown>;
  return Object.hasOwn(record, step as string) ? valuesAt(record[step as string], rest) : [];
}

/**
 * Throws CHAT_TARGET_ADMIN when `service/command` acts on accounts and `body` (the parsed JSON)
 * names an admin identity there. The refusal names the field, never the identity.
 *
 * Returns whether the command acts on accounts. Then the caller forwards `JSON.stringify(body)`, the
 * body exactly as checked, not the caller's text: in `{"UserID":"admin","UserID":"x"}` JSON.parse
 * keeps the last member, and Tencent's parser might keep the first.
 */
export async function refuseAdminTargets(
  service: string,
  command: string,
  body: unknown,
  isAdmin: (userId: string) => boolean | Promise<boolean>,
): Promise<boolean> {
  const paths = ACCOUNT_COMMANDS[`${service}/${command}`];
  if (!paths) return false;
  for (const path of paths) {
    for (const userId of valuesAt(body, path)) {
      if (await isAdmin(userId)) {
        const field = path.join(".").replaceAll(".[]", "[]");
        throw new ChatError(
          "CHAT_TARGET_ADMIN",
          `${field} names an admin identity of this app: the gateway never acts on admin accounts.`,
          { reason: `gateway: ${service}/${command} names an admin in ${field}` },
        );
      }
    }
  }
  return true;
}
