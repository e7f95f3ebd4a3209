// The broker's Worker entry (src/index.ts) with shorter ban-cache bounds, for the two-isolate test
// (test/node/two-isolates.test.ts bundles it with esbuild and runs it twice in Miniflare). Only the
// bounds differ: the same app, the same isolate state, the same scheduled handler.
import type { BrokerEnv } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createIsolateState } from "../../src/isolate.js";
import { rekickTick } from "../../src/scheduled.js";

/** Set by the test when it bundles this file (esbuild `define`). */
declare const SHORT_BOUNDS: { softTtlMs: number; hardTtlMs: number };

const state = createIsolateState({ banCache: SHORT_BOUNDS, chatTimeoutMs: 2_000 });
const app = createApp(state);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(rekickTick(state, env, (promise) => ctx.waitUntil(promise))),
} satisfies ExportedHandler<BrokerEnv>;
