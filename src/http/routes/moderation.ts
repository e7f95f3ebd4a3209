/**
 * Moderation (src/bans/moderate.ts decides; this file authenticates, parses and answers):
 *
 * - PUT    /v1/admin/apps/{sdkAppId}/bans/{userId}        ban (201 new, 200 already banned), then kick
 * - DELETE /v1/admin/apps/{sdkAppId}/bans/{userId}        unban (204)
 * - GET    /v1/admin/apps/{sdkAppId}/bans                 the bans in force
 * - POST   /v1/admin/apps/{sdkAppId}/users/{userId}/kick  end the user's Chat sessions, no ban
 *
 * Who may moderate: the operator (its bearer token), API keys with `allowModeration`, and IdP users
 * whose token carries the app's `moderation.idpRole` and who are not banned themselves (403
 * USER_BANNED). The audit line names the actor.
 */

import { Hono } from "hono";
import { isAdminLike } from "../../admins/set.js";
import type { Caller } from "../../auth/caller.js";
import { unauthorized } from "../../auth/errors.js";
import { BansError } from "../../bans/errors.js";
import {
  bansInForce,
  banUser,
  type KickReport,
  kickOnly,
  type ModerationDeps,
  refuseBanned,
  unbanUser,
} from "../../bans/moderate.js";
import { actorName, hasModeratorRole, type Moderator } from "../../bans/moderators.js";
import type { LoadedApp } from "../../config/load.js";
import { kickUser } from "../../tencent/kick.js";
import { chatTarget } from "../../tencent/target.js";
import { readJson } from "../body.js";
import { identifyCaller } from "../caller.js";
import { type BrokerContext, type BrokerHono, nowSeconds, waitUntilOf } from "../context.js";
import { enforceOrigin } from "../cors.js";
import { badRequest } from "../errors.js";
import { pathUserId } from "../path.js";
import { enforceOperatorLimit, enforceRateLimit } from "../ratelimit.js";
import { banRequest } from "../schemas.js";
import { appFromPath } from "../select-app.js";
import { presentsOperatorToken } from "./admin.js";

export const moderationRoutes = new Hono<BrokerHono>();

moderationRoutes.put("/v1/admin/apps/:sdkAppId/bans/:userId", async function ban(c) {
  const { app, actor } = await moderator(c);
  const userId = targetUserId(c, app, { rule: true });
  const body = await readJson(c, banRequest);
  const result = await banUser(userId, body, actor, moderationDeps(c, app));
  const { created, ...answer } = result;
  Object.assign(c.var.audit, {
    outcome: created ? "banned" : "ban-updated",
    kicked: result.kicked,
    ...tencentCode(result),
  });
  c.header("Cache-Control", "no-store");
  return c.json(answer, created ? 201 : 200);
});

moderationRoutes.delete("/v1/admin/apps/:sdkAppId/bans/:userId", async function unban(c) {
  const { app } = await moderator(c);
  const userId = targetUserId(c, app, { rule: false });
  await unbanUser(userId, moderationDeps(c, app));
  c.var.audit.outcome = "unbanned";
  return c.body(null, 204);
});

moderationRoutes.get("/v1/admin/apps/:sdkAppId/bans", async function listBans(c) {
  const { app } = await moderator(c);
  const bans = await bansInForce(moderationDeps(c, app));
  c.var.audit.outcome = "listed";
  c.header("Cache-Control", "no-store");
  return c.json({ bans });
});

moderationRoutes.post("/v1/admin/apps/:sdkAppId/users/:userId/kick", async function kick(c) {
  const { app } = await moderator(c);
  const userId = targetUserId(c, app, { rule: true });
  const report = await kickOnly(userId, moderationDeps(c, app));
  Object.assign(c.var.audit, {
    outcome: report.kicked ? "kicked" : "kick-failed",
    kicked: report.kicked,
    ...tencentCode(report),
  });
  c.header("Cache-Control", "no-store");
  return c.json(report);
});

/**
 * The app in the path and who is asking. `X-Api-Key`: a key with allowModeration. `Authorization:
 * Bearer`: the operator's token, else an IdP token carrying the app's moderator role. Refusals:
 * 401 for bad or missing credentials, 403 for valid ones without the right to moderate.
 */
async function moderator(c: BrokerContext): Promise<{ app: LoadedApp; actor: string }> {
  const app = appFromPath(c.var.brokerConfig, c.req.param("sdkAppId") ?? "");
  c.set("app", app);
  c.var.audit.app = app.config.sdkAppId;
  // A browser (an SPA's moderator) only from the app's own origins, like the public routes.
  enforceOrigin(c, app);
  const { who, caller } = await authenticate(c, app);
  const actor = actorName(who);
  c.var.audit.actor = actor;
  // The operator has a limit of its own (rateLimits.operator), per app.
  if (caller) await enforceRateLimit(c, app, "moderation", caller);
  else await enforceOperatorLimit(c, app);
  return { app, actor };
}

async function authenticate(c: BrokerContext, app: LoadedApp): Promise<{ who: Moderator; caller?: Caller }> {
  if (c.req.header("X-Api-Key") === undefined && (await presentsOperatorToken(c))) {
    c.var.audit.callerKind = "operator";
    return { who: { kind: "operator" } };
  }
  const caller = await identifyCaller(c, app);
  if (caller.kind === "guest") throw unauthorized("Bearer", "moderation: no credentials", false);
  if (caller.kind === "apiKey") {
    if (!caller.key.allowModeration) {
      throw new BansError("MODERATION_NOT_ALLOWED", "This API key may not moderate (allowModeration).");
    }
    return { who: { kind: "apiKey", name: caller.key.name }, caller };
  }
  const role = app.config.moderation?.idpRole;
  if (!role || !hasModeratorRole(caller.user.claims, role)) {
    throw new BansError("MODERATION_NOT_ALLOWED", "Your token does not carry this app's moderator role.", {
      reason: role ? `moderation: ${caller.user.userId} lacks ${role.claim}=${role.value}` : "moderation: no idpRole",
    });
  }
  // A banned moderator moderates no more (not even to lift their own ban): issuance's ban lookup.
  await refuseBanned(c.var.isolate.bans, app.config.sdkAppId, caller.user.userId, {
    kv: c.env.ADMINS,
    waitUntil: waitUntilOf(c),
    nowMs: c.var.nowMs,
  });
  return { who: { kind: "idp", issuer: caller.user.issuer, userId: caller.user.userId }, caller };
}

/** Tencent's ErrorCode for the audit line: 0 when it confirmed, its code when it answered FAIL. */
function tencentCode(report: KickReport): { tencentErrorCode?: number } {
  if (report.kicked) return { tencentErrorCode: 0 };
  return report.kickErrorCode !== undefined ? { tencentErrorCode: report.kickErrorCode } : {};
}

/**
 * The path's UserID, named in the audit line. A ban or kick target must also match the app's
 * userIdPattern (the broker never issues for any other ID); an unban need not, so that a ban made
 * before the pattern changed can still be lifted.
 */
function targetUserId(c: BrokerContext, app: LoadedApp, { rule }: { rule: boolean }): string {
  const userId = pathUserId(c);
  c.var.audit.userId = userId;
  if (rule && !app.userIdRule.test(userId)) {
    throw badRequest("The UserID in the path does not match this app's userIdPattern.", "userId");
  }
  return userId;
}

function moderationDeps(c: BrokerContext, app: LoadedApp): ModerationDeps {
  const { isolate } = c.var;
  const target = chatTarget(app, isolate.adminSigs, nowSeconds(c));
  const kick = target
    ? (userId: string) => {
        // The audit line names the command (never its URL); the route adds Tencent's ErrorCode.
        c.var.audit.chatCommand = "im_open_login_svc/kick";
        return kickUser(target, userId, isolate.chat);
      }
    : undefined;
  return {
    kv: c.env.ADMINS,
    bans: isolate.bans,
    sdkAppId: app.config.sdkAppId,
    nowMs: c.var.nowMs,
    isAdmin: async (userId) => {
      const sets = await isolate.admins.adminSets(app.config.sdkAppId, app.configAdmins, {
        kv: c.env.ADMINS,
        waitUntil: waitUntilOf(c),
        now: c.var.nowMs,
      });
      return isAdminLike(userId, sets);
    },
    kick,
  };
}
