/**
 * An app's Chat REST target: its regional host, the admin identity the broker calls Tencent as, and
 * that identity's UserSig from the same isolate cache as POST /v1/admin/usersig.
 */

import type { AdminSigCache } from "../admins/sigs.js";
import type { LoadedApp } from "../config/load.js";
import type { ChatTarget } from "./chat.js";

/** The target, or undefined when the app has no `chat` configured. */
export function chatTarget(app: LoadedApp, adminSigs: AdminSigCache, nowSeconds: number): ChatTarget | undefined {
  const chat = app.config.chat;
  if (!chat) return undefined;
  // The schema makes sure there is one: adminUserId, or the first config admin.
  const adminUserId = (chat.adminUserId ?? app.config.admins[0]) as string;
  const sdkAppId = app.config.sdkAppId;
  const adminUserSig = async () => {
    const { sig } = await adminSigs.get(
      { sdkAppId, secretKey: app.secretKey, lifetimeSeconds: app.config.lifetimes.adminSeconds },
      adminUserId,
      nowSeconds,
    );
    return sig.userSig;
  };
  return {
    apiBaseUrl: chat.apiBaseUrl,
    sdkAppId,
    adminUserId,
    adminUserSig,
    // Tencent refused the cached sig (voided by a kick, say): sign afresh, for later calls too.
    renewAdminUserSig: () => {
      adminSigs.forget(sdkAppId, adminUserId);
      return adminUserSig();
    },
  };
}
