// Who may moderate (src/bans/moderators.ts) under plain Node.
import { describe, expect, it } from "vitest";
import { AuthError } from "../../src/auth/errors.js";
import { BansError } from "../../src/bans/errors.js";
import { admitModerator, type ModerationCaller } from "../../src/bans/moderators.js";

const role = { claim: "roles", value: "moderator" };
const moderatorUser = {
  kind: "idp",
  user: { issuer: "https://idp.example", userId: "mia", claims: { roles: ["moderator"] } },
} as const;

function check(caller: ModerationCaller, options: { hasApiKey?: boolean; operator?: boolean; banned?: string[] } = {}) {
  const calls: string[] = [];
  return {
    calls,
    check: {
      hasApiKey: options.hasApiKey ?? caller.kind === "apiKey",
      presentsOperatorToken: async () => {
        calls.push("operator");
        return options.operator ?? false;
      },
      identify: async () => {
        calls.push("identify");
        return caller;
      },
      refuseBanned: async (userId: string) => {
        calls.push(`bans:${userId}`);
        if (options.banned?.includes(userId)) throw new BansError("USER_BANNED", "banned");
      },
    },
  };
}

async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => undefined,
    (e: unknown) => e as AuthError | BansError,
  );
}

describe("admitModerator", () => {
  it("the operator's bearer: the operator, no caller (not rate limited), nothing else asked", async () => {
    const { check: c, calls } = check({ kind: "guest" }, { operator: true });
    expect(await admitModerator(c, role)).toEqual({ who: { kind: "operator" }, actor: "operator" });
    expect(calls).toEqual(["operator"]);
  });

  it("with an API key, the bearer is never taken for the operator's token", async () => {
    const key = { kind: "apiKey", key: { name: "mod-backend", allowModeration: true } } as const;
    const { check: c, calls } = check(key, { hasApiKey: true, operator: true });
    expect(await admitModerator(c, role)).toEqual({
      who: { kind: "apiKey", name: "mod-backend" },
      actor: "apiKey:mod-backend",
      caller: key,
    });
    expect(calls).toEqual(["identify"]);
  });

  it("an API key without allowModeration: 403 MODERATION_NOT_ALLOWED", async () => {
    const { check: c } = check({ kind: "apiKey", key: { name: "issuer", allowModeration: false } });
    expect(await refusal(admitModerator(c, role))).toMatchObject({ code: "MODERATION_NOT_ALLOWED" });
  });

  it("no credentials: 401 with a Bearer challenge, credentials not given", async () => {
    const { check: c } = check({ kind: "guest" });
    const error = await refusal(admitModerator(c, role));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: "UNAUTHORIZED", data: { challenge: "Bearer", credentialsGiven: false } });
  });

  it("an IdP user with the role (a list or the value itself), not banned: admitted, the ban looked up", async () => {
    const { check: c, calls } = check(moderatorUser);
    expect(await admitModerator(c, role)).toEqual({
      who: { kind: "idp", issuer: "https://idp.example", userId: "mia" },
      actor: "idp:mia@https://idp.example",
      caller: moderatorUser,
    });
    expect(calls).toEqual(["operator", "identify", "bans:mia"]);
    const plain = { kind: "idp", user: { ...moderatorUser.user, claims: { roles: "moderator" } } } as const;
    expect((await admitModerator(check(plain).check, role)).actor).toBe("idp:mia@https://idp.example");
  });

  it("an IdP user without the role, or at an app without idpRole: 403, no ban lookup", async () => {
    for (const claims of [{}, { roles: ["viewer"] }, { roles: "moderators" }, { role: "moderator" }]) {
      const user = { kind: "idp", user: { ...moderatorUser.user, claims } } as const;
      const { check: c, calls } = check(user);
      expect(await refusal(admitModerator(c, role)), JSON.stringify(claims)).toMatchObject({
        code: "MODERATION_NOT_ALLOWED",
      });
      expect(calls).not.toContain("bans:mia");
    }
    const error = await refusal(admitModerator(check(moderatorUser).check, undefined));
    expect(error).toMatchObject({ code: "MODERATION_NOT_ALLOWED", reason: "moderation: no idpRole" });
  });

  it("a banned moderator moderates no more", async () => {
    const { check: c } = check(moderatorUser, { banned: ["mia"] });
    expect(await refusal(admitModerator(c, role))).toMatchObject({ code: "USER_BANNED" });
  });
});
