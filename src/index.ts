/**
 * usersig-broker: the Worker entry. The app is built once per isolate; configuration is parsed on
 * the first request and cached (see config/load.ts).
 */

import type { BrokerEnv } from "./env.js";
import { createApp } from "./http/app.js";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
