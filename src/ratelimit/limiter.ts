/**
 * The isolate's rate-limit decisions: made in memory, at once when the counter is warm; KV only tells
 * this isolate what the others have counted (a read per sync interval, in the background) and learns
 * what this one has (a blind write of its shard, at most once per flush interval). A cold counter
 * waits for one read, shared by concurrent requests, at most COLD_WAIT_MS; if KV fails, the policy's
 * failMode decides, and what this isolate counted itself is still enforced. No timers: a timer held
 * in waitUntil would hold the response's context open. Pieces: counts.ts (per window), counter.ts
 * (when to read or write), memory.ts (the bounded set of counters). Accuracy: docs/rate-limits.md.
 */

import { errorName } from "../shared/errors.js";
import { bounded, TIMED_OUT } from "../shared/timeout.js";
import type { Counter, CounterSpec } from "./counter.js";
import { CounterMemory } from "./memory.js";
import { type Decision, decide, shardTtlSeconds } from "./policy.js";
import type { RateLimitStore } from "./store.js";

export type { CounterSpec } from "./counter.js";

/** How long a request waits for a cold counter's read before its failMode applies. */
const COLD_WAIT_MS = 1_000;
/** How long a background read or write may hold a request's waitUntil. */
const BACKGROUND_WAIT_MS = 2_000;

export interface LimiterDeps {
  store: RateLimitStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Keeps a background read or write alive after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  log: (line: Record<string, unknown>) => void;
}

export type Outcome =
  /** `degraded`: allowed without the other isolates' counts (KV failed, failMode open). */
  | { status: "allowed"; decision: Decision; degraded: string | undefined; charge: Charge }
  | { status: "refused"; decision: Decision }
  /** KV failed or was slow and the policy is fail-closed. Nothing was counted. */
  | { status: "unavailable"; decision: Decision; reason: string };

/** What an allowed request added, so that it can be given back (refund). */
export interface Charge {
  id: string;
  indices: ReadonlyMap<number, number>;
}

/**
 * This isolate's decisions (GET /v1/admin/stats). coldWaits counts requests that waited for a cold
 * counter's read (concurrent ones share one read); backgroundReads counts reads started in waitUntil.
 */
export interface LimiterStats {
  checks: number;
  allowed: number;
  refused: number;
  unavailable: number;
  failOpen: number;
  coldWaits: number;
  backgroundReads: number;
  refunds: number;
}

export interface Limiter {
  /** Counts one request against every window of the counter, if all have room. */
  consume(spec: CounterSpec, deps: LimiterDeps): Promise<Outcome>;
  /** Gives back an allowed request's count (in the windows it was counted in, if still current). */
  refund(charge: Charge, deps: LimiterDeps): void;
  /** The windows as they stand, without counting anything (e.g. for headers after a refund). */
  peek(spec: CounterSpec, nowMs: number): Decision;
  /** This isolate's shard name: random, made on first use (random values are not allowed at global scope). */
  isolateId(): string;
  entryCount(): number;
  readonly stats: Readonly<LimiterStats>;
}

/**
 * One isolate's counters: created with the app (src/isolate.ts); a test makes a fresh one.
 * `isolateId`: the shard name to write under (default: random, made on first use).
 */
export function createLimiter(options: { isolateId?: string } = {}): Limiter {
  return new IsolateLimiter(options.isolateId);
}

class IsolateLimiter implements Limiter {
  readonly stats: LimiterStats = {
    checks: 0,
    allowed: 0,
    refused: 0,
    unavailable: 0,
    failOpen: 0,
    coldWaits: 0,
    backgroundReads: 0,
    refunds: 0,
  };
  readonly #memory = new CounterMemory();
  #isolateId: string | undefined;

  constructor(isolateId: string | undefined) {
    this.#isolateId = isolateId;
  }

  isolateId(): string {
    this.#isolateId ??= crypto.randomUUID().replaceAll("-", "").slice(0, 16);
    return this.#isolateId;
  }

  entryCount(): number {
    return this.#memory.size;
  }

  async consume(spec: CounterSpec, deps: LimiterDeps): Promise<Outcome> {
    this.stats.checks++;
    const counter = this.#memory.use(spec);
    let nowMs = deps.now();
    // What this request knows of the others' counts. Only a cold counter awaits anything.
    const plan = counter.readPlan(nowMs);
    let degraded: string | undefined;
    if (plan.kind === "wait") {
      degraded = await this.#coldRead(counter, deps);
      nowMs = deps.now();
    } else if (plan.kind === "degraded") degraded = plan.reason;
    else if (plan.kind === "refresh") {
      this.stats.backgroundReads++;
      deps.waitUntil(bounded(this.#read(counter, deps), BACKGROUND_WAIT_MS));
    }

    // From here to the end nothing is awaited: deciding and counting are one step.
    const decision = decide(counter.counts.uses(spec.windows, nowMs), nowMs);
    let outcome: Outcome;
    if (!decision.allowed) {
      this.stats.refused++;
      outcome = { status: "refused", decision };
    } else if (degraded !== undefined && spec.failMode === "closed") {
      this.stats.unavailable++;
      outcome = { status: "unavailable", decision, reason: degraded };
    } else {
      const charge = { id: counter.id, indices: counter.counts.add(spec.windows, nowMs) };
      this.#changed(counter, nowMs, deps);
      this.stats.allowed++;
      if (degraded !== undefined) this.stats.failOpen++;
      outcome = { status: "allowed", decision, degraded, charge };
    }
    if (this.#memory.sweepDue(nowMs)) this.#memory.sweep(nowMs, (c) => this.#writeIfDue(c, nowMs, deps));
    return outcome;
  }

  refund(charge: Charge, deps: LimiterDeps): void {
    const counter = this.#memory.get(charge.id);
    if (!counter?.counts.giveBack(charge.indices)) return;
    this.stats.refunds++;
    this.#changed(counter, deps.now(), deps);
  }

  peek(spec: CounterSpec, nowMs: number): Decision {
    const counter = this.#memory.get(spec.id);
    const windows = counter ? counter.counts.uses(spec.windows, nowMs) : spec.windows.map((w) => ({ ...w, used: 0 }));
    return decide(windows, nowMs, 0);
  }

  /** Waits, at most COLD_WAIT_MS, for a cold counter's read; returns why it failed, if it did. */
  async #coldRead(counter: Counter, deps: LimiterDeps): Promise<string | undefined> {
    this.stats.coldWaits++;
    const read = await bounded(this.#read(counter, deps), COLD_WAIT_MS);
    if (read === true) return undefined;
    if (read === TIMED_OUT) counter.readFailed(deps.now(), `KV list took over ${COLD_WAIT_MS} ms`);
    return counter.lastError ?? "KV read failed";
  }

  /** One read of the counter's shards, shared by everyone asking while it runs. Never rejects. */
  #read(counter: Counter, deps: LimiterDeps): Promise<boolean> {
    if (counter.syncing) return counter.syncing;
    const run = (async () => {
      try {
        const shards = await deps.store.readShards(await counter.kvName());
        const nowMs = deps.now();
        counter.counts.learn(shards, counter.windows, nowMs, this.isolateId());
        counter.readSucceeded(nowMs);
        return true;
      } catch (error) {
        counter.readFailed(deps.now(), `KV list failed: ${errorName(error)}`);
        deps.log({ event: "rate_limit_kv_error", op: "list", reason: counter.lastError });
        return false;
      } finally {
        counter.syncing = undefined;
      }
    })();
    counter.syncing = run;
    return run;
  }

  /** Counted or refunded: queued for writing, and written at once if due. */
  #changed(counter: Counter, nowMs: number, deps: LimiterDeps): void {
    this.#memory.changed(counter);
    this.#writeIfDue(counter, nowMs, deps);
  }

  /** Starts the counter's write (a blind put of its shard, in waitUntil) if one is due. */
  #writeIfDue(counter: Counter, nowMs: number, deps: LimiterDeps): boolean {
    if (!counter.writeDue(nowMs)) return false;
    this.#memory.written(counter);
    const counts = counter.startWrite(nowMs);
    const ttlSeconds = shardTtlSeconds(counter.windows, nowMs);
    const write = counter.kvName().then((name) => deps.store.writeShard(name, this.isolateId(), counts, ttlSeconds));
    const logged = write.then(
      () => true,
      (error: unknown) => {
        deps.log({ event: "rate_limit_kv_error", op: "put", reason: `KV put failed: ${errorName(error)}` });
        return false;
      },
    );
    deps.waitUntil(
      bounded(logged, BACKGROUND_WAIT_MS).then((ok) => {
        counter.writeEnded(ok === true, deps.now());
        if (ok !== true) this.#memory.requeue(counter);
      }),
    );
    return true;
  }
}
