/** POST /v1/verify: a trusted backend asks whether a UserSig is valid, and what it says. */

import { Hono } from "hono";
import { enforceRateLimit } from "../../ratelimit/http.js";
import { privilegeNames, UserSigError, verifyUserSig } from "../../usersig/index.js";
import { pickApp } from "../apps.js";
import { readJson } from "../body.js";
import { requireApiKey } from "../caller.js";
import type { BrokerHono } from "../context.js";
import { Problem } from "../problem.js";
import { verifyRequest } from "../schemas.js";

export const verifyRoutes = new Hono<BrokerHono>();

/** Each core failure, as the caller sees it: a 422 with a stable code and a plain reason. */
const REASONS: Record<UserSigError["code"], [string, string]> = {
  ERR_INVALID_INPUT: ["USERSIG_INVALID_INPUT", "The verification input is not valid."],
  ERR_MALFORMED: ["USERSIG_MALFORMED", "This is not a UserSig."],
  ERR_TOO_LARGE: ["USERSIG_TOO_LARGE", "The UserSig is larger than any real one."],
  ERR_SIGNATURE: ["USERSIG_BAD_SIGNATURE", "The signature does not match this app's secret key."],
  ERR_EXPIRED: ["USERSIG_EXPIRED", "The UserSig has expired."],
  ERR_SDKAPPID_MISMATCH: ["USERSIG_SDKAPPID_MISMATCH", "The UserSig is for another app."],
  ERR_USERID_MISMATCH: ["USERSIG_USERID_MISMATCH", "The UserSig is for another UserID."],
};

verifyRoutes.post("/v1/verify", async function verify(c) {
  const body = await readJson(c, verifyRequest);
  const app = pickApp(c.var.config, body.sdkAppId);
  c.var.audit.app = app.config.sdkAppId;
  const key = await requireApiKey(c, app);
  await enforceRateLimit(c, app, "verify", { kind: "apiKey", key });
  try {
    const decoded = await verifyUserSig(body.userSig, {
      sdkAppId: app.config.sdkAppId,
      secretKey: app.secretKey,
      ...(body.userId !== undefined ? { userId: body.userId } : {}),
    });
    Object.assign(c.var.audit, { userId: decoded.userId, outcome: "verified" });
    const { userBuf: _userBuf, privateMap, ...fields } = decoded;
    return c.json({
      valid: true as const,
      ...fields,
      ...(privateMap ? { privateMap: { ...privateMap, privilegeNames: privilegeNames(privateMap.privileges) } } : {}),
    });
  } catch (error) {
    if (!(error instanceof UserSigError)) throw error;
    const [code, detail] = REASONS[error.code];
    throw new Problem({ status: 422, code, title: "UserSig not valid", detail });
  }
});
