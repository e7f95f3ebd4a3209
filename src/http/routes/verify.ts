/** POST /v1/verify: a trusted backend asks whether a UserSig is valid, and what it says. */

import { Hono } from "hono";
import { privilegeNames, UserSigError, verifyUserSig } from "../../usersig/index.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import { type BrokerHono, nowSeconds } from "../context.js";
import { TokenInvalidError } from "../errors.js";
import { enforceRateLimit } from "../ratelimit.js";
import { verifyRequest } from "../schemas.js";
import { pickApp } from "../select-app.js";

export const verifyRoutes = new Hono<BrokerHono>();

verifyRoutes.post("/v1/verify", async function verify(c) {
  const body = await readJson(c, verifyRequest);
  const app = pickApp(c.var.brokerConfig, body.sdkAppId);
  c.var.audit.app = app.config.sdkAppId;
  const key = await requireApiKey(c, app);
  await enforceRateLimit(c, app, "verify", { kind: "apiKey", key });
  const decoded = await verifyUserSig(body.userSig, {
    sdkAppId: app.config.sdkAppId,
    secretKey: app.secretKey,
    now: nowSeconds(c),
    ...(body.userId !== undefined ? { userId: body.userId } : {}),
  }).catch((error: unknown) => {
    // Not valid: a 422 whose code says why (problem.ts). Any other error is a bug.
    throw error instanceof UserSigError ? new TokenInvalidError(error) : error;
  });
  Object.assign(c.var.audit, { userId: decoded.userId, outcome: "verified" });
  const { userBuf: _userBuf, privateMap, ...fields } = decoded;
  return c.json({
    valid: true as const,
    ...fields,
    ...(privateMap ? { privateMap: { ...privateMap, privilegeNames: privilegeNames(privateMap.privileges) } } : {}),
  });
});
