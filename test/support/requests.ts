// Requests to the Worker under test (test/broker/helpers.ts `call`), bound to one config and its
// secrets, so that a test names only the path, the body and the credential it is about.
import { call, type Json } from "../broker/helpers.js";

type Headers = Record<string, string>;

/** `Authorization: Bearer <token>` (an IdP JWT or the operator's token). */
export const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });

/** `X-Api-Key: <key>`. */
export const withApiKey = (key: string): Headers => ({ "X-Api-Key": key });

export interface BrokerClient {
  get(path: string, headers?: Headers): Promise<Response>;
  postJson(path: string, body?: unknown, headers?: Headers): Promise<Response>;
  putJson(path: string, body?: unknown, headers?: Headers): Promise<Response>;
  delete(path: string, headers?: Headers): Promise<Response>;
  /** Any other request (a raw body, another method). */
  send(path: string, init: RequestInit & { json?: unknown }): Promise<Response>;
  /** The same broker with these variables over its secrets (e.g. ADMIN_API_TOKEN unset). */
  withEnv(extra: Json): BrokerClient;
}

/**
 * The broker as one test file configures it: `config` (or a function returning it, for a config
 * built in beforeAll; a string: sent as is; undefined: BROKER_CONFIG as the env has it) and the secrets every request
 * carries (`withEnv` changes them).
 */
export function brokerClient(config: Json | string | (() => Json) | undefined, env: Json | (() => Json)): BrokerClient {
  const envNow = () => (typeof env === "function" ? env() : env);
  const send = (path: string, init: RequestInit & { json?: unknown }) =>
    call(typeof config === "function" ? config() : config, path, init, envNow());
  const withBody =
    (method: string) =>
    (path: string, body?: unknown, headers: Headers = {}) =>
      send(path, { method, headers, ...(body === undefined ? {} : { json: body }) });
  return {
    get: (path, headers = {}) => send(path, { headers }),
    postJson: withBody("POST"),
    putJson: withBody("PUT"),
    delete: (path, headers = {}) => send(path, { method: "DELETE", headers }),
    send,
    withEnv: (extra) => brokerClient(config, () => ({ ...envNow(), ...extra })),
  };
}
