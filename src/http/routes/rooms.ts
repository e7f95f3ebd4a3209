/**
 * Moderators and TRTC rooms (the app's moderation Durable Object acts, through BansService; this
 * file parses and answers). Who may call them: the same as the ban routes (routes/moderation.ts).
 *
 * - POST /v1/admin/apps/{sdkAppId}/rooms/{roomId}/users/{userId}/remove  out of one room, no ban
 * - POST /v1/admin/apps/{sdkAppId}/rooms/{roomId}/dismiss               the whole room ended
 * - GET  /v1/admin/apps/{sdkAppId}/users/{userId}                       banned?, and the rooms the user is in now
 *
 * `{roomId}` is the room's number for a numeric room (`/rooms/1234`), or `str:` followed by the
 * percent-encoded strRoomId for a string room (`/rooms/str:lobby`; see path.ts). An admin identity
 * is never removed (the object refuses it: 409).
 */

import type { BrokerApp, BrokerContext } from "../context.js";
import { pathRoom, pathTargetUserId } from "../path.js";
import { moderator } from "./moderation.js";

/** Registers these routes on the app (app.ts `createApp`, in its order). */
export function roomRoutes(routes: BrokerApp): void {
  routes.post("/v1/admin/apps/:sdkAppId/rooms/:roomId/users/:userId/remove", async function removeFromRoom(c) {
    const { app } = await moderator(c);
    const room = pathRoom(c);
    const userId = pathTargetUserId(c, app, { rule: true });
    const removal = await c.var.broker.bans.removeFromRoom(app, userId, room);
    noteStep(c, removal, "removed", "remove-failed");
    c.header("Cache-Control", "no-store");
    return c.json({ userId, room, removal });
  });

  routes.post("/v1/admin/apps/:sdkAppId/rooms/:roomId/dismiss", async function dismissRoom(c) {
    const { app } = await moderator(c);
    const room = pathRoom(c);
    const dismissal = await c.var.broker.bans.dismissRoom(app, room);
    noteStep(c, dismissal, "dismissed", "dismiss-failed");
    c.header("Cache-Control", "no-store");
    return c.json({ room, dismissal });
  });

  routes.get("/v1/admin/apps/:sdkAppId/users/:userId", async function user(c) {
    const { app } = await moderator(c);
    // A look-up, like an unban: any valid UserID, whatever the app's pattern says now.
    const userId = pathTargetUserId(c, app, { rule: false });
    const found = await c.var.broker.bans.user(app, userId);
    c.var.audit.outcome = "looked-up";
    c.header("Cache-Control", "no-store");
    return c.json(found);
  });
}

/** The audit line: whether Tencent confirmed the step, and when not, the object's fixed reason and Tencent's code. */
function noteStep(
  c: BrokerContext,
  report: { ok: true } | { ok: false; reason: string; errorCode?: number | string },
  done: string,
  failed: string,
): void {
  if (report.ok) {
    c.var.audit.outcome = done;
    return;
  }
  Object.assign(c.var.audit, {
    outcome: failed,
    stepReason: report.reason,
    ...(report.errorCode !== undefined ? { tencentCode: String(report.errorCode) } : {}),
  });
}
