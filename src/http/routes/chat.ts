/**
 * POST /v1/chat/{service}/{command}[?sdkAppId=…]: a least-privilege gateway to Tencent Chat's REST
 * API. An API key may call exactly the "service/command" names its `chatCommands` lists (the rule:
 * src/tencent/gateway.ts); the JSON
 * body (at most 64 KiB) is forwarded unchanged, as the app's admin identity, and Tencent's answer
 * comes back unchanged with 200 (ActionStatus FAIL included). Backends never hold the admin sig.
 *
 * Tencent unreachable after the client's one retry: 502, or 504 after a timeout, both
 * TENCENT_UNAVAILABLE with Retry-After. The audit line records the command and Tencent's ErrorCode,
 * never the URL (its query carries the admin sig).
 */

import { sdkAppId as sdkAppIdSchema } from "../bodies.js";
import { readJsonObjectText } from "../body.js";
import { requireApiKey } from "../caller.js";
import type { BrokerApp } from "../context.js";
import { badRequest } from "../errors.js";
import { pathChatCommand } from "../path.js";
import { enforceRateLimit } from "../ratelimit.js";
import { pickApp } from "../select-app.js";

/** `?sdkAppId=`: a plain decimal integer (not "1e9", "0x…", " 1" or "": Number() would take those). */
function queryAppId(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = /^[0-9]{1,10}$/.test(raw) ? sdkAppIdSchema.safeParse(Number(raw)) : undefined;
  if (!parsed?.success) throw badRequest("sdkAppId must be a decimal integer (an SDKAppID).", "sdkAppId");
  return parsed.data;
}

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function chatRoutes(routes: BrokerApp): void {
  routes.post("/v1/chat/:service/:command", async function chatGateway(c) {
    const { service, command } = pathChatCommand(c);
    const app = pickApp(c.var.brokerConfig, queryAppId(c.req.query("sdkAppId")));
    c.var.audit.app = app.config.sdkAppId;
    const key = await requireApiKey(c, app);
    await enforceRateLimit(c, app, "chat", { kind: "apiKey", key });
    // The allow-list (src/tencent/gateway.ts) and the app's Chat target, before the body is read.
    const call = c.var.broker.gateway.open(app, key, service, command);
    const answer = await call.forward(await readJsonObjectText(c));
    Object.assign(c.var.audit, { tencentErrorCode: answer.errorCode, outcome: "forwarded" });
    return new Response(answer.text, {
      status: 200,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
    });
  });
}
