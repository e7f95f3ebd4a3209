/**
 * POST /v1/chat/{service}/{command}[?sdkAppId=…]: a least-privilege gateway to Tencent Chat's REST
 * API. An API key may call exactly the "service/command" names its `chatCommands` lists; the JSON
 * body (at most 64 KiB) is forwarded unchanged, as the app's admin identity, and Tencent's answer
 * comes back unchanged with 200 (ActionStatus FAIL included). Backends never hold the admin sig.
 *
 * Tencent unreachable after the client's one retry: 502, or 504 after a timeout, both
 * TENCENT_UNAVAILABLE with Retry-After. The audit line records the command and Tencent's ErrorCode,
 * never the URL (its query carries the admin sig).
 */

import { Hono } from "hono";
import { adminSetOf, isAdminLike } from "../../admins/set.js";
import { callChat, isValidChatName } from "../../tencent/chat.js";
import { ChatError } from "../../tencent/errors.js";
import { refuseAdminTargets } from "../../tencent/gateway-targets.js";
import { chatTarget } from "../../tencent/target.js";
import { readJsonObjectText } from "../body.js";
import { requireApiKey } from "../caller.js";
import { type BrokerHono, nowSeconds, waitUntilOf } from "../context.js";
import { badRequest, RequestError } from "../errors.js";
import { enforceRateLimit } from "../ratelimit.js";
import { sdkAppId as sdkAppIdSchema } from "../schemas.js";
import { pickApp } from "../select-app.js";

export const chatRoutes = new Hono<BrokerHono>();

/** `?sdkAppId=`: a plain decimal integer (not "1e9", "0x…", " 1" or "": Number() would take those). */
function queryAppId(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = /^[0-9]{1,10}$/.test(raw) ? sdkAppIdSchema.safeParse(Number(raw)) : undefined;
  if (!parsed?.success) throw badRequest("sdkAppId must be a decimal integer (an SDKAppID).", "sdkAppId");
  return parsed.data;
}

chatRoutes.post("/v1/chat/:service/:command", async function chatGateway(c) {
  const service = c.req.param("service");
  const command = c.req.param("command");
  if (!isValidChatName(service) || !isValidChatName(command)) {
    throw new RequestError("NOT_FOUND", "No such Chat REST command: letters, digits and underscores only.");
  }
  const name = `${service}/${command}`;
  c.var.audit.chatCommand = name;
  const app = pickApp(c.var.brokerConfig, queryAppId(c.req.query("sdkAppId")));
  c.var.audit.app = app.config.sdkAppId;
  const key = await requireApiKey(c, app);
  await enforceRateLimit(c, app, "chat", { kind: "apiKey", key });
  if (!key.chatCommands.includes(name)) {
    throw new ChatError("CHAT_COMMAND_NOT_ALLOWED", `This API key may not call ${name} (chatCommands).`);
  }
  const target = chatTarget(app, c.var.isolate.adminSigs, nowSeconds(c));
  if (!target) throw new ChatError("CHAT_NOT_CONFIGURED", "This app has no Chat REST API configured (chat).");
  const body = await readJsonObjectText(c);
  // Never a command that acts on an admin account (the broker's own identity included).
  const sets = await c.var.isolate.admins.adminSets(app.config.sdkAppId, app.configAdmins, {
    kv: c.env.ADMINS,
    waitUntil: waitUntilOf(c),
    now: c.var.nowMs,
  });
  const admins = [...sets, adminSetOf([target.adminUserId])];
  const parsed: unknown = JSON.parse(body);
  const checked = await refuseAdminTargets(service, command, parsed, (userId) => isAdminLike(userId, admins));
  // A command that acts on accounts goes out exactly as checked (JSON.stringify: no duplicate member).
  const forwarded = checked ? JSON.stringify(parsed) : body;
  const answer = await callChat(target, service, command, forwarded, c.var.isolate.chat);
  Object.assign(c.var.audit, { tencentErrorCode: answer.errorCode, outcome: "forwarded" });
  return new Response(answer.text, {
    status: 200,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
});
