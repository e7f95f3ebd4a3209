/**
 * Admin identities.
 *
 * - POST /v1/admin/usersig: an admin identity's UserSig, for server-side REST calls, to an API key
 *   allowed to get one. Sigs are cached per app and identity in the isolate (admins/sigs.ts) and
 *   reused while more than half of their life remains.
 * - GET/PUT/DELETE /v1/admin/apps/{sdkAppId}/admins[/{userId}]: the operator (ADMIN_API_TOKEN)
 *   edits the runtime admin identities kept in KV. Config admins are listed but cannot be removed.
 * - GET /v1/admin/stats: the operator reads this isolate's counters (KV operations, rate-limit
 *   decisions): what `npm run bench` reads to prove warm issuance makes no KV read.
 */

import { Hono, type MiddlewareHandler } from "hono";
import { ADMINS_RETRY_AFTER_SECONDS, AdminsError } from "../../admins/errors.js";
import { RUNTIME_ADMINS_MAX, readRuntimeAdmins, writeRuntimeAdmins } from "../../admins/store.js";
import { secretEquals } from "../../auth/compare.js";
import { unauthorized } from "../../auth/errors.js";
import type { LoadedApp } from "../../config/load.js";
import { PolicyError } from "../../issue/errors.js";
import { unavailableOnFailure } from "../../shared/errors.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import { type BrokerContext, type BrokerHono, nowSeconds, waitUntilOf } from "../context.js";
import { RequestError } from "../errors.js";
import { pathUserId } from "../path.js";
import { enforceOperatorLimit, enforceRateLimit, rateLimitSnapshot } from "../ratelimit.js";
import { adminsReplaceRequest, adminUsersigRequest } from "../schemas.js";
import { appFromPath, pickApp } from "../select-app.js";

export const adminRoutes = new Hono<BrokerHono>();

/** Failed guesses are not rate limited (they are refused before the limiter): the token must be unguessable. */
const OPERATOR_TOKEN_MIN_CHARS = 32;
/** A presented operator token longer than this is not read. */
const OPERATOR_TOKEN_MAX_CHARS = 512;
const OPERATOR_BEARER = new RegExp(`^Bearer +([^ ]{1,${OPERATOR_TOKEN_MAX_CHARS}}) *$`, "i");

adminRoutes.post("/v1/admin/usersig", async function adminUserSig(c) {
  const body = await readJson(c, adminUsersigRequest);
  const app = pickApp(c.var.brokerConfig, body.sdkAppId);
  c.var.audit.app = app.config.sdkAppId;
  const key = await requireApiKey(c, app);
  await enforceRateLimit(c, app, "admin", { kind: "apiKey", key });
  if (!key.allowAdmin) throw new PolicyError("ADMIN_NOT_ALLOWED", "This API key may not get admin UserSigs.");
  const runtime = await c.var.isolate.admins.runtimeAdmins(app.config.sdkAppId, adminDeps(c));
  const configAdmins = app.configAdmins.ids;
  const admins = [...configAdmins, ...[...runtime.ids].filter((id) => !configAdmins.has(id))];
  let userId = body.userId;
  if (userId === undefined) {
    if (admins.length !== 1) {
      throw new AdminsError(
        "ADMIN_USERID_REQUIRED",
        "userId is required: this app has several (or no) admin identities.",
        { data: { field: "userId" } },
      );
    }
    userId = admins[0] as string;
  }
  c.var.audit.userId = userId;
  if (!admins.includes(userId)) {
    throw new AdminsError("NOT_AN_ADMIN_IDENTITY", "This UserID is not an admin identity of the app.");
  }
  const { sig, cached } = await c.var.isolate.adminSigs.get(
    { sdkAppId: app.config.sdkAppId, secretKey: app.secretKey, lifetimeSeconds: app.config.lifetimes.adminSeconds },
    userId,
    nowSeconds(c),
  );
  Object.assign(c.var.audit, { expireSeconds: sig.expireSeconds, outcome: cached ? "issued-cached" : "issued" });
  c.header("Cache-Control", "no-store");
  return c.json({
    sdkAppId: app.config.sdkAppId,
    userId,
    userSig: sig.userSig,
    expireSeconds: sig.expireSeconds,
    expiresAt: sig.issuedAt + sig.expireSeconds,
  });
});

// ---- Operator API ---------------------------------------------------------------------------

const operatorAuth: MiddlewareHandler<BrokerHono> = async function operatorAuth(c, next) {
  c.var.audit.callerKind = "operator";
  const expected = c.var.brokerConfig.operatorToken;
  if (expected === undefined) {
    throw new RequestError("OPERATOR_API_DISABLED", "The operator API is disabled: ADMIN_API_TOKEN is not set.");
  }
  if (expected.length < OPERATOR_TOKEN_MIN_CHARS) {
    throw new RequestError(
      "OPERATOR_API_DISABLED",
      `The operator API is disabled: ADMIN_API_TOKEN must be at least ${OPERATOR_TOKEN_MIN_CHARS} characters (e.g. openssl rand -hex 32).`,
    );
  }
  if (!(await presentsOperatorToken(c))) {
    throw unauthorized("Bearer", "operator: bad or missing token", c.req.header("Authorization") !== undefined);
  }
  await next();
};

/** The operator's own rate limit on the app in the path (rateLimits.operator). */
const operatorLimit: MiddlewareHandler<BrokerHono> = async function operatorLimit(c, next) {
  await enforceOperatorLimit(c, operatorApp(c));
  await next();
};

/** Whether the request's bearer token is the operator's (never, while the operator API is disabled). */
export async function presentsOperatorToken(c: BrokerContext): Promise<boolean> {
  const expected = c.var.brokerConfig.operatorToken;
  if (expected === undefined || expected.length < OPERATOR_TOKEN_MIN_CHARS) return false;
  const match = OPERATOR_BEARER.exec(c.req.header("Authorization") ?? "");
  return match?.[1] !== undefined && (await secretEquals(match[1], expected));
}
// Only the admin-identity paths: the moderation routes under /v1/admin/apps/ take other moderators too.
adminRoutes.use("/v1/admin/apps/:sdkAppId/admins", operatorAuth, operatorLimit);
adminRoutes.use("/v1/admin/apps/:sdkAppId/admins/*", operatorAuth, operatorLimit);
adminRoutes.use("/v1/admin/stats", operatorAuth);

adminRoutes.get("/v1/admin/stats", function stats(c) {
  c.var.audit.outcome = "stats";
  c.header("Cache-Control", "no-store");
  return c.json({
    ...rateLimitSnapshot(c),
    admins: { kv: { ...c.var.isolate.admins.kvStats } },
    bans: { kv: { ...c.var.isolate.bans.kvStats } },
  });
});

adminRoutes.get("/v1/admin/apps/:sdkAppId/admins", async function listAdmins(c) {
  const app = operatorApp(c);
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId, kvStats(c)));
  c.var.audit.outcome = "listed";
  return c.json(adminsBody(app, runtime));
});

adminRoutes.put("/v1/admin/apps/:sdkAppId/admins", async function replaceAdmins(c) {
  const app = operatorApp(c);
  const body = await readJson(c, adminsReplaceRequest);
  for (const id of body.userIds) checkAdminId(app, id);
  const runtime = [...new Set(body.userIds.filter((id) => !app.configAdmins.ids.has(id)))];
  await save(c, app, runtime);
  c.var.audit.outcome = "replaced";
  return c.json(adminsBody(app, runtime));
});

adminRoutes.put("/v1/admin/apps/:sdkAppId/admins/:userId", async function addAdmin(c) {
  const app = operatorApp(c);
  const userId = pathUserId(c);
  checkAdminId(app, userId);
  c.var.audit.userId = userId;
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId, kvStats(c)));
  const isNew = !app.configAdmins.ids.has(userId) && !runtime.includes(userId);
  if (isNew) {
    if (runtime.length >= RUNTIME_ADMINS_MAX) {
      throw new AdminsError("RUNTIME_ADMINS_FULL", `At most ${RUNTIME_ADMINS_MAX} runtime admins.`);
    }
    runtime.push(userId);
    await save(c, app, runtime);
  }
  c.var.audit.outcome = isNew ? "added" : "unchanged";
  return c.json(adminsBody(app, runtime), isNew ? 201 : 200);
});

adminRoutes.delete("/v1/admin/apps/:sdkAppId/admins/:userId", async function removeAdmin(c) {
  const app = operatorApp(c);
  const userId = pathUserId(c);
  c.var.audit.userId = userId;
  if (app.configAdmins.ids.has(userId)) {
    throw new AdminsError("CONFIG_ADMIN", "This admin identity comes from BROKER_CONFIG; remove it there.");
  }
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId, kvStats(c)));
  if (!runtime.includes(userId)) {
    throw new AdminsError("NOT_A_RUNTIME_ADMIN", "This UserID is not a runtime admin identity.");
  }
  await save(
    c,
    app,
    runtime.filter((id) => id !== userId),
  );
  c.var.isolate.adminSigs.forget(app.config.sdkAppId, userId);
  c.var.audit.outcome = "removed";
  return c.body(null, 204);
});

function operatorApp(c: BrokerContext): LoadedApp {
  const app = appFromPath(c.var.brokerConfig, c.req.param("sdkAppId") ?? "");
  c.var.audit.app = app.config.sdkAppId;
  return app;
}

function checkAdminId(app: LoadedApp, userId: string): void {
  if (!app.userIdRule.test(userId)) {
    throw new AdminsError("ADMIN_ID_RULE", "An admin identity must match the app's userIdPattern.", {
      data: { field: "userId" },
    });
  }
}

/** The operator API reads and writes KV directly: a KV failure is a 503 the operator can retry. */
function store<T>(operation: () => Promise<T>): Promise<T> {
  return unavailableOnFailure(
    operation,
    (kind) =>
      new AdminsError(
        "ADMINS_STORE_UNAVAILABLE",
        "The admin identities cannot be read or written right now; try again shortly.",
        { reason: `admins kv: ${kind}`, data: { retryAfterSeconds: ADMINS_RETRY_AFTER_SECONDS } },
      ),
  );
}

async function save(c: BrokerContext, app: LoadedApp, runtime: string[]): Promise<void> {
  await store(() => writeRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId, runtime, kvStats(c), c.var.nowMs));
  c.var.isolate.admins.setRuntimeAdmins(app.config.sdkAppId, runtime, c.var.nowMs);
}

function adminsBody(app: LoadedApp, runtime: string[]) {
  const configAdmins = app.configAdmins.ids;
  return {
    sdkAppId: app.config.sdkAppId,
    admins: [
      ...[...configAdmins].map((userId) => ({ userId, source: "config" as const })),
      ...runtime.filter((id) => !configAdmins.has(id)).map((userId) => ({ userId, source: "runtime" as const })),
    ],
  };
}

function kvStats(c: BrokerContext) {
  return c.var.isolate.admins.kvStats;
}

function adminDeps(c: BrokerContext) {
  return { kv: c.env.ADMINS, waitUntil: waitUntilOf(c), now: c.var.nowMs };
}
