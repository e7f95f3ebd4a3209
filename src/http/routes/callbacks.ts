/**
 * Tencent's callbacks (src/services/callbacks.ts verifies and decides; this file reads the request
 * and answers):
 *
 * - POST /v1/callbacks/trtc  TRTC's room events (103 enter, 104 exit): headers `SdkAppId` and `Sign`
 * - POST /v1/callbacks/chat  Chat's webhooks: `SdkAppid`, `CallbackCommand`, `RequestTime`, `Sign` in the query
 *
 * A callback that does not verify (signature, app, 60 s freshness, 64 KiB, Tencent's JSON) is a 4xx
 * problem, and nothing in it was read or acted on. The audit line names the app, the event, the user,
 * the room and the decision; never the key, the token or the signature.
 */

import { readRawBody } from "../body.js";
import type { AuditRecord, BrokerApp, BrokerContext } from "../context.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function callbackRoutes(routes: BrokerApp): void {
  routes.post("/v1/callbacks/trtc", async function trtcCallback(c) {
    const body = await readRawBody(c);
    const answered = await c.var.broker.callbacks.trtc({
      sdkAppId: c.req.header("SdkAppId") ?? null,
      sign: c.req.header("Sign") ?? null,
      body,
    });
    return answer(c, answered);
  });

  routes.post("/v1/callbacks/chat", async function chatCallback(c) {
    const body = await readRawBody(c);
    const answered = await c.var.broker.callbacks.chat({ query: new URL(c.req.url).searchParams, body });
    return answer(c, answered);
  });
}

function answer<A extends object>(c: BrokerContext, answered: { sdkAppId: number; answer: A; audit: AuditRecord }) {
  Object.assign(c.var.audit, { app: answered.sdkAppId, ...answered.audit });
  c.header("Cache-Control", "no-store");
  return c.json(answered.answer);
}
