// ADMIN_API_TOKEN holding two tokens during a change (issue 19), as the Worker answers it: both
// work on every operator route and on the moderation routes; a short one among two disables the
// operator API, on the moderation routes too, and the answer says so without quoting a token.
import { describe, expect, it } from "vitest";
import { call, type Json, problem, secretsFor } from "./helpers.js";

const APP = 1400009301;
const config = { apps: [{ sdkAppId: APP, admins: ["root"] }] };
const OLD = "old-operator-token-for-rotation-0123456789";
const NEW = "new-operator-token-for-rotation-0123456789";

const asOperator = (path: string, token: string, secret: string, init: RequestInit = {}) =>
  call(config, path, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } }, {
    ...secretsFor(APP),
    ADMIN_API_TOKEN: secret,
  } satisfies Json);

describe("ADMIN_API_TOKEN with two tokens", () => {
  for (const secret of [`${OLD},${NEW}`, `${OLD} ${NEW}`, `${OLD}\n${NEW}`]) {
    it(`accepts both (${JSON.stringify(secret.replace(OLD, "OLD").replace(NEW, "NEW"))})`, async () => {
      for (const token of [OLD, NEW]) {
        expect((await asOperator(`/v1/admin/apps/${APP}/admins`, token, secret)).status).toBe(200);
        expect((await asOperator("/v1/admin/stats", token, secret)).status).toBe(200);
        expect((await asOperator(`/v1/admin/apps/${APP}/bans`, token, secret)).status).toBe(200);
      }
      await problem(await asOperator(`/v1/admin/apps/${APP}/admins`, `${NEW}x`, secret), 401, "UNAUTHORIZED");
      await problem(await asOperator(`/v1/admin/apps/${APP}/admins`, `${OLD},${NEW}`, secret), 401, "UNAUTHORIZED");
    });
  }

  it("a short second token disables the operator API (and the old token) with a reason that names no token", async () => {
    const secret = `${OLD},short-new-token`;
    for (const path of [`/v1/admin/apps/${APP}/admins`, "/v1/admin/stats"]) {
      const body = await problem(await asOperator(path, OLD, secret), 403, "OPERATOR_API_DISABLED");
      expect(body.detail).toBe(
        "The operator API is disabled: ADMIN_API_TOKEN's token 2 of 2 must be at least 32 characters (e.g. openssl rand -hex 32).",
      );
      expect(JSON.stringify(body)).not.toContain("short-new-token");
      expect(JSON.stringify(body)).not.toContain(OLD);
    }
    // The moderation routes take the bearer as an IdP token then: not a JWT, so 401.
    await problem(await asOperator(`/v1/admin/apps/${APP}/bans`, OLD, secret), 401, "UNAUTHORIZED");
    await problem(await asOperator(`/v1/admin/apps/${APP}/bans`, "short-new-token", secret), 401, "UNAUTHORIZED");
  });

  it("a short token alone authenticates nowhere, not even on the moderation routes", async () => {
    const short = "short-operator-token";
    await problem(await asOperator(`/v1/admin/apps/${APP}/admins`, short, short), 403, "OPERATOR_API_DISABLED");
    await problem(
      await asOperator(`/v1/admin/apps/${APP}/bans/mallory`, short, short, { method: "PUT" }),
      401,
      "UNAUTHORIZED",
    );
  });
});
