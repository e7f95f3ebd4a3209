/**
 * Request and response shapes of every route. The routes validate with these schemas and
 * /openapi.json is generated from them, so the document cannot drift from the behaviour.
 * Objects are strict: an unknown field (a typo such as `userid`) is a 400, not silently ignored.
 */

import { z } from "zod";
import { BAN_REASON_MAX_CHARS } from "../bans/store.js";
import { isValidStrRoomId, isValidUserId, limits, Privilege } from "../usersig/index.js";

const PRIVILEGE_NAMES = Object.keys(Privilege) as [keyof typeof Privilege, ...(keyof typeof Privilege)[]];

export const sdkAppId = z
  .int()
  .min(1)
  .max(limits.SDKAPPID_MAX)
  .describe("The Tencent SDKAppID; may be omitted when the broker serves one app.");
export const userId = z
  .string()
  .min(1)
  .max(limits.USERID_MAX_BYTES)
  .refine(isValidUserId, "must be at most 32 bytes of UTF-8 without control characters")
  .describe("A UserID (at most 32 bytes); must also match the app's userIdPattern.");
const expireSeconds = z
  .int()
  .min(1)
  .max(0xffff_ffff)
  .describe("Requested lifetime in seconds; clamped to the app's maximum for your kind of caller.");
const guestTicket = z
  .string()
  .min(1)
  .max(1024)
  .describe("A guest's ticket from an earlier response: renews the same guest identity.");
const turnstileToken = z
  .string()
  .min(1)
  .max(2048)
  .describe("A Cloudflare Turnstile token, when the app's guests need one.");

export const usersigRequest = z
  .strictObject({
    sdkAppId: sdkAppId.optional(),
    userId: userId
      .optional()
      .describe("Only for API keys allowed to choose the UserID; IdP users and guests get their own."),
    expireSeconds: expireSeconds.optional(),
    guestTicket: guestTicket.optional(),
    turnstileToken: turnstileToken.optional(),
  })
  .meta({ id: "UserSigRequest" });

const privileges = z
  .union([z.int().min(1).max(255), z.array(z.enum(PRIVILEGE_NAMES)).min(1).max(9)])
  .describe('A bitmap 1..255, or privilege names such as ["EnterRoom", "RecvAudio"].');

export const privateMapKeyRequest = z
  .strictObject({
    sdkAppId: sdkAppId.optional(),
    userId: userId.optional(),
    expireSeconds: expireSeconds.optional(),
    roomId: z.int().min(1).max(limits.ROOM_ID_MAX).optional().describe("A numeric room (1..4294967294)."),
    strRoomId: z
      .string()
      .min(1)
      .refine(isValidStrRoomId, "must be 1 to 64 bytes of well-formed UTF-8")
      .optional()
      .describe("A string room (1..64 bytes)."),
    privileges,
    guestTicket: guestTicket.optional(),
  })
  .refine((b) => (b.roomId === undefined) !== (b.strRoomId === undefined), {
    message: "give exactly one of roomId and strRoomId",
    path: ["roomId"],
  })
  .meta({ id: "PrivateMapKeyRequest" });

export const verifyRequest = z
  .strictObject({
    userSig: z.string().min(1).max(limits.TOKEN_MAX_CHARS),
    sdkAppId: sdkAppId.optional(),
    userId: userId.optional().describe("When given, the UserSig must be for exactly this UserID."),
  })
  .meta({ id: "VerifyRequest" });

export const adminUsersigRequest = z
  .strictObject({
    sdkAppId: sdkAppId.optional(),
    userId: userId.optional().describe("An admin identity of the app; may be omitted when the app has exactly one."),
  })
  .meta({ id: "AdminUserSigRequest" });

export const adminsReplaceRequest = z
  .strictObject({ userIds: z.array(userId).max(1000) })
  .meta({ id: "AdminsReplaceRequest" });

const sigFields = {
  sdkAppId,
  userId: z.string(),
  userSig: z.string().describe("Hand this to the TRTC or Chat SDK. Never log it."),
  expireSeconds: z.int().describe("The lifetime actually issued (after clamping)."),
  expiresAt: z.int().describe("Unix seconds."),
};

export const usersigResponse = z
  .object({
    ...sigFields,
    guestTicket: z.string().optional().describe("Guests only: send it back to renew this identity."),
    guestTicketExpiresAt: z.int().optional(),
  })
  .meta({ id: "UserSigResponse" });

export const privateMapKeyResponse = z
  .object({
    sdkAppId,
    userId: z.string(),
    privateMapKey: z.string(),
    roomId: z.int().optional(),
    strRoomId: z.string().optional(),
    privileges: z.int(),
    privilegeNames: z.array(z.string()),
    expireSeconds: z.int(),
    expiresAt: z.int(),
  })
  .meta({ id: "PrivateMapKeyResponse" });

export const verifyResponse = z
  .object({
    valid: z.literal(true),
    version: z.string(),
    sdkAppId,
    userId: z.string(),
    issuedAt: z.int(),
    expireSeconds: z.int(),
    expiresAt: z.int(),
    privateMap: z
      .object({
        roomId: z.int().optional(),
        strRoomId: z.string().optional(),
        privileges: z.int(),
        privilegeNames: z.array(z.string()),
        expiresAt: z.int(),
      })
      .optional(),
  })
  .meta({ id: "VerifyResponse" });

export const adminsResponse = z
  .object({
    sdkAppId,
    admins: z.array(z.object({ userId: z.string(), source: z.enum(["config", "runtime"]) })),
  })
  .meta({ id: "AdminsResponse" });

// ---- Moderation and the Chat REST gateway ----------------------------------------------------

export const banRequest = z
  .strictObject({
    reason: z.string().min(1).max(BAN_REASON_MAX_CHARS).optional().describe("Shown to moderators; never to the user."),
    expiresAt: z
      .int()
      .min(1)
      .max(0xffff_ffff)
      .optional()
      .describe("Unix seconds: a temporary ban ends then. Omitted: permanent."),
  })
  .meta({ id: "BanRequest" });

const ban = z.object({
  userId: z.string(),
  reason: z.string().optional(),
  expiresAt: z.int().optional().describe("Unix seconds; absent for a permanent ban."),
  bannedAt: z.int().describe("Unix seconds."),
  bannedBy: z.string().describe('Who banned: "operator", "apiKey:<name>" or "idp:<userId>@<issuer>".'),
});

const kickFields = {
  kicked: z.boolean().describe("Whether Tencent confirmed the kick (v4/im_open_login_svc/kick)."),
  kickError: z
    .string()
    .optional()
    .describe('Why not: "chat not configured", Tencent\'s ErrorCode, or Tencent unreachable.'),
  kickErrorCode: z.int().optional().describe("Tencent's ErrorCode, when it answered FAIL."),
};

export const banResponse = ban.extend(kickFields).meta({ id: "BanResponse" });
export const bansResponse = z.object({ bans: z.array(ban) }).meta({ id: "BansResponse" });
export const kickResponse = z.object({ userId: z.string(), ...kickFields }).meta({ id: "KickResponse" });
export const chatRequest = z
  .record(z.string(), z.unknown())
  .describe("The command's JSON body as Tencent documents it, forwarded unchanged (at most 64 KiB).")
  .meta({ id: "ChatRequest" });
export const chatResponse = z
  .object({ ActionStatus: z.string(), ErrorCode: z.int(), ErrorInfo: z.string() })
  .catchall(z.unknown())
  .describe("Tencent's answer, unchanged (ActionStatus FAIL included).")
  .meta({ id: "ChatResponse" });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string().describe("Stable: switch on this, not on the text."),
    field: z.string().optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: "Problem" });

export const healthResponse = z.object({ ok: z.literal(true) }).meta({ id: "Health" });
