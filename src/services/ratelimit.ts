/**
 * Rate limits (src/ratelimit/enforce.ts) with the isolate's counters bound to this request: its
 * RATE_LIMITS namespace, its one clock reading, its waitUntil. The HTTP layer names the subject and
 * keeps the check for the RateLimit header fields.
 */

import type { LoadedApp } from "../config/load.js";
import type { LimitedKind, RouteClass } from "../ratelimit/config.js";
import { checkLimit, type LimitCheck, type RateLimitDeps, reserveNewGuest } from "../ratelimit/enforce.js";
import type { RateLimitError } from "../ratelimit/errors.js";
import { kvRateLimitStore } from "../ratelimit/store.js";
import type { BrokerScope } from "./broker.js";

/** A check's result: the check (undefined when no policy applies) and, when refused, the error to throw. */
export interface Checked {
  check: LimitCheck | undefined;
  refusal: RateLimitError | undefined;
}

export class RateLimitService {
  readonly #scope: BrokerScope;
  #deps: RateLimitDeps | undefined;

  constructor(scope: BrokerScope) {
    this.#scope = scope;
  }

  /** Counts this request against `subject`'s limit for the route class; a refused request counts nothing. */
  check(app: LoadedApp, routeClass: RouteClass, kind: LimitedKind, subject: string): Promise<Checked> {
    return checkLimit(this.#bound(), app, routeClass, kind, subject);
  }

  /** Takes one new guest identity from the app's daily budget; call the result to give it back. */
  reserveNewGuest(app: LoadedApp, perSubject: LimitCheck | undefined): Promise<() => void> {
    return reserveNewGuest(this.#bound(), app, perSubject);
  }

  #bound(): RateLimitDeps {
    const { state, env, nowMs, waitUntil } = this.#scope;
    this.#deps ??= {
      limiter: state.limiter,
      keys: state.keys,
      store: kvRateLimitStore(env.RATE_LIMITS, state.rateLimitKv),
      // The request's clock: one reading for every decision this request makes.
      now: () => nowMs,
      waitUntil,
      log: (line) => console.error(JSON.stringify(line)),
      warn: (line) => console.warn(JSON.stringify(line)),
    };
    return this.#deps;
  }
}
