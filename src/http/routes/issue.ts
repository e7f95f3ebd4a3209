/**
 * The public routes: POST /v1/usersig and POST /v1/privatemapkey. Both read the body, pick the app
 * (and hold a browser to its origins), authenticate the caller and count it against its rate limit;
 * then one call to the service layer (src/services/issue.ts) resolves the identity (claim, rule,
 * the admin guard, bans, ticket) and signs.
 */

import type { Caller, IssueHooks, LoadedApp } from "../../services/broker.js";
import { privateMapKeyRequest, usersigRequest } from "../bodies.js";
import { readJson } from "../body.js";
import { identifyCaller } from "../caller.js";
import type { BrokerApp, BrokerContext } from "../context.js";
import { enforceOrigin } from "../cors.js";
import { clientAddressTrusted, enforceRateLimit, reserveNewGuest } from "../ratelimit.js";
import { pickApp } from "../select-app.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function issueRoutes(routes: BrokerApp): void {
  routes.post("/v1/usersig", async function issueUserSig(c) {
    const body = await readJson(c, usersigRequest);
    const { app, caller } = await admit(c, body.sdkAppId, "usersig");
    const answer = await c.var.broker.issue.userSig(app, caller, body, hooks(c, app));
    c.var.audit.outcome = "issued";
    c.header("Cache-Control", "no-store");
    return c.json(answer);
  });

  routes.post("/v1/privatemapkey", async function issuePrivateMapKey(c) {
    const body = await readJson(c, privateMapKeyRequest);
    const { app, caller } = await admit(c, body.sdkAppId, "privatemapkey");
    const answer = await c.var.broker.issue.privateMapKey(app, caller, body, hooks(c, app));
    c.var.audit.outcome = "issued";
    c.header("Cache-Control", "no-store");
    return c.json(answer);
  });
}

/** The app (a browser only from its origins), the caller, and its rate limit (the issuance's reads started beside it). */
async function admit(
  c: BrokerContext,
  sdkAppId: number | undefined,
  routeClass: "usersig" | "privatemapkey",
): Promise<{ app: LoadedApp; caller: Caller }> {
  const app = pickApp(c.var.brokerConfig, sdkAppId);
  c.set("app", app);
  c.var.audit.app = app.config.sdkAppId;
  enforceOrigin(c, app);
  const caller = await identifyCaller(c, app);
  c.var.broker.issue.prefetch(app, caller);
  await enforceRateLimit(c, app, routeClass, caller);
  return { app, caller };
}

/** What issuance needs of the request: the new-guest budget, the client address, the audit line. */
function hooks(c: BrokerContext, app: LoadedApp): IssueHooks {
  return {
    reserveNewGuest: () => reserveNewGuest(c, app),
    remoteIp: () => (clientAddressTrusted(c) ? c.req.header("CF-Connecting-IP") : undefined),
    note: (fields) => {
      Object.assign(c.var.audit, fields);
    },
  };
}
