/**
 * The Hono app: middleware, routes, and the single place where errors become problem responses
 * (problem.ts holds the table).
 *
 * A request's path through it: requestId → isolate state, clock and services → (GET /, /openapi.json) →
 * config → audit → CORS → body cap → rate-limit headers → the route → notFound / onError. Tencent's
 * callbacks (routes/callbacks.ts) take the same path: no CORS (no browser sends them), 64 KiB bodies.
 */

import type { MiddlewareHandler } from "hono";
import { HonoBase } from "hono/hono-base";
import type { Router } from "hono/router";
import type { H, RouterRoute } from "hono/types";
import { createIsolateState, type IsolateState } from "../isolate.js";
import { createBroker } from "../services/broker.js";
import { auditLine, writeAudit } from "./audit.js";
import { boundedBody, CHAT_BODY_MAX_BYTES } from "./body.js";
import { type BrokerApp, type BrokerHono, waitUntilOf } from "./context.js";
import { preflight, publicCors } from "./cors.js";
import { RequestError } from "./errors.js";
import { openApiResponse } from "./openapi.js";
import { problemResponse, toProblem } from "./problem.js";
import { rateLimitHeaders } from "./ratelimit.js";
import { BrokerRouter } from "./router.js";
import { adminRoutes } from "./routes/admin.js";
import { appsRoutes } from "./routes/apps.js";
import { callbackRoutes } from "./routes/callbacks.js";
import { chatRoutes } from "./routes/chat.js";
import { inspectorRoutes } from "./routes/inspector.js";
import { issueRoutes } from "./routes/issue.js";
import { moderationRoutes } from "./routes/moderation.js";
import { roomRoutes } from "./routes/rooms.js";
import { verifyRoutes } from "./routes/verify.js";
import { allowedMethods, type RouteTable, routeTable } from "./routes-table.js";

/** The routes browsers call (CORS), and their methods. */
const BROWSER_ROUTES: [string, string[]][] = [
  ["/v1/usersig", ["POST"]],
  ["/v1/privatemapkey", ["POST"]],
  // A single-page app's moderators (IdP users with the moderator role): see routes/moderation.ts and src/bans/moderators.ts.
  ["/v1/admin/apps/:sdkAppId/bans", ["GET"]],
  ["/v1/admin/apps/:sdkAppId/bans/:userId", ["PUT", "DELETE"]],
  ["/v1/admin/apps/:sdkAppId/users/:userId/kick", ["POST"]],
  ["/v1/admin/apps/:sdkAppId/users/:userId", ["GET"]],
  ["/v1/admin/apps/:sdkAppId/rooms/:roomId/users/:userId/remove", ["POST"]],
  ["/v1/admin/apps/:sdkAppId/rooms/:roomId/dismiss", ["POST"]],
];

/** What a Hono app's router holds for each route. */
export type AppRouter = Router<[H, RouterRoute]>;

/**
 * `state`: the isolate's caches and counters; a test passes a fresh one (with a fake clock).
 * `router`: the Worker's is the one prepared at build time (router.ts); scripts/build-router.mjs
 * passes one that only records, and test/unit/router.test.ts Hono's default, to compare with.
 */
export function createApp(state: IsolateState = createIsolateState(), router?: AppRouter): BrokerApp {
  const app = new HonoBase<BrokerHono>({ router: router ?? new BrokerRouter() });

  // The request id ties our audit line to Cloudflare's logs (CF-Ray, set by Cloudflare's edge and
  // not forgeable through it); never taken from the client, whose X-Request-Id would land in our log.
  app.use(async function requestId(c, next) {
    const id = c.req.header("CF-Ray") ?? crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  });

  // The clock is read here, once per request; everything below uses c.var.nowMs. The service layer
  // is bound here, once, to the request's env, clock and waitUntil (each service made on first use).
  app.use(async function isolate(c, next) {
    const nowMs = state.clock();
    c.set("isolate", state);
    c.set("nowMs", nowMs);
    c.set("broker", createBroker({ state, env: c.env, nowMs, waitUntil: waitUntilOf(c) }));
    await next();
  });

  app.get("/openapi.json", openApiResponse);
  // The inspector page (GET /) works even with a broken config: see routes/inspector.ts.
  inspectorRoutes(app);

  app.use("*", async function config(c, next) {
    const loaded = await state.config.load(c.env);
    if (!loaded.ok) throw loaded.error;
    c.set("brokerConfig", loaded.config);
    c.set("app", undefined);
    c.set("audit", {});
    c.set("rateLimit", undefined);
    await next();
  });

  app.get("/healthz", (c) => c.json({ ok: true as const }));

  app.use("/v1/*", async function audit(c, next) {
    await next();
    if (c.req.method === "OPTIONS") return;
    writeAudit(
      auditLine(
        { requestId: c.var.requestId, route: c.req.routePath, method: c.req.method, status: c.res.status },
        c.var.audit,
        c.error,
      ),
    );
  });

  // CORS first, so that every answer to a browser (a 413 too) carries Vary and, where allowed, ACAO.
  for (const [path, methods] of BROWSER_ROUTES) {
    app.use(path, publicCors());
    app.options(path, preflight(methods));
  }

  // The Chat REST gateway forwards Tencent's request bodies and Tencent's callbacks send theirs (up
  // to 64 KiB); every other body is small. Each bound is made on its first request (a cold
  // isolate's first /healthz needs neither).
  let smallBodies: MiddlewareHandler<BrokerHono> | undefined;
  let tencentBodies: MiddlewareHandler<BrokerHono> | undefined;
  app.use("/v1/*", function bodies(c, next) {
    if (c.req.path.startsWith("/v1/chat/") || c.req.path.startsWith("/v1/callbacks/")) {
      tencentBodies ??= boundedBody(CHAT_BODY_MAX_BYTES);
      return tencentBodies(c, next);
    }
    smallBodies ??= boundedBody();
    return smallBodies(c, next);
  });

  // RateLimit-Policy and RateLimit on every response of a request that went through a rate-limit check.
  app.use("/v1/*", rateLimitHeaders());

  appsRoutes(app);
  issueRoutes(app);
  verifyRoutes(app);
  adminRoutes(app);
  moderationRoutes(app);
  roomRoutes(app);
  callbackRoutes(app);
  chatRoutes(app);

  // Unknown paths are 404; a known path with another method is 405 with the methods registered for it.
  let routes: RouteTable | undefined;
  app.notFound((c) => {
    routes ??= routeTable(app);
    const allow = allowedMethods(routes, new URL(c.req.url).pathname);
    const refusal =
      allow.length > 0
        ? new RequestError("METHOD_NOT_ALLOWED", `Use ${allow.join(", ")}.`, { allow })
        : new RequestError("NOT_FOUND", "No such route.");
    return problemResponse(toProblem(refusal), c.get("requestId"));
  });

  app.onError((error, c) => {
    const problem = toProblem(error);
    if (problem.code === "INTERNAL") {
      // Never log the error's message or stack verbatim: a library's message may quote its input.
      console.error(JSON.stringify({ event: "internal_error", requestId: c.get("requestId"), name: error.name }));
    }
    return problemResponse(problem, c.get("requestId"));
  });

  // A build of the router that prepared a path no route has any more: stop here (router.ts).
  if (app.router instanceof BrokerRouter) app.router.assertComplete();
  return app;
}
