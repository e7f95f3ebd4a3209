/**
 * Each app's bans, cached in the isolate so that a warm issuance never waits on KV (0 KV reads).
 *
 * - Younger than softTtlMs (20 s): used as is.
 * - Between softTtlMs and hardTtlMs (60 s): used as is, and refreshed from KV in the background.
 * - Older than hardTtlMs (an idle isolate) or never read: the request waits for KV (at most
 *   kvWaitMs). If KV fails then, issuance is refused (BAN_LIST_UNAVAILABLE): a ban is never
 *   silently forgotten.
 *
 * A ban or unban made through this isolate takes effect here at once, and stays in effect here
 * even when a refresh reads a KV location that has not seen the write yet: local changes are laid
 * over what KV says for LOCAL_OVERLAY_MS (longer than KV's propagation delay).
 *
 * Elsewhere, an isolate sees a change within hardTtlMs plus KV's propagation delay (about 60 s):
 * 2 minutes with the defaults. What closes that window at Tencent is the re-kick (rekick.ts).
 *
 * A ban matches its user ID and every ID that folds to the same string (the admin guard's case and
 * Unicode-compatibility folding, passed in as `fold`).
 *
 * No clock is read here: every call passes the request's time.
 */

import { bounded, TIMED_OUT } from "../shared/timeout.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "./errors.js";
import { type Ban, type BanKvStats, listBans, newBanKvStats } from "./store.js";

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
  kv: KVNamespace;
  /** Keeps a background refresh alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's time, unix ms. */
  nowMs: number;
}

interface Entry {
  /** folded user ID -> the bans whose user ID folds to it (usually one). */
  byFold: Map<string, Ban[]>;
  fetchedAt: number;
  refreshing: Promise<Entry> | undefined;
}

interface LocalChange {
  /** The ban made here, or null for an unban made here. */
  ban: Ban | null;
  at: number;
}

export class BanCache {
  readonly #fold: (userId: string) => string;
  readonly #softTtlMs: number;
  readonly #hardTtlMs: number;
  readonly #kvWaitMs: number;
  readonly #entries = new Map<number, Entry>();
  /** This isolate's KV operations on bans, the moderation routes' included. */
  readonly kvStats: BanKvStats = newBanKvStats();
  /** sdkAppId -> exact user ID -> the latest change made through this isolate. */
  readonly #local = new Map<number, Map<string, LocalChange>>();

  constructor(options: BanCacheOptions) {
    this.#fold = options.fold;
    this.#softTtlMs = options.softTtlMs ?? BAN_SOFT_TTL_MS;
    this.#hardTtlMs = options.hardTtlMs ?? BAN_HARD_TTL_MS;
    this.#kvWaitMs = options.kvWaitMs ?? BAN_KV_WAIT_MS;
    if (!(this.#softTtlMs <= this.#hardTtlMs)) throw new RangeError("softTtlMs must not exceed hardTtlMs");
  }

  /** The ban in force for `userId` or one of its case/Unicode variants, if any. */
  async find(sdkAppId: number, userId: string, deps: BanLookupDeps): Promise<Ban | undefined> {
    const entry = await this.#entry(sdkAppId, deps);
    const folded = this.#fold(userId);
    const nowSeconds = Math.floor(deps.nowMs / 1000);
    const local = this.#localChanges(sdkAppId, deps.nowMs);
    for (const ban of entry.byFold.get(folded) ?? []) {
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
    deps: Pick<BanLookupDeps, "kv" | "nowMs">,
    maxAgeMs: number,
  ): Promise<Map<string, Ban>> {
    let entry = this.#entries.get(sdkAppId);
    if (!entry || !(deps.nowMs - entry.fetchedAt <= maxAgeMs)) {
      entry = await (entry?.refreshing ?? this.#refresh(sdkAppId, deps, entry));
    }
    const view = new Map<string, Ban>();
    for (const list of entry.byFold.values()) for (const ban of list) view.set(ban.userId, ban);
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
    deps: Pick<BanLookupDeps, "kv" | "nowMs">,
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

  async #entry(sdkAppId: number, deps: BanLookupDeps): Promise<Entry> {
    const entry = this.#entries.get(sdkAppId);
    const age = entry ? deps.nowMs - entry.fetchedAt : Number.POSITIVE_INFINITY;
    if (entry && age < this.#softTtlMs) return entry;
    if (entry && age < this.#hardTtlMs) {
      if (!entry.refreshing) deps.waitUntil(this.#refresh(sdkAppId, deps, entry).catch(() => undefined));
      return entry;
    }
    this.kvStats.coldWaits++;
    try {
      const read = await bounded(entry?.refreshing ?? this.#refresh(sdkAppId, deps, entry), this.#kvWaitMs);
      if (read === TIMED_OUT) throw new Error(`KV list took over ${this.#kvWaitMs} ms`);
      return read;
    } catch (error) {
      throw new BansError(
        "BAN_LIST_UNAVAILABLE",
        "The broker cannot read this app's bans right now; try again shortly.",
        {
          reason: `bans kv: ${error instanceof Error ? error.message : "unknown"}`,
          data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
        },
      );
    }
  }

  #refresh(sdkAppId: number, deps: Pick<BanLookupDeps, "kv" | "nowMs">, entry: Entry | undefined): Promise<Entry> {
    // Stamped with the time the read started: the data is at least that old.
    const startedAt = deps.nowMs;
    const promise: Promise<Entry> = listBans(deps.kv, sdkAppId, this.kvStats).then(
      (bans) => {
        const byFold = new Map<string, Ban[]>();
        for (const ban of bans) {
          const folded = this.#fold(ban.userId);
          const list = byFold.get(folded);
          if (list) list.push(ban);
          else byFold.set(folded, [ban]);
        }
        const fresh: Entry = { byFold, fetchedAt: startedAt, refreshing: undefined };
        this.#entries.set(sdkAppId, fresh);
        return fresh;
      },
      (error: unknown) => {
        const current = this.#entries.get(sdkAppId);
        if (current?.refreshing === promise) current.refreshing = undefined;
        throw error;
      },
    );
    // A placeholder when cold, so that concurrent cold requests share this one read.
    if (entry) entry.refreshing = promise;
    else this.#entries.set(sdkAppId, { byFold: new Map(), fetchedAt: Number.NEGATIVE_INFINITY, refreshing: promise });
    return promise;
  }
}

export function inForce(ban: Ban, nowSeconds: number): boolean {
  return ban.expiresAt === undefined || nowSeconds < ban.expiresAt;
}
