/**
 * The rules of the request bodies that a schema's own checks cannot say, as plain functions without
 * zod or hono: src/http/schemas.ts calls them through `z.refine`, and so does the validator compiled
 * from those schemas at build time (scripts/build-validators.mjs, build/validators/), which the
 * routes validate with. Outside src/http/ so that the compiled validators import nothing of the web
 * layer.
 */

import { hasEdgeSpace } from "../admins/set.js";
import { BAN_REASON_MAX_CHARS } from "../bans/limits.js";
import { codePointLength, hasBidiControls } from "../shared/text.js";
import { hasControlCharacter } from "../usersig/index.js";

/** No white space or invisible character at either end of a UserID. */
export function hasNoEdgeSpace(id: string): boolean {
  return !hasEdgeSpace(id);
}

/** A PrivateMapKey is for exactly one room: a numeric `roomId` or a string `strRoomId`. */
export function oneRoom(body: { roomId?: number | undefined; strRoomId?: string | undefined }): boolean {
  return (body.roomId === undefined) !== (body.strRoomId === undefined);
}

/** A ban reason's length, in code points. */
export function reasonFits(text: string): boolean {
  return codePointLength(text) <= BAN_REASON_MAX_CHARS;
}

/** No lone surrogate, no C0 or C1 control character (nor DEL): text a moderator can read. */
export function isPlainText(text: string): boolean {
  return text.isWellFormed() && !hasControlCharacter(text);
}

/** No bidirectional formatting character (which could make a reason read differently). */
export function hasNoBidiControls(text: string): boolean {
  return !hasBidiControls(text);
}
