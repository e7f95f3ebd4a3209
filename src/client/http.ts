/**
 * One POST to the broker with bounded retries: a per-attempt timeout, Retry-After honoured (never a
 * longer in-line wait than maxRetryDelayMs), jittered backoff otherwise, and every failure turned
 * into a UserSigBrokerError. Nothing here caches or knows what is being asked for.
 *
 * Must never: send headers other than Authorization, Content-Type and Accept (the broker's CORS
 * preflight allows only those), or copy a request or response body into an error.
 */

import { CLIENT_ERROR_CODES, closedError, UserSigBrokerError } from "./errors.js";
import { backoffDelayMs, parseRetryAfter, RETRYABLE_STATUSES } from "./retry.js";
import type { FetchLike, Timers } from "./types.js";

export interface HttpContext {
  fetch: FetchLike;
  now: () => number;
  timers: Timers;
  random: () => number;
  maxRetries: number;
  maxRetryDelayMs: number;
  requestTimeoutMs: number;
  /** Aborted by close(): ends waits and requests in flight with CLOSED. */
  closed: AbortSignal;
}

export interface PreparedRequest {
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export interface JsonAnswer {
  json: Record<string, unknown>;
  /** When the attempt that succeeded was sent (ms): lifetimes count from here, on our own clock. */
  sentAtMs: number;
}

/** `prepare` runs before every attempt, so a fresh ID token or Turnstile token goes with each. */
export async function postJson(
  ctx: HttpContext,
  url: string,
  prepare: () => Promise<PreparedRequest>,
): Promise<JsonAnswer> {
  for (let attempt = 0; ; attempt++) {
    if (ctx.closed.aborted) throw closedError();
    const request = await prepare();
    let error: UserSigBrokerError;
    try {
      return await attemptOnce(ctx, url, request);
    } catch (caught) {
      if (!(caught instanceof UserSigBrokerError)) throw caught;
      error = caught;
    }
    if (!error.retryable || attempt >= ctx.maxRetries) throw error;
    let delayMs: number;
    if (error.retryAfterSeconds !== undefined) {
      delayMs = error.retryAfterSeconds * 1000;
      // Asked to wait longer than we wait in line: retrying early would only be refused again.
      if (delayMs > ctx.maxRetryDelayMs) throw error;
    } else {
      delayMs = backoffDelayMs(attempt, ctx.maxRetryDelayMs, ctx.random);
    }
    await sleep(ctx, delayMs);
  }
}

export function sleep(ctx: Pick<HttpContext, "timers" | "closed">, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ctx.closed.aborted) {
      reject(closedError());
      return;
    }
    const onClose = () => {
      ctx.timers.clearTimeout(handle);
      reject(closedError());
    };
    const handle = ctx.timers.setTimeout(() => {
      ctx.closed.removeEventListener("abort", onClose);
      resolve();
    }, ms);
    ctx.closed.addEventListener("abort", onClose, { once: true });
  });
}

async function attemptOnce(ctx: HttpContext, url: string, request: PreparedRequest): Promise<JsonAnswer> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  ctx.closed.addEventListener("abort", onClose, { once: true });
  let timedOut = false;
  const timer = ctx.timers.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ctx.requestTimeoutMs);
  const sentAtMs = ctx.now();
  try {
    let response: Response;
    let text: string;
    try {
      response = await ctx.fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, application/problem+json",
          ...request.headers,
        },
        body: JSON.stringify(request.body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (cause) {
      if (ctx.closed.aborted) throw closedError();
      if (timedOut) {
        throw new UserSigBrokerError({
          status: 0,
          code: CLIENT_ERROR_CODES.TIMEOUT,
          detail: `The broker did not answer within ${ctx.requestTimeoutMs} ms.`,
          retryable: true,
        });
      }
      throw new UserSigBrokerError({
        status: 0,
        code: CLIENT_ERROR_CODES.NETWORK_ERROR,
        detail: "The broker could not be reached (network error or CORS refusal).",
        retryable: true,
        cause,
      });
    }
    const json = parseObject(text);
    if (response.ok) {
      if (json === undefined) throw invalidResponse("The broker's answer is not a JSON object.");
      return { json, sentAtMs };
    }
    throw errorFromAnswer(response, json, ctx.now());
  } finally {
    ctx.timers.clearTimeout(timer);
    ctx.closed.removeEventListener("abort", onClose);
  }
}

function errorFromAnswer(response: Response, body: Record<string, unknown> | undefined, nowMs: number) {
  const status = response.status;
  const retryAfterSeconds = parseRetryAfter(response.headers.get("Retry-After"), nowMs);
  const requestId = str(body?.["requestId"]) ?? response.headers.get("X-Request-Id") ?? undefined;
  const retryable = RETRYABLE_STATUSES.has(status);
  const code = str(body?.["code"]);
  if (body !== undefined && code !== undefined) {
    return new UserSigBrokerError({
      status,
      code,
      detail: str(body["detail"]) ?? str(body["title"]) ?? `The broker answered HTTP ${status}.`,
      title: str(body["title"]),
      type: str(body["type"]),
      field: str(body["field"]),
      retryAfterSeconds,
      requestId,
      retryable,
    });
  }
  // Not the broker's problem+json (a proxy's or CDN's page): keep only the status, never the body.
  return new UserSigBrokerError({
    status,
    code: `HTTP_${status}`,
    detail: `The broker answered HTTP ${status} without a problem description.`,
    retryAfterSeconds,
    requestId,
    retryable,
  });
}

export function invalidResponse(detail: string): UserSigBrokerError {
  return new UserSigBrokerError({ status: 0, code: CLIENT_ERROR_CODES.INVALID_RESPONSE, detail });
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
