/**
 * The broker's whole policy: one JSON value in the `BROKER_CONFIG` variable, validated with zod.
 *
 * The same schema documents itself: README's Configuration reference mirrors it field by field.
 * Nothing secret lives here: secret keys and tokens come from Worker secrets, API keys appear only
 * as SHA-256 hashes.
 *
 * Every default is written once, on its field: an object whose fields all have defaults takes `{}`
 * when it is omitted (`prefault`), so its fields' defaults apply. The schema is built on first use
 * (the first request parses the configuration), not when the Worker's module is loaded.
 */

import { rateLimitsSchema } from "../ratelimit/schema.js";
import { DAY_SECONDS, HOUR_SECONDS } from "../shared/units.js";
import { isValidUserId, limits } from "../usersig/index.js";
import {
  BEFORE_SEND_REFUSE_CODE_MAX,
  BEFORE_SEND_REFUSE_CODE_MIN,
  CHAT_NAME_SOURCE,
  checkApp,
  defaultWithinMax,
  type IssueSink,
  isApiBaseUrl,
  isBeforeSendRefuseCode,
  isHttpsOrLocalUrl,
  isOrigin,
  isRegExp,
  isSiteverifyUrl,
  oneJwksSource,
  SITEVERIFY_URL,
  uniqueSdkAppIds,
} from "./rules.js";
import * as z from "./zod.js";

export { BEFORE_SEND_REFUSE_CODE_MAX, BEFORE_SEND_REFUSE_CODE_MIN, CHAT_NAME, SITEVERIFY_URL } from "./rules.js";

/**
 * `z.superRefine(rule)`, with the rule kept on the check (`rule`), so that the validator compiled
 * from this schema at build time (scripts/build-validators.mjs) calls the same function.
 */
function crossCheck<T>(rule: (value: T, ctx: IssueSink) => void) {
  const check = z.superRefine<T>((value, ctx) => rule(value, ctx as IssueSink));
  Object.defineProperty(check, "rule", { value: rule });
  return check;
}

/** The longest lifetime a UserSig may be issued with, for any caller. */
const LIFETIME_MAX_SECONDS = 180 * DAY_SECONDS;
/** Guests get shorter identities than authenticated callers, and at most a week. */
const GUEST_LIFETIME_MAX_SECONDS = 7 * DAY_SECONDS;
/** Admin sigs are reused while more than half of their lifetime remains: not shorter than this. */
const ADMIN_LIFETIME_MIN_SECONDS = 600;
/** The most an IdP's and our clocks may disagree by (`exp`, `nbf`, `iat`). */
const CLOCK_TOLERANCE_MAX_SECONDS = 300;
/** Guests renew their own identity with a ticket for at least a minute, at most a month. */
const TICKET_LIFETIME_MIN_SECONDS = 60;
const TICKET_LIFETIME_MAX_SECONDS = 30 * DAY_SECONDS;
/** Labels (an app's name, an API key's name) in logs. */
const LABEL_MAX_CHARS = 64;
/** An API key's SHA-256, in hex. */
const SHA256_HEX_CHARS = 64;
/** Guest UserIDs are this prefix plus 16 random characters, within USERID_MAX_BYTES. */
const GUEST_PREFIX_MAX_CHARS = 16;
/** "service/command" as Tencent names them. */
const CHAT_COMMAND = new RegExp(`^${CHAT_NAME_SOURCE}/${CHAT_NAME_SOURCE}$`);
/** Per API key: least privilege means a short list. */
const CHAT_COMMANDS_MAX = 100;
/** The claim name and value of a moderator role. */
const ROLE_MAX_CHARS = 256;

/** Tencent documents letters, digits, underscore and hyphen as the safe UserID set; 32 bytes max. */
export const DEFAULT_USERID_PATTERN = "[A-Za-z0-9_-]{1,32}";

/** Asymmetric algorithms only: an IdP's JWKS is public, so HS* would let anyone forge a token. */
export const JWT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

const nonEmpty = () => z.string().check(z.minLength(1));
const intIn = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));

const userId = nonEmpty().check(
  z.refine(isValidUserId, `must be at most ${limits.USERID_MAX_BYTES} bytes of UTF-8 without control characters`),
);

const httpsUrl = z.url().check(z.refine(isHttpsOrLocalUrl, "must be an https URL (http only for localhost)"));

const lifetime = (defaults: { default: number; max: number }, ceiling: number) =>
  z.prefault(
    z
      .strictObject({
        default: z._default(intIn(1, ceiling), defaults.default),
        max: z._default(intIn(1, ceiling), defaults.max),
      })
      .check(z.refine(defaultWithinMax, { message: "default must not exceed max", path: ["default"] })),
    {},
  );

function issuerSchema() {
  return z
    .strictObject({
      /** Must equal the token's `iss` exactly. */
      issuer: nonEmpty(),
      /** The token's `aud` must contain one of these. */
      audience: z.union([nonEmpty(), z.array(nonEmpty()).check(z.minLength(1))]),
      /** Fetched and cached; refetched on an unknown `kid`, at most once per cool-down. */
      jwksUri: z.optional(httpsUrl),
      /** Inline public keys, for IdPs without a JWKS endpoint or for tests. */
      jwks: z.optional(z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).check(z.minLength(1)) })),
      algorithms: z._default(z.array(z.enum(JWT_ALGORITHMS)).check(z.minLength(1)), ["RS256"]),
      /** The claim that holds the UserID (a string). */
      userIdClaim: z._default(nonEmpty(), "sub"),
      /** Prepended to the claim's value, e.g. "auth0_", so IdP users cannot collide with other UserIDs. */
      userIdPrefix: z._default(z.string(), ""),
      /** A claim listing the rooms this user may get PrivateMapKeys for (see README). */
      roomsClaim: z.optional(nonEmpty()),
      clockToleranceSeconds: z._default(intIn(0, CLOCK_TOLERANCE_MAX_SECONDS), 30),
    })
    .check(
      z.refine(oneJwksSource, {
        message: "give exactly one of jwksUri and jwks",
        path: ["jwksUri"],
      }),
    );
}

function apiKeySchema() {
  return z.strictObject({
    /** Shown in audit logs; never the key itself. */
    name: z
      .string()
      .check(
        z.regex(
          new RegExp(`^[A-Za-z0-9_.-]{1,${LABEL_MAX_CHARS}}$`),
          `letters, digits, _ . - (1 to ${LABEL_MAX_CHARS})`,
        ),
      ),
    /** Lowercase hex SHA-256 of the key (`npx usersig-broker hash-api-key`). */
    sha256: z
      .string()
      .check(
        z.regex(new RegExp(`^[0-9a-fA-F]{${SHA256_HEX_CHARS}}$`), `must be ${SHA256_HEX_CHARS} hex characters`),
        z.toLowerCase(),
      ),
    /** May name the UserID it wants a sig for (within the app's UserID rule, never an admin). */
    allowUserId: z._default(z.boolean(), false),
    /** May get admin identities' sigs from /v1/admin/usersig. */
    allowAdmin: z._default(z.boolean(), false),
    /** May ban, unban, list bans and kick (the moderation routes). */
    allowModeration: z._default(z.boolean(), false),
    /** The Chat REST commands this key may call through POST /v1/chat/{service}/{command}, e.g. "openim/sendmsg". */
    chatCommands: z._default(
      z
        .array(z.string().check(z.regex(CHAT_COMMAND, 'must be "service/command" (letters, digits, underscores)')))
        .check(z.maxLength(CHAT_COMMANDS_MAX)),
      [],
    ),
  });
}

/**
 * Tencent's Chat REST API for this app (moderation's kick, the gateway). `apiBaseUrl` is the app's
 * regional host: https://console.tim.qq.com (China), https://adminapisgp.im.qcloud.com (Singapore),
 * adminapikr (Seoul), adminapijpn (Tokyo), adminapiger (Frankfurt), adminapiind (Mumbai), adminapiusa
 * (Silicon Valley), adminapiidn (Jakarta) .im.qcloud.com. Any https origin is accepted (a proxy); plain http only for
 * 127.0.0.1 or localhost with a port, for local testing.
 */
function chatSchema() {
  return z.strictObject({
    apiBaseUrl: z
      .string()
      .check(
        z.refine(
          isApiBaseUrl,
          "must be an https origin such as https://adminapisgp.im.qcloud.com (http only for 127.0.0.1/localhost with a port; no path)",
        ),
      ),
    /** The admin identity the broker calls Tencent as; default: the app's first admin. */
    adminUserId: z.optional(userId),
  });
}

/**
 * The regions where TRTC's RemoveUser, RemoveUserByStrRoomId, DismissRoom and DismissRoomByStrRoomId
 * are served: "This API only supports: ap-beijing, ap-guangzhou, ap-singapore"
 * (https://www.tencentcloud.com/document/api/647/34268).
 */
export const TRTC_REGIONS = ["ap-beijing", "ap-guangzhou", "ap-singapore"] as const;

/**
 * TencentCloud API 3.0 for this app's TRTC rooms (removing a user, dismissing a room), signed with a
 * CAM key pair in the Worker secrets TRTC_SECRET_ID_<sdkAppId> and TRTC_SECRET_KEY_<sdkAppId>.
 * `apiBaseUrl`: https://trtc.tencentcloudapi.com (or trtc.intl.tencentcloudapi.com, or a region's
 * host), by the same rule as `chat.apiBaseUrl`.
 */
function trtcSchema() {
  return z.strictObject({
    apiBaseUrl: z._default(
      z
        .string()
        .check(
          z.refine(
            isApiBaseUrl,
            "must be an https origin such as https://trtc.tencentcloudapi.com (http only for 127.0.0.1/localhost with a port; no path)",
          ),
        ),
      "https://trtc.tencentcloudapi.com",
    ),
    region: z.enum(TRTC_REGIONS),
  });
}

/** The ErrorCode a refused before-send callback answers: 1, or a code Tencent passes to the sender. */
const REFUSE_CODE_RULE = `must be 1 or a code from ${BEFORE_SEND_REFUSE_CODE_MIN} to ${BEFORE_SEND_REFUSE_CODE_MAX}`;

/**
 * Tencent's callbacks to this app (POST /v1/callbacks/trtc, /v1/callbacks/chat; README, "Tencent
 * callbacks"). `trtc`: TRTC's room events, signed with the key in TRTC_CALLBACK_KEY_<sdkAppId>.
 * `chat`: Chat's webhooks, signed with the token in CHAT_CALLBACK_TOKEN_<sdkAppId>.
 * `beforeSendRefuseCode`: what a refused message from a banned sender answers (Tencent: ErrorCode 1
 * refuses; 120001 to 130000 refuses and passes that code to the sender's SDK).
 */
function callbacksSchema() {
  return z.strictObject({
    trtc: z._default(z.boolean(), false),
    chat: z._default(z.boolean(), false),
    beforeSendRefuseCode: z._default(z.int().check(z.refine(isBeforeSendRefuseCode, REFUSE_CODE_RULE)), 1),
  });
}

/** Who may moderate besides the operator and API keys with allowModeration. */
function moderationSchema() {
  const label = () => z.string().check(z.minLength(1), z.maxLength(ROLE_MAX_CHARS));
  return z.strictObject({
    /** IdP users whose token's `claim` equals `value` or is a list containing it (e.g. roles: ["moderator"]). */
    idpRole: z.optional(z.strictObject({ claim: label(), value: label() })),
  });
}

const roomId = () =>
  z.union([intIn(1, limits.ROOM_ID_MAX), nonEmpty().check(z.maxLength(limits.STR_ROOM_ID_MAX_BYTES))]);

const roomPolicy = (defaults: { enabled: boolean; rooms: "any" | (number | string)[] }) =>
  z.prefault(
    z.strictObject({
      enabled: z._default(z.boolean(), defaults.enabled),
      /** "any", or the only rooms this caller kind may get keys for. */
      rooms: z._default(z.union([z.literal("any"), z.array(roomId())]), defaults.rooms),
      /** A bitmap: requested privileges must be a subset. */
      maxPrivileges: z._default(intIn(1, limits.PRIVILEGES_MAX), limits.PRIVILEGES_MAX),
    }),
    {},
  );

const origin = () =>
  z
    .string()
    .check(
      z.refine(isOrigin, "must be an origin like https://app.example.com (scheme, host, optional port; no path, no *)"),
    );

/** An app's SDKAppID: the key every request picks its app by (checked at the config's top level too). */
const sdkAppIdField = () => intIn(1, limits.SDKAPPID_MAX);

function appFields() {
  return z.strictObject({
    sdkAppId: sdkAppIdField(),
    /** A label for logs. */
    name: z.optional(z.string().check(z.maxLength(LABEL_MAX_CHARS))),
    /** A regular expression every issued UserID must match in full (anchored for you). */
    userIdPattern: z
      ._default(z.string(), DEFAULT_USERID_PATTERN)
      .check(z.refine(isRegExp, "must be a valid regular expression")),
    /**
     * Admin identities: never issued on a public route; more can be added at run time. Defaults to
     * Tencent's default admin account, so an app that forgets this list is still protected; `[]`
     * must be written out to have none.
     */
    admins: z._default(z.array(userId), ["administrator"]),
    lifetimes: z.prefault(
      z.strictObject({
        idp: lifetime({ default: DAY_SECONDS, max: 7 * DAY_SECONDS }, LIFETIME_MAX_SECONDS),
        apiKey: lifetime({ default: DAY_SECONDS, max: 30 * DAY_SECONDS }, LIFETIME_MAX_SECONDS),
        guest: lifetime({ default: HOUR_SECONDS, max: 4 * HOUR_SECONDS }, GUEST_LIFETIME_MAX_SECONDS),
        /** Admin sigs have this lifetime and are reused while more than half of it remains. */
        adminSeconds: z._default(intIn(ADMIN_LIFETIME_MIN_SECONDS, LIFETIME_MAX_SECONDS), DAY_SECONDS),
      }),
      {},
    ),
    idp: z.optional(z.strictObject({ issuers: z.array(issuerSchema()).check(z.minLength(1)) })),
    apiKeys: z._default(z.array(apiKeySchema()), []),
    guests: z.prefault(
      z.strictObject({
        enabled: z._default(z.boolean(), false),
        /** Guest UserIDs are this prefix plus 16 random characters. */
        userIdPrefix: z._default(
          z
            .string()
            .check(
              z.regex(
                new RegExp(`^[A-Za-z0-9_-]{0,${GUEST_PREFIX_MAX_CHARS}}$`),
                `letters, digits, _ and - only, at most ${GUEST_PREFIX_MAX_CHARS}`,
              ),
            ),
          "guest_",
        ),
        /** How long a guest can renew its own identity without a new challenge. */
        ticketLifetimeSeconds: z._default(intIn(TICKET_LIFETIME_MIN_SECONDS, TICKET_LIFETIME_MAX_SECONDS), DAY_SECONDS),
        turnstile: z.optional(
          z.strictObject({
            /** Public; shown to the browser widget. */
            siteKey: nonEmpty(),
            /** The Worker secret holding the Turnstile secret key. */
            secretName: z._default(
              z
                .string()
                // Only TURNSTILE_* names: the config is not secret, and must not be able to send the
                // Tencent key or the operator token to siteverify.
                .check(z.regex(/^TURNSTILE_[A-Z0-9_]*$/, "must be a Worker secret name starting with TURNSTILE_")),
              "TURNSTILE_SECRET_KEY",
            ),
            /** When set, siteverify's `hostname` must be one of these. */
            hostnames: z.optional(z.array(nonEmpty())),
            /** When set, siteverify's `action` must equal it. */
            action: z.optional(nonEmpty()),
            /** For local tests only: a loopback siteverify (http://127.0.0.1:PORT/...); default Cloudflare's. */
            siteverifyUrl: z.optional(
              z
                .string()
                .check(
                  z.refine(
                    isSiteverifyUrl,
                    `must be ${SITEVERIFY_URL} (or, for local tests, http://127.0.0.1 or localhost with a port)`,
                  ),
                ),
            ),
          }),
        ),
      }),
      {},
    ),
    privateMapKey: z.prefault(
      z.strictObject({
        idp: roomPolicy({ enabled: true, rooms: "any" }),
        apiKey: roomPolicy({ enabled: true, rooms: "any" }),
        guest: roomPolicy({ enabled: false, rooms: [] }),
      }),
      {},
    ),
    cors: z.prefault(z.strictObject({ origins: z._default(z.array(origin()), []) }), {}),
    /** Per-subject limits and the new-guest budget: see src/ratelimit/config.ts and docs/rate-limits.md. */
    rateLimits: rateLimitsSchema,
    chat: z.optional(chatSchema()),
    trtc: z.optional(trtcSchema()),
    moderation: z.optional(moderationSchema()),
    callbacks: z.optional(callbacksSchema()),
  });
}

/** One app as its fields parse, before the cross-field rules (rules.ts `checkApp`). */
export type AppFields = z.output<ReturnType<typeof appFields>>;

function buildAppSchema() {
  return appFields().check(crossCheck(checkApp));
}

/**
 * BROKER_CONFIG's own fields, with `app` for each entry of `apps`: the whole config with
 * appSchema, its top level with appHeadSchema. One definition, so the two cannot drift apart.
 */
function topFields<App extends z.ZodMiniType<{ sdkAppId: number }>>(app: App) {
  return z.strictObject({
    /** `false`: no inspector page at GET / (backend-only deployments). */
    inspector: z.optional(z.boolean()),
    apps: z.array(app).check(z.minLength(1), crossCheck(uniqueSdkAppIds)),
  });
}

/**
 * What the top level reads of an app: its SDKAppID, which requests pick it by (the other fields
 * are its own part, appSchema, checked when a request first needs the app). Not strict, and its
 * output keeps only `sdkAppId`: an unknown key is the app's part's problem.
 */
function buildAppHeadSchema() {
  return z.object({ sdkAppId: sdkAppIdField() });
}

/** One app of BROKER_CONFIG: a part of its own (src/config/load.ts checks it on first use). Built on first use (z.lazy). */
export const appSchema = z.lazy(buildAppSchema);
/** An app as the top level checks it: its SDKAppID only. */
export const appHeadSchema = z.lazy(buildAppHeadSchema);
/**
 * BROKER_CONFIG's top level: it parses, `apps` is a list of 1 or more entries, each with a valid
 * SDKAppID, no two alike; `inspector`. The Worker checks this on its first request, and each app
 * (appSchema) when a request first needs it; the whole judgement is the two composed
 * (src/config/check.ts `composeConfig`).
 */
export const configTopSchema = z.lazy(() => topFields(appHeadSchema));
/**
 * BROKER_CONFIG as one zod schema (the same fields as configTopSchema, with appSchema for each app):
 * its type, and what the tests hold the composed judgement to.
 */
export const configSchema = z.lazy(() => topFields(appSchema));

export type BrokerConfig = z.output<typeof configSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type IssuerConfig = z.output<ReturnType<typeof issuerSchema>>;
export type ApiKeyConfig = z.output<ReturnType<typeof apiKeySchema>>;
export type RoomPolicy = AppConfig["privateMapKey"]["idp"];
