/**
 * Admin identities (the rules: src/admins/edit.ts, src/issue/admin-sig.ts, src/auth/operator.ts).
 *
 * - POST /v1/admin/usersig: an admin identity's UserSig, for server-side REST calls, to an API key
 *   allowed to get one. Sigs are cached per app and identity in the isolate (admins/sigs.ts) and
 *   reused while more than half of their life remains.
 * - GET/PUT/DELETE /v1/admin/apps/{sdkAppId}/admins[/{userId}]: the operator (ADMIN_API_TOKEN)
 *   edits the runtime admin identities kept in KV. Config admins are listed but cannot be removed.
 * - GET /v1/admin/stats: the operator reads this isolate's counters (KV operations, rate-limit
 *   decisions): what `npm run bench` reads to prove warm issuance makes no KV read.
 */

import type { MiddlewareHandler } from "hono";
import type { LoadedApp } from "../../services/broker.js";
import { adminsReplaceRequest, adminUsersigRequest } from "../bodies.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import type { BrokerApp, BrokerContext, BrokerHono } from "../context.js";
import { pathUserId } from "../path.js";
import { enforceOperatorLimit, enforceRateLimit } from "../ratelimit.js";
import { appFromPath, pickApp } from "../select-app.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function adminRoutes(routes: BrokerApp): void {
  routes.post("/v1/admin/usersig", async function adminUserSig(c) {
    const body = await readJson(c, adminUsersigRequest);
    const app = pickApp(c.var.brokerConfig, body.sdkAppId);
    c.var.audit.app = app.config.sdkAppId;
    const key = await requireApiKey(c, app);
    await enforceRateLimit(c, app, "admin", { kind: "apiKey", key });
    // Named in the audit line even when it is refused as no admin identity.
    if (body.userId !== undefined) c.var.audit.userId = body.userId;
    const { userId, sig, cached } = await c.var.broker.admins.sig(app, key, body.userId);
    Object.assign(c.var.audit, {
      userId,
      expireSeconds: sig.expireSeconds,
      outcome: cached ? "issued-cached" : "issued",
    });
    c.header("Cache-Control", "no-store");
    return c.json({
      sdkAppId: app.config.sdkAppId,
      userId,
      userSig: sig.userSig,
      expireSeconds: sig.expireSeconds,
      expiresAt: sig.issuedAt + sig.expireSeconds,
    });
  });

  // The operator API (its middleware is below).
  // Only the admin-identity paths: the moderation routes under /v1/admin/apps/ take other moderators too.
  routes.use("/v1/admin/apps/:sdkAppId/admins", operatorAuth, operatorLimit);
  routes.use("/v1/admin/apps/:sdkAppId/admins/*", operatorAuth, operatorLimit);
  routes.use("/v1/admin/stats", operatorAuth);

  routes.get("/v1/admin/stats", function stats(c) {
    c.var.audit.outcome = "stats";
    c.header("Cache-Control", "no-store");
    return c.json(c.var.broker.stats());
  });

  routes.get("/v1/admin/apps/:sdkAppId/admins", async function listAdmins(c) {
    const app = operatorApp(c);
    const list = await c.var.broker.admins.list(app);
    c.var.audit.outcome = "listed";
    return c.json(list);
  });

  routes.put("/v1/admin/apps/:sdkAppId/admins", async function replaceAdmins(c) {
    const app = operatorApp(c);
    const body = await readJson(c, adminsReplaceRequest);
    const list = await c.var.broker.admins.replace(app, body.userIds);
    c.var.audit.outcome = "replaced";
    return c.json(list);
  });

  routes.put("/v1/admin/apps/:sdkAppId/admins/:userId", async function addAdmin(c) {
    const app = operatorApp(c);
    const userId = pathUserId(c);
    c.var.audit.userId = userId;
    const { list, added } = await c.var.broker.admins.add(app, userId);
    c.var.audit.outcome = added ? "added" : "unchanged";
    return c.json(list, added ? 201 : 200);
  });

  routes.delete("/v1/admin/apps/:sdkAppId/admins/:userId", async function removeAdmin(c) {
    const app = operatorApp(c);
    const userId = pathUserId(c);
    c.var.audit.userId = userId;
    await c.var.broker.admins.remove(app, userId);
    c.var.audit.outcome = "removed";
    return c.body(null, 204);
  });
}

// ---- The operator API's middleware -----------------------------------------------------------

const operatorAuth: MiddlewareHandler<BrokerHono> = async function operatorAuth(c, next) {
  c.var.audit.callerKind = "operator";
  await c.var.broker.operator.authenticate(c.req.header("Authorization"));
  await next();
};

/** The operator's own rate limit on the app in the path (rateLimits.operator). */
const operatorLimit: MiddlewareHandler<BrokerHono> = async function operatorLimit(c, next) {
  await enforceOperatorLimit(c, operatorApp(c));
  await next();
};

function operatorApp(c: BrokerContext): LoadedApp {
  const app = appFromPath(c.var.brokerConfig, c.req.param("sdkAppId") ?? "");
  c.var.audit.app = app.config.sdkAppId;
  return app;
}
