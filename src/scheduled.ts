/**
 * The Cron Trigger (wrangler.toml `[triggers] crons = ["* * * * *"]`): every minute, kick again at
 * Tencent every ban made in the last 10 minutes, for every app with `chat`. This closes the window in
 * which an isolate that has not seen a ban yet can issue a UserSig that logs in to Chat (the
 * guarantee and its cost: src/bans/rekick.ts, docs/moderation.md).
 *
 * One JSON line per app and tick (`event: "rekick"`): counts and Tencent's ErrorCodes, never a URL,
 * a sig or a key. A broken configuration is logged and the tick does nothing.
 */

import { isAdminLike } from "./admins/set.js";
import { type RekickApp, rekickRecentBans } from "./bans/rekick.js";
import type { BrokerEnv } from "./env.js";
import type { IsolateState } from "./isolate.js";
import { kvStore } from "./shared/storage.js";
import { unixSeconds } from "./shared/units.js";
import { kickUser } from "./tencent/kick.js";
import { chatTarget } from "./tencent/target.js";

export async function rekickTick(
  state: IsolateState,
  env: BrokerEnv,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<void> {
  const loaded = state.config.load(env);
  if (!loaded.ok) {
    console.error(JSON.stringify({ event: "rekick", outcome: "config_error", code: loaded.error.code }));
    return;
  }
  const nowMs = state.clock();
  const apps: RekickApp[] = [];
  for (const app of loaded.config.apps.values()) {
    const target = chatTarget(app, state.adminSigs, unixSeconds(nowMs));
    if (!target) continue;
    apps.push({
      sdkAppId: app.config.sdkAppId,
      kick: (userId) => kickUser(target, userId, state.chat),
      isAdmin: async (userId) =>
        isAdminLike(
          userId,
          await state.admins.adminSets(app.config.sdkAppId, app.configAdmins, {
            store: kvStore(env.ADMINS),
            waitUntil,
            nowMs,
          }),
        ),
    });
  }
  if (apps.length === 0) return;
  const summaries = await rekickRecentBans(apps, { store: kvStore(env.ADMINS), nowMs, stats: state.bans.kvStats });
  for (const summary of summaries) console.log(JSON.stringify(summary));
}
