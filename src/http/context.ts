/** The Hono environment shared by every route. */
import type { Context } from "hono";
import type { HonoBase } from "hono/hono-base";
import type { LoadedApp, LoadedConfig } from "../config/load.js";
import type { BrokerEnv } from "../env.js";
import type { IsolateState } from "../isolate.js";
import type { LimitCheck } from "../ratelimit/enforce.js";
import type { Broker } from "../services/broker.js";
import type { CallerKind } from "../shared/callers.js";

/** What the audit line of this request says, filled in as the request is decided. */
export interface AuditRecord {
  app?: number;
  callerKind?: CallerKind | "operator";
  keyName?: string;
  issuer?: string;
  userId?: string;
  expireSeconds?: number;
  room?: number | string;
  privileges?: number;
  /** e.g. "issued", "verified", "cached"; refusals are taken from the error. */
  outcome?: string;
  /** Moderation: who acted ("operator", "apiKey:<name>", "idp:<userId>@<issuer>"); `userId` is the target. */
  actor?: string;
  /** Moderation: whether Tencent confirmed the kick. */
  kicked?: boolean;
  /** A ban: whether Tencent confirmed the Chat mute; an unban: its lifting. */
  muted?: boolean;
  unmuted?: boolean;
  /** A ban or kick: the TRTC rooms Tencent confirmed the user was removed from. */
  removedRooms?: number;
  /** The Chat REST command called ("service/command"): never its URL or query string. */
  chatCommand?: string;
  /** Tencent's ErrorCode for that call (0 = OK). */
  tencentErrorCode?: number;
  /** A Tencent callback: its event (`trtc:103`, `C2C.CallbackBeforeSendMsg`, `State.StateChange:Login`). */
  callbackEvent?: string;
  /** A failed Tencent step of a callback or a room action: the fixed reason, and Tencent's code. */
  stepReason?: string;
  tencentCode?: string;
  /** A refused CORS preflight: the Origin it came from (bounded). */
  origin?: string;
}

export type BrokerHono = {
  Bindings: BrokerEnv;
  Variables: {
    requestId: string;
    /** The isolate's state (src/isolate.ts): caches, keys, counters, the clock. */
    isolate: IsolateState;
    /** The request's clock, read once when it arrives: milliseconds since the epoch. */
    nowMs: number;
    /** The service layer bound to this request (src/services/broker.ts): what routes call. */
    broker: Broker;
    /** The whole broker's configuration (every app); `LoadedApp.config` is one app's. */
    brokerConfig: LoadedConfig;
    /** The app this request is for, once known (CORS reads it). */
    app: LoadedApp | undefined;
    audit: AuditRecord;
    /** The rate-limit check this request went through, for the RateLimit header fields. */
    rateLimit: LimitCheck | undefined;
  };
};

export type BrokerContext = Context<BrokerHono>;

/**
 * The app (app.ts `createApp`), which every route file registers its routes on. HonoBase is Hono
 * without its default router: the app is given its router (router.ts), so the routers it does not
 * use are not in the Worker.
 */
export type BrokerApp = HonoBase<BrokerHono>;

/** ExecutionContext.waitUntil, or nothing when there is none (app.request() in a script). */
export function waitUntilOf(c: BrokerContext): (promise: Promise<unknown>) => void {
  return (promise) => {
    try {
      c.executionCtx.waitUntil(promise);
    } catch {
      // No ExecutionContext: the promise runs unattended; the callers' promises never reject.
    }
  };
}
