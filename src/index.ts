/**
 * usersig-broker: the Worker entry. The app and its isolate state (src/isolate.ts) are made once per
 * isolate; configuration is parsed on the first request and cached in that state. Bans and presence
 * live in one Durable Object per app (src/objects/moderation.ts), exported here as Workers requires;
 * its alarm does what a Cron Trigger did before (docs/moderation.md, "Why no Cron Trigger").
 */

import type { BrokerEnv } from "./env.js";
import { createApp } from "./http/app.js";
import { createIsolateState } from "./isolate.js";

const state = createIsolateState();
const app = createApp(state);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;

/** The per-app Durable Object that holds bans and presence (binding MODERATION in wrangler.toml). */
export { ModerationObject } from "./objects/moderation.js";
