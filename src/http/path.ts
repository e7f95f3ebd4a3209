/** A route's `:userId` path parameter, for the operator and moderation routes. */
import { routePath } from "hono/route";
import type { BrokerContext } from "./context.js";
import { badRequest } from "./errors.js";
import { userId as userIdSchema } from "./schemas.js";

/**
 * The route's `:userId`, percent-decoded, as a valid UserID. 400 (field userId) when it is not one,
 * or when the segment is not valid percent-encoded UTF-8: Hono hands such a segment over as is
 * (`%E0%A4%A` would be taken literally), so the raw segment is decoded here.
 */
export function pathUserId(c: BrokerContext): string {
  const index = routePath(c).split("/").indexOf(":userId");
  const raw = new URL(c.req.url).pathname.split("/")[index] ?? "";
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw badRequest("The UserID in the path is not valid percent-encoded UTF-8.", "userId");
  }
  const parsed = userIdSchema.safeParse(decoded);
  if (!parsed.success) throw badRequest("The UserID in the path is not valid.", "userId");
  return parsed.data;
}
