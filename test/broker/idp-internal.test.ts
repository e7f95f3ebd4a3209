// A bug during IdP verification (an error that is not jose's) is a 500 INTERNAL with its log line,
// never a 503 IDP_UNAVAILABLE that would pass for an outage. An IdP that cannot be reached still is 503.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AUDIENCE,
  call,
  freshIsolate,
  ISSUER,
  type Json,
  mintJwt,
  newIdpKey,
  problem,
  publishJwks,
  secretsFor,
} from "./helpers.js";

const APP = 1400000951;

function config(jwksUri: string): Json {
  return { apps: [{ sdkAppId: APP, idp: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksUri }] } }] };
}

function asUser(cfg: Json, jwt: string): Promise<Response> {
  return call(
    cfg,
    "/v1/usersig",
    { method: "POST", headers: { Authorization: `Bearer ${jwt}` }, json: {} },
    secretsFor(APP),
  );
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("IdP verification: bugs are not outages", () => {
  it("a TypeError from the key lookup is 500 INTERNAL, logged as internal_error with its name only", async () => {
    const state = freshIsolate();
    state.idpKeys = {
      keySet: () => async () => {
        throw new TypeError("a bug that quotes eyJ-something");
      },
    };
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const key = await newIdpKey();
    const response = await asUser(config("https://idp.test/.well-known/jwks.json?suite=internal"), await mintJwt(key));
    const body = await problem(response, 500, "INTERNAL");
    expect(body.detail).toBe("Something went wrong on our side.");
    expect(response.headers.get("Retry-After")).toBeNull();
    const lines = errors.mock.calls.map((args) => JSON.parse(String(args[0])) as Json);
    expect(lines).toContainEqual(expect.objectContaining({ event: "internal_error", name: "TypeError" }));
    expect(JSON.stringify(errors.mock.calls)).not.toContain("eyJ-something");
  });

  it("a JWKS endpoint that cannot be reached is still 503 IDP_UNAVAILABLE (a jose error, not a bug)", async () => {
    freshIsolate();
    const key = await newIdpKey();
    await publishJwks(key);
    // No such host in the test network: the fake internet answers 502, as jose sees an unreachable IdP.
    const response = await asUser(config("https://unreachable.idp.test/jwks.json"), await mintJwt(key));
    await problem(response, 503, "IDP_UNAVAILABLE");
    expect(response.headers.get("Retry-After")).toBe("10");
  });
});
