/**
 * Admin identities.
 *
 * - POST /v1/admin/usersig: an admin identity's UserSig, for server-side REST calls, to an API key
 *   allowed to get one. Sigs are cached per app and identity in the isolate and reused while more
 *   than half of their life remains.
 * - GET/PUT/DELETE /v1/admin/apps/{sdkAppId}/admins[/{userId}]: the operator (ADMIN_API_TOKEN)
 *   edits the runtime admin identities kept in KV. Config admins are listed but cannot be removed.
 * - GET /v1/admin/stats: the operator reads this isolate's counters (KV operations, rate-limit decisions).
 */

import { Hono, type MiddlewareHandler } from "hono";
import { runtimeAdmins, setRuntimeAdmins } from "../../admins/cache.js";
import { kvStats, RUNTIME_ADMINS_MAX, readRuntimeAdmins, writeRuntimeAdmins } from "../../admins/store.js";
import { secretEquals } from "../../auth/compare.js";
import type { LoadedApp } from "../../config/load.js";
import { enforceRateLimit, rateLimitSnapshot } from "../../ratelimit/http.js";
import { signUserSig } from "../../usersig/index.js";
import { appFromPath, pickApp } from "../apps.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import type { BrokerContext, BrokerHono } from "../context.js";
import { Problem, problems } from "../problem.js";
import { adminsReplaceRequest, adminUsersigRequest, userId as userIdSchema } from "../schemas.js";

export const adminRoutes = new Hono<BrokerHono>();

export const OPERATOR_TOKEN_MIN_CHARS = 32;

interface CachedSig {
  userSig: string;
  issuedAt: number;
  expireSeconds: number;
  secretKey: string;
}
const sigCache = new Map<string, CachedSig>();

adminRoutes.post("/v1/admin/usersig", async function adminUserSig(c) {
  const body = await readJson(c, adminUsersigRequest);
  const app = pickApp(c.var.config, body.sdkAppId);
  c.var.audit.app = app.config.sdkAppId;
  const key = await requireApiKey(c, app);
  await enforceRateLimit(c, app, "admin", { kind: "apiKey", key });
  if (!key.allowAdmin) throw problems.forbidden("ADMIN_NOT_ALLOWED", "This API key may not get admin UserSigs.");
  const runtime = await runtimeAdmins(app.config.sdkAppId, deps(c));
  const admins = [...app.configAdmins, ...[...runtime].filter((id) => !app.configAdmins.has(id))];
  let userId = body.userId;
  if (userId === undefined) {
    if (admins.length !== 1) {
      throw problems.badRequest("userId is required: this app has several (or no) admin identities.", {
        field: "userId",
      });
    }
    userId = admins[0] as string;
  }
  c.var.audit.userId = userId;
  if (!admins.includes(userId)) {
    throw problems.forbidden("NOT_AN_ADMIN_IDENTITY", "This UserID is not an admin identity of the app.");
  }

  const now = Math.floor(Date.now() / 1000);
  const lifetime = app.config.lifetimes.adminSeconds;
  const cacheKey = `${app.config.sdkAppId}/${userId}`;
  let entry = sigCache.get(cacheKey);
  const fresh =
    entry &&
    entry.secretKey === app.secretKey &&
    entry.expireSeconds === lifetime &&
    now - entry.issuedAt < lifetime / 2;
  if (!fresh) {
    const userSig = await signUserSig(
      { sdkAppId: app.config.sdkAppId, userId, expireSeconds: lifetime },
      app.secretKey,
      {
        now,
      },
    );
    entry = { userSig, issuedAt: now, expireSeconds: lifetime, secretKey: app.secretKey };
    sigCache.set(cacheKey, entry);
  }
  const sig = entry as CachedSig;
  Object.assign(c.var.audit, { expireSeconds: sig.expireSeconds, outcome: fresh ? "issued-cached" : "issued" });
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
  const expected = c.env.ADMIN_API_TOKEN;
  if (typeof expected !== "string" || expected.length === 0) {
    throw problems.forbidden("OPERATOR_API_DISABLED", "The operator API is disabled: ADMIN_API_TOKEN is not set.");
  }
  // Failed guesses are not rate limited (they are refused before the limiter), so the token itself
  // must be unguessable.
  if (expected.length < OPERATOR_TOKEN_MIN_CHARS) {
    throw problems.forbidden(
      "OPERATOR_API_DISABLED",
      `The operator API is disabled: ADMIN_API_TOKEN must be at least ${OPERATOR_TOKEN_MIN_CHARS} characters (e.g. openssl rand -hex 32).`,
    );
  }
  const match = /^Bearer +([^ ]{1,512}) *$/i.exec(c.req.header("Authorization") ?? "");
  if (!match?.[1] || !(await secretEquals(match[1], expected))) {
    throw problems.unauthorized("Bearer", "operator: bad or missing token", {
      tokenGiven: c.req.header("Authorization") !== undefined,
    });
  }
  await next();
};
adminRoutes.use("/v1/admin/apps/*", operatorAuth);
adminRoutes.use("/v1/admin/stats", operatorAuth);

/** This isolate's counters (rate-limit KV operations and decisions, admin-set KV reads): for the bench. */
adminRoutes.get("/v1/admin/stats", function stats(c) {
  c.var.audit.outcome = "stats";
  c.header("Cache-Control", "no-store");
  return c.json({ ...rateLimitSnapshot(), admins: { kv: { ...kvStats } } });
});

adminRoutes.get("/v1/admin/apps/:sdkAppId/admins", async function listAdmins(c) {
  const app = operatorApp(c);
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId));
  c.var.audit.outcome = "listed";
  return c.json(adminsBody(app, runtime));
});

adminRoutes.put("/v1/admin/apps/:sdkAppId/admins", async function replaceAdmins(c) {
  const app = operatorApp(c);
  const body = await readJson(c, adminsReplaceRequest);
  for (const id of body.userIds) checkAdminId(app, id);
  const runtime = [...new Set(body.userIds.filter((id) => !app.configAdmins.has(id)))];
  await save(c, app, runtime);
  c.var.audit.outcome = "replaced";
  return c.json(adminsBody(app, runtime));
});

adminRoutes.put("/v1/admin/apps/:sdkAppId/admins/:userId", async function addAdmin(c) {
  const app = operatorApp(c);
  const userId = pathUserId(c);
  checkAdminId(app, userId);
  c.var.audit.userId = userId;
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId));
  const isNew = !app.configAdmins.has(userId) && !runtime.includes(userId);
  if (isNew) {
    if (runtime.length >= RUNTIME_ADMINS_MAX)
      throw problems.badRequest(`At most ${RUNTIME_ADMINS_MAX} runtime admins.`);
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
  if (app.configAdmins.has(userId)) {
    throw new Problem({
      status: 409,
      code: "CONFIG_ADMIN",
      title: "Conflict",
      detail: "This admin identity comes from BROKER_CONFIG; remove it there.",
    });
  }
  const runtime = await store(() => readRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId));
  if (!runtime.includes(userId))
    throw problems.notFound("This UserID is not a runtime admin identity.", "NOT_AN_ADMIN_IDENTITY");
  await save(
    c,
    app,
    runtime.filter((id) => id !== userId),
  );
  sigCache.delete(`${app.config.sdkAppId}/${userId}`);
  c.var.audit.outcome = "removed";
  return c.body(null, 204);
});

function operatorApp(c: BrokerContext): LoadedApp {
  const app = appFromPath(c.var.config, c.req.param("sdkAppId") ?? "");
  c.var.audit.app = app.config.sdkAppId;
  return app;
}

function pathUserId(c: BrokerContext): string {
  const raw = c.req.param("userId") ?? "";
  const parsed = userIdSchema.safeParse(raw);
  if (!parsed.success) throw problems.badRequest("The UserID in the path is not valid.", { field: "userId" });
  return parsed.data;
}

function checkAdminId(app: LoadedApp, userId: string): void {
  if (!app.userIdRule.test(userId)) {
    throw problems.badRequest("An admin identity must match the app's userIdPattern.", { field: "userId" });
  }
}

/** The operator API reads and writes KV directly: a KV failure is a 503 the operator can retry. */
async function store<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw problems.unavailable(
      "ADMINS_STORE_UNAVAILABLE",
      "The admin identities cannot be read or written right now; try again shortly.",
      5,
      `admins kv: ${error instanceof Error ? error.name : "unknown"}`,
    );
  }
}

async function save(c: BrokerContext, app: LoadedApp, runtime: string[]): Promise<void> {
  await store(() => writeRuntimeAdmins(c.env.ADMINS, app.config.sdkAppId, runtime));
  setRuntimeAdmins(app.config.sdkAppId, runtime);
}

function adminsBody(app: LoadedApp, runtime: string[]) {
  return {
    sdkAppId: app.config.sdkAppId,
    admins: [
      ...[...app.configAdmins].map((userId) => ({ userId, source: "config" as const })),
      ...runtime.filter((id) => !app.configAdmins.has(id)).map((userId) => ({ userId, source: "runtime" as const })),
    ],
  };
}

function deps(c: BrokerContext) {
  return { kv: c.env.ADMINS, waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p) };
}

/** For tests: forget cached admin sigs. */
export function clearAdminSigCache(): void {
  sigCache.clear();
}
