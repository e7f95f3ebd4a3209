/**
 * The request-scoped service layer: the isolate's caches bound, once, to this request's `env`, clock
 * and `waitUntil`. Built by one middleware per request (src/http/app.ts, `c.var.broker`). No rule lives here, only wiring: each rule is in its part (see
 * docs/architecture.md, "Where each rule lives"). Cheap to build: every service is made on first use.
 */

import { type AdminsList, addAdmin, listAdmins, removeAdmin, replaceAdmins } from "../admins/edit.js";
import { type AdminSet, adminSetOf, isAdminLike } from "../admins/set.js";
import { readRuntimeAdmins, writeRuntimeAdmins } from "../admins/store.js";
import type { Caller } from "../auth/caller.js";
import { authenticateOperator, presentsOperatorToken } from "../auth/operator.js";
import type { BanLookupDeps } from "../bans/cache.js";
import { BANS_RETRY_AFTER_SECONDS, BansError, type BansErrorCode } from "../bans/errors.js";
import {
  type BanRequest,
  type BanResult,
  banResult,
  type KickResult,
  kickResult,
  refuseBanned,
} from "../bans/moderate.js";
import { type Admitted, admitModerator } from "../bans/moderators.js";
import type { RoomDismissal } from "../bans/presence.js";
import type { RoomEvent, StepReport, UnbanOutcome, UserView } from "../bans/steps.js";
import type { Ban } from "../bans/store.js";
import { ConfigError } from "../config/errors.js";
import type { LoadedApp } from "../config/load.js";
import type { ApiKeyConfig } from "../config/schema.js";
import type { BrokerEnv } from "../env.js";
import { inspectorEnabled } from "../inspector/switch.js";
import type { IsolateState } from "../isolate.js";
import { type IssuedAdminSig, issueAdminSig } from "../issue/admin-sig.js";
import type { ModerationObject, ObjectAnswer, ObjectError, ObjectRef } from "../objects/moderation.js";
import { type BrokerError, errorName } from "../shared/errors.js";
import { type KeyValueStore, kvStore } from "../shared/storage.js";
import { SECOND_MS } from "../shared/units.js";
import { type ChatAnswer, callChat } from "../tencent/chat.js";
import { authorizeChatCommand, requireChatTarget } from "../tencent/gateway.js";
import { refuseAdminTargets } from "../tencent/gateway-targets.js";
import { chatTarget } from "../tencent/target.js";
import type { TrtcRoom } from "../tencent/trtc.js";
import { privilegeNames, verifyUserSig } from "../usersig/index.js";
import { CallbacksService } from "./callbacks.js";
import {
  type IssueHooks,
  issuePrivateMapKey,
  issueUserSig,
  type PrivateMapKeyAnswer,
  type PrivateMapKeyRequest,
  type UserSigAnswer,
  type UserSigRequest,
} from "./issue.js";
import { RateLimitService } from "./ratelimit.js";

export type { BanResult, KickResult } from "../bans/moderate.js";
export type { RoomEvent, StepReport, UnbanOutcome, UserView } from "../bans/steps.js";
export type { LoadedApp, LoadedConfig } from "../config/load.js";
export type { ApiKeyConfig } from "../config/schema.js";
export type { TrtcRoom } from "../tencent/trtc.js";
export type * from "./issue.js";
export type { Caller };

/** What one request binds the isolate's state to. */
export interface BrokerScope {
  state: IsolateState;
  env: BrokerEnv;
  /** The request's clock, read once: milliseconds since the epoch. */
  nowMs: number;
  /** Keeps background work (a cache refresh) alive after the answer (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
}

export function createBroker(scope: BrokerScope): Broker {
  return new Broker(scope);
}

export class Broker {
  readonly nowMs: number;
  /** Unix seconds of the same clock reading. */
  readonly nowSeconds: number;
  readonly #scope: BrokerScope;
  #admins: AdminsService | undefined;
  #bans: BansService | undefined;
  #operator: OperatorService | undefined;
  #moderation: ModerationService | undefined;
  #gateway: GatewayService | undefined;
  #issue: IssueService | undefined;
  #rateLimits: RateLimitService | undefined;
  #inspector: { enabled: boolean; turnstile: boolean } | undefined;
  #callbacks: CallbacksService | undefined;

  constructor(scope: BrokerScope) {
    this.#scope = scope;
    this.nowMs = scope.nowMs;
    this.nowSeconds = Math.floor(scope.nowMs / SECOND_MS);
  }

  get admins(): AdminsService {
    this.#admins ??= new AdminsService(this.#scope, this.nowSeconds);
    return this.#admins;
  }

  get bans(): BansService {
    this.#bans ??= new BansService(this.#scope);
    return this.#bans;
  }

  get operator(): OperatorService {
    this.#operator ??= new OperatorService(this.#scope);
    return this.#operator;
  }

  get moderation(): ModerationService {
    this.#moderation ??= new ModerationService(this.operator, this.bans);
    return this.#moderation;
  }

  get gateway(): GatewayService {
    this.#gateway ??= new GatewayService(this.#scope, this.admins, this.nowSeconds);
    return this.#gateway;
  }

  get issue(): IssueService {
    this.#issue ??= new IssueService(this.#scope, this.admins, this.bans, this.nowSeconds);
    return this.#issue;
  }

  /** Tencent's callbacks (src/services/callbacks.ts): verified, then decided against the app's moderation object. */
  get callbacks(): CallbacksService {
    this.#callbacks ??= new CallbacksService(this.#scope, this.bans);
    return this.#callbacks;
  }

  /** The per-subject limits and the new-guest budget (src/services/ratelimit.ts). */
  get rateLimits(): RateLimitService {
    this.#rateLimits ??= new RateLimitService(this.#scope);
    return this.#rateLimits;
  }

  /**
   * POST /v1/verify: what a valid UserSig says (its privileges named), or the core's UserSigError
   * saying why it is not valid.
   */
  async verify(app: LoadedApp, userSig: string, userId: string | undefined) {
    const decoded = await verifyUserSig(userSig, {
      sdkAppId: app.config.sdkAppId,
      secretKey: app.secretKey,
      now: this.nowSeconds,
      ...(userId !== undefined ? { userId } : {}),
    });
    const { userBuf: _userBuf, privateMap, ...fields } = decoded;
    return {
      valid: true as const,
      ...fields,
      ...(privateMap ? { privateMap: { ...privateMap, privilegeNames: privilegeNames(privateMap.privileges) } } : {}),
    };
  }

  /** Whether the inspector page is served, and whether its CSP must let Turnstile in. */
  async inspector(): Promise<{ enabled: boolean; turnstile: boolean }> {
    this.#inspector ??= await this.#inspectorSwitches();
    return this.#inspector;
  }

  async #inspectorSwitches(): Promise<{ enabled: boolean; turnstile: boolean }> {
    const { state, env } = this.#scope;
    if (!inspectorEnabled(env.BROKER_CONFIG)) return { enabled: false, turnstile: false };
    const loaded = await state.config.load(env);
    if (!loaded.ok) return { enabled: true, turnstile: false };
    for (const app of loaded.config.usableApps()) {
      if (app.config.guests.enabled && app.config.guests.turnstile) return { enabled: true, turnstile: true };
    }
    return { enabled: true, turnstile: false };
  }

  /** This isolate's counters (GET /v1/admin/stats; what `npm run bench` reads). */
  stats() {
    const { limiter, rateLimitKv, requests, admins, bans } = this.#scope.state;
    return {
      isolate: limiter.isolateId(),
      requests: requests.count,
      rateLimit: { entries: limiter.entryCount(), decisions: { ...limiter.stats }, kv: { ...rateLimitKv } },
      admins: { kv: { ...admins.kvStats } },
      bans: { object: { ...bans.stats } },
    };
  }
}

/** Admin identities: the guard's sets, the operator's edits, admin sigs. */
export class AdminsService {
  readonly #scope: BrokerScope;
  readonly #nowSeconds: number;
  #deps: { store: KeyValueStore; waitUntil: (promise: Promise<unknown>) => void; nowMs: number } | undefined;

  constructor(scope: BrokerScope, nowSeconds: number) {
    this.#scope = scope;
    this.#nowSeconds = nowSeconds;
  }

  /** The one place the admin cache is bound to this request (KV namespace, clock, waitUntil). */
  get #cacheDeps() {
    const { env, waitUntil, nowMs } = this.#scope;
    this.#deps ??= { store: kvStore(env.ADMINS), waitUntil, nowMs };
    return this.#deps;
  }

  /** The config admins and the runtime admins, for the admin guard (no KV read when warm). */
  setsFor(app: LoadedApp): Promise<readonly AdminSet[]> {
    return this.#scope.state.admins.adminSets(app.config.sdkAppId, app.configAdmins, this.#cacheDeps);
  }

  /** A cold isolate: the runtime admins' read starts now (see IssueService.prefetch). */
  prefetch(app: LoadedApp): void {
    this.#scope.state.admins.prefetch(app.config.sdkAppId, this.#cacheDeps);
  }

  list(app: LoadedApp): Promise<AdminsList> {
    return listAdmins(app, this.#editDeps(app));
  }

  replace(app: LoadedApp, userIds: readonly string[]): Promise<AdminsList> {
    return replaceAdmins(app, userIds, this.#editDeps(app));
  }

  add(app: LoadedApp, userId: string): Promise<{ list: AdminsList; added: boolean }> {
    return addAdmin(app, userId, this.#editDeps(app));
  }

  remove(app: LoadedApp, userId: string): Promise<void> {
    return removeAdmin(app, userId, this.#editDeps(app));
  }

  /** POST /v1/admin/usersig: an admin identity's sig for an API key with allowAdmin. */
  sig(app: LoadedApp, key: ApiKeyConfig, userId: string | undefined): Promise<IssuedAdminSig> {
    const { state } = this.#scope;
    const sdkAppId = app.config.sdkAppId;
    return issueAdminSig(key, app, userId, {
      runtimeAdmins: () => state.admins.runtimeAdmins(sdkAppId, this.#cacheDeps),
      sign: (id) =>
        state.adminSigs.get(
          { sdkAppId, secretKey: app.secretKey, lifetimeSeconds: app.config.lifetimes.adminSeconds },
          id,
          this.#nowSeconds,
        ),
    });
  }

  #editDeps(app: LoadedApp) {
    const { state, env, nowMs } = this.#scope;
    const sdkAppId = app.config.sdkAppId;
    const stats = state.admins.kvStats;
    const store = kvStore(env.ADMINS);
    return {
      read: () => readRuntimeAdmins(store, sdkAppId, stats),
      write: (userIds: string[]) => writeRuntimeAdmins(store, sdkAppId, userIds, stats, nowMs),
      remember: (userIds: string[]) => state.admins.setRuntimeAdmins(sdkAppId, userIds, nowMs),
      forgetSig: (userId: string) => state.adminSigs.forget(sdkAppId, userId),
    };
  }
}

/**
 * Bans and presence: issuance's lookup (the isolate's cache), and every call to the app's Durable
 * Object (src/objects/moderation.ts), the moderation routes' and the callbacks'.
 */
export class BansService {
  readonly #scope: BrokerScope;
  #ref: ObjectRef | undefined;

  constructor(scope: BrokerScope) {
    this.#scope = scope;
  }

  // --- The app's Durable Object (src/objects/moderation.ts): the callbacks' and moderators' calls ---

  /** TRTC 103: presence; a banned user is removed from that room at once. */
  enterRoom(app: LoadedApp, event: RoomEvent): Promise<{ duplicate: boolean; banned: boolean; removal?: StepReport }> {
    return this.#call(app, (object, ref) => object.enterRoom(ref, event));
  }

  /** TRTC 104: the user left the room. */
  exitRoom(app: LoadedApp, event: RoomEvent): Promise<{ duplicate: boolean }> {
    return this.#call(app, (object, ref) => object.exitRoom(ref, event));
  }

  /** TRTC 102: the room was dismissed; presence forgets everyone in it. */
  roomDismissed(app: LoadedApp, event: RoomDismissal): Promise<{ duplicate: boolean }> {
    return this.#call(app, (object, ref) => object.roomDismissed(ref, event));
  }

  /** The ban in force for `userId` or a variant, read from the object (never the isolate's cache). */
  async bannedAs(app: LoadedApp, userId: string): Promise<Ban | undefined> {
    return (await this.#call(app, (object, ref) => object.bannedAs(ref, userId))) ?? undefined;
  }

  /** Chat State.StateChange Login: a banned user is kicked again. */
  loggedIn(
    app: LoadedApp,
    event: { userId: string; eventKey: string },
  ): Promise<{ duplicate: boolean; banned: boolean; kick?: StepReport }> {
    return this.#call(app, (object, ref) => object.loggedIn(ref, event));
  }

  /** GET …/users/{userId}: banned?, rooms now. */
  user(app: LoadedApp, userId: string): Promise<UserView> {
    return this.#call(app, (object, ref) => object.user(ref, userId));
  }

  /** Out of one room, no ban (ADMIN_NOT_REMOVABLE for an admin identity). */
  removeFromRoom(app: LoadedApp, userId: string, room: TrtcRoom): Promise<StepReport> {
    return this.#call(app, (object, ref) => object.removeFromRoom(ref, userId, room));
  }

  /** Ends a room for everyone in it. */
  dismissRoom(app: LoadedApp, room: TrtcRoom): Promise<StepReport> {
    return this.#call(app, (object, ref) => object.dismissRoom(ref, room));
  }

  /**
   * The app's object, and what it is told of this request: its clock and Chat timeout. The object
   * loads the app from its own env (the same Worker's); only under the workerd tests' switch
   * (`TEST_ONLY_OBJECT_VARS`, docs/moderation.md) does the request's env go along too.
   */
  async #call<T>(
    app: LoadedApp,
    run: (object: DurableObjectStub<ModerationObject>, ref: ObjectRef) => Promise<ObjectAnswer<T>>,
  ): Promise<T> {
    const { env, nowMs, state } = this.#scope;
    this.#ref ??= {
      sdkAppId: app.config.sdkAppId,
      ...(env.TEST_ONLY_OBJECT_VARS === true ? { vars: stringVars(env) } : {}),
      nowMs,
      tencentTimeoutMs: state.chat.timeoutMs,
    };
    const ref =
      this.#ref.sdkAppId === app.config.sdkAppId ? this.#ref : { ...this.#ref, sdkAppId: app.config.sdkAppId };
    let answer: ObjectAnswer<T>;
    try {
      answer = await run(env.MODERATION.get(env.MODERATION.idFromName(String(ref.sdkAppId))), ref);
    } catch (error) {
      throw new BansError("BANS_STORE_UNAVAILABLE", "Bans cannot be read or written right now; try again shortly.", {
        reason: `moderation object: ${errorName(error)}`,
        data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
      });
    }
    if (answer.ok) return answer.value;
    throw objectError(answer.error);
  }

  /**
   * Throws USER_BANNED when the app has banned `userId` or a variant of it: from the isolate's
   * cache, refreshed from the object in the background (no read when warm).
   */
  refuse(app: LoadedApp, userId: string): Promise<void> {
    return refuseBanned(this.#scope.state.bans, app.config.sdkAppId, userId, this.#lookup(app));
  }

  /** A cold isolate: the app's ban list read starts now (see IssueService.prefetch). */
  prefetch(app: LoadedApp): void {
    this.#scope.state.bans.prefetch(app.config.sdkAppId, this.#lookup(app));
  }

  #lookup(app: LoadedApp): BanLookupDeps {
    const { waitUntil, nowMs } = this.#scope;
    return { read: () => this.#call(app, (object, ref) => object.list(ref)), waitUntil, nowMs };
  }

  /** Stored in the object, then kicked, muted and removed from every known room (each step reported). */
  async ban(app: LoadedApp, userId: string, request: BanRequest, actor: string): Promise<BanResult> {
    const asked = {
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
      ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
    };
    const rekickAfterMs = this.#scope.state.bans.rekickAfterMs;
    const outcome = await this.#call(app, (object, ref) => object.ban({ ...ref, rekickAfterMs }, userId, asked, actor));
    this.#scope.state.bans.banned(app.config.sdkAppId, outcome.ban);
    return banResult(outcome);
  }

  /** Lifts the ban of `userId` or of a variant it matches, and the Chat mute. */
  async unban(app: LoadedApp, userId: string): Promise<UnbanOutcome> {
    const outcome = await this.#call(app, (object, ref) => object.unban(ref, userId));
    for (const id of outcome.lifted) this.#scope.state.bans.unbanned(app.config.sdkAppId, id);
    return outcome;
  }

  /** The bans in force, newest first. */
  list(app: LoadedApp): Promise<Ban[]> {
    return this.#call(app, (object, ref) => object.list(ref));
  }

  /** Chat logins ended and out of every known room, no ban (ADMIN_NOT_KICKABLE for an admin identity). */
  async kick(app: LoadedApp, userId: string): Promise<KickResult> {
    const outcome = await this.#call(app, (object, ref) => object.kick(ref, userId));
    return kickResult(outcome.userId, outcome.steps);
  }
}

/**
 * The workerd tests' per-request env, for the object (ObjectRef.vars, sent only under
 * TEST_ONLY_OBJECT_VARS): the env's strings, and BROKER_CONFIG whatever its form (a wrangler
 * `[vars]` table is an object). Bindings stay out.
 */
function stringVars(env: BrokerEnv): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const key in env) {
    const value = env[key];
    if (typeof value === "string") vars[key] = value;
  }
  if (env.BROKER_CONFIG !== undefined) vars.BROKER_CONFIG = env.BROKER_CONFIG;
  return vars;
}

/** The object's error, as the domain error it was (CONFIG_ERROR stays a config error). */
function objectError(error: ObjectError): BrokerError {
  const data = {
    ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    ...(error.field !== undefined ? { field: error.field } : {}),
  };
  if (error.code === "CONFIG_ERROR") return new ConfigError("CONFIG_ERROR", error.detail, { data });
  return new BansError(error.code as BansErrorCode, error.detail, { data });
}

/** The operator's token (ADMIN_API_TOKEN: src/auth/operator.ts). */
export class OperatorService {
  readonly #scope: BrokerScope;

  constructor(scope: BrokerScope) {
    this.#scope = scope;
  }

  /** 403 OPERATOR_API_DISABLED while the secret is unset or not acceptable, 401 without a token. */
  async authenticate(authorization: string | undefined): Promise<void> {
    return authenticateOperator(await this.#secret(), authorization);
  }

  /** Whether `authorization` carries one of the operator's tokens. */
  async presents(authorization: string | undefined): Promise<boolean> {
    return presentsOperatorToken(await this.#secret(), authorization);
  }

  /** ADMIN_API_TOKEN as the config loader read it (a placeholder is a CONFIG_ERROR there). */
  async #secret(): Promise<string | undefined> {
    const { state, env } = this.#scope;
    const loaded = await state.config.load(env);
    if (!loaded.ok) throw loaded.error;
    return loaded.config.operatorToken;
  }
}

/** Who may moderate (src/bans/moderators.ts), with the operator's token and the ban lookup bound. */
export class ModerationService {
  readonly #operator: OperatorService;
  readonly #bans: BansService;

  constructor(operator: OperatorService, bans: BansService) {
    this.#operator = operator;
    this.#bans = bans;
  }

  /**
   * The moderator of this request. `identify`: the caller from its API key or IdP token (the HTTP
   * layer's, which fills the audit line); asked only when the bearer is not the operator's.
   */
  admit(
    app: LoadedApp,
    request: { hasApiKey: boolean; authorization: string | undefined; identify: () => Promise<Caller> },
  ): Promise<Admitted<Caller>> {
    return admitModerator(
      {
        hasApiKey: request.hasApiKey,
        presentsOperatorToken: () => this.#operator.presents(request.authorization),
        identify: request.identify,
        refuseBanned: (userId) => this.#bans.refuse(app, userId),
      },
      app.config.moderation?.idpRole,
    );
  }
}

/** A gateway call that passed the allow-list, waiting for its body. */
export interface GatewayCall {
  forward(body: string): Promise<ChatAnswer>;
}

/** The Chat REST gateway: the allow-list (src/tencent/gateway.ts), then the call as the app's admin. */
export class GatewayService {
  readonly #scope: BrokerScope;
  readonly #admins: AdminsService;
  readonly #nowSeconds: number;

  constructor(scope: BrokerScope, admins: AdminsService, nowSeconds: number) {
    this.#scope = scope;
    this.#admins = admins;
    this.#nowSeconds = nowSeconds;
  }

  /** Throws CHAT_COMMAND_NOT_ALLOWED unless the key lists exactly this service/command. */
  authorize(key: ApiKeyConfig, service: string, command: string): void {
    authorizeChatCommand(key, service, command);
  }

  /** Authorizes the call, and checks that the app has Chat configured (CHAT_NOT_CONFIGURED). */
  open(app: LoadedApp, key: ApiKeyConfig, service: string, command: string): GatewayCall {
    this.authorize(key, service, command);
    const { state } = this.#scope;
    const target = requireChatTarget(chatTarget(app, state.adminSigs, this.#nowSeconds));
    return {
      forward: async (body) => {
        // Never a command that acts on an admin account (the broker's own identity included).
        const admins = [...(await this.#admins.setsFor(app)), adminSetOf([target.adminUserId])];
        const parsed: unknown = JSON.parse(body);
        const checked = await refuseAdminTargets(service, command, parsed, (userId) => isAdminLike(userId, admins));
        // A command that acts on accounts goes out exactly as checked (JSON.stringify: no duplicate member).
        return callChat(target, service, command, checked ? JSON.stringify(parsed) : body, state.chat);
      },
    };
  }
}

/** The public issuance (src/services/issue.ts). */
export class IssueService {
  readonly #scope;
  readonly #admins: AdminsService;
  readonly #bans: BansService;

  constructor(scope: BrokerScope, admins: AdminsService, bans: BansService, nowSeconds: number) {
    this.#admins = admins;
    this.#bans = bans;
    this.#scope = {
      nowSeconds,
      keys: scope.state.keys,
      adminSets: (app: LoadedApp) => admins.setsFor(app),
      refuseBanned: (app: LoadedApp, userId: string) => bans.refuse(app, userId),
      turnstile: scope.state.turnstile,
    };
  }

  /**
   * Once the caller is known, before its rate limit is counted: on a cold isolate, the two reads every
   * issuance needs (the app's runtime admins from KV, its ban list from the object) start at once,
   * beside the rate limiter's own first read, instead of one after the other. Warm: nothing. Not for
   * an anonymous caller of an app without guests, who is refused next at no cost (nor counted).
   */
  prefetch(app: LoadedApp, caller: Caller): void {
    if (caller.kind === "guest" && !app.config.guests.enabled) return;
    this.#admins.prefetch(app);
    this.#bans.prefetch(app);
  }

  userSig(app: LoadedApp, caller: Caller, body: UserSigRequest, hooks: IssueHooks): Promise<UserSigAnswer> {
    return issueUserSig(this.#scope, { app, caller, body, hooks });
  }

  privateMapKey(
    app: LoadedApp,
    caller: Caller,
    body: PrivateMapKeyRequest,
    hooks: IssueHooks,
  ): Promise<PrivateMapKeyAnswer> {
    return issuePrivateMapKey(this.#scope, { app, caller, body, hooks });
  }
}
