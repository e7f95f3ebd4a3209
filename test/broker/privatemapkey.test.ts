// POST /v1/privatemapkey: room-scoped privileges within what each caller kind may have.
import { describe, expect, it } from "vitest";
import { verifyUserSig } from "../../src/usersig/index.js";
import { apiKey, brokerConfig, guestApp, inlineIssuer } from "../support/config.js";
import { ALL_PRIVILEGE_NAMES } from "../support/privileges.mjs";
import { call, type Json, mintJwt, newIdpKey, problem, SECRET_KEY, secretsFor } from "./helpers.js";

const APP = 1400000201;
const API_KEY = "pmk-backend-key-0123456789";
const env = secretsFor(APP);
const idpKey = await newIdpKey("ES256");

const config = brokerConfig(
  guestApp(APP, {
    admins: ["administrator"],
    apiKeys: [await apiKey("backend", API_KEY, { allowUserId: true })],
    idp: { issuers: [inlineIssuer(idpKey, { algorithms: ["ES256"], roomsClaim: "rooms" })] },
    privateMapKey: {
      apiKey: { enabled: true, rooms: "any", maxPrivileges: 255 },
      guest: { enabled: true, rooms: ["lobby", 7], maxPrivileges: 2 | 8 | 32 },
      idp: { enabled: true, rooms: "any", maxPrivileges: 63 },
    },
  }),
);

const post = (body: Json, headers: Record<string, string> = {}) =>
  call(config, "/v1/privatemapkey", { method: "POST", json: body, headers }, env);
const asBackend = (body: Json) => post(body, { "X-Api-Key": API_KEY });

async function issued(response: Response): Promise<Json & { privateMapKey: string; userId: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  return JSON.parse(text);
}

describe("API keys", () => {
  it("a numeric room with a privilege bitmap", async () => {
    const body = await issued(await asBackend({ userId: "alice", roomId: 1234, privileges: 255, expireSeconds: 600 }));
    expect(body).toMatchObject({ sdkAppId: APP, userId: "alice", roomId: 1234, privileges: 255, expireSeconds: 600 });
    expect(body.privilegeNames).toEqual(ALL_PRIVILEGE_NAMES);
    const decoded = await verifyUserSig(body.privateMapKey, { sdkAppId: APP, secretKey: SECRET_KEY, userId: "alice" });
    expect(decoded.privateMap).toEqual({ roomId: 1234, privileges: 255, expiresAt: body.expiresAt });
    expect(decoded.expiresAt).toBe(body.expiresAt);
  });

  it("a string room with privileges by name", async () => {
    const body = await issued(
      await asBackend({ userId: "bob", strRoomId: "room-abc", privileges: ["EnterRoom", "RecvAudio"] }),
    );
    expect(body).toMatchObject({ strRoomId: "room-abc", privileges: 10, privilegeNames: ["EnterRoom", "RecvAudio"] });
    expect(body).not.toHaveProperty("roomId");
    const decoded = await verifyUserSig(body.privateMapKey, { sdkAppId: APP, secretKey: SECRET_KEY, userId: "bob" });
    expect(decoded.privateMap).toMatchObject({ strRoomId: "room-abc", privileges: 10 });
    // No expireSeconds asked: the API-key default lifetime (1 day).
    expect(body.expireSeconds).toBe(86400);
  });

  it("refuses an admin identity", async () => {
    await problem(
      await asBackend({ userId: "administrator", roomId: 1, privileges: 2 }),
      403,
      "ADMIN_IDENTITY_FORBIDDEN",
    );
  });

  const bad: [string, Json][] = [
    ["both roomId and strRoomId", { roomId: 1, strRoomId: "a", privileges: 2 }],
    ["neither roomId nor strRoomId", { privileges: 2 }],
    ["room 0", { roomId: 0, privileges: 2 }],
    ["room 4294967295 (reserved)", { roomId: 4294967295, privileges: 2 }],
    ["a 65-byte string room", { strRoomId: "r".repeat(65), privileges: 2 }],
    ["privileges 0", { roomId: 1, privileges: 0 }],
    ["privileges 256", { roomId: 1, privileges: 256 }],
    ["an unknown privilege name", { roomId: 1, privileges: ["Everything"] }],
    ["an empty privilege list", { roomId: 1, privileges: [] }],
    ["no privileges", { roomId: 1 }],
    ["a room id given as a numeric string in roomId", { roomId: "7", privileges: 2 }],
  ];
  for (const [label, body] of bad) {
    it(`400 for ${label}`, async () => {
      await problem(await asBackend({ userId: "alice", ...body }), 400, "BAD_REQUEST");
    });
  }
});

describe("guests", () => {
  async function guestTicket(): Promise<{ ticket: string; userId: string }> {
    const response = await call(config, "/v1/usersig", { method: "POST" }, env);
    const body = (await response.json()) as { guestTicket: string; userId: string };
    return { ticket: body.guestTicket, userId: body.userId };
  }

  it("need a ticket: a guest cannot create an identity here", async () => {
    const response = await post({ strRoomId: "lobby", privileges: 2 });
    await problem(response, 401, "UNAUTHORIZED");
    expect(response.headers.get("WWW-Authenticate")).toMatch(/^GuestTicket /);
  });

  it("get a key for an allowed room within the privilege ceiling, for their own identity", async () => {
    const { ticket, userId } = await guestTicket();
    const body = await issued(
      await post({ guestTicket: ticket, strRoomId: "lobby", privileges: ["EnterRoom", "RecvVideo"] }),
    );
    expect(body.userId).toBe(userId);
    const decoded = await verifyUserSig(body.privateMapKey, { sdkAppId: APP, secretKey: SECRET_KEY, userId });
    expect(decoded.privateMap).toMatchObject({ strRoomId: "lobby", privileges: 34 });
    // Guests get the guest lifetime (default 1 h).
    expect(body.expireSeconds).toBe(3600);
  });

  it('treat the numeric room 7 and the string room "7" as different rooms', async () => {
    const { ticket } = await guestTicket();
    await issued(await post({ guestTicket: ticket, roomId: 7, privileges: 2 }));
    await problem(await post({ guestTicket: ticket, strRoomId: "7", privileges: 2 }), 403, "ROOM_NOT_ALLOWED");
  });

  it("are refused other rooms and privileges above the ceiling", async () => {
    const { ticket } = await guestTicket();
    await problem(await post({ guestTicket: ticket, strRoomId: "vip", privileges: 2 }), 403, "ROOM_NOT_ALLOWED");
    await problem(
      await post({ guestTicket: ticket, strRoomId: "lobby", privileges: ["EnterRoom", "SendAudio"] }),
      403,
      "PRIVILEGES_NOT_ALLOWED",
    );
  });

  it("cannot name a UserID", async () => {
    const { ticket } = await guestTicket();
    await problem(
      await post({ guestTicket: ticket, userId: "alice", strRoomId: "lobby", privileges: 2 }),
      403,
      "USERID_NOT_ALLOWED",
    );
  });

  it("are refused when the app does not enable PrivateMapKeys for guests (the default)", async () => {
    const strict = structuredClone(config) as { apps: Json[] };
    const app = strict.apps[0] as { sdkAppId: number; privateMapKey?: unknown };
    app.sdkAppId = APP + 1;
    delete app.privateMapKey;
    const start = await call(strict, "/v1/usersig", { method: "POST" }, secretsFor(APP + 1));
    const { guestTicket: ticket } = (await start.json()) as { guestTicket: string };
    await problem(
      await call(
        strict,
        "/v1/privatemapkey",
        { method: "POST", json: { guestTicket: ticket, strRoomId: "lobby", privileges: 2 } },
        secretsFor(APP + 1),
      ),
      403,
      "PRIVATEMAPKEY_NOT_ALLOWED",
    );
  });
});

describe("IdP users with a rooms claim", () => {
  const bearer = async (claims: Json) => ({ Authorization: `Bearer ${await mintJwt(idpKey, claims)}` });

  it("get keys only for the rooms their token grants, within each grant's privileges", async () => {
    const headers = await bearer({ sub: "carol", rooms: [1234, { room: "studio", privileges: 2 | 8 }] });
    const all = await issued(await post({ roomId: 1234, privileges: 63 }, headers));
    expect(all.userId).toBe("carol");
    await issued(await post({ strRoomId: "studio", privileges: ["EnterRoom", "RecvAudio"] }, headers));
    await problem(
      await post({ strRoomId: "studio", privileges: ["SendAudio"] }, headers),
      403,
      "PRIVILEGES_NOT_ALLOWED",
    );
    await problem(await post({ roomId: 999, privileges: 2 }, headers), 403, "ROOM_NOT_ALLOWED");
  });

  it("are still bounded by the app's ceiling for IdP users (63), whatever the claim says", async () => {
    const headers = await bearer({ sub: "carol", rooms: [{ room: 1234, privileges: 255 }] });
    await problem(await post({ roomId: 1234, privileges: 255 }, headers), 403, "PRIVILEGES_NOT_ALLOWED");
  });

  it("get nothing when the token has no rooms claim", async () => {
    await problem(await post({ roomId: 1234, privileges: 2 }, await bearer({ sub: "dave" })), 403, "ROOM_NOT_ALLOWED");
  });

  it("are refused when their identity is an admin", async () => {
    await problem(
      await post({ roomId: 1234, privileges: 2 }, await bearer({ sub: "administrator", rooms: [1234] })),
      403,
      "ADMIN_IDENTITY_FORBIDDEN",
    );
  });
});
