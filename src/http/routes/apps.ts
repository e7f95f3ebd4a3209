/**
 * GET /v1/apps: what a browser needs to know about the apps this broker serves, for the inspector
 * page (GET /) and any client that wants to offer guest sign-in. Public and not secret: the
 * SDKAppID, the app's label, whether guests are allowed and Turnstile's public site key (and
 * action). Never API key hashes, admins, identity providers, lifetimes, rooms or origins.
 */

import type { BrokerApp } from "../context.js";
import type { AppsResponse, PublicApp } from "../responses.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function appsRoutes(routes: BrokerApp): void {
  routes.get("/v1/apps", function listApps(c) {
    const apps: PublicApp[] = [];
    for (const { config } of c.var.brokerConfig.listedApps()) {
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
    return c.json({ apps } satisfies AppsResponse);
  });
}
