// The broker's Worker entry (src/index.ts) with shorter ban-cache bounds, for the two-isolate test
// (test/node/two-isolates.test.ts bundles it with esbuild and runs it as two workers of one
// Miniflare, sharing one Durable Object namespace). Only the bounds differ: the same app, the same
// isolate state, the same ModerationObject. Two test paths make the service-layer calls the
// callback routes make (POST /__test/callback {sdkAppId, call, event}: enterRoom, loggedIn,
// bannedAs), so a callback's decision can be taken in the isolate that did not ban.
import type { BrokerEnv } from "../../src/env.js";
import { createApp } from "../../src/http/app.js";
import { createIsolateState } from "../../src/isolate.js";
import { createBroker } from "../../src/services/broker.js";

export { ModerationObject } from "../../src/objects/moderation.js";

/** Set by the test when it bundles this file (esbuild `define`). */
declare const SHORT_BOUNDS: { softTtlMs: number; hardTtlMs: number };

const state = createIsolateState({ banCache: SHORT_BOUNDS, chatTimeoutMs: 2_000 });
const app = createApp(state);

async function callback(request: Request, env: BrokerEnv, ctx: ExecutionContext): Promise<Response> {
  const loaded = await state.config.load(env);
  if (!loaded.ok) return new Response("config error", { status: 500 });
  const body = (await request.json()) as { sdkAppId: number; call: string; event: never };
  const target = loaded.config.apps.get(body.sdkAppId);
  if (!target) return new Response("unknown app", { status: 404 });
  const startedMs = Date.now();
  const bans = createBroker({ state, env, nowMs: startedMs, waitUntil: (p) => ctx.waitUntil(p) }).bans;
  const answer =
    body.call === "enterRoom"
      ? await bans.enterRoom(target, body.event)
      : body.call === "loggedIn"
        ? await bans.loggedIn(target, body.event)
        : { ban: (await bans.bannedAs(target, (body.event as { userId: string }).userId)) ?? null };
  return Response.json({ answer, decisionMs: Date.now() - startedMs });
}

export default {
  fetch: (request, env, ctx) =>
    new URL(request.url).pathname === "/__test/callback" && request.method === "POST"
      ? callback(request, env, ctx)
      : app.fetch(request, env, ctx),
} satisfies ExportedHandler<BrokerEnv>;
