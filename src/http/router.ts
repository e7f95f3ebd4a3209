/**
 * The router the Worker matches requests with: Hono's RegExpRouter, its matcher (one regular
 * expression, the handler lists, the static paths) computed at build time from the app's own routes
 * (scripts/build-router.mjs, into the git-ignored build/router/) rather than on the first request.
 * Hono's PreparedRegExpRouter only puts the handlers into those lists; its `match` is RegExpRouter's
 * own, so a warm request is matched exactly as before. The route list has one source of truth, the
 * code: the build script creates the app (app.ts `createApp`) and reads `app.routes`.
 *
 * A stale build stops the Worker where it starts, never falls back to another router: a path the
 * build did not see throws as it is registered, and one the build saw but the code no longer
 * registers throws at the end of `createApp` (`assertComplete`). test/node/router.test.ts fails on
 * a stale build too; test/unit/router.test.ts (Node) and test/broker/router.test.ts (workerd) check
 * that the prepared app answers every route as Hono's default router does.
 */

import type { Router } from "hono/router";
import { PreparedRegExpRouter } from "hono/router/reg-exp-router";
import { routerParams } from "../../build/router/index.js";

const STALE = "build/router/ is stale (run node scripts/build-router.mjs)";

export class BrokerRouter<T> extends PreparedRegExpRouter<T> implements Router<T> {
  /** The paths the build prepared, and those not registered yet. */
  readonly #prepared: Set<string>;
  readonly #unregistered: Set<string>;

  /** `params`: the build's (a test passes others, built from other paths). */
  constructor(params: ConstructorParameters<typeof PreparedRegExpRouter<T>> = routerParams<T>()) {
    const [matchers, relocateMap] = params;
    super(matchers, relocateMap);
    this.#prepared = new Set(Object.keys(relocateMap));
    this.#unregistered = new Set(this.#prepared);
  }

  override add(method: string, path: string, handler: T): void {
    if (path !== "/*" && path !== "*" && !this.#prepared.has(path)) throw new Error(`${STALE}: ${path} is not in it`);
    this.#unregistered.delete(path);
    super.add(method, path, handler);
  }

  /** Throws when the build prepared a path that was not registered. */
  assertComplete(): void {
    if (this.#unregistered.size > 0) throw new Error(`${STALE}: ${[...this.#unregistered].join(", ")} not registered`);
  }
}
