/**
 * Admin identities' UserSigs, cached per app and identity in the isolate and reused while more than
 * half of their life remains. An entry is reused only for the same secret key and lifetime: a
 * rotated key or a changed lifetime signs afresh.
 */

import { signUserSig } from "../usersig/index.js";

export interface AdminSig {
  userSig: string;
  /** Unix seconds. */
  issuedAt: number;
  expireSeconds: number;
}

interface Entry extends AdminSig {
  secretKey: string;
}

/** Admin identities are a handful per app; the bound only guards against misuse. */
const ADMIN_SIGS_MAX = 1000;

export interface AdminSigCache {
  /** The cached sig when still fresh, else a new one. `fresh`: whether it came from the cache. */
  get(
    app: { sdkAppId: number; secretKey: string; lifetimeSeconds: number },
    userId: string,
    nowSeconds: number,
  ): Promise<{ sig: AdminSig; cached: boolean }>;
  /** After the identity stops being an admin. */
  forget(sdkAppId: number, userId: string): void;
}

export function createAdminSigCache(): AdminSigCache {
  const entries = new Map<string, Entry>();
  return {
    async get({ sdkAppId, secretKey, lifetimeSeconds }, userId, nowSeconds) {
      const key = `${sdkAppId}/${userId}`;
      const entry = entries.get(key);
      if (
        entry &&
        entry.secretKey === secretKey &&
        entry.expireSeconds === lifetimeSeconds &&
        nowSeconds - entry.issuedAt < lifetimeSeconds / 2
      ) {
        return { sig: entry, cached: true };
      }
      const userSig = await signUserSig({ sdkAppId, userId, expireSeconds: lifetimeSeconds }, secretKey, {
        now: nowSeconds,
      });
      const fresh: Entry = { userSig, issuedAt: nowSeconds, expireSeconds: lifetimeSeconds, secretKey };
      if (entries.size >= ADMIN_SIGS_MAX) entries.clear();
      entries.set(key, fresh);
      return { sig: fresh, cached: false };
    },
    forget(sdkAppId, userId) {
      entries.delete(`${sdkAppId}/${userId}`);
    },
  };
}
