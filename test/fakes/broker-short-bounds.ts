// The broker's Worker entry (src/index.ts) with other ban-cache bounds, for the two-isolate test
// (test/node/two-isolates.test.ts bundles it with esbuild and runs it as two workers of one
// Miniflare, sharing one Durable Object namespace) and the moderation bench (production bounds).
// Only the bounds differ: the same app and routes (Tencent's callbacks reach the real
// /v1/callbacks/trtc and /v1/callbacks/chat, signed), the same isolate state, the same
// ModerationObject.
import type { BrokerEnv } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createIsolateState } from "../../src/isolate.js";

export { ModerationObject } from "../../src/objects/moderation.js";

/** Set by the test when it bundles this file (esbuild `define`). */
declare const SHORT_BOUNDS: { softTtlMs: number; hardTtlMs: number };

const state = createIsolateState({ banCache: SHORT_BOUNDS, chatTimeoutMs: 2_000 });
const app = createApp(state);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
