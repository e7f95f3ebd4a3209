/**
 * The one module that touches bans in KV (the ADMINS namespace, beside the runtime admins). One key
 * per ban, `bans/v1/<sdkAppId>/<encodeURIComponent(userId)>` (KV has no compare-and-set: one value
 * per app would lose one of two bans made at once), its value empty and the ban in its metadata
 * (at most 1024 bytes): `{ "r"?: reason, "e"?: expiresAt, "b": bannedAt, "by": actor }`, unix
 * seconds. A marker, `bans-exist/v1/<sdkAppId>`, written before an app's first ban and never
 * removed, makes an app without bans cost a `get` instead of a `list` (the scarce operation). KV's
 * delays and limits as they bear on bans: docs/moderation.md, "Storage and caching".
 */

import { type KeyValueStore, KV_EXPIRATION_MIN_SECONDS } from "../shared/storage.js";
import { cutCodePoints } from "../shared/text.js";
import { BansError } from "./errors.js";
import { checkBanReason } from "./limits.js";

/** The bounds live in limits.ts; re-exported for the store's callers and tests. */
export { BAN_EXPIRES_AT_MAX, BAN_REASON_MAX_CHARS } from "./limits.js";

const KEY_PREFIX = "bans/v1/";
const MARKER_PREFIX = "bans-exist/v1/";
/** Bans per app the broker keeps in every isolate: ten list calls, about 1 MB of metadata at most. */
export const BANS_MAX = 10_000;
const LIST_PAGE_KEYS = 1000;
/** KV's metadata limit, checked on the serialized metadata before the put. */
const KV_METADATA_MAX_BYTES = 1024;
/** Code points of `bannedBy` kept (cut by moderate.ts before the answer, so both agree). */
export const BAN_ACTOR_MAX_CHARS = 80;
/**
 * A ban's `expiration` is absolute: KV judges it by its own clock, against ours read earlier in the
 * request (and maybe a little off), so KV's minimum plus this margin. The limiter's relative
 * `expirationTtl` needs none: that is why two numbers remain.
 */
const KV_EXPIRATION_CLOCK_MARGIN_SECONDS = 30;
export const KV_MIN_EXPIRATION_AHEAD_SECONDS = KV_EXPIRATION_MIN_SECONDS + KV_EXPIRATION_CLOCK_MARGIN_SECONDS;

export interface Ban {
  userId: string;
  reason?: string;
  /** Unix seconds; none for a permanent ban. */
  expiresAt?: number;
  /** Unix seconds. */
  bannedAt: number;
  /** Who banned: "operator", "apiKey:<name>", "idp:<userId>@<issuer>" (bans/moderators.ts, actorName). */
  bannedBy: string;
}

interface BanMetadata {
  r?: string;
  e?: number;
  b: number;
  by: string;
}

/** KV operations on bans made by this isolate (GET /v1/admin/stats, the bench: a warm issuance makes none). */
export interface BanKvStats {
  lists: number;
  /** Lookups that had to wait for a list (a cold or idle isolate); a warm issuance waits for none. */
  coldWaits: number;
  reads: number;
  writes: number;
  deletes: number;
}

export function newBanKvStats(): BanKvStats {
  return { lists: 0, coldWaits: 0, reads: 0, writes: 0, deletes: 0 };
}

function prefix(sdkAppId: number): string {
  return `${KEY_PREFIX}${sdkAppId}/`;
}

/** Whether the app has ever had a ban (its marker key exists). */
async function bansExist(store: KeyValueStore, sdkAppId: number, stats: BanKvStats): Promise<boolean> {
  stats.reads++;
  return (await store.get(MARKER_PREFIX + sdkAppId)) !== null;
}

/**
 * Writes the app's marker before its first ban. Read first, so that later bans write nothing more
 * (KV takes one write per second per key); when two first bans race and KV refuses one put, the
 * marker is there all the same, which a second read confirms.
 */
async function markBansExist(store: KeyValueStore, sdkAppId: number, stats: BanKvStats): Promise<void> {
  if (await bansExist(store, sdkAppId, stats)) return;
  stats.writes++;
  try {
    await store.put(MARKER_PREFIX + sdkAppId, "1");
  } catch (error) {
    if (!(await bansExist(store, sdkAppId, stats))) throw error;
  }
}

/**
 * Every ban of the app, in pages of `pageKeys` (KV's maximum, 1000, unless a test wants more pages);
 * no list at all for an app that has never had a ban. Never cut short, whatever the count: a ban past
 * the cap is still a ban.
 */
export async function listBans(
  store: KeyValueStore,
  sdkAppId: number,
  stats: BanKvStats,
  pageKeys = LIST_PAGE_KEYS,
): Promise<Ban[]> {
  if (!(await bansExist(store, sdkAppId, stats))) return [];
  const bans: Ban[] = [];
  let cursor: string | undefined;
  do {
    stats.lists++;
    const page = await store.list(prefix(sdkAppId), { limit: pageKeys, cursor });
    for (const key of page.keys) {
      const ban = fromKey(sdkAppId, key.name, key.metadata as BanMetadata | null);
      if (ban) bans.push(ban);
    }
    cursor = page.cursor;
  } while (cursor);
  return bans;
}

export async function writeBan(
  store: KeyValueStore,
  sdkAppId: number,
  ban: Ban,
  nowSeconds: number,
  stats: BanKvStats,
): Promise<void> {
  checkBanReason(ban.reason);
  await markBansExist(store, sdkAppId, stats);
  stats.writes++;
  const metadata: BanMetadata = {
    b: ban.bannedAt,
    by: cutCodePoints(ban.bannedBy, BAN_ACTOR_MAX_CHARS),
    ...(ban.reason !== undefined ? { r: ban.reason } : {}),
    ...(ban.expiresAt !== undefined ? { e: ban.expiresAt } : {}),
  };
  if (new TextEncoder().encode(JSON.stringify(metadata)).byteLength > KV_METADATA_MAX_BYTES) {
    throw new BansError(
      "BAN_REASON_TOO_LONG",
      `The ban's details exceed KV's ${KV_METADATA_MAX_BYTES} bytes: shorten reason.`,
      {
        data: { field: "reason" },
      },
    );
  }
  await store.put(prefix(sdkAppId) + encodeURIComponent(ban.userId), "", {
    metadata,
    ...(ban.expiresAt !== undefined
      ? { expiresAtSeconds: Math.max(ban.expiresAt, nowSeconds + KV_MIN_EXPIRATION_AHEAD_SECONDS) }
      : {}),
  });
}

/** One ban, read by its exact key (moderation routes: was this user banned already?). */
export async function readBan(
  store: KeyValueStore,
  sdkAppId: number,
  userId: string,
  stats: BanKvStats,
): Promise<Ban | undefined> {
  stats.reads++;
  const entry = await store.get(prefix(sdkAppId) + encodeURIComponent(userId));
  return fromKey(sdkAppId, prefix(sdkAppId) + encodeURIComponent(userId), entry?.metadata as BanMetadata | null);
}

export async function deleteBan(
  store: KeyValueStore,
  sdkAppId: number,
  userId: string,
  stats: BanKvStats,
): Promise<void> {
  stats.deletes++;
  await store.delete(prefix(sdkAppId) + encodeURIComponent(userId));
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
