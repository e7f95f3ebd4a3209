/**
 * The Cron Trigger (wrangler.toml `[triggers] crons = ["* * * * *"]`): every minute, kick again at
 * Tencent every ban made in the last 10 minutes, for every app with `chat`. This closes the window in
 * which an isolate that has not seen a ban yet can issue a UserSig that logs in to Chat (the
 * guarantee and its cost: src/bans/rekick.ts, docs/moderation.md).
 *
 * One JSON line per app and tick (`event: "rekick"`): counts and Tencent's ErrorCodes, never a URL,
 * a sig or a key. A broken configuration is logged and the tick does nothing.
 */

import type { BrokerEnv } from "./env.js";
import type { IsolateState } from "./isolate.js";
import { createBroker } from "./services/broker.js";

export async function rekickTick(
  state: IsolateState,
  env: BrokerEnv,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<void> {
  const loaded = await state.config.load(env);
  if (!loaded.ok) {
    console.error(JSON.stringify({ event: "rekick", outcome: "config_error", code: loaded.error.code }));
    return;
  }
  // The same service layer as a request's, bound to this tick's clock.
  const broker = createBroker({ state, env, nowMs: state.clock(), waitUntil });
  const summaries = await broker.bans.rekick(loaded.config);
  for (const summary of summaries) console.log(JSON.stringify(summary));
}
