/**
 * usersig-broker: the Worker entry. The app and its isolate state (src/isolate.ts) are made once per
 * isolate; configuration is parsed on the first request and cached in that state.
 */

import type { BrokerEnv } from "./env.js";
import { createApp } from "./http/app.js";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
