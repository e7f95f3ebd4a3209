/**
 * Each app's bans, cached in the isolate (shared/refreshing.ts) so that a warm issuance never waits
 * on KV (0 KV reads). Must not: forget a ban (a cold isolate that cannot list them refuses,
 * BAN_LIST_UNAVAILABLE), nor let a KV location that has not seen this isolate's own ban or unban
 * undo it (those are laid over KV for LOCAL_OVERLAY_MS). Elsewhere a change counts within hardTtlMs
 * plus KV's propagation; the re-kick (rekick.ts) closes that window at Tencent. A ban matches every
 * ID that folds to its user ID (`fold`, the admin guard's folding).
 */

import { RefreshingCache } from "../shared/refreshing.js";
import type { KeyValueStore } from "../shared/storage.js";
import { unixSeconds } from "../shared/units.js";
import { type Ban, inForce } from "./decide.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "./errors.js";
import { type BanKvStats, listBans, newBanKvStats } from "./store.js";

export { inForce } from "./decide.js";

export const BAN_SOFT_TTL_MS = 20_000;
export const BAN_HARD_TTL_MS = 60_000;
/** A cold read that takes longer than this is treated as a KV failure. */
const BAN_KV_WAIT_MS = 3_000;
/** Longer than KV's usual propagation (60 s) plus the hard TTL, with room to spare. */
export const LOCAL_OVERLAY_MS = 5 * 60_000;

export interface BanCacheOptions {
  fold: (userId: string) => string;
  softTtlMs?: number;
  hardTtlMs?: number;
  kvWaitMs?: number;
}

export interface BanLookupDeps {
  /** The ADMINS namespace. */
  store: KeyValueStore;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's time, unix ms. */
  nowMs: number;
}

/** folded user ID -> the bans whose user ID folds to it (usually one). */
type BansByFold = Map<string, Ban[]>;

interface LocalChange {
  /** The ban made here, or null for an unban made here. */
  ban: Ban | null;
  at: number;
}

export class BanCache {
  readonly #fold: (userId: string) => string;
  readonly #lists: RefreshingCache<number, BansByFold>;
  /** This isolate's KV operations on bans, the moderation routes' included. */
  readonly kvStats: BanKvStats = newBanKvStats();
  /** sdkAppId -> exact user ID -> the latest change made through this isolate. */
  readonly #local = new Map<number, Map<string, LocalChange>>();
  /** sdkAppId -> when the last list of the app started (unix ms), for stored()'s freshness. */
  readonly #listedAt = new Map<number, number>();

  constructor(options: BanCacheOptions) {
    this.#fold = options.fold;
    this.#lists = new RefreshingCache({
      softTtlMs: options.softTtlMs ?? BAN_SOFT_TTL_MS,
      hardTtlMs: options.hardTtlMs ?? BAN_HARD_TTL_MS,
      waitMs: options.kvWaitMs ?? BAN_KV_WAIT_MS,
      event: "ban_list_unavailable",
      onColdWait: () => {
        this.kvStats.coldWaits++;
      },
      unavailable: (reason) =>
        new BansError("BAN_LIST_UNAVAILABLE", "The broker cannot read this app's bans right now; try again shortly.", {
          reason: `bans kv: ${reason}`,
          data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
        }),
    });
  }

  /** The ban in force for `userId` or one of its case/Unicode variants, if any. */
  async find(sdkAppId: number, userId: string, deps: BanLookupDeps): Promise<Ban | undefined> {
    const byFold = await this.#lists.get(sdkAppId, () => this.#read(sdkAppId, deps.store, deps.nowMs), deps);
    const folded = this.#fold(userId);
    const nowSeconds = unixSeconds(deps.nowMs);
    const local = this.#localChanges(sdkAppId, deps.nowMs);
    for (const ban of byFold.get(folded) ?? []) {
      // An unban (or a newer ban) made here wins over what KV said.
      if (local?.has(ban.userId)) continue;
      if (inForce(ban, nowSeconds)) return ban;
    }
    for (const change of local?.values() ?? []) {
      if (change.ban && inForce(change.ban, nowSeconds) && this.#fold(change.ban.userId) === folded) return change.ban;
    }
    return undefined;
  }

  /**
   * Every ban the app has stored (in force or not), keyed by exact user ID, as this isolate knows
   * them: its last list, listed again now when older than `maxAgeMs`, with the bans and unbans made
   * here laid over it (they stay laid over for LOCAL_OVERLAY_MS, longer than KV takes to show them
   * in a list). So a ban made here is counted here at once, however old the list. For the moderation
   * routes (a KV failure throws; the route answers 503), never for issuance.
   */
  async stored(
    sdkAppId: number,
    deps: Pick<BanLookupDeps, "store" | "nowMs">,
    maxAgeMs: number,
  ): Promise<Map<string, Ban>> {
    let byFold = this.#lists.peek(sdkAppId);
    const listedAt = this.#listedAt.get(sdkAppId);
    if (!byFold || listedAt === undefined || !(deps.nowMs - listedAt <= maxAgeMs)) {
      byFold = await this.#read(sdkAppId, deps.store, deps.nowMs);
      this.#lists.set(sdkAppId, byFold, deps.nowMs);
    }
    const view = new Map<string, Ban>();
    for (const list of byFold.values()) for (const ban of list) view.set(ban.userId, ban);
    for (const [userId, change] of this.#localChanges(sdkAppId, deps.nowMs) ?? []) {
      if (change.ban) view.set(userId, change.ban);
      else view.delete(userId);
    }
    return view;
  }

  /** The stored bans (stored(), same freshness) whose user ID folds like `userId`: the same ban to a moderator. */
  async variants(
    sdkAppId: number,
    userId: string,
    deps: Pick<BanLookupDeps, "store" | "nowMs">,
    maxAgeMs: number,
  ): Promise<Ban[]> {
    const folded = this.#fold(userId);
    return [...(await this.stored(sdkAppId, deps, maxAgeMs)).values()].filter(
      (ban) => this.#fold(ban.userId) === folded,
    );
  }

  /** After a ban through this isolate: in force here at once. */
  banned(sdkAppId: number, ban: Ban, nowMs: number): void {
    this.#remember(sdkAppId, ban.userId, { ban, at: nowMs });
  }

  /** After an unban through this isolate: lifted here at once. */
  unbanned(sdkAppId: number, userId: string, nowMs: number): void {
    this.#remember(sdkAppId, userId, { ban: null, at: nowMs });
  }

  #remember(sdkAppId: number, userId: string, change: LocalChange): void {
    let changes = this.#local.get(sdkAppId);
    if (!changes) {
      changes = new Map();
      this.#local.set(sdkAppId, changes);
    }
    changes.set(userId, change);
  }

  #localChanges(sdkAppId: number, nowMs: number): Map<string, LocalChange> | undefined {
    const changes = this.#local.get(sdkAppId);
    if (!changes) return undefined;
    for (const [userId, change] of changes) if (nowMs - change.at > LOCAL_OVERLAY_MS) changes.delete(userId);
    if (changes.size === 0) {
      this.#local.delete(sdkAppId);
      return undefined;
    }
    return changes;
  }

  async #read(sdkAppId: number, store: KeyValueStore, startedAtMs: number): Promise<BansByFold> {
    const byFold: BansByFold = new Map();
    for (const ban of await listBans(store, sdkAppId, this.kvStats)) {
      const folded = this.#fold(ban.userId);
      const list = byFold.get(folded);
      if (list) list.push(ban);
      else byFold.set(folded, [ban]);
    }
    this.#listedAt.set(sdkAppId, Math.max(this.#listedAt.get(sdkAppId) ?? startedAtMs, startedAtMs));
    return byFold;
  }
}
