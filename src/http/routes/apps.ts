/**
 * GET /v1/apps: what a browser needs to know about the apps this broker serves, for the inspector
 * page (GET /) and any client that wants to offer guest sign-in. Public and not secret: the
 * SDKAppID, the app's label, whether guests are allowed and Turnstile's public site key (and
 * action). Never API key hashes, admins, identity providers, lifetimes, rooms or origins.
 */

import { Hono } from "hono";
import { z } from "zod";
import type { BrokerHono } from "../context.js";

export const appsRoutes = new Hono<BrokerHono>();

/** The response, also in /openapi.json. */
export const appsResponse = z
  .strictObject({
    apps: z.array(
      z.strictObject({
        sdkAppId: z.int().min(1),
        name: z.string().optional().describe("The app's label from the configuration."),
        guests: z.strictObject({
          enabled: z.boolean().describe("Whether POST /v1/usersig gives guest UserSigs without credentials."),
          turnstileSiteKey: z
            .string()
            .optional()
            .describe(
              "Present when new guests need a Cloudflare Turnstile token (turnstileToken): the widget's site key.",
            ),
          turnstileAction: z
            .string()
            .optional()
            .describe("The action the Turnstile widget must be rendered with, when the app checks one."),
        }),
      }),
    ),
  })
  .meta({ id: "AppsResponse" });

export type PublicApp = z.output<typeof appsResponse>["apps"][number];

appsRoutes.get("/v1/apps", function listApps(c) {
  const apps: PublicApp[] = [];
  for (const { config } of c.var.brokerConfig.apps.values()) {
    const { enabled, turnstile } = config.guests;
    apps.push({
      sdkAppId: config.sdkAppId,
      ...(config.name !== undefined ? { name: config.name } : {}),
      guests: {
        enabled,
        ...(enabled && turnstile
          ? {
              turnstileSiteKey: turnstile.siteKey,
              ...(turnstile.action !== undefined ? { turnstileAction: turnstile.action } : {}),
            }
          : {}),
      },
    });
  }
  c.var.audit.outcome = "listed";
  // Changes only with the configuration; a minute of staleness is harmless.
  c.header("Cache-Control", "public, max-age=60");
  return c.json({ apps } satisfies z.output<typeof appsResponse>);
});
