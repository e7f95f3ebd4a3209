/**
 * The zod schema of an app's `rateLimits` in BROKER_CONFIG (the policies and their defaults:
 * config.ts). Imported by config/schema.ts only: the Worker validates with the validator compiled
 * from it at build time (scripts/build-validators.mjs) and loads zod only to word an error.
 */

// zod/mini directly (config/ is a higher layer); config/zod.ts sets the messages for every parse.
import * as z from "zod/mini";
import {
  DEFAULT_NEW_GUESTS_PER_DAY,
  DEFAULT_POLICIES,
  distinctWindowSeconds,
  LIMIT_MAX,
  type Policy,
  WINDOW_SECONDS_MAX,
  WINDOWS_PER_POLICY_MAX,
} from "./config.js";

const windowSchema = z.strictObject({
  /** The window's length: counts reset when `floor(unix time / seconds)` changes (fixed windows). */
  seconds: z.int().check(z.minimum(1), z.maximum(WINDOW_SECONDS_MAX)),
  /** Requests allowed per subject in one window. */
  limit: z.int().check(z.minimum(1), z.maximum(LIMIT_MAX)),
});

const failMode = z.enum(["open", "closed"]);

/** A policy, or `false` for none. Omitted fields take this caller kind's defaults. */
const policy = (defaults: Policy) =>
  z.prefault(
    z.union([
      z.literal(false),
      z
        .strictObject({
          windows: z._default(
            z.array(windowSchema).check(z.minLength(1), z.maxLength(WINDOWS_PER_POLICY_MAX)),
            defaults.windows,
          ),
          /** When KV cannot be read in time: "closed" refuses (503), "open" allows and logs. */
          failMode: z._default(failMode, defaults.failMode),
        })
        .check(
          z.refine(distinctWindowSeconds, {
            message: "two windows with the same seconds",
            path: ["windows"],
          }),
        ),
    ]),
    {},
  );

const issuing = () =>
  z.prefault(
    z.union([
      z.literal(false),
      z.strictObject({
        guest: policy(DEFAULT_POLICIES.guest),
        idp: policy(DEFAULT_POLICIES.idp),
        apiKey: policy(DEFAULT_POLICIES.apiKey),
      }),
    ]),
    {},
  );

/** Built on first use (the first configuration parse), not when the Worker's module is loaded. */
export const rateLimitsSchema = z.lazy(() =>
  z.prefault(
    z.strictObject({
      /** `false`: no limits, no headers, no KV traffic for this app. */
      enabled: z._default(z.boolean(), true),
      usersig: issuing(),
      privatemapkey: issuing(),
      verify: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.verifyApiKey) })]),
        {},
      ),
      admin: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.adminApiKey) })]),
        {},
      ),
      /** Bans and kicks by API keys and IdP moderators (the operator is not limited). */
      moderation: z.prefault(
        z.union([
          z.literal(false),
          z.strictObject({ apiKey: policy(DEFAULT_POLICIES.moderation), idp: policy(DEFAULT_POLICIES.moderation) }),
        ]),
        {},
      ),
      /** The operator's bans, unbans, kicks and admin-identity edits, per app (one subject: the token). */
      operator: z.prefault(
        z.union([z.literal(false), z.strictObject({ operator: policy(DEFAULT_POLICIES.operator) })]),
        {},
      ),
      /** POST /v1/chat/{service}/{command}, per API key. */
      chat: z.prefault(
        z.union([z.literal(false), z.strictObject({ apiKey: policy(DEFAULT_POLICIES.chatApiKey) })]),
        {},
      ),
      /** App-wide: new guest identities per UTC day, charged only when one is about to be created. */
      newGuests: z.prefault(
        z.union([
          z.literal(false),
          z.strictObject({
            perDay: z._default(z.int().check(z.minimum(1), z.maximum(LIMIT_MAX)), DEFAULT_NEW_GUESTS_PER_DAY),
            failMode: z._default(failMode, "closed"),
          }),
        ]),
        {},
      ),
    }),
    {},
  ),
);

export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;
