// The broker's Worker entry (src/index.ts) with other ban-cache bounds, for the two-isolate test
// (test/node/two-isolates.test.ts bundles it with esbuild and runs it as two workers of one
// Miniflare, sharing one Durable Object namespace) and the moderation bench (production bounds).
// Only the bounds differ: the same app and routes (Tencent's callbacks reach the real
// /v1/callbacks/trtc and /v1/callbacks/chat, signed), the same isolate state, the same
// ModerationObject. Each answer carries `Server-Timing: app;dur=<ms>`, the app's own time for the
// request as workerd's clock sees it, which the bench reads beside its own.
import type { BrokerEnv } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createIsolateState } from "../../src/isolate.js";

export { ModerationObject } from "../../src/objects/moderation.js";

/** Set by the test when it bundles this file (esbuild `define`). */
declare const SHORT_BOUNDS: { softTtlMs: number; hardTtlMs: number };

const state = createIsolateState({ banCache: SHORT_BOUNDS, chatTimeoutMs: 2_000 });
const app = createApp(state);

export default {
  async fetch(request, env, ctx) {
    const startedMs = Date.now();
    const answer = await app.fetch(request, env, ctx);
    const timed = new Response(answer.body, answer);
    timed.headers.append("Server-Timing", `app;dur=${Date.now() - startedMs}`);
    return timed;
  },
} satisfies ExportedHandler<BrokerEnv>;
