/**
 * The public routes: POST /v1/usersig and POST /v1/privatemapkey. Both run one pipeline
 * (`issuance` below): read the body, pick the app (and hold a browser to its origins), authenticate
 * the caller, count it against its rate limit, then resolve the identity (src/issue/identity.ts:
 * claim, rule, the admin guard, bans, ticket). Only then does each route sign its token.
 */

import { Hono } from "hono";
import type { Caller } from "../../auth/caller.js";
import { verifyTurnstile } from "../../auth/turnstile.js";
import { refuseBanned } from "../../bans/moderate.js";
import type { LoadedApp } from "../../config/load.js";
import type * as z from "../../config/zod.js";
import { type Identity, type IdentityRequest, resolveIdentity } from "../../issue/identity.js";
import { checkRoomAccess, clampLifetime, privilegeMask } from "../../issue/policy.js";
import type { RouteClass } from "../../ratelimit/config.js";
import { kvStore } from "../../shared/storage.js";
import { privilegeNames, signPrivateMapKey, signUserSig } from "../../usersig/index.js";
import { readJson } from "../body.js";
import { identifyCaller } from "../caller.js";
import { type BrokerContext, type BrokerHono, nowSeconds as nowSecondsOf, waitUntilOf } from "../context.js";
import { enforceOrigin } from "../cors.js";
import { clientAddressTrusted, enforceRateLimit, reserveNewGuest } from "../ratelimit.js";
import { privateMapKeyRequest, usersigRequest } from "../schemas.js";
import { pickApp } from "../select-app.js";

export const issueRoutes = new Hono<BrokerHono>();

issueRoutes.post("/v1/usersig", async function issueUserSig(c) {
  const { body, app, identity, nowSeconds } = await issuance(c, usersigRequest, "usersig", { newGuest: true });
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const userSig = await signUserSig(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds },
    app.secretKey,
    { now: nowSeconds },
  );
  Object.assign(c.var.audit, { userId: identity.userId, expireSeconds, outcome: "issued" });
  c.header("Cache-Control", "no-store");
  return c.json({
    sdkAppId: app.config.sdkAppId,
    userId: identity.userId,
    userSig,
    expireSeconds,
    expiresAt: nowSeconds + expireSeconds,
    ...(identity.ticket
      ? { guestTicket: identity.ticket.ticket, guestTicketExpiresAt: identity.ticket.expiresAt }
      : {}),
  });
});

issueRoutes.post("/v1/privatemapkey", async function issuePrivateMapKey(c) {
  const { body, app, caller, identity, nowSeconds } = await issuance(c, privateMapKeyRequest, "privatemapkey", {
    newGuest: false,
  });
  const room = (body.roomId ?? body.strRoomId) as number | string;
  const privileges = privilegeMask(body.privileges);
  Object.assign(c.var.audit, { userId: identity.userId, room, privileges });
  checkRoomAccess(app.config.privateMapKey[caller.kind], room, privileges, identity.grants);
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const privateMapKey = await signPrivateMapKey(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds, roomId: room, privileges },
    app.secretKey,
    { now: nowSeconds },
  );
  Object.assign(c.var.audit, { expireSeconds, outcome: "issued" });
  c.header("Cache-Control", "no-store");
  return c.json({
    sdkAppId: app.config.sdkAppId,
    userId: identity.userId,
    privateMapKey,
    ...(typeof room === "number" ? { roomId: room } : { strRoomId: room }),
    privileges,
    privilegeNames: privilegeNames(privileges),
    expireSeconds,
    expiresAt: nowSeconds + expireSeconds,
  });
});

/** The steps both public routes take before signing. */
async function issuance<S extends z.ZodMiniType<IdentityRequest & { sdkAppId?: number | undefined }>>(
  c: BrokerContext,
  schema: S,
  routeClass: RouteClass,
  options: { newGuest: boolean },
): Promise<{ body: z.output<S>; app: LoadedApp; caller: Caller; identity: Identity; nowSeconds: number }> {
  const body = await readJson(c, schema);
  const app = selectApp(c, body.sdkAppId);
  const caller = await identifyCaller(c, app);
  await enforceRateLimit(c, app, routeClass, caller);
  const nowSeconds = nowSecondsOf(c);
  const { isolate } = c.var;
  const identity = await resolveIdentity(
    {
      keys: isolate.keys,
      nowSeconds,
      adminSets: () =>
        isolate.admins.adminSets(app.config.sdkAppId, app.configAdmins, {
          store: kvStore(c.env.ADMINS),
          waitUntil: waitUntilOf(c),
          nowMs: c.var.nowMs,
        }),
      reserveNewGuest: () => reserveNewGuest(c, app),
      verifyTurnstile: (token) => {
        const turnstile = app.config.guests.turnstile;
        return verifyTurnstile(
          {
            secret: app.turnstileSecret as string,
            token,
            remoteIp: clientAddressTrusted(c) ? c.req.header("CF-Connecting-IP") : undefined,
            hostnames: turnstile?.hostnames,
            action: turnstile?.action,
            siteverifyUrl: turnstile?.siteverifyUrl,
          },
          isolate.turnstile,
        );
      },
      refuseBanned: (userId) =>
        refuseBanned(isolate.bans, app.config.sdkAppId, userId, {
          store: kvStore(c.env.ADMINS),
          waitUntil: waitUntilOf(c),
          nowMs: c.var.nowMs,
        }),
      noteUserId: (userId) => {
        c.var.audit.userId = userId;
      },
    },
    app,
    caller,
    body,
    options,
  );
  return { body, app, caller, identity, nowSeconds };
}

function selectApp(c: BrokerContext, sdkAppId: number | undefined): LoadedApp {
  const app = pickApp(c.var.brokerConfig, sdkAppId);
  c.set("app", app);
  c.var.audit.app = app.config.sdkAppId;
  enforceOrigin(c, app);
  return app;
}
