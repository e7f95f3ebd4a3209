/**
 * The OpenAPI 3.1 document of GET /openapi.json, generated from the zod schemas the routes validate
 * with (zod's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses as is). Run at build time
 * by scripts/build-openapi.mjs; the Worker serves the result (openapi.ts) and never imports this.
 */

import * as z from "../config/zod.js";
import * as r from "./responses.js";
import * as s from "./schemas.js";

type Json = Record<string, unknown>;

function schema(zodSchema: z.ZodMiniType, io: "input" | "output"): Json {
  const { $schema: _drop, id: _id, ...rest } = z.toJSONSchema(zodSchema, { io, unrepresentable: "any" }) as Json;
  // A schema with .meta({ id }) comes out as { $ref: "#/$defs/<id>", $defs: { <id>: … } }; in
  // components/schemas that $ref would point at the document root, so inline the one definition.
  const ref = rest.$ref;
  const defs = rest.$defs as Record<string, Json> | undefined;
  if (typeof ref === "string" && defs && ref.startsWith("#/$defs/") && Object.keys(defs).length === 1) {
    const { id: _inner, ...inlined } = defs[ref.slice("#/$defs/".length)] as Json;
    return inlined;
  }
  return rest;
}

const problem = { $ref: "#/components/schemas/Problem" };
const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: problem } },
});
const json = (ref: string) => ({ "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } });

const commonErrors = {
  "400": problemResponse("Malformed body, unknown field, or a value out of range."),
  "401": problemResponse("Missing or invalid credentials (see WWW-Authenticate)."),
  "403": problemResponse("Not allowed: an admin identity, a UserID or room you may not have, a disallowed origin."),
  "404": problemResponse("Unknown sdkAppId."),
  "413": problemResponse("Body over 8 KiB."),
  "415": problemResponse("Body is not application/json."),
  "429": {
    ...problemResponse(
      "Rate limited (see Retry-After and the RateLimit fields; `violated-policies` names the windows).",
    ),
    headers: {
      "Retry-After": { description: "Seconds until every exhausted window has reset.", schema: { type: "integer" } },
      "RateLimit-Policy": { $ref: "#/components/headers/RateLimit-Policy" },
      RateLimit: { $ref: "#/components/headers/RateLimit" },
    },
  },
  "503": problemResponse("A dependency (KV, the identity provider, Turnstile) is unavailable (see Retry-After)."),
};

/** A refused callback: nothing in it was read or acted on. */
const callbackErrors = {
  "400": problemResponse("BAD_REQUEST: signed, but not the JSON Tencent documents."),
  "401": problemResponse(
    "UNAUTHORIZED: no signature, one that does not verify, or a time more than 60 s from the clock.",
  ),
  "404": problemResponse("UNKNOWN_SDKAPPID: not an app of this broker with this callback switched on."),
  "413": problemResponse("BODY_TOO_LARGE: over 64 KiB."),
};

/** A room in a path: its number, or `str:` and the percent-encoded strRoomId. */
const roomIdParameter = {
  name: "roomId",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^([1-9][0-9]{0,9}|str:.+)$" },
  description:
    'A numeric room: its number (`1234`, up to 4294967294). A string room: `str:` followed by the strRoomId, percent-encoded (`str:lobby`, `str:1234` for the string "1234"; 1 to 64 bytes).',
};

const apiKey = [{ apiKey: [] }];
/** The operator, an API key with allowModeration, or an IdP user with the app's moderator role. */
const moderators = [{ operator: [] }, { apiKey: [] }, { idpBearer: [] }];
const tencentUnavailable = (description: string) => ({
  ...problemResponse(`TENCENT_UNAVAILABLE: ${description}`),
  headers: { "Retry-After": { description: "Seconds to wait before trying again.", schema: { type: "integer" } } },
});
const publicSecurity = [{ idpBearer: [] }, { apiKey: [] }, {}];

const counters = (...names: string[]) => ({
  type: "object",
  properties: Object.fromEntries(names.map((n) => [n, { type: "integer" }])),
});
const STATS_SCHEMA = {
  type: "object",
  properties: {
    isolate: { type: "string", description: "This isolate's random id (its rate-limit KV shards carry it)." },
    requests: { type: "integer", description: "/v1 requests this isolate has served." },
    rateLimit: {
      type: "object",
      properties: {
        entries: { type: "integer" },
        decisions: counters(
          "checks",
          "allowed",
          "refused",
          "unavailable",
          "failOpen",
          "coldWaits",
          "backgroundReads",
          "refunds",
        ),
        kv: counters("lists", "puts", "errors"),
      },
    },
    admins: { type: "object", properties: { kv: counters("reads", "writes") } },
    bans: { type: "object", properties: { kv: counters("lists", "coldWaits", "reads", "writes", "deletes") } },
  },
};

/** The whole document. Run at build time (scripts/build-openapi.mjs), never in the Worker. */
export function buildOpenApiDocument(): Json {
  const requests = s.requestSchemas();
  const op = (summary: string, requestRef: string, responseRef: string, security: unknown[], extra: Json = {}) => ({
    summary,
    security,
    requestBody: { required: false, content: json(requestRef) },
    responses: { "200": { description: "OK", content: json(responseRef) }, ...commonErrors },
    ...extra,
  });
  return {
    openapi: "3.1.0",
    info: {
      title: "usersig-broker",
      version: "1",
      description:
        "Issues Tencent RTC / Chat UserSigs and TRTC PrivateMapKeys to the right callers, never an admin identity's on a public route. Errors are RFC 9457 problem details with a stable `code`.",
    },
    paths: {
      "/v1/usersig": {
        post: op(
          "A UserSig for the caller's identity (IdP user, API key, or guest).",
          "UserSigRequest",
          "UserSigResponse",
          publicSecurity,
        ),
      },
      "/v1/privatemapkey": {
        post: op(
          "A PrivateMapKey (room-scoped privileges) for the caller's identity.",
          "PrivateMapKeyRequest",
          "PrivateMapKeyResponse",
          publicSecurity,
        ),
      },
      "/v1/verify": {
        post: op("Verify and decode a UserSig (trusted backends).", "VerifyRequest", "VerifyResponse", apiKey, {
          responses: {
            "200": { description: "Valid", content: json("VerifyResponse") },
            "422": problemResponse("Not a valid UserSig for this app; `code` says why."),
            ...commonErrors,
          },
        }),
      },
      "/v1/admin/usersig": {
        post: op(
          "An admin identity's UserSig (API keys allowed to).",
          "AdminUserSigRequest",
          "UserSigResponse",
          apiKey,
        ),
      },
      "/v1/admin/apps/{sdkAppId}/admins": {
        parameters: [{ name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } }],
        get: {
          summary: "List admin identities.",
          security: [{ operator: [] }],
          responses: { "200": { description: "OK", content: json("AdminsResponse") }, ...commonErrors },
        },
        put: {
          summary: "Replace the runtime admin identities.",
          security: [{ operator: [] }],
          requestBody: { required: true, content: json("AdminsReplaceRequest") },
          responses: { "200": { description: "OK", content: json("AdminsResponse") }, ...commonErrors },
        },
      },
      "/v1/admin/apps/{sdkAppId}/admins/{userId}": {
        parameters: [
          { name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } },
          { name: "userId", in: "path", required: true, schema: { type: "string" } },
        ],
        put: {
          summary: "Add a runtime admin identity.",
          security: [{ operator: [] }],
          responses: {
            "200": { description: "Already an admin", content: json("AdminsResponse") },
            "201": { description: "Added", content: json("AdminsResponse") },
            ...commonErrors,
          },
        },
        delete: {
          summary: "Remove a runtime admin identity.",
          security: [{ operator: [] }],
          responses: {
            "204": { description: "Removed" },
            "409": problemResponse("A config admin: remove it from BROKER_CONFIG."),
            ...commonErrors,
          },
        },
      },
      "/v1/admin/apps/{sdkAppId}/bans": {
        parameters: [{ name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } }],
        get: {
          summary: "The bans in force, newest first (moderators).",
          security: moderators,
          responses: { "200": { description: "OK", content: json("BansResponse") }, ...commonErrors },
        },
      },
      "/v1/admin/apps/{sdkAppId}/bans/{userId}": {
        parameters: [
          { name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } },
          { name: "userId", in: "path", required: true, schema: { type: "string" } },
        ],
        put: {
          summary:
            "Ban a user: stored first in the app's Durable Object, then kicked and muted in Chat (with `chat`) and removed from every TRTC room the broker knows them in (with `trtc`). `kicked`, `muted` and `removedFrom` say what Tencent confirmed, `steps` each failure's reason and whether it is retried; a failed step never loses the ban. A banned user gets 403 USER_BANNED on /v1/usersig and /v1/privatemapkey.",
          security: moderators,
          requestBody: { required: false, content: json("BanRequest") },
          responses: {
            "200": { description: "Already banned (reason and expiry replaced)", content: json("BanResponse") },
            "201": { description: "Banned", content: json("BanResponse") },
            "409": problemResponse("ADMIN_NOT_BANNABLE: an admin identity (or a variant of one); BANS_FULL."),
            ...commonErrors,
          },
        },
        delete: {
          summary: "Lift a ban, and the Chat mute.",
          security: moderators,
          responses: { "204": { description: "Lifted" }, ...commonErrors },
        },
      },
      "/v1/admin/apps/{sdkAppId}/users/{userId}/kick": {
        parameters: [
          { name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } },
          { name: "userId", in: "path", required: true, schema: { type: "string" } },
        ],
        post: {
          summary:
            "End the user's Chat sessions at Tencent (their earlier UserSigs stop logging in to Chat) and remove them from every TRTC room the broker knows them in, without a ban.",
          security: moderators,
          responses: {
            "200": { description: "OK", content: json("KickResponse") },
            "409": problemResponse("ADMIN_NOT_KICKABLE: an admin identity (or a variant of one)."),
            ...commonErrors,
          },
        },
      },
      "/v1/admin/apps/{sdkAppId}/users/{userId}": {
        parameters: [
          { name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } },
          { name: "userId", in: "path", required: true, schema: { type: "string" } },
        ],
        get: {
          summary:
            "Whether the user is banned (the ban, or null) and the TRTC rooms they are in now, from the app's moderation object (presence: TRTC's 103/104/102 callbacks, entries expire after 24 h without news).",
          security: moderators,
          responses: { "200": { description: "OK", content: json("UserResponse") }, ...commonErrors },
        },
      },
      "/v1/admin/apps/{sdkAppId}/rooms/{roomId}/users/{userId}/remove": {
        parameters: [
          { name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } },
          roomIdParameter,
          { name: "userId", in: "path", required: true, schema: { type: "string" } },
        ],
        post: {
          summary:
            "Remove the user from one TRTC room (RemoveUser, or RemoveUserByStrRoomId for a string room), without a ban: they may enter again. Needs the app's `trtc`.",
          security: moderators,
          responses: {
            "200": {
              description: "Tencent's outcome: `removal.ok`, or why not (`retrying`: the object tries again)",
              content: json("RoomRemovalResponse"),
            },
            "409": problemResponse("ADMIN_NOT_REMOVABLE: an admin identity (or a variant of one) is never removed."),
            ...commonErrors,
          },
        },
      },
      "/v1/admin/apps/{sdkAppId}/rooms/{roomId}/dismiss": {
        parameters: [{ name: "sdkAppId", in: "path", required: true, schema: { type: "integer" } }, roomIdParameter],
        post: {
          summary:
            "Dismiss a TRTC room (DismissRoom, or DismissRoomByStrRoomId): everyone in it is removed, and its presence is cleared. Needs the app's `trtc`.",
          security: moderators,
          responses: {
            "200": {
              description: "Tencent's outcome: `dismissal.ok`, or why not",
              content: json("RoomDismissalResponse"),
            },
            ...commonErrors,
          },
        },
      },
      "/v1/callbacks/trtc": {
        post: {
          summary:
            "TRTC's room and media callback (set this URL and the key in the TRTC console; README, Tencent's callbacks). Verified first: header Sign = base64(HMAC-SHA256(TRTC_CALLBACK_KEY_<SdkAppId>, the raw body)), header SdkAppId a configured app with callbacks.trtc, CallbackTs within 60 s. 103 records presence and removes a banned user from the room at once; 104 forgets it; a redelivery is acted on once.",
          security: [],
          parameters: [
            { name: "SdkAppId", in: "header", required: true, schema: { type: "integer" } },
            { name: "Sign", in: "header", required: true, schema: { type: "string" } },
          ],
          requestBody: { required: true, content: json("TrtcCallbackRequest") },
          responses: {
            "200": { description: "Taken", content: json("TrtcCallbackAnswer") },
            ...callbackErrors,
          },
        },
      },
      "/v1/callbacks/chat": {
        post: {
          summary:
            "Chat's webhook (set this URL, the token and the events in the Chat console; README, Tencent's callbacks). Verified first: query Sign = hex(SHA-256(CHAT_CALLBACK_TOKEN_<SdkAppid> + RequestTime)), SdkAppid a configured app with callbacks.chat, RequestTime within 60 s. C2C/Group.CallbackBeforeSendMsg from a banned sender is refused; State.StateChange Login of a banned user is kicked again.",
          security: [],
          parameters: [
            { name: "SdkAppid", in: "query", required: true, schema: { type: "integer" } },
            { name: "CallbackCommand", in: "query", required: true, schema: { type: "string" } },
            { name: "RequestTime", in: "query", required: true, schema: { type: "integer" } },
            { name: "Sign", in: "query", required: true, schema: { type: "string" } },
            { name: "contenttype", in: "query", required: false, schema: { type: "string" } },
            { name: "ClientIP", in: "query", required: false, schema: { type: "string" } },
            { name: "OptPlatform", in: "query", required: false, schema: { type: "string" } },
          ],
          requestBody: { required: true, content: json("ChatCallbackRequest") },
          responses: {
            "200": { description: "Tencent's answer shape", content: json("ChatCallbackAnswer") },
            ...callbackErrors,
          },
        },
      },
      "/v1/chat/{service}/{command}": {
        parameters: [
          { name: "service", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_]{1,64}$" } },
          { name: "command", in: "path", required: true, schema: { type: "string", pattern: "^[A-Za-z0-9_]{1,64}$" } },
          {
            name: "sdkAppId",
            in: "query",
            required: false,
            schema: { type: "integer" },
            description: "May be omitted when the broker serves one app.",
          },
        ],
        post: {
          summary:
            "Call Tencent Chat's REST API as the app's admin: only the service/command names the API key's chatCommands lists. The body is forwarded unchanged and Tencent's answer returned unchanged.",
          security: apiKey,
          requestBody: { required: true, content: json("ChatRequest") },
          responses: {
            "200": { description: "Tencent's answer (ActionStatus FAIL included)", content: json("ChatResponse") },
            ...commonErrors,
            "403": problemResponse("CHAT_COMMAND_NOT_ALLOWED: not on this key's chatCommands."),
            "404": problemResponse("Unknown sdkAppId, or CHAT_NOT_CONFIGURED."),
            "413": problemResponse("Body over 64 KiB."),
            "502": tencentUnavailable("Tencent could not be reached or gave no usable answer, after one retry."),
            "504": tencentUnavailable("Tencent did not answer in time, twice."),
          },
        },
      },
      "/v1/apps": {
        get: {
          summary:
            "The apps this broker serves, as a browser needs them: whether guests are allowed and Turnstile's public site key. Nothing secret.",
          security: [],
          responses: {
            "200": { description: "OK", content: json("AppsResponse") },
            "500": problemResponse("The broker's configuration is not valid."),
          },
        },
      },
      "/": {
        get: {
          summary:
            "The UserSig inspector: an HTML page that decodes a pasted UserSig or PrivateMapKey in the browser (and gets a guest UserSig when an app allows guests).",
          security: [],
          responses: { "200": { description: "The page", content: { "text/html": { schema: { type: "string" } } } } },
        },
      },
      "/v1/admin/stats": {
        get: {
          summary: "This isolate's counters: rate-limit KV operations and decisions, admin-set KV reads (operator).",
          security: [{ operator: [] }],
          responses: {
            "200": { description: "OK", content: { "application/json": { schema: STATS_SCHEMA } } },
            ...commonErrors,
          },
        },
      },
      "/healthz": {
        get: {
          summary: "Liveness.",
          description:
            "200 when the configuration's top level is sound (the JSON, `inspector`, `apps` and each `sdkAppId`, ADMIN_API_TOKEN); 500 CONFIG_ERROR when it is not. No app is checked here: an app's own problems fail that app's requests only. `usersig-broker check-config` judges the whole configuration.",
          security: [],
          responses: { "200": { description: "OK", content: json("Health") } },
        },
      },
    },
    components: {
      headers: {
        "RateLimit-Policy": {
          description:
            'draft-ietf-httpapi-ratelimit-headers: the windows of the policy that counted this request, e.g. `"usersig-guest-60";q=10;w=60, "usersig-guest-86400";q=100;w=86400`.',
          schema: { type: "string" },
        },
        RateLimit: {
          description:
            'The most constraining window: requests left and seconds until it resets, e.g. `"usersig-guest-60";r=7;t=42`.',
          schema: { type: "string" },
        },
      },
      securitySchemes: {
        idpBearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A token from the app's identity provider.",
        },
        apiKey: { type: "apiKey", in: "header", name: "X-Api-Key" },
        operator: { type: "http", scheme: "bearer", description: "ADMIN_API_TOKEN." },
      },
      schemas: {
        UserSigRequest: schema(requests.usersigRequest, "input"),
        PrivateMapKeyRequest: schema(requests.privateMapKeyRequest, "input"),
        VerifyRequest: schema(requests.verifyRequest, "input"),
        AdminUserSigRequest: schema(requests.adminUsersigRequest, "input"),
        AdminsReplaceRequest: schema(requests.adminsReplaceRequest, "input"),
        UserSigResponse: schema(r.usersigResponse, "output"),
        PrivateMapKeyResponse: schema(r.privateMapKeyResponse, "output"),
        VerifyResponse: schema(r.verifyResponse, "output"),
        AdminsResponse: schema(r.adminsResponse, "output"),
        Problem: schema(r.problemSchema, "output"),
        Health: schema(r.healthResponse, "output"),
        AppsResponse: schema(r.appsResponse, "output"),
        BanRequest: schema(requests.banRequest, "input"),
        BanResponse: schema(r.banResponse, "output"),
        BansResponse: schema(r.bansResponse, "output"),
        KickResponse: schema(r.kickResponse, "output"),
        ChatRequest: schema(requests.chatRequest, "input"),
        UserResponse: schema(r.userResponse, "output"),
        RoomRemovalResponse: schema(r.roomRemovalResponse, "output"),
        RoomDismissalResponse: schema(r.roomDismissalResponse, "output"),
        TrtcCallbackRequest: schema(r.trtcCallbackRequest, "input"),
        TrtcCallbackAnswer: schema(r.trtcCallbackAnswer, "output"),
        ChatCallbackRequest: schema(r.chatCallbackRequest, "input"),
        ChatCallbackAnswer: schema(r.chatCallbackAnswer, "output"),
        ChatResponse: schema(r.chatResponse, "output"),
      },
    },
  };
}
