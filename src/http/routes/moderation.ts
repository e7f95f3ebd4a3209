/**
 * Moderation (src/bans/moderate.ts decides; src/bans/moderators.ts says who may moderate; this file
 * parses and answers):
 *
 * - PUT    /v1/admin/apps/{sdkAppId}/bans/{userId}        ban (201 new, 200 already banned): stored in
 *                                                         the app's Durable Object, then kicked and
 *                                                         muted in Chat, removed from every known room
 * - DELETE /v1/admin/apps/{sdkAppId}/bans/{userId}        unban (204), the Chat mute lifted
 * - GET    /v1/admin/apps/{sdkAppId}/bans                 the bans in force
 * - POST   /v1/admin/apps/{sdkAppId}/users/{userId}/kick  end the user's Chat sessions and remove them
 *                                                         from every known room, no ban
 *
 * The audit line names the actor and what Tencent confirmed. The room routes (routes/rooms.ts)
 * admit their moderator with the same `moderator`.
 */

import type { LoadedApp } from "../../services/broker.js";
import { banRequest } from "../bodies.js";
import { readJson } from "../body.js";
import { identifyCaller } from "../caller.js";
import type { BrokerApp, BrokerContext } from "../context.js";
import { enforceOrigin } from "../cors.js";
import { pathTargetUserId } from "../path.js";
import { enforceOperatorLimit, enforceRateLimit } from "../ratelimit.js";
import { appFromPath } from "../select-app.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function moderationRoutes(routes: BrokerApp): void {
  routes.put("/v1/admin/apps/:sdkAppId/bans/:userId", async function ban(c) {
    const { app, actor } = await moderator(c);
    const userId = pathTargetUserId(c, app, { rule: true });
    const body = await readJson(c, banRequest);
    const result = await c.var.broker.bans.ban(app, userId, body, actor);
    const { created, ...answer } = result;
    Object.assign(c.var.audit, {
      outcome: created ? "banned" : "ban-updated",
      kicked: result.kicked,
      muted: result.muted,
      removedRooms: result.removedFrom.length,
      ...tencentCode(result),
    });
    c.header("Cache-Control", "no-store");
    return c.json(answer, created ? 201 : 200);
  });

  routes.delete("/v1/admin/apps/:sdkAppId/bans/:userId", async function unban(c) {
    const { app } = await moderator(c);
    const userId = pathTargetUserId(c, app, { rule: false });
    const { unmuted } = await c.var.broker.bans.unban(app, userId);
    c.var.audit.outcome = "unbanned";
    c.var.audit.unmuted = unmuted.every(({ step }) => step.ok);
    return c.body(null, 204);
  });

  routes.get("/v1/admin/apps/:sdkAppId/bans", async function listBans(c) {
    const { app } = await moderator(c);
    const bans = await c.var.broker.bans.list(app);
    c.var.audit.outcome = "listed";
    c.header("Cache-Control", "no-store");
    return c.json({ bans });
  });

  routes.post("/v1/admin/apps/:sdkAppId/users/:userId/kick", async function kick(c) {
    const { app } = await moderator(c);
    const userId = pathTargetUserId(c, app, { rule: true });
    const report = await c.var.broker.bans.kick(app, userId);
    Object.assign(c.var.audit, {
      outcome: report.kicked ? "kicked" : "kick-failed",
      kicked: report.kicked,
      removedRooms: report.removedFrom.length,
      ...tencentCode(report),
    });
    c.header("Cache-Control", "no-store");
    return c.json(report);
  });
}

/**
 * The app in the path and who is asking (src/bans/moderators.ts: `X-Api-Key` with allowModeration;
 * `Authorization: Bearer` with the operator's token, else an IdP token with the app's moderator
 * role). 401 for bad or missing credentials, 403 for valid ones without the right to moderate.
 */
export async function moderator(c: BrokerContext): Promise<{ app: LoadedApp; actor: string }> {
  const app = appFromPath(c.var.brokerConfig, c.req.param("sdkAppId") ?? "");
  c.set("app", app);
  c.var.audit.app = app.config.sdkAppId;
  // A browser (an SPA's moderator) only from the app's own origins, like the public routes.
  enforceOrigin(c, app);
  const { actor, caller } = await c.var.broker.moderation.admit(app, {
    hasApiKey: c.req.header("X-Api-Key") !== undefined,
    authorization: c.req.header("Authorization"),
    identify: () => identifyCaller(c, app),
  });
  if (!caller) c.var.audit.callerKind = "operator";
  c.var.audit.actor = actor;
  // The operator has a limit of its own (rateLimits.operator), per app.
  if (caller) await enforceRateLimit(c, app, "moderation", caller);
  else await enforceOperatorLimit(c, app);
  return { app, actor };
}

/** Tencent's ErrorCode for the audit line: 0 when it confirmed, its code when it answered FAIL. */
function tencentCode(report: { kicked: boolean; kickErrorCode?: number }): { tencentErrorCode?: number } {
  if (report.kicked) return { tencentErrorCode: 0 };
  return report.kickErrorCode !== undefined ? { tencentErrorCode: report.kickErrorCode } : {};
}
