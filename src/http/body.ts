/**
 * Request bodies: JSON only, size-capped, validated with the route's schema (its validator compiled
 * at build time, bodies.ts, which words the 400 as zod would). An empty body is
 * `{}` so that a guest can `POST /v1/usersig` with nothing at all.
 *
 * `boundedBody` (mounted on /v1/* in app.ts) enforces the cap with hono/body-limit; a body that
 * cannot be read to its end (the client sent less than its Content-Length and closed, or broke the
 * chunked framing) is a 400 BODY_UNREADABLE, never a 500.
 */

import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Body } from "./bodies.js";
import type { BrokerHono } from "./context.js";
import { badRequest, RequestError } from "./errors.js";

/** Bodies are a few small fields; 8 KiB also bounds the UserSig inside a /v1/verify body. */
export const MAX_BODY_BYTES = 8 * 1024;

/**
 * The Chat REST gateway forwards Tencent's own request bodies (a message, an import batch); Tencent's
 * callbacks carry one (src/callbacks/errors.ts CALLBACK_BODY_MAX_BYTES, the same 64 KiB).
 */
export const CHAT_BODY_MAX_BYTES = 64 * 1024;

export function boundedBody(maxBytes = MAX_BODY_BYTES): MiddlewareHandler<BrokerHono> {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new RequestError("BODY_TOO_LARGE", `Request bodies are at most ${maxBytes} bytes here.`);
    },
  });
  return async function boundedBody(c, next) {
    let reached = false;
    try {
      return await limit(c, () => {
        reached = true;
        return next();
      });
    } catch (error) {
      // Whatever the route threw was answered below (app.onError): only reading the body is left.
      if (reached || error instanceof RequestError) throw error;
      throw unreadable(error);
    }
  };
}

/** The body's text and its JSON value (`{}` for an empty body). */
async function readJsonValue(c: Context): Promise<{ text: string; value: unknown }> {
  let text: string;
  try {
    text = await c.req.text();
  } catch (error) {
    throw unreadable(error);
  }
  let value: unknown = {};
  if (text.trim() !== "") {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (type !== "application/json" && !type.endsWith("+json")) {
      throw new RequestError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest("The body is not valid JSON.");
    }
  }
  return { text, value };
}

/**
 * The body's bytes exactly as received, for a caller that verifies a signature over them (Tencent's
 * callbacks). The cap is boundedBody's; a body that cannot be read to its end is BODY_UNREADABLE.
 */
export async function readRawBody(c: Context): Promise<Uint8Array> {
  try {
    return new Uint8Array(await c.req.arrayBuffer());
  } catch (error) {
    throw unreadable(error);
  }
}

/**
 * A JSON object body as the client sent it, for forwarding unchanged (numbers beyond 2^53 keep
 * their digits). An empty body is `{}`.
 */
export async function readJsonObjectText(c: Context): Promise<string> {
  const { text, value } = await readJsonValue(c);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest("The body must be a JSON object.");
  }
  return text.trim() === "" ? "{}" : text;
}

export async function readJson<T>(c: Context, body: Body<T>): Promise<T> {
  const { value } = await readJsonValue(c);
  const parsed = body.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.issues[0];
  if (!issue) throw badRequest("The body is not valid.");
  let field = issue.path.map(String).join(".");
  let message = issue.message;
  // An unknown member: name it (its name, never its value), e.g. a typo such as `userid`.
  if (issue.code === "unrecognized_keys" && issue.keys?.[0] !== undefined) {
    field = field === "" ? issue.keys[0] : `${field}.${issue.keys[0]}`;
    message = "unknown field";
  }
  // zod's messages describe the expected shape, never echo the value.
  throw badRequest(field ? `${field}: ${message}` : message, field || undefined);
}

function unreadable(error: unknown): RequestError {
  return new RequestError("BODY_UNREADABLE", "The request body could not be read to its end; send it again.", {
    reason: `body: ${error instanceof Error ? error.name : typeof error}`,
  });
}
