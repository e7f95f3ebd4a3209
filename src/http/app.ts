/**
 * The Hono app: middleware, routes, and the single place where errors become problem responses.
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { auditLine, writeAudit } from "../audit.js";
import { loadConfig } from "../config/load.js";
import { inspectorRoutes } from "../inspector/serve.js";
import { rateLimitHeaders } from "../ratelimit/http.js";
import { MAX_BODY_BYTES } from "./body.js";
import type { BrokerHono } from "./context.js";
import { publicCors } from "./cors.js";
import { openApiDocument } from "./openapi.js";
import { Problem, problemResponse } from "./problem.js";
import { adminRoutes } from "./routes/admin.js";
import { appsRoutes } from "./routes/apps.js";
import { issueRoutes } from "./routes/issue.js";
import { verifyRoutes } from "./routes/verify.js";

/** Every route and its methods: unknown paths are 404, known paths with another method 405. */
const ROUTES: [RegExp, string][] = [
  [/^\/v1\/usersig$/, "POST, OPTIONS"],
  [/^\/v1\/privatemapkey$/, "POST, OPTIONS"],
  [/^\/v1\/verify$/, "POST"],
  [/^\/v1\/admin\/usersig$/, "POST"],
  [/^\/v1\/admin\/apps\/[^/]+\/admins$/, "GET, PUT"],
  [/^\/v1\/admin\/apps\/[^/]+\/admins\/[^/]+$/, "PUT, DELETE"],
  [/^\/v1\/admin\/stats$/, "GET"],
  [/^\/healthz$/, "GET"],
  [/^\/openapi\.json$/, "GET"],
  [/^\/v1\/apps$/, "GET"],
  [/^\/(?:|inspector\.js|inspector\.css)$/, "GET"],
];

export function createApp(): Hono<BrokerHono> {
  const app = new Hono<BrokerHono>();

  // The request id ties our audit line to Cloudflare's logs (CF-Ray, set by Cloudflare's edge and
  // not forgeable through it); never taken from the client, whose X-Request-Id would land in our log.
  app.use(async function requestId(c, next) {
    const id = c.req.header("CF-Ray") ?? crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  });

  app.get("/openapi.json", async (c) => c.json(await openApiDocument()));
  // The inspector page (GET /) works even with a broken config: see src/inspector/serve.ts.
  app.route("/", inspectorRoutes);

  app.use("*", async function config(c, next) {
    const loaded = loadConfig(c.env);
    if (!loaded.ok) throw loaded.problem;
    c.set("config", loaded.config);
    c.set("app", undefined);
    c.set("audit", {});
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
  app.use("/v1/usersig", publicCors());
  app.use("/v1/privatemapkey", publicCors());

  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new Problem({
          status: 413,
          code: "BODY_TOO_LARGE",
          title: "Body too large",
          detail: `Request bodies are at most ${MAX_BODY_BYTES} bytes.`,
        });
      },
    }),
  );

  // RateLimit-Policy and RateLimit on every response of a request that went through a rate-limit check.
  app.use("/v1/*", rateLimitHeaders());

  app.route("/", appsRoutes);
  app.route("/", issueRoutes);
  app.route("/", verifyRoutes);
  app.route("/", adminRoutes);

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const known = ROUTES.find(([pattern]) => pattern.test(path));
    const problem = known
      ? new Problem({
          status: 405,
          code: "METHOD_NOT_ALLOWED",
          title: "Method not allowed",
          detail: `Use ${known[1]}.`,
          headers: { Allow: known[1] },
        })
      : new Problem({ status: 404, code: "NOT_FOUND", title: "Not found", detail: "No such route." });
    return problemResponse(problem, c.get("requestId"));
  });

  app.onError((error, c) => {
    if (error instanceof Problem) return problemResponse(error, c.get("requestId"));
    // Never log the error's message or stack verbatim: a library's message may quote its input.
    console.error(JSON.stringify({ event: "internal_error", requestId: c.get("requestId"), name: error.name }));
    return problemResponse(
      new Problem({
        status: 500,
        code: "INTERNAL",
        title: "Internal error",
        detail: "Something went wrong on our side.",
      }),
      c.get("requestId"),
    );
  });

  return app;
}
