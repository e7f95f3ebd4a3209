/**
 * Who is asking: a trusted backend (`X-Api-Key`), an identity provider's user
 * (`Authorization: Bearer <JWT>`), or, with neither, a guest.
 */

import { authenticateApiKey } from "../auth/apikey.js";
import { authenticateIdp, type IdpUser } from "../auth/idp.js";
import type { LoadedApp } from "../config/load.js";
import type { ApiKeyConfig } from "../config/schema.js";
import type { BrokerContext } from "./context.js";
import { problems } from "./problem.js";

export type Caller = { kind: "apiKey"; key: ApiKeyConfig } | { kind: "idp"; user: IdpUser } | { kind: "guest" };

export async function identifyCaller(c: BrokerContext, app: LoadedApp): Promise<Caller> {
  const apiKey = c.req.header("X-Api-Key");
  const authorization = c.req.header("Authorization");
  if (apiKey !== undefined && authorization !== undefined) {
    throw problems.badRequest("Send either X-Api-Key or Authorization, not both.");
  }
  if (apiKey !== undefined) {
    c.var.audit.callerKind = "apiKey";
    const key = await authenticateApiKey(app.config.apiKeys, apiKey);
    c.var.audit.keyName = key.name;
    return { kind: "apiKey", key };
  }
  if (authorization !== undefined) {
    const match = /^Bearer +([^ ]+) *$/i.exec(authorization);
    if (!match?.[1]) throw problems.unauthorized("Bearer", "authorization: not a Bearer token");
    c.var.audit.callerKind = "idp";
    const user = await authenticateIdp(app.config, match[1]);
    c.var.audit.issuer = user.issuer;
    return { kind: "idp", user };
  }
  c.var.audit.callerKind = "guest";
  return { kind: "guest" };
}

export async function requireApiKey(c: BrokerContext, app: LoadedApp): Promise<ApiKeyConfig> {
  const presented = c.req.header("X-Api-Key");
  c.var.audit.callerKind = "apiKey";
  if (presented === undefined) throw problems.unauthorized("ApiKey", "api key: missing");
  const key = await authenticateApiKey(app.config.apiKeys, presented);
  c.var.audit.keyName = key.name;
  return key;
}
