import { describe, expect, it } from "vitest";
import { verifyUserSig } from "../../src/usersig/index.js";
import {
  AUDIENCE,
  call,
  ISSUER,
  idpStats,
  JWKS_URI,
  mintJwt,
  newIdpKey,
  publishJwks,
  resetFakes,
  SECRET_KEY,
  secretsFor,
} from "./helpers.js";

describe("smoke", () => {
  it("guest and idp", async () => {
    await resetFakes();
    const key = await newIdpKey();
    await publishJwks(key);
    const config = {
      apps: [
        {
          sdkAppId: 1400000001,
          guests: { enabled: true },
          idp: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwksUri: JWKS_URI }] },
        },
      ],
    };
    const env = secretsFor(1400000001);
    const guest = await call(config, "/v1/usersig", { method: "POST" }, env);
    expect(guest.status).toBe(200);
    const jwt = await mintJwt(key);
    const user = await call(
      config,
      "/v1/usersig",
      { method: "POST", headers: { Authorization: `Bearer ${jwt}` } },
      env,
    );
    const body = (await user.json()) as { userSig: string; userId: string };
    expect(user.status, JSON.stringify(body)).toBe(200);
    expect(body.userId).toBe("alice");
    await verifyUserSig(body.userSig, { sdkAppId: 1400000001, secretKey: SECRET_KEY, userId: "alice" });
    expect((await idpStats()).jwksFetches).toBe(1);
  });
});
