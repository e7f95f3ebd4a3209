/**
 * Who is asking, from the request's headers: a trusted backend (`X-Api-Key`), an identity provider's
 * user (`Authorization: Bearer <JWT>`), or, with neither, a guest.
 */

import { authenticateApiKey } from "../auth/apikey.js";
import type { Caller } from "../auth/caller.js";
import { unauthorized } from "../auth/errors.js";
import { authenticateIdp } from "../auth/idp.js";
import type { LoadedApp } from "../config/load.js";
import type { ApiKeyConfig } from "../config/schema.js";
import type { BrokerContext } from "./context.js";
import { badRequest } from "./errors.js";

/** `Authorization: Bearer <token>`. */
const BEARER = /^Bearer +([^ ]+) *$/i;

export async function identifyCaller(c: BrokerContext, app: LoadedApp): Promise<Caller> {
  const apiKey = c.req.header("X-Api-Key");
  const authorization = c.req.header("Authorization");
  if (apiKey !== undefined && authorization !== undefined) {
    throw badRequest("Send either X-Api-Key or Authorization, not both.");
  }
  if (apiKey !== undefined) {
    c.var.audit.callerKind = "apiKey";
    const key = await authenticateApiKey(app.config.apiKeys, apiKey);
    c.var.audit.keyName = key.name;
    return { kind: "apiKey", key };
  }
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (!match?.[1]) throw unauthorized("Bearer", "authorization: not a Bearer token");
    c.var.audit.callerKind = "idp";
    const user = await authenticateIdp(app.config, match[1], c.var.isolate.idpKeys, c.var.nowMs);
    c.var.audit.issuer = user.issuer;
    return { kind: "idp", user };
  }
  c.var.audit.callerKind = "guest";
  return { kind: "guest" };
}

export async function requireApiKey(c: BrokerContext, app: LoadedApp): Promise<ApiKeyConfig> {
  const presented = c.req.header("X-Api-Key");
  c.var.audit.callerKind = "apiKey";
  if (presented === undefined) throw unauthorized("ApiKey", "api key: missing");
  const key = await authenticateApiKey(app.config.apiKeys, presented);
  c.var.audit.keyName = key.name;
  return key;
}
