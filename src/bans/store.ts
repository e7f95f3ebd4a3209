/**
 * Bans as the broker kept them in KV before the app's Durable Object (the ADMINS namespace): read
 * once per app, by the object, to move them over (src/objects/moderation.ts). Nothing writes here
 * any more; the keys are left in place (a rollback to the KV version still finds them) and expire
 * as they did.
 *
 * Key layout: `bans/v1/<sdkAppId>/<encodeURIComponent(userId)>`, one key per banned user, the ban in
 * the key's metadata: `{ "r"?: reason, "e"?: expiresAt, "b": bannedAt, "by": actor }`, unix seconds.
 * A marker key `bans-exist/v1/<sdkAppId>` was written before an app's first ban: an app without it
 * never had one, and costs no list.
 */

import type { KeyValueStore } from "../shared/storage.js";
import type { Ban } from "./decide.js";

export type { Ban } from "./decide.js";
export { BAN_ACTOR_MAX_CHARS, BANS_MAX } from "./decide.js";
/** The bounds live in limits.ts; re-exported for the store's callers and tests. */
export { BAN_EXPIRES_AT_MAX, BAN_REASON_MAX_CHARS } from "./limits.js";

const KEY_PREFIX = "bans/v1/";
const MARKER_PREFIX = "bans-exist/v1/";
/** KV's most keys per list call. */
const LIST_PAGE_KEYS = 1000;

interface BanMetadata {
  r?: string;
  e?: number;
  b: number;
  by: string;
}

function prefix(sdkAppId: number): string {
  return `${KEY_PREFIX}${sdkAppId}/`;
}

/** Every ban KV holds for the app (expired ones included), in pages; no list for an app that never had one. */
export async function listBans(store: KeyValueStore, sdkAppId: number, pageKeys = LIST_PAGE_KEYS): Promise<Ban[]> {
  if ((await store.get(MARKER_PREFIX + sdkAppId)) === null) return [];
  const bans: Ban[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix(sdkAppId), { limit: pageKeys, cursor });
    for (const key of page.keys) {
      const ban = fromKey(sdkAppId, key.name, key.metadata as BanMetadata | null);
      if (ban) bans.push(ban);
    }
    cursor = page.cursor;
  } while (cursor);
  return bans;
}

function fromKey(sdkAppId: number, name: string, metadata: BanMetadata | null | undefined): Ban | undefined {
  if (!metadata || typeof metadata.b !== "number" || typeof metadata.by !== "string") return undefined;
  let userId: string;
  try {
    userId = decodeURIComponent(name.slice(prefix(sdkAppId).length));
  } catch {
    return undefined;
  }
  return {
    userId,
    bannedAt: metadata.b,
    bannedBy: metadata.by,
    ...(typeof metadata.r === "string" ? { reason: metadata.r } : {}),
    ...(typeof metadata.e === "number" ? { expiresAt: metadata.e } : {}),
  };
}
