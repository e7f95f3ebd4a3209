/**
 * Each app's bans, cached in the isolate (shared/refreshing.ts) so that a warm issuance never waits
 * on storage: 0 reads per warm issuance, the list refreshed from the app's Durable Object in the
 * background (`read`). Must not forget a ban: a cold isolate that cannot read them refuses
 * (BAN_LIST_UNAVAILABLE). A ban or unban made through this isolate counts here at once, and is laid
 * over the list until a list started after the object confirmed it has come back (the object is
 * strongly consistent: such a list holds it; reads are ordered by a counter, not a clock). Elsewhere a change counts within BAN_SOFT_TTL_MS of traffic, at most BAN_HARD_TTL_MS.
 * A ban matches every ID that folds to its user ID (`fold`, the admin guard's folding).
 */

import { RefreshingCache } from "../shared/refreshing.js";
import { unixSeconds } from "../shared/units.js";
import { type Ban, inForce } from "./decide.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "./errors.js";

export { inForce } from "./decide.js";

export const BAN_SOFT_TTL_MS = 20_000;
export const BAN_HARD_TTL_MS = 60_000;
/** A cold read that takes longer than this is treated as a failure. */
const BAN_READ_WAIT_MS = 3_000;
/** Tencent's clock and ours may differ: the re-kick waits this much longer. */
const REKICK_CLOCK_MARGIN_MS = 10_000;

/**
 * How long after a ban the app's object kicks the user in Chat once more: by then no isolate with
 * these bounds issues the user a UserSig (none uses a list read more than `hardTtlMs` ago, and a
 * cold read waits at most `readWaitMs`), and Tencent's kick voids every sig issued before it.
 */
export function rekickAfterMs(hardTtlMs = BAN_HARD_TTL_MS, readWaitMs = BAN_READ_WAIT_MS): number {
  return hardTtlMs + readWaitMs + REKICK_CLOCK_MARGIN_MS;
}

/** With the production bounds: 73 s. */
export const REKICK_AFTER_MS = rekickAfterMs();

export interface BanCacheOptions {
  fold: (userId: string) => string;
  softTtlMs?: number;
  hardTtlMs?: number;
  readWaitMs?: number;
}

/** Reads of the app's ban list made by this isolate (GET /v1/admin/stats, the bench: a warm issuance makes none). */
export interface BanReadStats {
  /** Lists read from the object. */
  lists: number;
  /** Lookups that had to wait for a list (a cold or idle isolate); a warm issuance waits for none. */
  coldWaits: number;
}

export interface BanLookupDeps {
  /** The app's bans in force, from its Durable Object. */
  read: () => Promise<Ban[]>;
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
  /** How many list reads had started when it was made. */
  readsBefore: number;
}

export class BanCache {
  readonly #fold: (userId: string) => string;
  readonly #lists: RefreshingCache<number, BansByFold>;
  readonly stats: BanReadStats = { lists: 0, coldWaits: 0 };
  /** sdkAppId -> exact user ID -> the latest change made through this isolate. */
  readonly #local = new Map<number, Map<string, LocalChange>>();
  /** List reads started, all apps: orders a read against a local change. */
  #readsStarted = 0;
  /** sdkAppId -> the order number of the latest-started list that came back. */
  readonly #listed = new Map<number, number>();

  /** When the object re-kicks after a ban made through this isolate (rekickAfterMs of these bounds). */
  readonly rekickAfterMs: number;

  constructor(options: BanCacheOptions) {
    this.#fold = options.fold;
    this.rekickAfterMs = rekickAfterMs(options.hardTtlMs, options.readWaitMs);
    this.#lists = new RefreshingCache({
      softTtlMs: options.softTtlMs ?? BAN_SOFT_TTL_MS,
      hardTtlMs: options.hardTtlMs ?? BAN_HARD_TTL_MS,
      waitMs: options.readWaitMs ?? BAN_READ_WAIT_MS,
      event: "ban_list_unavailable",
      onColdWait: () => {
        this.stats.coldWaits++;
      },
      unavailable: (reason) =>
        new BansError("BAN_LIST_UNAVAILABLE", "The broker cannot read this app's bans right now; try again shortly.", {
          reason: `bans: ${reason}`,
          data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
        }),
    });
  }

  /** The ban in force for `userId` or one of its case/Unicode variants, if any. */
  async find(sdkAppId: number, userId: string, deps: BanLookupDeps): Promise<Ban | undefined> {
    const byFold = await this.#lists.get(sdkAppId, () => this.#read(sdkAppId, deps.read), deps);
    const folded = this.#fold(userId);
    const nowSeconds = unixSeconds(deps.nowMs);
    const local = this.#localChanges(sdkAppId);
    for (const ban of byFold.get(folded) ?? []) {
      // An unban (or a newer ban) made here wins over a list read before it.
      if (local?.has(ban.userId)) continue;
      if (inForce(ban, nowSeconds)) return ban;
    }
    for (const change of local?.values() ?? []) {
      if (change.ban && inForce(change.ban, nowSeconds) && this.#fold(change.ban.userId) === folded) return change.ban;
    }
    return undefined;
  }

  /** A cold isolate: starts the list read the next find would wait for (RefreshingCache.prefetch). */
  prefetch(sdkAppId: number, deps: BanLookupDeps): void {
    this.#lists.prefetch(sdkAppId, () => this.#read(sdkAppId, deps.read), deps);
  }

  /** After the object confirmed a ban made through this isolate: in force here at once. */
  banned(sdkAppId: number, ban: Ban): void {
    this.#remember(sdkAppId, ban.userId, { ban, readsBefore: this.#readsStarted });
  }

  /** After the object confirmed an unban made through this isolate: lifted here at once. */
  unbanned(sdkAppId: number, userId: string): void {
    this.#remember(sdkAppId, userId, { ban: null, readsBefore: this.#readsStarted });
  }

  #remember(sdkAppId: number, userId: string, change: LocalChange): void {
    let changes = this.#local.get(sdkAppId);
    if (!changes) {
      changes = new Map();
      this.#local.set(sdkAppId, changes);
    }
    changes.set(userId, change);
  }

  /** The changes made here that the latest list may not hold yet (it was started before them). */
  #localChanges(sdkAppId: number): Map<string, LocalChange> | undefined {
    const changes = this.#local.get(sdkAppId);
    if (!changes) return undefined;
    const listed = this.#listed.get(sdkAppId) ?? 0;
    for (const [userId, change] of changes) if (change.readsBefore < listed) changes.delete(userId);
    if (changes.size === 0) {
      this.#local.delete(sdkAppId);
      return undefined;
    }
    return changes;
  }

  async #read(sdkAppId: number, read: () => Promise<Ban[]>): Promise<BansByFold> {
    this.stats.lists++;
    const order = ++this.#readsStarted;
    const byFold: BansByFold = new Map();
    for (const ban of await read()) {
      const folded = this.#fold(ban.userId);
      const list = byFold.get(folded);
      if (list) list.push(ban);
      else byFold.set(folded, [ban]);
    }
    this.#listed.set(sdkAppId, Math.max(this.#listed.get(sdkAppId) ?? 0, order));
    return byFold;
  }
}
