/**
 * Response shapes of the routes, for /openapi.json only: the routes build these objects themselves,
 * and only the build (openapi-document.ts, run by scripts/build-openapi.mjs) reads the shapes, so
 * none of this is constructed in the Worker. The types are the routes' to check their answers with.
 */

import * as z from "../config/zod.js";
import { requestFields } from "./schemas.js";

const { sdkAppId } = requestFields();

const sigFields = {
  sdkAppId,
  userId: z.string(),
  userSig: z.string().check(z.describe("Hand this to the TRTC or Chat SDK. Never log it.")),
  expireSeconds: z.int().check(z.describe("The lifetime actually issued (after clamping).")),
  expiresAt: z.int().check(z.describe("Unix seconds.")),
};

export const usersigResponse = z
  .object({
    ...sigFields,
    guestTicket: z.optional(z.string()).check(z.describe("Guests only: send it back to renew this identity.")),
    guestTicketExpiresAt: z.optional(z.int()),
  })
  .check(z.meta({ id: "UserSigResponse" }));

export const privateMapKeyResponse = z
  .object({
    sdkAppId,
    userId: z.string(),
    privateMapKey: z.string(),
    roomId: z.optional(z.int()),
    strRoomId: z.optional(z.string()),
    privileges: z.int(),
    privilegeNames: z.array(z.string()),
    expireSeconds: z.int(),
    expiresAt: z.int(),
  })
  .check(z.meta({ id: "PrivateMapKeyResponse" }));

export const verifyResponse = z
  .object({
    valid: z.literal(true),
    version: z.string(),
    sdkAppId,
    userId: z.string(),
    issuedAt: z.int(),
    expireSeconds: z.int(),
    expiresAt: z.int(),
    privateMap: z.optional(
      z.object({
        roomId: z.optional(z.int()),
        strRoomId: z.optional(z.string()),
        privileges: z.int(),
        privilegeNames: z.array(z.string()),
        expiresAt: z.int(),
      }),
    ),
  })
  .check(z.meta({ id: "VerifyResponse" }));

export const adminsResponse = z
  .object({
    sdkAppId,
    admins: z.array(z.object({ userId: z.string(), source: z.enum(["config", "runtime"]) })),
  })
  .check(z.meta({ id: "AdminsResponse" }));

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string().check(z.describe("Stable: switch on this, not on the text.")),
    field: z.optional(z.string()),
    requestId: z.optional(z.string()),
  })
  .check(z.meta({ id: "Problem" }));

// ---- Moderation and the Chat REST gateway ----------------------------------------------------

const ban = z.object({
  userId: z.string(),
  reason: z.optional(z.string()),
  expiresAt: z.optional(z.int()).check(z.describe("Unix seconds; absent for a permanent ban.")),
  bannedAt: z.int().check(z.describe("Unix seconds.")),
  bannedBy: z.string().check(z.describe('Who banned: "operator", "apiKey:<name>" or "idp:<userId>@<issuer>".')),
});

const kickFields = {
  kicked: z.boolean().check(z.describe("Whether Tencent confirmed the kick (v4/im_open_login_svc/kick).")),
  kickError: z
    .optional(z.string())
    .check(
      z.describe(
        'Why not, in fixed words: "chat not configured", "Tencent answered ErrorCode N", or Tencent unreachable (never Tencent\'s ErrorInfo).',
      ),
    ),
  kickErrorCode: z.optional(z.int()).check(z.describe("Tencent's ErrorCode, when it answered FAIL.")),
};

/** A TRTC room: a number (RoomId) or a string (strRoomId). */
export const trtcRoom = z
  .union([z.int(), z.string()])
  .check(z.describe("A TRTC room: a number for a numeric RoomId, a string for a strRoomId."));

/** What one Tencent step of a moderation call did (src/bans/steps.ts). */
export const stepReport = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({
    ok: z.literal(false),
    reason: z.string().check(z.describe("Fixed words, never Tencent's own text.")),
    errorCode: z
      .optional(z.union([z.int(), z.string()]))
      .check(z.describe("Tencent's ErrorCode (Chat) or Error.Code (TRTC).")),
    retrying: z.boolean().check(z.describe("Queued: the app's Durable Object retries it with its alarm.")),
  }),
]);

const stepsFields = {
  removedFrom: z.array(trtcRoom).check(z.describe("The rooms Tencent confirmed the user was removed from.")),
  steps: z.object({
    kick: stepReport,
    mute: z.optional(stepReport),
    removals: z.array(z.intersection(z.object({ room: trtcRoom }), stepReport)),
  }),
};

export const banResponse = z
  .extend(ban, {
    ...kickFields,
    muted: z.boolean().check(z.describe("Whether Tencent confirmed the Chat mute (until expiresAt, or for good).")),
    ...stepsFields,
  })
  .check(z.meta({ id: "BanResponse" }));
export const bansResponse = z.object({ bans: z.array(ban) }).check(z.meta({ id: "BansResponse" }));
export const kickResponse = z
  .object({ userId: z.string(), ...kickFields, ...stepsFields })
  .check(z.meta({ id: "KickResponse" }));
export const chatResponse = z
  .catchall(z.object({ ActionStatus: z.string(), ErrorCode: z.int(), ErrorInfo: z.string() }), z.unknown())
  .check(z.describe("Tencent's answer, unchanged (ActionStatus FAIL included)."), z.meta({ id: "ChatResponse" }));

// ---- TRTC rooms (moderators) -------------------------------------------------------------------

// The room and the step report are the moderation answers' own (trtcRoom, stepReport above).

export const roomRemovalResponse = z
  .object({ userId: z.string(), room: trtcRoom, removal: stepReport })
  .check(z.meta({ id: "RoomRemovalResponse" }));
export const roomDismissalResponse = z
  .object({ room: trtcRoom, dismissal: stepReport })
  .check(z.meta({ id: "RoomDismissalResponse" }));
export const userResponse = z
  .object({
    userId: z.string(),
    ban: z.nullable(ban).check(z.describe("The ban in force, or null.")),
    rooms: z.array(trtcRoom).check(z.describe("The rooms the user is in now, as TRTC's callbacks told the broker.")),
  })
  .check(z.meta({ id: "UserResponse" }));

// ---- Tencent's callbacks: the bodies Tencent sends (documentation only: the routes verify the raw
// body's signature, then read these fields) and the answers it expects ---------------------------

export const trtcCallbackRequest = z
  .looseObject({
    EventGroupId: z.int().check(z.describe("1: room events.")),
    EventType: z.int().check(z.describe("103 enter room, 104 exit room; any other is answered and ignored.")),
    CallbackTs: z
      .int()
      .check(z.describe("Unix milliseconds when Tencent sent it: refused when more than 60 s from the clock.")),
    EventInfo: z.looseObject({
      RoomId: trtcRoom,
      EventTs: z
        .int()
        .check(z.describe("Unix seconds of the event: required (a callback without it is 400 CALLBACK_MALFORMED).")),
      UserId: z.string(),
      UniqueId: z.optional(z.int()),
    }),
  })
  .check(
    z.describe(
      "TRTC's room callback (https://trtc.io/document/39558). Headers: SdkAppId, and Sign = base64(HMAC-SHA256(callback key, raw body)).",
    ),
    z.meta({ id: "TrtcCallbackRequest" }),
  );
export const chatCallbackRequest = z
  .looseObject({
    CallbackCommand: z.string(),
    From_Account: z.optional(z.string()).check(z.describe("Before-send callbacks: the sender.")),
    Info: z
      .optional(z.looseObject({ Action: z.string(), To_Account: z.string() }))
      .check(z.describe("State.StateChange: Login, Logout or Disconnect, and the user.")),
    EventTime: z.optional(z.int()),
  })
  .check(
    z.describe(
      "Chat's webhook body (unsigned: the query's Sign = hex(SHA-256(token + RequestTime)) is what verifies the request; https://cloud.tencent.com/document/product/269/32431).",
    ),
    z.meta({ id: "ChatCallbackRequest" }),
  );
export const trtcCallbackAnswer = z
  .object({ code: z.literal(0) })
  .check(
    z.describe("Tencent ignores the body of a 200; it recommends this one."),
    z.meta({ id: "TrtcCallbackAnswer" }),
  );
export const chatCallbackAnswer = z
  .object({
    ActionStatus: z.literal("OK"),
    ErrorInfo: z.string(),
    ErrorCode: z
      .int()
      .check(
        z.describe(
          "0 lets the message through. A before-send from a banned sender: the app's callbacks.beforeSendRefuseCode (1 refuses; 120001 to 130000 refuses and Tencent passes the code to the sender).",
        ),
      ),
  })
  .check(z.meta({ id: "ChatCallbackAnswer" }));

export const healthResponse = z.object({ ok: z.literal(true) }).check(z.meta({ id: "Health" }));

/** GET /v1/apps. */
export const appsResponse = z
  .strictObject({
    apps: z.array(
      z.strictObject({
        sdkAppId: z.int().check(z.minimum(1)),
        name: z.optional(z.string()).check(z.describe("The app's label from the configuration.")),
        guests: z.strictObject({
          enabled: z.boolean().check(z.describe("Whether POST /v1/usersig gives guest UserSigs without credentials.")),
          turnstileSiteKey: z
            .optional(z.string())
            .check(
              z.describe(
                "Present when new guests need a Cloudflare Turnstile token (turnstileToken): the widget's site key.",
              ),
            ),
          turnstileAction: z
            .optional(z.string())
            .check(z.describe("The action the Turnstile widget must be rendered with, when the app checks one.")),
        }),
      }),
    ),
  })
  .check(z.meta({ id: "AppsResponse" }));

export type AppsResponse = z.output<typeof appsResponse>;
export type PublicApp = AppsResponse["apps"][number];
