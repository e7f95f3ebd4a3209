/**
 * The public issuance, after the HTTP layer has picked the app, identified the caller and counted it
 * against its limit: resolve the identity (src/issue/identity.ts: claim, rule, admin guard, bans,
 * ticket), apply the room policy and the lifetime clamp (src/issue/policy.ts), sign with the core.
 */

import type { AdminSet } from "../admins/set.js";
import type { Caller } from "../auth/caller.js";
import { type TurnstileDeps, verifyTurnstile } from "../auth/turnstile.js";
import type { LoadedApp } from "../config/load.js";
import { type Identity, type IdentityRequest, resolveIdentity } from "../issue/identity.js";
import { checkRoomAccess, clampLifetime, type PrivilegeInput, privilegeMask } from "../issue/policy.js";
import type { Keyring } from "../shared/keys.js";
import { privilegeNames, signPrivateMapKey, signUserSig } from "../usersig/index.js";

/** The answers, as the routes send them (their shapes for /openapi.json: src/http/responses.ts). */
export type UserSigAnswer = Awaited<ReturnType<typeof issueUserSig>>;
export type PrivateMapKeyAnswer = Awaited<ReturnType<typeof issuePrivateMapKey>>;

export interface UserSigRequest extends IdentityRequest {
  expireSeconds?: number | undefined;
}

export interface PrivateMapKeyRequest extends IdentityRequest {
  expireSeconds?: number | undefined;
  roomId?: number | undefined;
  strRoomId?: string | undefined;
  privileges: PrivilegeInput;
}

/** What the decision says so far, for the audit line: each field as soon as it is known. */
export interface IssueNote {
  userId?: string;
  room?: number | string;
  privileges?: number;
  expireSeconds?: number;
}

/** What issuance needs of the HTTP layer. */
export interface IssueHooks {
  /** Takes one new guest from the app's daily budget (the rate limiter); the result gives it back. */
  reserveNewGuest(): Promise<() => void>;
  /** The client's address for Turnstile, when it can be trusted. */
  remoteIp(): string | undefined;
  note(fields: IssueNote): void;
}

/** What the issuance takes from the request's broker (src/services/broker.ts). */
export interface IssueScope {
  nowSeconds: number;
  keys: Keyring;
  adminSets(app: LoadedApp): Promise<readonly AdminSet[]>;
  refuseBanned(app: LoadedApp, userId: string): Promise<void>;
  turnstile: TurnstileDeps;
}

/** One public issuance: the app, the authenticated caller, the parsed body, the HTTP layer's hooks. */
export interface Issuance<B> {
  app: LoadedApp;
  caller: Caller;
  body: B;
  hooks: IssueHooks;
}

export async function issueUserSig(scope: IssueScope, { app, caller, body, hooks }: Issuance<UserSigRequest>) {
  const identity = await identityOf(scope, app, caller, body, hooks, true);
  const now = scope.nowSeconds;
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const userSig = await signUserSig(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds },
    app.secretKey,
    { now },
  );
  hooks.note({ userId: identity.userId, expireSeconds });
  return {
    sdkAppId: app.config.sdkAppId,
    userId: identity.userId,
    userSig,
    expireSeconds,
    expiresAt: now + expireSeconds,
    ...(identity.ticket
      ? { guestTicket: identity.ticket.ticket, guestTicketExpiresAt: identity.ticket.expiresAt }
      : {}),
  };
}

export async function issuePrivateMapKey(
  scope: IssueScope,
  { app, caller, body, hooks }: Issuance<PrivateMapKeyRequest>,
) {
  const identity = await identityOf(scope, app, caller, body, hooks, false);
  const now = scope.nowSeconds;
  const room = (body.roomId ?? body.strRoomId) as number | string;
  const privileges = privilegeMask(body.privileges);
  hooks.note({ userId: identity.userId, room, privileges });
  checkRoomAccess(app.config.privateMapKey[caller.kind], room, privileges, identity.grants);
  const expireSeconds = clampLifetime(identity.lifetime, body.expireSeconds);
  const privateMapKey = await signPrivateMapKey(
    { sdkAppId: app.config.sdkAppId, userId: identity.userId, expireSeconds, roomId: room, privileges },
    app.secretKey,
    { now },
  );
  hooks.note({ expireSeconds });
  return {
    sdkAppId: app.config.sdkAppId,
    userId: identity.userId,
    privateMapKey,
    ...(typeof room === "number" ? { roomId: room } : { strRoomId: room }),
    privileges,
    privilegeNames: privilegeNames(privileges),
    expireSeconds,
    expiresAt: now + expireSeconds,
  };
}

function identityOf(
  scope: IssueScope,
  app: LoadedApp,
  caller: Caller,
  request: IdentityRequest,
  hooks: IssueHooks,
  newGuest: boolean,
): Promise<Identity> {
  return resolveIdentity(
    {
      keys: scope.keys,
      nowSeconds: scope.nowSeconds,
      adminSets: () => scope.adminSets(app),
      reserveNewGuest: hooks.reserveNewGuest,
      verifyTurnstile: (token) => {
        const turnstile = app.config.guests.turnstile;
        return verifyTurnstile(
          {
            secret: app.turnstileSecret as string,
            token,
            remoteIp: hooks.remoteIp(),
            hostnames: turnstile?.hostnames,
            action: turnstile?.action,
            siteverifyUrl: turnstile?.siteverifyUrl,
          },
          scope.turnstile,
        );
      },
      refuseBanned: (userId) => scope.refuseBanned(app, userId),
      noteUserId: (userId) => hooks.note({ userId }),
    },
    app,
    caller,
    request,
    { newGuest },
  );
}
