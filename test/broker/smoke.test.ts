import { describe, expect, it } from "vitest";
import { verifyUserSig } from "../../src/usersig/index.js";
import { brokerConfig, brokerSecrets, guestApp, idpOf } from "../support/config.js";
import { bearer, brokerClient } from "../support/requests.js";
import {
  freshIsolate,
  idpStats,
  type Json,
  mintJwt,
  newIdpKey,
  publishJwks,
  resetFakes,
  SECRET_KEY,
  useWorkerEntry,
} from "./helpers.js";

const OPERATOR_TOKEN = "smoke-test-operator-token-0123456789abcdef";
const statsOf = async (config: Json) =>
  (await (
    await brokerClient(config, brokerSecrets([1400000001], OPERATOR_TOKEN)).get(
      "/v1/admin/stats",
      bearer(OPERATOR_TOKEN),
    )
  ).json()) as { isolate: string; requests: number };

// First in this file: no request has reached this file's isolate yet.
describe("the isolate a test file gets", () => {
  it("is its own (its first /v1 request is the isolate's first), apart from the Worker entry's", async () => {
    const config = brokerConfig(guestApp(1400000001));
    const mine = await statsOf(config);
    expect(mine.requests).toBe(1);
    expect((await statsOf(config)).requests).toBe(2);
    // The Worker's own entry (src/index.ts) answers too, from another isolate state.
    useWorkerEntry();
    const entry = await statsOf(config);
    expect(entry.isolate).toMatch(/^[0-9a-f]{16}$/);
    expect(entry.isolate).not.toBe(mine.isolate);
    expect((await brokerClient(config, brokerSecrets([1400000001])).postJson("/v1/usersig")).status).toBe(200);
    freshIsolate();
  });
});

describe("smoke", () => {
  it("guest and idp", async () => {
    await resetFakes();
    const key = await newIdpKey();
    await publishJwks(key);
    const broker = brokerClient(brokerConfig(guestApp(1400000001, { idp: idpOf() })), brokerSecrets([1400000001]));
    const guest = await broker.postJson("/v1/usersig");
    expect(guest.status).toBe(200);
    const user = await broker.postJson("/v1/usersig", undefined, bearer(await mintJwt(key)));
    const body = (await user.json()) as { userSig: string; userId: string };
    expect(user.status, JSON.stringify(body)).toBe(200);
    expect(body.userId).toBe("alice");
    await verifyUserSig(body.userSig, { sdkAppId: 1400000001, secretKey: SECRET_KEY, userId: "alice" });
    expect((await idpStats()).jwksFetches).toBe(1);
  });
});
