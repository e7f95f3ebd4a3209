/**
 * The public routes: POST /v1/usersig and POST /v1/privatemapkey. Each decides who is asking, which
 * identity they may have and for how long, refuses admin identities, and only then signs.
 */

import { Hono } from "hono";
import { adminSet } from "../../admins/cache.js";
import { issueTicket, newGuestUserId, verifyTicket } from "../../auth/guest.js";
import { verifyTurnstile } from "../../auth/turnstile.js";
import type { LoadedApp } from "../../config/load.js";
import {
  checkPublicUserId,
  checkRoomAccess,
  clampLifetime,
  privilegeMask,
  type RoomGrant,
} from "../../issue/policy.js";
import { enforceRateLimit, reserveNewGuest } from "../../ratelimit/http.js";
import { privilegeNames, signPrivateMapKey, signUserSig } from "../../usersig/index.js";
import { pickApp } from "../apps.js";
import { readJson } from "../body.js";
import { type Caller, identifyCaller } from "../caller.js";
import type { BrokerContext, BrokerHono } from "../context.js";
import { enforceOrigin } from "../cors.js";
import { problems } from "../problem.js";
import { privateMapKeyRequest, usersigRequest } from "../schemas.js";

export const issueRoutes = new Hono<BrokerHono>();

interface Identity {
  userId: string;
  lifetime: { default: number; max: number };
  grants?: RoomGrant[] | undefined;
  ticket?: { ticket: string; expiresAt: number };
}

issueRoutes.post("/v1/usersig", async function issueUserSig(c) {
  const body = await readJson(c, usersigRequest);
  const app = selectApp(c, body.sdkAppId);
  const now = Math.floor(Date.now() / 1000);
  const caller = await identifyCaller(c, app);
  await enforceRateLimit(c, app, "usersig", caller);
  const identity = await resolveIdentity(c, app, caller, body, now, { newGuest: true });
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const userSig = await signUserSig(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds },
    app.secretKey,
    { now },
  );
  Object.assign(c.var.audit, { userId: identity.userId, expireSeconds, outcome: "issued" });
  c.header("Cache-Control", "no-store");
  return c.json({
    sdkAppId: app.config.sdkAppId,
    userId: identity.userId,
    userSig,
    expireSeconds,
    expiresAt: now + expireSeconds,
    ...(identity.ticket
      ? { guestTicket: identity.ticket.ticket, guestTicketExpiresAt: identity.ticket.expiresAt }
      : {}),
  });
});

issueRoutes.post("/v1/privatemapkey", async function issuePrivateMapKey(c) {
  const body = await readJson(c, privateMapKeyRequest);
  const app = selectApp(c, body.sdkAppId);
  const now = Math.floor(Date.now() / 1000);
  const caller = await identifyCaller(c, app);
  await enforceRateLimit(c, app, "privatemapkey", caller);
  const identity = await resolveIdentity(c, app, caller, body, now, { newGuest: false });
  const room = (body.roomId ?? body.strRoomId) as number | string;
  const privileges = privilegeMask(body.privileges);
  Object.assign(c.var.audit, { userId: identity.userId, room, privileges });
  checkRoomAccess(app.config.privateMapKey[caller.kind], room, privileges, identity.grants);
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const privateMapKey = await signPrivateMapKey(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds, roomId: room, privileges },
    app.secretKey,
    { now },
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
    expiresAt: now + expireSeconds,
  });
});

function selectApp(c: BrokerContext, sdkAppId: number | undefined): LoadedApp {
  const app = pickApp(c.var.config, sdkAppId);
  c.set("app", app);
  c.var.audit.app = app.config.sdkAppId;
  enforceOrigin(c, app);
  return app;
}

async function resolveIdentity(
  c: BrokerContext,
  app: LoadedApp,
  caller: Caller,
  body: { userId?: string | undefined; guestTicket?: string | undefined; turnstileToken?: string | undefined },
  now: number,
  options: { newGuest: boolean },
): Promise<Identity> {
  const { config } = app;
  const admins = () =>
    adminSet(config.sdkAppId, app.configAdmins, { kv: c.env.ADMINS, waitUntil: (p) => c.executionCtx.waitUntil(p) });

  if (caller.kind === "apiKey") {
    if (!caller.key.allowUserId) {
      throw problems.forbidden("USERID_NOT_ALLOWED", "This API key may not choose UserIDs.");
    }
    if (body.userId === undefined)
      throw problems.badRequest("userId is required with an API key.", { field: "userId" });
    c.var.audit.userId = body.userId;
    checkPublicUserId(body.userId, app.userIdRule, await admins(), "named");
    return { userId: body.userId, lifetime: config.lifetimes.apiKey };
  }

  if (caller.kind === "idp") {
    const { userId, grants } = caller.user;
    c.var.audit.userId = userId;
    if (body.userId !== undefined && body.userId !== userId) {
      throw problems.forbidden("USERID_NOT_ALLOWED", "You can only get a UserSig for your own identity.");
    }
    // A self-chosen IdP username must not take over a guest's identity (guest IDs are visible to
    // everyone in a room).
    if (config.guests.enabled && config.guests.userIdPrefix !== "" && userId.startsWith(config.guests.userIdPrefix)) {
      throw problems.forbidden("USERID_NOT_ALLOWED", "This user ID is reserved for guests of this app.");
    }
    checkPublicUserId(userId, app.userIdRule, await admins(), "idp");
    return { userId, lifetime: config.lifetimes.idp, grants };
  }

  const guests = config.guests;
  if (!guests.enabled)
    throw problems.unauthorized("Bearer", "guest: guests are not enabled for this app", { tokenGiven: false });
  if (body.userId !== undefined) {
    throw problems.forbidden("USERID_NOT_ALLOWED", "Guests cannot choose a UserID.");
  }
  if (body.guestTicket !== undefined) {
    const { userId, expiresAt } = await verifyTicket(app.secretKey, config.sdkAppId, body.guestTicket, now);
    c.var.audit.userId = userId;
    checkPublicUserId(userId, app.userIdRule, await admins(), "guest");
    return { userId, lifetime: config.lifetimes.guest, ticket: { ticket: body.guestTicket, expiresAt } };
  }
  if (!options.newGuest) {
    throw problems.unauthorized("GuestTicket", "guest: a guest ticket is required here");
  }
  if (guests.turnstile && body.turnstileToken === undefined) {
    throw problems.forbidden(
      "TURNSTILE_REQUIRED",
      "This app requires a Turnstile token (turnstileToken) for new guests.",
    );
  }
  // The app's daily budget of new guests, taken before the challenge and given back if creating fails.
  const release = await reserveNewGuest(c, app);
  try {
    if (guests.turnstile) {
      await verifyTurnstile({
        secret: app.turnstileSecret as string,
        token: body.turnstileToken as string,
        remoteIp: c.req.header("CF-Connecting-IP"),
        hostnames: guests.turnstile.hostnames,
        action: guests.turnstile.action,
      });
    }
    const userId = newGuestUserId(guests.userIdPrefix);
    checkPublicUserId(userId, app.userIdRule, await admins(), "guest");
    const ticket = await issueTicket(app.secretKey, config.sdkAppId, userId, now, guests.ticketLifetimeSeconds);
    return { userId, lifetime: config.lifetimes.guest, ticket };
  } catch (error) {
    release();
    throw error;
  }
}
