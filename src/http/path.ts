/** A route's path parameters: `:userId` (operator and moderation routes), `:service/:command` (the gateway). */
import { routePath } from "hono/route";
import type { LoadedApp } from "../config/load.js";
import { isValidChatName } from "../tencent/chat.js";
import { chatCommandName } from "../tencent/gateway.js";
import { userId as userIdSchema } from "./bodies.js";
import type { BrokerContext } from "./context.js";
import { badRequest, RequestError } from "./errors.js";

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

/**
 * The path's UserID as a moderation target, named in the audit line. A ban or kick target must also
 * match the app's userIdPattern (the broker never issues for any other ID); an unban need not, so
 * that a ban made before the pattern changed can still be lifted.
 */
export function pathTargetUserId(c: BrokerContext, app: LoadedApp, { rule }: { rule: boolean }): string {
  const userId = pathUserId(c);
  c.var.audit.userId = userId;
  if (rule && !app.userIdRule.test(userId)) {
    throw badRequest("The UserID in the path does not match this app's userIdPattern.", "userId");
  }
  return userId;
}

/** The gateway's `:service/:command`, named in the audit line; 404 unless both are Tencent-style names. */
export function pathChatCommand(c: BrokerContext): { service: string; command: string } {
  const service = c.req.param("service") ?? "";
  const command = c.req.param("command") ?? "";
  if (!isValidChatName(service) || !isValidChatName(command)) {
    throw new RequestError("NOT_FOUND", "No such Chat REST command: letters, digits and underscores only.");
  }
  c.var.audit.chatCommand = chatCommandName(service, command);
  return { service, command };
}
