/**
 * usersig-broker: the Worker entry. The app and its isolate state (src/isolate.ts) are made once per
 * isolate; configuration is parsed on the first request and cached in that state. The Cron Trigger
 * (`scheduled`) shares that state: it kicks recent bans again (src/scheduled.ts).
 */

import type { BrokerEnv } from "./env.js";
import { createApp } from "./http/app.js";
import { createIsolateState } from "./isolate.js";
import { rekickTick } from "./scheduled.js";

const state = createIsolateState();
const app = createApp(state);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(rekickTick(state, env, (promise) => ctx.waitUntil(promise))),
} satisfies ExportedHandler<BrokerEnv>;

/** The per-app Durable Object that holds bans and presence (binding MODERATION in wrangler.toml). */
export { ModerationObject } from "./objects/moderation.js";
