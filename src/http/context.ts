/** The Hono environment shared by every route. */
import type { Context } from "hono";
import type { LoadedApp, LoadedConfig } from "../config/load.js";
import type { BrokerEnv } from "../env.js";

/** What the audit line of this request says, filled in as the request is decided. */
export interface AuditRecord {
  app?: number;
  callerKind?: "idp" | "apiKey" | "guest" | "operator";
  keyName?: string;
  issuer?: string;
  userId?: string;
  expireSeconds?: number;
  room?: number | string;
  privileges?: number;
  /** e.g. "issued", "verified", "cached"; refusals are taken from the error. */
  outcome?: string;
}

export type BrokerHono = {
  Bindings: BrokerEnv;
  Variables: {
    requestId: string;
    config: LoadedConfig;
    /** The app this request is for, once known (CORS reads it). */
    app: LoadedApp | undefined;
    audit: AuditRecord;
  };
};

export type BrokerContext = Context<BrokerHono>;
