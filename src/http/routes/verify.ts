/** POST /v1/verify: a trusted backend asks whether a UserSig is valid, and what it says. */

import { verifyRequest } from "../bodies.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import type { BrokerApp } from "../context.js";
import { tokenInvalid } from "../errors.js";
import { enforceRateLimit } from "../ratelimit.js";
import { pickApp } from "../select-app.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function verifyRoutes(routes: BrokerApp): void {
  routes.post("/v1/verify", async function verify(c) {
    const body = await readJson(c, verifyRequest);
    const app = pickApp(c.var.brokerConfig, body.sdkAppId);
    c.var.audit.app = app.config.sdkAppId;
    const key = await requireApiKey(c, app);
    await enforceRateLimit(c, app, "verify", { kind: "apiKey", key });
    // Not valid: a 422 whose code says why (problem.ts). Any other error is a bug.
    const answer = await c.var.broker.verify(app, body.userSig, body.userId).catch(tokenInvalid);
    Object.assign(c.var.audit, { userId: answer.userId, outcome: "verified" });
    return c.json(answer);
  });
}
