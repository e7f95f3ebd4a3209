/**
 * The broker's whole policy: one JSON value in the `BROKER_CONFIG` variable, validated with zod.
 *
 * The same schema documents itself: README's Configuration reference mirrors it field by field.
 * Nothing secret lives here: secret keys and tokens come from Worker secrets, API keys appear only
 * as SHA-256 hashes.
 */

import { z } from "zod";
import { rateLimitsSchema } from "../ratelimit/config.js";
import { isValidUserId } from "../usersig/index.js";

const U32_MAX = 0xffff_ffff;
/** "service/command" as Tencent names them. */
const CHAT_COMMAND = /^[A-Za-z0-9_]{1,64}\/[A-Za-z0-9_]{1,64}$/;
/** Per API key: least privilege means a short list. */
const CHAT_COMMANDS_MAX = 100;

function isChatBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.origin !== value.replace(/\/$/, "") || url.username || url.password) return false;
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (url.hostname === "127.0.0.1" || url.hostname === "localhost") && url.port !== "";
}
const DAY_SECONDS = 86_400;

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

const userId = z.string().min(1).refine(isValidUserId, "must be at most 32 bytes of UTF-8 without control characters");

const httpsUrl = z.url().refine((u) => {
  const url = new URL(u);
  return (
    url.protocol === "https:" ||
    (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname))
  );
}, "must be an https URL (http only for localhost)");

const lifetime = (defaults: { default: number; max: number }, ceiling: number) =>
  z
    .strictObject({
      default: z.int().min(1).max(ceiling).default(defaults.default),
      max: z.int().min(1).max(ceiling).default(defaults.max),
    })
    .refine((l) => l.default <= l.max, { message: "default must not exceed max", path: ["default"] })
    .default(defaults);

const issuer = z
  .strictObject({
    /** Must equal the token's `iss` exactly. */
    issuer: z.string().min(1),
    /** The token's `aud` must contain one of these. */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Fetched and cached; refetched on an unknown `kid`, at most once per cool-down. */
    jwksUri: httpsUrl.optional(),
    /** Inline public keys, for IdPs without a JWKS endpoint or for tests. */
    jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(["RS256"]),
    /** The claim that holds the UserID (a string). */
    userIdClaim: z.string().min(1).default("sub"),
    /** Prepended to the claim's value, e.g. "auth0_", so IdP users cannot collide with other UserIDs. */
    userIdPrefix: z.string().default(""),
    /** A claim listing the rooms this user may get PrivateMapKeys for (see README). */
    roomsClaim: z.string().min(1).optional(),
    clockToleranceSeconds: z.int().min(0).max(300).default(30),
  })
  .refine((i) => (i.jwksUri === undefined) !== (i.jwks === undefined), {
    message: "give exactly one of jwksUri and jwks",
    path: ["jwksUri"],
  });

const apiKey = z.strictObject({
  /** Shown in audit logs; never the key itself. */
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - (1 to 64)"),
  /** Lowercase hex SHA-256 of the key (`npx usersig-broker hash-api-key`). */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters")
    .transform((s) => s.toLowerCase()),
  /** May name the UserID it wants a sig for (within the app's UserID rule, never an admin). */
  allowUserId: z.boolean().default(false),
  /** May get admin identities' sigs from /v1/admin/usersig. */
  allowAdmin: z.boolean().default(false),
  /** May ban, unban, list bans and kick (the moderation routes). */
  allowModeration: z.boolean().default(false),
  /** The Chat REST commands this key may call through POST /v1/chat/{service}/{command}, e.g. "openim/sendmsg". */
  chatCommands: z
    .array(z.string().regex(CHAT_COMMAND, 'must be "service/command" (letters, digits, underscores)'))
    .max(CHAT_COMMANDS_MAX)
    .default([]),
});

/**
 * Tencent's Chat REST API for this app (moderation's kick, the gateway). `apiBaseUrl` is the app's
 * regional host: https://console.tim.qq.com (China), https://adminapisgp.im.qcloud.com (Singapore),
 * adminapikr (Seoul), adminapiger (Frankfurt), adminapiind (Mumbai), adminapiusa (Silicon Valley),
 * adminapiidn (Jakarta) .im.qcloud.com. Any https origin is accepted (a proxy); plain http only for
 * 127.0.0.1 or localhost with a port, for local testing.
 */
const chat = z.strictObject({
  apiBaseUrl: z
    .string()
    .refine(
      isChatBaseUrl,
      "must be an https origin such as https://adminapisgp.im.qcloud.com (http only for 127.0.0.1/localhost with a port; no path)",
    ),
  /** The admin identity the broker calls Tencent as; default: the app's first admin. */
  adminUserId: userId.optional(),
});

/** Who may moderate besides the operator and API keys with allowModeration. */
const moderation = z.strictObject({
  /** IdP users whose token's `claim` equals `value` or is a list containing it (e.g. roles: ["moderator"]). */
  idpRole: z.strictObject({ claim: z.string().min(1).max(256), value: z.string().min(1).max(256) }).optional(),
});

const roomId = z.union([z.int().min(1).max(0xffff_fffe), z.string().min(1).max(64)]);

const roomPolicy = (defaults: { enabled: boolean; rooms: "any" | (number | string)[]; maxPrivileges: number }) =>
  z
    .strictObject({
      enabled: z.boolean().default(defaults.enabled),
      /** "any", or the only rooms this caller kind may get keys for. */
      rooms: z.union([z.literal("any"), z.array(roomId)]).default(defaults.rooms),
      /** A bitmap: requested privileges must be a subset. */
      maxPrivileges: z.int().min(1).max(255).default(defaults.maxPrivileges),
    })
    .default(defaults);

const origin = z.string().refine((o) => {
  try {
    const url = new URL(o);
    return url.origin === o && o !== "null";
  } catch {
    return false;
  }
}, "must be an origin like https://app.example.com (scheme, host, optional port; no path, no *)");

export const appSchema = z
  .strictObject({
    sdkAppId: z.int().min(1).max(U32_MAX),
    /** A label for logs. */
    name: z.string().max(64).optional(),
    /** A regular expression every issued UserID must match in full (anchored for you). */
    userIdPattern: z
      .string()
      .default(DEFAULT_USERID_PATTERN)
      .refine((p) => {
        try {
          new RegExp(p, "u");
          return true;
        } catch {
          return false;
        }
      }, "must be a valid regular expression"),
    /**
     * Admin identities: never issued on a public route; more can be added at run time. Defaults to
     * Tencent's default admin account, so an app that forgets this list is still protected; `[]`
     * must be written out to have none.
     */
    admins: z.array(userId).default(["administrator"]),
    lifetimes: z
      .strictObject({
        idp: lifetime({ default: DAY_SECONDS, max: 7 * DAY_SECONDS }, 180 * DAY_SECONDS),
        apiKey: lifetime({ default: DAY_SECONDS, max: 30 * DAY_SECONDS }, 180 * DAY_SECONDS),
        guest: lifetime({ default: 3600, max: 4 * 3600 }, 7 * DAY_SECONDS),
        /** Admin sigs have this lifetime and are reused while more than half of it remains. */
        adminSeconds: z
          .int()
          .min(600)
          .max(180 * DAY_SECONDS)
          .default(DAY_SECONDS),
      })
      .default({
        idp: { default: DAY_SECONDS, max: 7 * DAY_SECONDS },
        apiKey: { default: DAY_SECONDS, max: 30 * DAY_SECONDS },
        guest: { default: 3600, max: 4 * 3600 },
        adminSeconds: DAY_SECONDS,
      }),
    idp: z.strictObject({ issuers: z.array(issuer).min(1) }).optional(),
    apiKeys: z.array(apiKey).default([]),
    guests: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Guest UserIDs are this prefix plus 16 random characters. */
        userIdPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]{0,16}$/, "letters, digits, _ and - only, at most 16")
          .default("guest_"),
        /** How long a guest can renew its own identity without a new challenge. */
        ticketLifetimeSeconds: z
          .int()
          .min(60)
          .max(30 * DAY_SECONDS)
          .default(DAY_SECONDS),
        turnstile: z
          .strictObject({
            /** Public; shown to the browser widget. */
            siteKey: z.string().min(1),
            /** The Worker secret holding the Turnstile secret key. */
            secretName: z
              .string()
              // Only TURNSTILE_* names: the config is not secret, and must not be able to send the
              // Tencent key or the operator token to siteverify.
              .regex(/^TURNSTILE_[A-Z0-9_]*$/, "must be a Worker secret name starting with TURNSTILE_")
              .default("TURNSTILE_SECRET_KEY"),
            /** When set, siteverify's `hostname` must be one of these. */
            hostnames: z.array(z.string().min(1)).optional(),
            /** When set, siteverify's `action` must equal it. */
            action: z.string().min(1).optional(),
          })
          .optional(),
      })
      .default({ enabled: false, userIdPrefix: "guest_", ticketLifetimeSeconds: DAY_SECONDS }),
    privateMapKey: z
      .strictObject({
        idp: roomPolicy({ enabled: true, rooms: "any", maxPrivileges: 255 }),
        apiKey: roomPolicy({ enabled: true, rooms: "any", maxPrivileges: 255 }),
        guest: roomPolicy({ enabled: false, rooms: [], maxPrivileges: 255 }),
      })
      .default({
        idp: { enabled: true, rooms: "any", maxPrivileges: 255 },
        apiKey: { enabled: true, rooms: "any", maxPrivileges: 255 },
        guest: { enabled: false, rooms: [], maxPrivileges: 255 },
      }),
    cors: z.strictObject({ origins: z.array(origin).default([]) }).default({ origins: [] }),
    /** Per-subject limits and the new-guest budget: see src/ratelimit/config.ts and docs/rate-limits.md. */
    rateLimits: rateLimitsSchema,
    chat: chat.optional(),
    moderation: moderation.optional(),
  })
  .superRefine((app, ctx) => {
    const names = new Set<string>();
    const hashes = new Set<string>();
    app.apiKeys.forEach((key, i) => {
      if (names.has(key.name))
        ctx.addIssue({ code: "custom", message: "duplicate API key name", path: ["apiKeys", i, "name"] });
      if (hashes.has(key.sha256))
        ctx.addIssue({ code: "custom", message: "duplicate API key hash", path: ["apiKeys", i, "sha256"] });
      names.add(key.name);
      hashes.add(key.sha256);
    });
    // Identities from different sources must not share a namespace: the same `sub` at two IdPs
    // would otherwise be one Tencent user.
    const issuers = app.idp?.issuers ?? [];
    if (issuers.length > 1) {
      const prefixes = new Set<string>();
      issuers.forEach((issuer, i) => {
        if (issuer.userIdPrefix === "" || prefixes.has(issuer.userIdPrefix)) {
          ctx.addIssue({
            code: "custom",
            message: "with several issuers, each needs its own non-empty userIdPrefix",
            path: ["idp", "issuers", i, "userIdPrefix"],
          });
        }
        prefixes.add(issuer.userIdPrefix);
      });
    }
    if (app.chat && (app.chat.adminUserId ?? app.admins[0]) === undefined) {
      ctx.addIssue({ code: "custom", message: "chat needs an admin identity: list one in admins", path: ["chat"] });
    }
    if (app.chat?.adminUserId !== undefined && !app.admins.includes(app.chat.adminUserId)) {
      ctx.addIssue({ code: "custom", message: "must be one of the app's admins", path: ["chat", "adminUserId"] });
    }
    if (app.guests.enabled && app.guests.userIdPrefix === "" && issuers.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: "guests of an app with an identity provider need a userIdPrefix (IdP users could take their IDs)",
        path: ["guests", "userIdPrefix"],
      });
    }
  });

export const configSchema = z.strictObject({
  apps: z
    .array(appSchema)
    .min(1)
    .superRefine((apps, ctx) => {
      const seen = new Set<number>();
      apps.forEach((app, i) => {
        if (seen.has(app.sdkAppId))
          ctx.addIssue({ code: "custom", message: "duplicate sdkAppId", path: [i, "sdkAppId"] });
        seen.add(app.sdkAppId);
      });
    }),
});

export type BrokerConfig = z.output<typeof configSchema>;
export type AppConfig = z.output<typeof appSchema>;
export type IssuerConfig = z.output<typeof issuer>;
export type ApiKeyConfig = z.output<typeof apiKey>;
export type RoomPolicy = AppConfig["privateMapKey"]["idp"];
export type CallerKind = "idp" | "apiKey" | "guest";
