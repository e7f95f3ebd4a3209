// The guest ticket's bytes (src/auth/guest.ts), under plain Node. The ticket is signed with jose's
// CompactSign over the claims as JSON rather than with SignJWT (whose claims builder would be in the
// upload only for this): it must stay byte for byte the JWT SignJWT makes from the same claims, so
// the format is jose's and a ticket from an isolate on either code renews at the other. (The routes
// that issue and renew tickets: test/broker/guest.test.ts.)

import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { issueTicket, verifyTicket } from "../../src/auth/guest.js";
import { createKeyring } from "../../src/shared/keys.js";

const SECRET_KEY = "b".repeat(64);
const SDK_APP_ID = 1400000123;
const NOW_SECONDS = 1_765_000_000;

describe("guest ticket", () => {
  it("is the JWT jose's SignJWT makes from the same claims, and verifies", async () => {
    const keys = createKeyring();
    const { ticket, expiresAt } = await issueTicket(keys, SECRET_KEY, SDK_APP_ID, "guest_abc", NOW_SECONDS, 600);
    expect(expiresAt).toBe(NOW_SECONDS + 600);
    const bySignJwt = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "guest-ticket+jwt" })
      .setIssuer("usersig-broker")
      .setAudience(`guest:${SDK_APP_ID}`)
      .setSubject("guest_abc")
      .setIssuedAt(NOW_SECONDS)
      .setExpirationTime(NOW_SECONDS + 600)
      .sign(await keys.hmacKey(SECRET_KEY, SDK_APP_ID, "guest-ticket"));
    expect(ticket).toBe(bySignJwt);
    await expect(verifyTicket(keys, SECRET_KEY, SDK_APP_ID, ticket, NOW_SECONDS + 1)).resolves.toEqual({
      userId: "guest_abc",
      expiresAt: NOW_SECONDS + 600,
    });
  });

  it("names its app: refused at another", async () => {
    const keys = createKeyring();
    const { ticket } = await issueTicket(keys, SECRET_KEY, SDK_APP_ID, "guest_abc", NOW_SECONDS, 600);
    await expect(verifyTicket(keys, SECRET_KEY, SDK_APP_ID + 1, ticket, NOW_SECONDS)).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });
});
