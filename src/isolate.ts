/**
 * Everything the broker keeps between requests in one isolate, in one object created with the app
 * (src/http/app.ts `createApp(state)`), so a test that wants a fresh isolate makes a fresh state,
 * and there is nothing to clear or reset in production (docs/architecture.md, State).
 */

import { type AdminCache, createAdminCache } from "./admins/cache.js";
import { foldUserId } from "./admins/set.js";
import { type AdminSigCache, createAdminSigCache } from "./admins/sigs.js";
import { createIdpKeySets, type IdpKeySets } from "./auth/idp.js";
import { SITEVERIFY_TIMEOUT_MS, type TurnstileDeps } from "./auth/turnstile.js";
import { BanCache } from "./bans/cache.js";
import { type ConfigCache, createConfigCache } from "./config/load.js";
import { createLimiter, type Limiter } from "./ratelimit/limiter.js";
import { newRateLimitKvStats, type RateLimitKvStats } from "./ratelimit/store.js";
import { createKeyring, type Keyring } from "./shared/keys.js";
import { CHAT_ATTEMPT_TIMEOUT_MS, type ChatClientDeps } from "./tencent/chat.js";

/** Milliseconds since the epoch. Read once per request (src/http/app.ts) and passed down. */
export type Clock = () => number;

export interface IsolateState {
  clock: Clock;
  /** BROKER_CONFIG parsed, per config string and secrets. */
  config: ConfigCache;
  /** Each issuer's key set; remote JWKS cached. */
  idpKeys: IdpKeySets;
  /** Runtime admin identities per app (ADMINS KV). */
  admins: AdminCache;
  /** Admin identities' UserSigs. */
  adminSigs: AdminSigCache;
  /** Keys derived from the apps' secret keys (guest tickets, rate-limit subject tags). */
  keys: Keyring;
  /** Rate-limit counters. */
  limiter: Limiter;
  rateLimitKv: RateLimitKvStats;
  /** /v1 requests this isolate has served (GET /v1/admin/stats). */
  requests: { count: number };
  /** Warnings logged once per isolate (e.g. a missing CF-Connecting-IP). */
  loggedOnce: Set<string>;
  /** Each app's bans (moderation), matched with the admin guard's folding. */
  bans: BanCache;
  /** How the Chat REST client reaches Tencent. */
  chat: ChatClientDeps;
  /** How Turnstile's siteverify is reached. */
  turnstile: TurnstileDeps;
}

/** Shorter bounds make tests of staleness and timeouts fast; production uses the defaults. */
export interface IsolateOptions {
  clock?: Clock;
  banCache?: { softTtlMs?: number; hardTtlMs?: number };
  chatTimeoutMs?: number;
}

export function createIsolateState(options: IsolateOptions = {}): IsolateState {
  const clock = options.clock ?? (() => Date.now());
  // The caches a cold isolate's first request may not need (GET /healthz needs none of them) are
  // made on first use: each is a class or closure set whose code V8 would otherwise compile at start.
  let idpKeys: IdpKeySets | undefined;
  let admins: AdminCache | undefined;
  let adminSigs: AdminSigCache | undefined;
  let keys: Keyring | undefined;
  let limiter: Limiter | undefined;
  let bans: BanCache | undefined;
  return {
    clock,
    config: createConfigCache(),
    get idpKeys() {
      idpKeys ??= createIdpKeySets();
      return idpKeys;
    },
    set idpKeys(value) {
      idpKeys = value;
    },
    get admins() {
      admins ??= createAdminCache();
      return admins;
    },
    get adminSigs() {
      adminSigs ??= createAdminSigCache();
      return adminSigs;
    },
    get keys() {
      keys ??= createKeyring();
      return keys;
    },
    get limiter() {
      limiter ??= createLimiter();
      return limiter;
    },
    rateLimitKv: newRateLimitKvStats(),
    requests: { count: 0 },
    loggedOnce: new Set(),
    get bans() {
      bans ??= new BanCache({ fold: foldUserId, ...options.banCache });
      return bans;
    },
    chat: {
      fetch: (request) => fetch(request),
      random: () => (crypto.getRandomValues(new Uint32Array(1))[0] as number) / 0x1_0000_0000,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      timeoutMs: options.chatTimeoutMs ?? CHAT_ATTEMPT_TIMEOUT_MS,
    },
    turnstile: { fetch: (request) => fetch(request), timeoutMs: SITEVERIFY_TIMEOUT_MS },
  };
}
