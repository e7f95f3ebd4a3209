/**
 * Closing the propagation window (issue: "no sig issued after a ban stays usable at Tencent beyond a
 * bound").
 *
 * The problem: Tencent's kick invalidates every UserSig of the user issued *before* it. An isolate
 * that has not seen the ban yet (up to BAN_HARD_TTL_MS plus KV's propagation delay, about 2 minutes)
 * can still issue a fresh sig, and that sig logs in to Chat.
 *
 * The fix: a Cron Trigger runs every minute and kicks, again, every ban made within the last
 * REKICK_WINDOW_SECONDS. A sig issued by a stale isolate at time t after the ban is invalidated by
 * the first tick after t, so it is usable for Chat login for at most one tick interval (60 s, plus
 * Cron's scheduling delay). Stale isolates stop issuing about 2 minutes after the ban (when KV has
 * propagated), so with a 10-minute window every late sig is covered even if KV is several times
 * slower than usual.
 *
 * Guarantee: no UserSig issued after a ban can log in to Chat later than 3 minutes after the ban
 * (2 minutes of staleness + 1 tick), as long as KV propagates within its usual 60 s and Tencent
 * answers; if KV is slower, up to REKICK_WINDOW_SECONDS. Cost: per tick, one KV list per app with
 * `chat` configured (plus one per 1000 bans), and REKICK_WINDOW_SECONDS / 60 = 10 kicks per ban
 * (Tencent allows 200 kicks per second per app).
 */

import type { KeyValueStore } from "../shared/storage.js";
import { unixSeconds } from "../shared/units.js";
import type { KickOutcome } from "../tencent/kick.js";
import { inForce } from "./cache.js";
import { type Ban, type BanKvStats, listBans } from "./store.js";

/** Ten ticks of the Cron Trigger (wrangler.toml `[triggers] crons = ["* * * * *"]`, every minute). */
export const REKICK_WINDOW_SECONDS = 600;

/** The bans whose user must be kicked again now: made within the window, still in force. */
export function bansToRekick(bans: readonly Ban[], nowSeconds: number, windowSeconds = REKICK_WINDOW_SECONDS): Ban[] {
  return bans.filter((ban) => ban.bannedAt >= nowSeconds - windowSeconds && inForce(ban, nowSeconds));
}

/** Kicks at once per app: well under Tencent's 200 per second, and quick for the usual handful. */
const REKICK_CONCURRENCY = 8;

export interface RekickApp {
  sdkAppId: number;
  kick: (userId: string) => Promise<KickOutcome>;
  /**
   * Is this ID (or a variant) an admin identity of the app now? A banned ID later made a runtime
   * admin is never kicked: a kick would void the broker's own admin sig at Tencent.
   */
  isAdmin: (userId: string) => Promise<boolean>;
}

export interface RekickSummary {
  event: "rekick";
  app: number;
  /** Bans within the window, kicked again now. */
  bans: number;
  kicked: number;
  failed: number;
  /** Bans skipped because the ID is now an admin identity (only when some were). */
  admins?: number;
  /** Tencent's ErrorCodes of failed kicks, or "unlisted" when the bans (or admins) could not be read. */
  errors?: (number | string)[];
}

/**
 * One tick of the Cron Trigger: for each app with `chat`, kick again every ban made within the
 * window. Never throws: a failing app is reported and the others still run.
 */
export async function rekickRecentBans(
  apps: readonly RekickApp[],
  deps: { store: KeyValueStore; nowMs: number; stats: BanKvStats; windowSeconds?: number },
): Promise<RekickSummary[]> {
  const nowSeconds = unixSeconds(deps.nowMs);
  const summaries: RekickSummary[] = [];
  for (const app of apps) {
    let recent: Ban[];
    let admins = 0;
    try {
      const inWindow = bansToRekick(
        await listBans(deps.store, app.sdkAppId, deps.stats),
        nowSeconds,
        deps.windowSeconds,
      );
      const isAdmin = await Promise.all(inWindow.map((ban) => app.isAdmin(ban.userId)));
      recent = inWindow.filter((_, i) => !isAdmin[i]);
      admins = inWindow.length - recent.length;
    } catch {
      // The bans or the admin set could not be read: kick nobody rather than maybe an admin.
      summaries.push({ event: "rekick", app: app.sdkAppId, bans: 0, kicked: 0, failed: 0, errors: ["unlisted"] });
      continue;
    }
    const summary: RekickSummary = {
      event: "rekick",
      app: app.sdkAppId,
      bans: recent.length,
      kicked: 0,
      failed: 0,
      ...(admins > 0 ? { admins } : {}),
    };
    const queue = [...recent];
    const worker = async () => {
      for (let ban = queue.shift(); ban; ban = queue.shift()) {
        const outcome: KickOutcome = await app.kick(ban.userId).catch(() => ({ kicked: false, reason: "error" }));
        if (outcome.kicked) summary.kicked++;
        else {
          summary.failed++;
          summary.errors = [...(summary.errors ?? []), outcome.errorCode ?? "unreachable"];
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(REKICK_CONCURRENCY, recent.length) }, worker));
    summaries.push(summary);
  }
  return summaries;
}
