/**
 * The methods each path answers, derived from the routes registered on the app (hono's
 * `inspectRoutes`), so that a 405's `Allow` cannot drift from the routes.
 */

import { inspectRoutes } from "hono/dev";
import type { HonoBase } from "hono/hono-base";

export type RouteTable = { pattern: RegExp; methods: string[] }[];

/** `Allow` lists methods in this order (any other after them). */
const METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Every registered path with its methods (middleware left out). */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its environment.
export function routeTable(app: HonoBase<any>): RouteTable {
  const byPath = new Map<string, Set<string>>();
  for (const route of inspectRoutes(app)) {
    if (route.isMiddleware || route.method === "ALL") continue;
    let methods = byPath.get(route.path);
    if (!methods) {
      methods = new Set();
      byPath.set(route.path, methods);
    }
    methods.add(route.method);
  }
  return [...byPath].map(([path, methods]) => ({ pattern: pathPattern(path), methods: [...methods].sort(byOrder) }));
}

/** The methods registered for this path (empty: no such route). */
export function allowedMethods(table: RouteTable, path: string): string[] {
  return table.find((route) => route.pattern.test(path))?.methods ?? [];
}

function byOrder(a: string, b: string): number {
  const rank = (m: string) => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);
  return rank(a) - rank(b);
}

/** A hono path (`/v1/admin/apps/:sdkAppId/admins`) as an anchored pattern; `:param` is one segment. */
function pathPattern(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${source}$`);
}
