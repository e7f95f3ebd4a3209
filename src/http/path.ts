/**
 * A route's path parameters: `:userId` (operator and moderation routes), `:roomId` (the room
 * routes), `:service/:command` (the gateway).
 */
import { routePath } from "hono/route";
import type { LoadedApp } from "../config/load.js";
import { isValidChatName } from "../tencent/chat.js";
import { chatCommandName } from "../tencent/gateway.js";
import { isValidStrRoomId, limits } from "../usersig/index.js";
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

/** A string room in a path: this prefix, then the strRoomId percent-encoded (`str:my%20room`). */
export const STR_ROOM_PATH_PREFIX = "str:";
const NUMERIC_ROOM = /^[1-9][0-9]{0,9}$/;

/**
 * A path's room, decoded: a numeric room is its number (`/rooms/1234`); a string room is `str:`
 * followed by its strRoomId (`/rooms/str:lobby`, `/rooms/str:1234` for the string "1234"),
 * percent-encoded as any path segment. Undefined when the segment is neither.
 */
export function parseRoomSegment(raw: string): number | string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (NUMERIC_ROOM.test(decoded)) {
    const room = Number(decoded);
    return room <= limits.ROOM_ID_MAX ? room : undefined;
  }
  if (!decoded.startsWith(STR_ROOM_PATH_PREFIX)) return undefined;
  const strRoomId = decoded.slice(STR_ROOM_PATH_PREFIX.length);
  return isValidStrRoomId(strRoomId) ? strRoomId : undefined;
}

/** The route's `:roomId` (see parseRoomSegment), named in the audit line; 400 (field roomId) otherwise. */
export function pathRoom(c: BrokerContext): number | string {
  const index = routePath(c).split("/").indexOf(":roomId");
  const room = parseRoomSegment(new URL(c.req.url).pathname.split("/")[index] ?? "");
  if (room === undefined) {
    throw badRequest(
      `The room in the path is a room number (1 to ${limits.ROOM_ID_MAX}), or ${STR_ROOM_PATH_PREFIX} followed by a string room ID of 1 to ${limits.STR_ROOM_ID_MAX_BYTES} bytes, percent-encoded.`,
      "roomId",
    );
  }
  c.var.audit.room = room;
  return room;
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
