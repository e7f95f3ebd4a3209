/**
 * Request and response shapes of every route. The routes validate with these schemas and
 * /openapi.json is generated from them at build time (openapi-document.ts), so the document cannot
 * drift from the behaviour. Objects are strict: an unknown field (a typo such as `userid`) is a 400,
 * not silently ignored.
 *
 * zod/mini: the same zod 4 as `zod`, with functions instead of methods so that a bundle keeps only
 * what is used (see BENCHMARKS.md, Cold start). The response shapes are in responses.ts, which only
 * the build imports.
 */

import { RUNTIME_ADMINS_MAX } from "../admins/store.js";
import { TICKET_MAX_CHARS } from "../auth/guest.js";
import { TURNSTILE_TOKEN_MAX_CHARS } from "../auth/turnstile.js";
import { BAN_EXPIRES_AT_MAX, BAN_REASON_MAX_CHARS } from "../bans/limits.js";
import * as z from "../config/zod.js";
import { hasNoBidiControls, hasNoEdgeSpace, isPlainText, oneRoom, reasonFits } from "../requests/rules.js";
import { isValidStrRoomId, isValidUserId, limits, Privilege } from "../usersig/index.js";

const PRIVILEGE_NAMES = Object.keys(Privilege) as [keyof typeof Privilege, ...(keyof typeof Privilege)[]];

/** `build` runs once, on the first call; its result is kept. */
function once<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => {
    built ??= build();
    return built;
  };
}

/** The fields the request bodies share (and the response shapes in responses.ts reuse). */
export const requestFields = once(() => {
  const sdkAppId = z
    .int()
    .check(
      z.minimum(1),
      z.maximum(limits.SDKAPPID_MAX),
      z.describe("The Tencent SDKAppID; may be omitted when the broker serves one app."),
    );
  const userId = z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(limits.USERID_MAX_BYTES),
      z.refine(isValidUserId, `must be at most ${limits.USERID_MAX_BYTES} bytes of UTF-8 without control characters`),
      z.refine(hasNoEdgeSpace, "must not begin or end with white space or an invisible character"),
      z.describe(
        `A UserID (at most ${limits.USERID_MAX_BYTES} bytes, no white space at either end); must also match the app's userIdPattern.`,
      ),
    );
  const expireSeconds = z
    .int()
    .check(
      z.minimum(1),
      z.maximum(limits.UNIX_SECONDS_MAX),
      z.describe("Requested lifetime in seconds; clamped to the app's maximum for your kind of caller."),
    );
  const guestTicket = z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(TICKET_MAX_CHARS),
      z.describe("A guest's ticket from an earlier response: renews the same guest identity."),
    );
  const turnstileToken = z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(TURNSTILE_TOKEN_MAX_CHARS),
      z.describe("A Cloudflare Turnstile token, when the app's guests need one."),
    );
  const privileges = z
    .union([
      z.int().check(z.minimum(1), z.maximum(limits.PRIVILEGES_MAX)),
      z.array(z.enum(PRIVILEGE_NAMES)).check(z.minLength(1), z.maxLength(PRIVILEGE_NAMES.length)),
    ])
    .check(z.describe('A bitmap 1..255, or privilege names such as ["EnterRoom", "RecvAudio"].'));
  return { sdkAppId, userId, expireSeconds, guestTicket, turnstileToken, privileges };
});

/**
 * Every request body's schema, as built: with its `shape` and OpenAPI metadata, for the build
 * (openapi-document.ts) and the tests. Routes use the lazy exports below.
 */
export const requestSchemas = once(() => {
  const { sdkAppId, userId, expireSeconds, guestTicket, turnstileToken, privileges } = requestFields();
  const usersigRequest = z
    .strictObject({
      sdkAppId: z.optional(sdkAppId),
      userId: z
        .optional(userId)
        .check(z.describe("Only for API keys allowed to choose the UserID; IdP users and guests get their own.")),
      expireSeconds: z.optional(expireSeconds),
      guestTicket: z.optional(guestTicket),
      turnstileToken: z.optional(turnstileToken),
    })
    .check(z.meta({ id: "UserSigRequest" }));

  const privateMapKeyRequest = z
    .strictObject({
      sdkAppId: z.optional(sdkAppId),
      userId: z.optional(userId),
      expireSeconds: z.optional(expireSeconds),
      roomId: z
        .optional(z.int().check(z.minimum(1), z.maximum(limits.ROOM_ID_MAX)))
        .check(z.describe(`A numeric room (1..${limits.ROOM_ID_MAX}).`)),
      strRoomId: z
        .optional(
          z
            .string()
            .check(
              z.minLength(1),
              z.refine(isValidStrRoomId, `must be 1 to ${limits.STR_ROOM_ID_MAX_BYTES} bytes of well-formed UTF-8`),
            ),
        )
        .check(z.describe(`A string room (1..${limits.STR_ROOM_ID_MAX_BYTES} bytes).`)),
      privileges,
      guestTicket: z.optional(guestTicket),
    })
    .check(
      z.refine(oneRoom, {
        message: "give exactly one of roomId and strRoomId",
        path: ["roomId"],
      }),
      z.meta({ id: "PrivateMapKeyRequest" }),
    );

  const verifyRequest = z
    .strictObject({
      userSig: z.string().check(z.minLength(1), z.maxLength(limits.TOKEN_MAX_CHARS)),
      sdkAppId: z.optional(sdkAppId),
      userId: z.optional(userId).check(z.describe("When given, the UserSig must be for exactly this UserID.")),
    })
    .check(z.meta({ id: "VerifyRequest" }));

  const adminUsersigRequest = z
    .strictObject({
      sdkAppId: z.optional(sdkAppId),
      userId: z
        .optional(userId)
        .check(z.describe("An admin identity of the app; may be omitted when the app has exactly one.")),
    })
    .check(z.meta({ id: "AdminUserSigRequest" }));

  const adminsReplaceRequest = z
    .strictObject({ userIds: z.array(userId).check(z.maxLength(RUNTIME_ADMINS_MAX)) })
    .check(z.meta({ id: "AdminsReplaceRequest" }));

  const banRequest = z
    .strictObject({
      reason: z
        .optional(
          z
            .string()
            .check(
              z.minLength(1),
              z.refine(reasonFits, `must be at most ${BAN_REASON_MAX_CHARS} characters (code points)`),
              z.refine(isPlainText, "must be well-formed text without control characters"),
              z.refine(hasNoBidiControls, "must not contain bidirectional formatting characters"),
            ),
        )
        .check(
          z.describe(
            `Shown to moderators; never to the user. 1 to ${BAN_REASON_MAX_CHARS} characters (code points) of well-formed text, no control or bidirectional formatting characters.`,
          ),
        ),
      expiresAt: z
        .optional(
          z
            .int()
            .check(
              z.minimum(1),
              z.maximum(
                BAN_EXPIRES_AT_MAX,
                `must be at most ${BAN_EXPIRES_AT_MAX} (2038-01-19: a Chat mute's seconds stay under "for ever")`,
              ),
            ),
        )
        .check(z.describe("Unix seconds: a temporary ban ends then. Omitted: permanent.")),
    })
    .check(z.meta({ id: "BanRequest" }));

  // The gateway forwards the body unchanged (routes/chat.ts reads it as text); this shape is for the
  // OpenAPI document only.
  const chatRequest = z
    .record(z.string(), z.unknown())
    .check(
      z.describe("The command's JSON body as Tencent documents it, forwarded unchanged (at most 64 KiB)."),
      z.meta({ id: "ChatRequest" }),
    );
  return {
    usersigRequest,
    privateMapKeyRequest,
    verifyRequest,
    adminUsersigRequest,
    adminsReplaceRequest,
    banRequest,
    chatRequest,
  };
});

// What the routes validate with. Each is built on its first parse, not when the Worker's module is
// loaded: a cold isolate whose first request has no body (GET /, /healthz, /v1/apps) never builds them.
export const sdkAppId = z.lazy(() => requestFields().sdkAppId);
export const userId = z.lazy(() => requestFields().userId);
export const usersigRequest = z.lazy(() => requestSchemas().usersigRequest);
export const privateMapKeyRequest = z.lazy(() => requestSchemas().privateMapKeyRequest);
export const verifyRequest = z.lazy(() => requestSchemas().verifyRequest);
export const adminUsersigRequest = z.lazy(() => requestSchemas().adminUsersigRequest);
export const adminsReplaceRequest = z.lazy(() => requestSchemas().adminsReplaceRequest);
export const banRequest = z.lazy(() => requestSchemas().banRequest);
