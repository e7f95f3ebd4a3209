/**
 * Request bodies: JSON only, size-capped (the cap is enforced by hono/body-limit in app.ts before
 * this runs), validated with the route's zod schema. An empty body is `{}` so that a guest can
 * `POST /v1/usersig` with nothing at all.
 */

import type { Context } from "hono";
import type * as z from "../config/zod.js";
import { Problem, problems } from "./problem.js";

/** Bodies are a few small fields; 8 KiB also bounds the UserSig inside a /v1/verify body. */
export const MAX_BODY_BYTES = 8 * 1024;

export async function readJson<S extends z.ZodMiniType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== "") {
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (type !== "application/json" && !type.endsWith("+json")) {
      throw new Problem({
        status: 415,
        code: "UNSUPPORTED_MEDIA_TYPE",
        title: "Unsupported media type",
        detail: "Send the body as application/json.",
        headers: { Accept: "application/json" },
      });
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw problems.badRequest("The body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join(".") || undefined;
    // zod's messages describe the expected shape, never echo the value.
    const detail = issue ? `${field ? `${field}: ` : ""}${issue.message}` : "The body is not valid.";
    throw problems.badRequest(detail, field ? { field } : undefined);
  }
  return parsed.data;
}
