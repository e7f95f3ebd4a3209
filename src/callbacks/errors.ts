/**
 * Refusals of an inbound Tencent callback, before anything in it is read or acted on. `detail`
 * says what was wrong in fixed words; never the key, the token, the signature or the body.
 */

import { BrokerError } from "../shared/errors.js";

export type CallbackErrorCode =
  /** Over CALLBACK_BODY_MAX_BYTES. */
  | "CALLBACK_TOO_LARGE"
  /** No, or a malformed, app parameter; or an app that is not configured for this callback. */
  | "CALLBACK_UNKNOWN_APP"
  /** No signature, or one that does not verify. */
  | "CALLBACK_BAD_SIGNATURE"
  /** The callback's time is more than CALLBACK_MAX_SKEW_MS from the clock (a replay, or a bad clock). */
  | "CALLBACK_STALE"
  /** Signed, but not the JSON Tencent documents. */
  | "CALLBACK_MALFORMED";

export class CallbackError extends BrokerError<CallbackErrorCode> {
  override readonly name = "CallbackError";
  /**
   * The app the refused callback is for, once identified from Tencent's own parameter (an app
   * configured for this callback): for the audit line, which names it (src/http/audit.ts).
   */
  sdkAppId: number | undefined;
}

/**
 * Runs `verify`, the steps after the app was identified: each refusal it throws names the app (a
 * bad signature for a known app is logged with that app; the key, token and Sign never are).
 */
export async function forIdentifiedApp<T>(sdkAppId: number, verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (error instanceof CallbackError) error.sdkAppId ??= sdkAppId;
    throw error;
  }
}

/** A callback body is small JSON; Tencent's before-send bodies carry one message. */
export const CALLBACK_BODY_MAX_BYTES = 64 * 1024;
/** Tencent: refuse a callback older than one minute. Either way, for a clock ahead. */
export const CALLBACK_MAX_SKEW_MS = 60_000;

/** Equal-length byte strings compared without an early exit (lengths are public: digests). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** A decimal SdkAppId as Tencent sends it: 1 to 10 digits, no sign, no leading zero. */
export function parseSdkAppId(value: string | null | undefined): number | undefined {
  if (value == null || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= 0xffff_ffff ? n : undefined;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseJsonObject(body: Uint8Array): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback's body is not JSON.");
  }
  if (!isObject(json)) throw new CallbackError("CALLBACK_MALFORMED", "The callback's body is not a JSON object.");
  return json;
}

export function checkSize(body: Uint8Array): void {
  if (body.byteLength > CALLBACK_BODY_MAX_BYTES) {
    throw new CallbackError("CALLBACK_TOO_LARGE", `A callback's body is at most ${CALLBACK_BODY_MAX_BYTES} bytes.`);
  }
}

/**
 * An event's key: hex SHA-256 of its identifying fields as JSON. Fixed length (64), whatever the
 * fields hold (a room ID or a UserID escaped in JSON can be six times its length), so the
 * moderation object's store of seen events stays bounded.
 */
export async function eventKeyOf(fields: readonly unknown[]): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(fields))),
  );
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
