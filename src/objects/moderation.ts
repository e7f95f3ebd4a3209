/**
 * ModerationObject: one SQLite-backed Durable Object per app (named by its sdkAppId), the one place
 * that holds the app's bans and presence. Everything in one object runs one call at a time against
 * storage that is strongly consistent, so a ban written through any isolate is what the next
 * callback decision reads, and the cap is counted exactly.
 *
 * Tables: `bans` (one row per stored user ID, with its folded form), `presence` (user, room, when
 * last heard of), `seen` (callback event keys, for redeliveries), `tasks` (Tencent steps that
 * failed, retried by the alarm), `meta` (the app, whether KV's bans were moved over).
 *
 * The rules live in src/bans/ (decide.ts, presence.ts, dedupe.ts, retry.ts, steps.ts); this file
 * stores, calls Tencent (Chat kick and mute, TRTC RemoveUser / DismissRoom) and answers. Every
 * method answers an `ObjectAnswer`: a domain error crosses RPC as data (code, detail), and the
 * service layer (src/services/broker.ts, BansService) throws it again as a BansError.
 *
 * Configuration: the object loads the app from its own env (the same Worker's bindings, secrets and
 * vars as the caller's), for every call and for its alarm; the caller passes only its clock. The
 * workerd tests give each request an env of its own: under their switch (`TEST_ONLY_OBJECT_VARS`,
 * true in this object's env too) the caller's strings come along (`ObjectRef.vars`) and are laid
 * over the object's env, the last ones kept for the alarm (docs/moderation.md, "The object's config").
 */

import { DurableObject } from "cloudflare:workers";
import { type AdminSet, adminSetOf, foldUserId, isAdminLike } from "../admins/set.js";
import { REKICK_AFTER_MS } from "../bans/cache.js";
import { BANS_MAX, type Ban, type BanRequest, banFor, banToStore, checkBanRequest, inForce } from "../bans/decide.js";
import { checkEventKey, SEEN_MAX, seenCutoff } from "../bans/dedupe.js";
import { BANS_RETRY_AFTER_SECONDS, BansError } from "../bans/errors.js";
import {
  dismissalEnds,
  entryAfterExit,
  eventApplies,
  overflow,
  PRESENCE_MAX_PER_APP,
  PRESENCE_MAX_PER_USER,
  presenceCutoff,
  type RoomDismissal,
  roomKey,
  roomOfKey,
  WHOLE_ROOM,
} from "../bans/presence.js";
import { ALARM_STEPS_PER_RUN, type AlarmRun, nextAlarmAt, nextAttemptAt } from "../bans/retry.js";
import {
  allOf,
  type BanOutcome,
  type BanSteps,
  chatIdsOf,
  type RoomEvent,
  type RoomRemoval,
  type StepReport,
  skipped,
  stepOf,
  type UnbanOutcome,
  type UserView,
  worthRetrying,
} from "../bans/steps.js";
import { listBans } from "../bans/store.js";
import type { LoadedApp } from "../config/load.js";
import type { BrokerEnv } from "../env.js";
import { createIsolateState, type IsolateState } from "../isolate.js";
import { BrokerError } from "../shared/errors.js";
import { kvStore } from "../shared/storage.js";
import { unixSeconds } from "../shared/units.js";
import type { ChatClientDeps, ChatTarget } from "../tencent/chat.js";
import { kickUser } from "../tencent/kick.js";
import { MUTE_FOREVER_SECONDS, muteSecondsUntil, setNoSpeaking } from "../tencent/mute.js";
import { chatTarget } from "../tencent/target.js";
import { dismissRoom, removeUsers, type TrtcClientDeps, type TrtcRoom } from "../tencent/trtc.js";
import { trtcTarget } from "../tencent/trtc-target.js";

/** Each Tencent attempt inside the object: two attempts and the jitter stay within TRTC's 5 s callback wait. */
const OBJECT_TENCENT_TIMEOUT_MS = 2_000;
/** Removal calls at once (TRTC allows 20 requests per second). */
const REMOVE_CONCURRENCY = 8;

/** Who is calling, and with what: the app, its clock (unix ms), the test seam's env strings. */
export interface ObjectRef {
  sdkAppId: number;
  /** The caller's env strings: sent, and read, only under TEST_ONLY_OBJECT_VARS (the workerd tests). */
  vars?: Record<string, unknown>;
  nowMs: number;
  /** BANS_MAX, unless a test lowers it. */
  maxBans?: number;
  /** A ban: when to kick once more (the caller's BanCache.rekickAfterMs); default REKICK_AFTER_MS. */
  rekickAfterMs?: number;
  /** The caller's own bound on a Chat attempt (IsolateOptions.chatTimeoutMs); the object's is at most 2 s. */
  tencentTimeoutMs?: number;
}

/** A domain error as data, so that it crosses RPC whole. */
export interface ObjectError {
  code: string;
  detail: string;
  retryAfterSeconds?: number;
  field?: string;
}

export type ObjectAnswer<T> = { ok: true; value: T } | { ok: false; error: ObjectError };

/** `rekick`: the Chat kick once more, after every isolate has seen the ban (REKICK_AFTER_MS). */
type TaskKind = "kick" | "rekick" | "mute" | "unmute" | "remove";

interface BanRow {
  user_id: string;
  reason: string | null;
  expires_at: number | null;
  banned_at: number;
  banned_by: string;
  [column: string]: SqlStorageValue;
}

interface TaskRow {
  id: number;
  kind: TaskKind;
  user_id: string;
  room: string;
  attempts: number;
  due_ms: number;
  [column: string]: SqlStorageValue;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bans (user_id TEXT PRIMARY KEY, folded TEXT NOT NULL, reason TEXT,
  expires_at INTEGER, banned_at INTEGER NOT NULL, banned_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bans_folded ON bans (folded);
CREATE TABLE IF NOT EXISTS presence (user_id TEXT NOT NULL, folded TEXT NOT NULL, room TEXT NOT NULL,
  seen_at INTEGER NOT NULL, PRIMARY KEY (user_id, room));
CREATE INDEX IF NOT EXISTS presence_folded ON presence (folded);
CREATE INDEX IF NOT EXISTS presence_room ON presence (room);
CREATE INDEX IF NOT EXISTS presence_seen ON presence (seen_at);
CREATE TABLE IF NOT EXISTS seen (event_key TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS seen_at ON seen (at);
CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,
  user_id TEXT NOT NULL, room TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL, due_ms INTEGER NOT NULL,
  UNIQUE (kind, user_id, room));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exits (user_id TEXT NOT NULL, room TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (user_id, room));
CREATE INDEX IF NOT EXISTS exits_at ON exits (at);
`;

export class ModerationObject extends DurableObject<BrokerEnv> {
  readonly #sql: SqlStorage;
  /** The object's own isolate state: config cache, admin cache, admin sigs, the Chat client's deps. */
  readonly #state: IsolateState;
  /** Each Tencent attempt's bound: OBJECT_TENCENT_TIMEOUT_MS, or the caller's Chat timeout when shorter. */
  #timeoutMs = OBJECT_TENCENT_TIMEOUT_MS;
  /** The last caller's env strings, for the alarm: only under TEST_ONLY_OBJECT_VARS (the workerd tests). */
  #vars: Record<string, unknown> | undefined;
  /** The app this object is for, once recorded in `meta`. */
  #sdkAppId: number | undefined;
  #migrated: Promise<void> | undefined;
  /** Ban, unban and kick one after another: a mute and its unmute never overtake each other. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: BrokerEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(SCHEMA);
    this.#state = createIsolateState({ chatTimeoutMs: OBJECT_TENCENT_TIMEOUT_MS });
  }

  get #chat(): ChatClientDeps {
    return { ...this.#state.chat, timeoutMs: this.#timeoutMs };
  }

  get #trtc(): TrtcClientDeps {
    return { ...this.#state.chat, timeoutMs: this.#timeoutMs };
  }

  // --- The callbacks' calls ---------------------------------------------------------------------

  /** TRTC 103: presence; a banned user is removed from that room at once (queued on failure). */
  enterRoom(ref: ObjectRef, event: RoomEvent) {
    return this.#answer(ref, async (app) => {
      const nowSeconds = unixSeconds(ref.nowMs);
      // The admin check (which can fail) before the event is remembered: a delivery refused here is
      // acted on when Tencent retries it, not dropped as a duplicate.
      const admin = await this.#adminIfBanned(app, ref, event.userId, nowSeconds);
      if (this.#seenBefore(event.eventKey, nowSeconds)) {
        return { duplicate: true, banned: this.#banOf(event.userId, nowSeconds) !== undefined };
      }
      this.#recordPresence(event, nowSeconds);
      const ban = this.#banOf(event.userId, nowSeconds);
      // Banned while the admin set was read: that ban's own removal covers the presence just recorded.
      if (!ban || admin === undefined) return { duplicate: false, banned: ban !== undefined };
      const removal = admin
        ? skipped("admin identity: never removed")
        : await this.#remove(app, event.userId, event.room, ref.nowMs, true);
      return { duplicate: false, banned: true, removal };
    });
  }

  /** TRTC 104: the user left the room (an exit older than the entry changes nothing). */
  exitRoom(ref: ObjectRef, event: RoomEvent) {
    return this.#answer(ref, async () => {
      const nowSeconds = unixSeconds(ref.nowMs);
      if (this.#seenBefore(event.eventKey, nowSeconds)) return { duplicate: true };
      const stored = this.#presenceSeen(event.userId, roomKey(event.room));
      // A 104 ahead of its 103 (Tencent does not order them): remembered, so the late 103 adds nothing.
      if (stored === undefined) this.#rememberExit(event, nowSeconds);
      else if (eventApplies(stored, event.eventSeconds)) this.#deletePresence(event.userId, roomKey(event.room));
      return { duplicate: false };
    });
  }

  /**
   * TRTC 102: the room was dismissed; every entry in it up to then is gone (a later one is a new
   * session in a room of the same ID). Remembered like an exit, so a 103 of the room delivered after
   * it but no later than the dismissal adds nothing.
   */
  roomDismissed(ref: ObjectRef, event: RoomDismissal) {
    return this.#answer(ref, async () => {
      const nowSeconds = unixSeconds(ref.nowMs);
      if (this.#seenBefore(event.eventKey, nowSeconds)) return { duplicate: true };
      const room = roomKey(event.room);
      const entries = this.#sql
        .exec<{ user_id: string; seen_at: number }>("SELECT user_id, seen_at FROM presence WHERE room = ?", room)
        .toArray();
      for (const entry of entries) {
        if (dismissalEnds(entry.seen_at, event.eventSeconds)) this.#deletePresence(entry.user_id, room);
      }
      // A removal from this room still queued for the alarm (a RemoveUser that failed) has nothing left
      // to remove: the room is gone for everyone in it.
      this.#sql.exec("DELETE FROM tasks WHERE kind = 'remove' AND room = ?", room);
      this.#rememberExit({ ...event, userId: WHOLE_ROOM }, nowSeconds);
      return { duplicate: false };
    });
  }

  /** The ban in force for `userId` or a variant, from the object's rows (never an isolate's cache). */
  bannedAs(ref: ObjectRef, userId: string) {
    return this.#answer(ref, async () => this.#banOf(userId, unixSeconds(ref.nowMs)) ?? null);
  }

  /** Chat State.StateChange Login: a banned user is kicked again (queued on failure). */
  loggedIn(ref: ObjectRef, event: { userId: string; eventKey: string }) {
    return this.#answer(ref, async (app) => {
      const nowSeconds = unixSeconds(ref.nowMs);
      const admin = await this.#adminIfBanned(app, ref, event.userId, nowSeconds);
      if (this.#seenBefore(event.eventKey, nowSeconds)) {
        return { duplicate: true, banned: this.#banOf(event.userId, nowSeconds) !== undefined };
      }
      const ban = this.#banOf(event.userId, nowSeconds);
      // Banned while the admin set was read: that ban kicks the user itself.
      if (!ban || admin === undefined) return { duplicate: false, banned: ban !== undefined };
      const kick = admin
        ? skipped("admin identity: never kicked")
        : await this.#kick(app, event.userId, ref.nowMs, true);
      return { duplicate: false, banned: true, kick };
    });
  }

  // --- The moderators' calls --------------------------------------------------------------------

  /** GET …/users/{userId}: the ban in force (or a variant's) and the rooms presence knows now. */
  user(ref: ObjectRef, userId: string) {
    return this.#answer(ref, async (): Promise<UserView> => {
      const nowSeconds = unixSeconds(ref.nowMs);
      this.#expirePresence(nowSeconds);
      const rooms = this.#sql
        // By folded ID, as the ban is found and as a ban removes: a variant's rooms are shown too.
        .exec<{ room: string }>(
          "SELECT room FROM presence WHERE folded = ? GROUP BY room ORDER BY MAX(seen_at) DESC",
          foldUserId(userId),
        )
        .toArray()
        .map((row) => roomOfKey(row.room));
      return { userId, ban: this.#banOf(userId, nowSeconds) ?? null, rooms };
    });
  }

  /** Out of one room, no ban (never an admin identity); presence updated when Tencent confirms. */
  removeFromRoom(ref: ObjectRef, userId: string, room: TrtcRoom) {
    return this.#answer(ref, async (app) => {
      await this.#refuseAdmin(app, ref, userId, "ADMIN_NOT_REMOVABLE", "removed from a room");
      return this.#remove(app, userId, room, ref.nowMs, false);
    });
  }

  /** Ends a room for everyone in it; its presence is cleared when Tencent confirms. */
  dismissRoom(ref: ObjectRef, room: TrtcRoom) {
    return this.#answer(ref, async (app): Promise<StepReport> => {
      const target = trtcTarget(app);
      if (!target) return skipped("trtc not configured");
      const outcome = await dismissRoom(target, room, unixSeconds(ref.nowMs), this.#trtc);
      if (outcome.ok) this.#sql.exec("DELETE FROM presence WHERE room = ?", roomKey(room));
      return stepOf(outcome, false);
    });
  }

  /**
   * PUT …/bans/{userId}: stored first (a failed step never loses it), then kicked and muted in Chat
   * and removed from every room presence knows, at once; a step that failed is queued for the alarm.
   */
  ban(ref: ObjectRef, userId: string, request: BanRequest, actor: string) {
    return this.#serial(ref, async (app): Promise<BanOutcome> => {
      const nowSeconds = unixSeconds(ref.nowMs);
      if (await this.#isAdmin(app, ref, userId)) {
        throw new BansError("ADMIN_NOT_BANNABLE", "This identity is an admin of the app: admins cannot be banned.");
      }
      checkBanRequest(request, nowSeconds);
      // From here to the write, nothing is awaited: the count and the write are one step.
      this.#sql.exec("DELETE FROM bans WHERE expires_at IS NOT NULL AND expires_at <= ?", nowSeconds);
      const existing = this.#banOf(userId, nowSeconds);
      const ban = banToStore(
        userId,
        request,
        actor,
        existing,
        this.#bansInForce(),
        ref.maxBans ?? BANS_MAX,
        nowSeconds,
      );
      this.#writeBan(ban);
      // A variant asked for (IDs are case-sensitive at Tencent: "Alice" is another account than a
      // stored "alice") is kicked too, so a session it holds ends; the mute stays on the stored ID
      // (before-send refuses every variant of a banned ID).
      const kickIds = chatIdsOf(ban.userId, userId);
      if (chatTarget(app, this.#state.adminSigs, nowSeconds)) {
        const due = ref.nowMs + (ref.rekickAfterMs ?? REKICK_AFTER_MS);
        for (const id of kickIds) await this.#queue("rekick", id, "", ref.nowMs, due);
      }
      // Chat's two calls one after the other (kick, then mute), the rooms meanwhile: about the
      // time of two Tencent calls in all.
      const chat = async () => {
        const kick = allOf(await Promise.all(kickIds.map((id) => this.#kick(app, id, ref.nowMs, true))));
        return { kick, mute: await this.#mute(app, ban, ref.nowMs, true) };
      };
      const [{ kick, mute }, removals] = await Promise.all([
        chat(),
        this.#removeEverywhere(app, ban.userId, ref.nowMs),
      ]);
      return { ban, created: existing === undefined, steps: { kick, mute, removals } };
    });
  }

  /** DELETE …/bans/{userId}: lifts the ban of the ID or of a variant it matches, and the Chat mute. */
  unban(ref: ObjectRef, userId: string) {
    return this.#serial(ref, async (app): Promise<UnbanOutcome> => {
      const nowSeconds = unixSeconds(ref.nowMs);
      const lifted = this.#candidates(userId)
        .filter((ban) => inForce(ban, nowSeconds))
        .map((ban) => ban.userId);
      if (lifted.length === 0) throw new BansError("NOT_BANNED", "This user is not banned.");
      for (const id of lifted) {
        this.#sql.exec("DELETE FROM bans WHERE user_id = ?", id);
        this.#sql.exec("DELETE FROM tasks WHERE user_id = ? AND kind <> 'unmute'", id);
      }
      const unmuted = await Promise.all(
        lifted.map(async (id) => ({ userId: id, step: await this.#unmute(app, id, ref.nowMs, true) })),
      );
      return { lifted, unmuted };
    });
  }

  /** Every ban in force, newest first. */
  list(ref: ObjectRef) {
    return this.#answer(ref, async (): Promise<Ban[]> => {
      const nowSeconds = unixSeconds(ref.nowMs);
      return this.#sql
        .exec<BanRow>(
          "SELECT * FROM bans WHERE expires_at IS NULL OR expires_at > ? ORDER BY banned_at DESC, user_id",
          nowSeconds,
        )
        .toArray()
        .map(banOfRow);
    });
  }

  /** POST …/users/{userId}/kick: Chat logins ended and out of every known room, no ban. */
  kick(ref: ObjectRef, userId: string) {
    return this.#serial(ref, async (app): Promise<{ userId: string; steps: BanSteps }> => {
      await this.#refuseAdmin(app, ref, userId, "ADMIN_NOT_KICKABLE", "kicked");
      // A banned user (or a variant of one) is kicked under the ID the ban is stored with, and under
      // the ID asked for (another account at Tencent when it differs).
      const target = this.#banOf(userId, unixSeconds(ref.nowMs))?.userId ?? userId;
      const kicks = chatIdsOf(target, userId).map((id) => this.#kick(app, id, ref.nowMs, false));
      const [kick, removals] = await Promise.all([
        Promise.all(kicks).then(allOf),
        this.#removeEverywhere(app, target, ref.nowMs, false),
      ]);
      return { userId: target, steps: { kick, removals } };
    });
  }

  // --- The alarm: the queued Tencent steps --------------------------------------------------------

  override async alarm(): Promise<void> {
    const nowMs = Date.now();
    const app = await this.#appForAlarm();
    // Never left unset while steps are queued: a config that failed to load is tried again later.
    if (!app) return this.#scheduleAlarm(nowMs, "config_failed");
    const due = this.#sql
      .exec<TaskRow>("SELECT * FROM tasks WHERE due_ms <= ? ORDER BY due_ms LIMIT ?", nowMs, ALARM_STEPS_PER_RUN)
      .toArray();
    for (const task of due) {
      // Each step in the same line as ban, unban and kick (it re-reads the ban inside it): an unban
      // while a mute is in flight sends its unmute after the mute is answered, never before.
      await this.#inOrder(() => this.#settleTask(app, task, nowMs));
    }
    await this.#scheduleAlarm(Date.now(), due.length === ALARM_STEPS_PER_RUN ? "capped" : "done");
  }

  /** Runs one queued step and deletes, reschedules or gives it up. */
  async #settleTask(app: LoadedApp, due: TaskRow, nowMs: number): Promise<void> {
    // Read again in line: an unban or a ban before this turn may have dropped or re-queued it.
    const task = this.#sql.exec<TaskRow>("SELECT * FROM tasks WHERE id = ?", due.id).toArray()[0];
    if (!task || task.due_ms > nowMs) return;
    // A step that throws counts as failed (the alarm itself must not throw: Cloudflare would rerun it whole).
    const outcome = await this.#runTask(app, task, nowMs).catch(() => ({
      reason: "the step failed",
      errorCode: undefined,
    }));
    if (outcome === "done") {
      this.#sql.exec("DELETE FROM tasks WHERE id = ?", task.id);
      return;
    }
    const next = nextAttemptAt(task.attempts + 1, nowMs);
    if (next === undefined || !worthRetrying(outcome)) {
      this.#sql.exec("DELETE FROM tasks WHERE id = ?", task.id);
      console.error(
        JSON.stringify({
          event: "moderation_step_given_up",
          app: app.config.sdkAppId,
          step: task.kind,
          attempts: task.attempts + 1,
          reason: (outcome as { reason?: string }).reason,
        }),
      );
    } else {
      this.#sql.exec("UPDATE tasks SET attempts = ?, due_ms = ? WHERE id = ?", task.attempts + 1, next, task.id);
    }
  }

  /** One queued step, if it still applies (a ban lifted since: no mute, no removal). */
  async #runTask(
    app: LoadedApp,
    task: TaskRow,
    nowMs: number,
  ): Promise<"done" | { reason: string; errorCode?: number | string }> {
    const nowSeconds = unixSeconds(nowMs);
    const ban = this.#banOf(task.user_id, nowSeconds);
    const adminNow = await this.#isAdmin(app, { sdkAppId: app.config.sdkAppId, nowMs }, task.user_id).catch(() => true);
    if (adminNow) return "done";
    const chat = chatTarget(app, this.#state.adminSigs, nowSeconds);
    switch (task.kind) {
      case "kick":
      case "rekick": {
        if (!ban || !chat) return "done";
        return failureOf(await kickUser(chat, task.user_id, this.#chat));
      }
      case "mute": {
        if (!ban || !chat) return "done";
        return failureOf(
          await setNoSpeaking(chat, task.user_id, muteSecondsUntil(ban.expiresAt, nowSeconds), this.#chat),
        );
      }
      case "unmute": {
        if (ban || !chat) return "done";
        return failureOf(await setNoSpeaking(chat, task.user_id, 0, this.#chat));
      }
      case "remove": {
        const target = trtcTarget(app);
        if (!ban || !target || this.#presenceSeen(task.user_id, task.room) === undefined) return "done";
        const outcome = await removeUsers(target, roomOfKey(task.room), [task.user_id], nowSeconds, this.#trtc);
        if (outcome.ok) this.#deletePresence(task.user_id, task.room);
        return failureOf(outcome);
      }
    }
  }

  // --- Tencent steps ------------------------------------------------------------------------------

  async #kick(app: LoadedApp, userId: string, nowMs: number, retry: boolean): Promise<StepReport> {
    const chat = chatTarget(app, this.#state.adminSigs, unixSeconds(nowMs));
    if (!chat) return skipped("chat not configured");
    return this.#step(await kickUser(chat, userId, this.#chat), retry, "kick", userId, "", nowMs);
  }

  async #mute(app: LoadedApp, ban: Ban, nowMs: number, retry: boolean): Promise<StepReport> {
    const chat = chatTarget(app, this.#state.adminSigs, unixSeconds(nowMs));
    if (!chat) return skipped("chat not configured");
    this.#sql.exec("DELETE FROM tasks WHERE user_id = ? AND kind = 'unmute'", ban.userId);
    const seconds = muteSecondsUntil(ban.expiresAt, unixSeconds(nowMs));
    return this.#step(await this.#noSpeaking(chat, ban.userId, seconds), retry, "mute", ban.userId, "", nowMs);
  }

  async #unmute(app: LoadedApp, userId: string, nowMs: number, retry: boolean): Promise<StepReport> {
    const chat = chatTarget(app, this.#state.adminSigs, unixSeconds(nowMs));
    if (!chat) return skipped("chat not configured");
    return this.#step(await this.#noSpeaking(chat, userId, 0), retry, "unmute", userId, "", nowMs);
  }

  #noSpeaking(chat: ChatTarget, userId: string, seconds: number) {
    return setNoSpeaking(chat, userId, Math.min(seconds, MUTE_FOREVER_SECONDS), this.#chat);
  }

  /** Out of one room; presence forgets it once Tencent confirms. */
  async #remove(app: LoadedApp, userId: string, room: TrtcRoom, nowMs: number, retry: boolean): Promise<StepReport> {
    const target = trtcTarget(app);
    if (!target) return skipped("trtc not configured");
    const outcome = await removeUsers(target, room, [userId], unixSeconds(nowMs), this.#trtc);
    if (outcome.ok) this.#deletePresence(userId, roomKey(room));
    return this.#step(outcome, retry, "remove", userId, roomKey(room), nowMs);
  }

  /** Out of every room presence knows the user (or a variant of the ID) in. */
  async #removeEverywhere(app: LoadedApp, userId: string, nowMs: number, retry = true): Promise<RoomRemoval[]> {
    this.#expirePresence(unixSeconds(nowMs));
    const rows = this.#sql
      .exec<{ user_id: string; room: string }>(
        "SELECT user_id, room FROM presence WHERE folded = ? ORDER BY seen_at DESC",
        foldUserId(userId),
      )
      .toArray();
    const removals: RoomRemoval[] = [];
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const room = roomOfKey(row.room);
        removals.push({ room, step: await this.#remove(app, row.user_id, room, nowMs, retry) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(REMOVE_CONCURRENCY, rows.length) }, worker));
    return removals;
  }

  /** A step's report; a failure worth retrying is queued for the alarm when `retry`. */
  async #step(
    outcome: Parameters<typeof stepOf>[0],
    retry: boolean,
    kind: TaskKind,
    userId: string,
    room: string,
    nowMs: number,
  ): Promise<StepReport> {
    const failure = failureOf(outcome);
    const failed = failure !== "done";
    const queued = failed && retry && worthRetrying(failure);
    // The first retry is due 2 s after the failure, not after the request began: a step that hung
    // for its whole timeout would otherwise be due at once (docs/moderation.md, "When a step fails").
    if (queued) await this.#queue(kind, userId, room, Math.max(nowMs, Date.now()));
    else if (!failed)
      this.#sql.exec("DELETE FROM tasks WHERE kind = ? AND user_id = ? AND room = ?", kind, userId, room);
    return stepOf(outcome, queued);
  }

  /** Queues a step for the alarm (by default: its first retry, RETRY_BASE_MS from now). */
  async #queue(kind: TaskKind, userId: string, room: string, nowMs: number, due = nextAttemptAt(0, nowMs) as number) {
    this.#sql.exec(
      `INSERT INTO tasks (kind, user_id, room, attempts, due_ms) VALUES (?, ?, ?, 0, ?)
       ON CONFLICT (kind, user_id, room) DO UPDATE SET attempts = 0, due_ms = excluded.due_ms`,
      kind,
      userId,
      room,
      due,
    );
    await this.#scheduleAlarm();
  }

  async #scheduleAlarm(nowMs = Date.now(), run: AlarmRun = "done"): Promise<void> {
    const earliest = this.#sql.exec<{ due: number | null }>("SELECT MIN(due_ms) AS due FROM tasks").one().due;
    const next = nextAlarmAt(earliest, nowMs, run);
    if (next === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  // --- Storage --------------------------------------------------------------------------------------

  /** Whether this event was acted on already; if not, it is remembered (bounded: dedupe.ts). */
  #seenBefore(eventKey: string, nowSeconds: number): boolean {
    checkEventKey(eventKey);
    if (this.#sql.exec("SELECT 1 FROM seen WHERE event_key = ?", eventKey).toArray().length > 0) return true;
    this.#sql.exec("DELETE FROM seen WHERE at < ?", seenCutoff(nowSeconds));
    const drop = overflow(this.#count("seen"), SEEN_MAX);
    if (drop > 0)
      this.#sql.exec("DELETE FROM seen WHERE event_key IN (SELECT event_key FROM seen ORDER BY at LIMIT ?)", drop);
    this.#sql.exec("INSERT INTO seen (event_key, at) VALUES (?, ?)", eventKey, nowSeconds);
    return false;
  }

  #recordPresence(event: RoomEvent, nowSeconds: number): void {
    const room = roomKey(event.room);
    const stored = this.#presenceSeen(event.userId, room);
    if (!eventApplies(stored, event.eventSeconds)) return;
    // The user's own exit, or the room's dismissal (remembered under WHOLE_ROOM), whichever is later.
    const exited =
      this.#sql
        .exec<{ at: number | null }>(
          "SELECT MAX(at) AS at FROM exits WHERE room = ? AND user_id IN (?, ?)",
          room,
          event.userId,
          WHOLE_ROOM,
        )
        .one().at ?? undefined;
    if (exited !== undefined && !entryAfterExit(exited, event.eventSeconds)) return;
    this.#expirePresence(nowSeconds);
    if (stored === undefined) {
      const mine = this.#sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM presence WHERE user_id = ?", event.userId)
        .one().n;
      const dropMine = overflow(mine, PRESENCE_MAX_PER_USER);
      if (dropMine > 0) {
        this.#sql.exec(
          "DELETE FROM presence WHERE rowid IN (SELECT rowid FROM presence WHERE user_id = ? ORDER BY seen_at LIMIT ?)",
          event.userId,
          dropMine,
        );
      }
      const dropAny = overflow(this.#count("presence"), PRESENCE_MAX_PER_APP);
      if (dropAny > 0) {
        this.#sql.exec(
          "DELETE FROM presence WHERE rowid IN (SELECT rowid FROM presence ORDER BY seen_at LIMIT ?)",
          dropAny,
        );
      }
    }
    this.#sql.exec(
      `INSERT INTO presence (user_id, folded, room, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id, room) DO UPDATE SET seen_at = excluded.seen_at`,
      event.userId,
      foldUserId(event.userId),
      room,
      event.eventSeconds,
    );
  }

  /** An exit with no entry yet, kept as long as an event key (bounded like them: dedupe.ts). */
  #rememberExit(event: RoomEvent, nowSeconds: number): void {
    this.#sql.exec("DELETE FROM exits WHERE at < ?", seenCutoff(nowSeconds));
    const drop = overflow(this.#count("exits"), SEEN_MAX);
    if (drop > 0) {
      this.#sql.exec("DELETE FROM exits WHERE rowid IN (SELECT rowid FROM exits ORDER BY at LIMIT ?)", drop);
    }
    this.#sql.exec(
      `INSERT INTO exits (user_id, room, at) VALUES (?, ?, ?)
       ON CONFLICT (user_id, room) DO UPDATE SET at = MAX(at, excluded.at)`,
      event.userId,
      roomKey(event.room),
      event.eventSeconds,
    );
  }

  #presenceSeen(userId: string, room: string): number | undefined {
    const rows = this.#sql
      .exec<{ seen_at: number }>("SELECT seen_at FROM presence WHERE user_id = ? AND room = ?", userId, room)
      .toArray();
    return rows[0]?.seen_at;
  }

  #deletePresence(userId: string, room: string): void {
    this.#sql.exec("DELETE FROM presence WHERE user_id = ? AND room = ?", userId, room);
  }

  #expirePresence(nowSeconds: number): void {
    this.#sql.exec("DELETE FROM presence WHERE seen_at < ?", presenceCutoff(nowSeconds));
  }

  #candidates(userId: string): Ban[] {
    return this.#sql
      .exec<BanRow>("SELECT * FROM bans WHERE folded = ? ORDER BY user_id", foldUserId(userId))
      .toArray()
      .map(banOfRow);
  }

  #banOf(userId: string, nowSeconds: number): Ban | undefined {
    return banFor(this.#candidates(userId), userId, nowSeconds);
  }

  #bansInForce(): number {
    return this.#count("bans");
  }

  /** Stores `ban`; `keep`: a row already there stays (KV's bans moved over never overwrite a newer one). */
  #writeBan(ban: Ban, keep = false): void {
    this.#sql.exec(
      `INSERT INTO bans (user_id, folded, reason, expires_at, banned_at, banned_by) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO ${
         keep
           ? "NOTHING"
           : `UPDATE SET reason = excluded.reason, expires_at = excluded.expires_at,
         banned_at = excluded.banned_at, banned_by = excluded.banned_by`
       }`,
      ban.userId,
      foldUserId(ban.userId),
      ban.reason ?? null,
      ban.expiresAt ?? null,
      ban.bannedAt,
      ban.bannedBy,
    );
  }

  #count(table: "bans" | "presence" | "seen" | "tasks" | "exits"): number {
    return this.#sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
  }

  // --- Plumbing ---------------------------------------------------------------------------------------

  /** The app from this object's own env (the test seam's strings laid over it only under its switch). */
  async #loadApp(sdkAppId: number, vars: Record<string, unknown> | undefined): Promise<LoadedApp> {
    const seam = this.env.TEST_ONLY_OBJECT_VARS === true && vars !== undefined;
    const loaded = await this.#state.config.load(seam ? { ...this.env, ...vars } : this.env);
    if (!loaded.ok) throw loaded.error;
    const app = loaded.config.app(sdkAppId);
    if (!app) throw new BansError("BANS_STORE_UNAVAILABLE", "This app is not configured.");
    return app;
  }

  async #appForAlarm(): Promise<LoadedApp | undefined> {
    const stored = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sdkAppId'").toArray()[0];
    if (!stored) return undefined;
    try {
      return await this.#loadApp(Number(stored.value), this.#vars);
    } catch {
      console.error(JSON.stringify({ event: "moderation_alarm", outcome: "config_error" }));
      return undefined;
    }
  }

  async #isAdmin(app: LoadedApp, ref: ObjectRef, userId: string): Promise<boolean> {
    const sets: readonly AdminSet[] = await this.#state.admins.adminSets(app.config.sdkAppId, app.configAdmins, {
      store: kvStore(this.env.ADMINS),
      waitUntil: (promise) => this.ctx.waitUntil(promise),
      nowMs: ref.nowMs,
    });
    // The broker's own Chat identity too: a kick or a mute of it would stop every moderation call.
    const chatAdmin = app.config.chat?.adminUserId;
    return isAdminLike(userId, chatAdmin ? [...sets, adminSetOf([chatAdmin])] : sets);
  }

  /** Whether a banned `userId` is an admin identity; undefined when not banned (no admin read). */
  async #adminIfBanned(app: LoadedApp, ref: ObjectRef, userId: string, nowSeconds: number) {
    return this.#banOf(userId, nowSeconds) ? this.#isAdmin(app, ref, userId) : undefined;
  }

  async #refuseAdmin(
    app: LoadedApp,
    ref: ObjectRef,
    userId: string,
    code: "ADMIN_NOT_REMOVABLE" | "ADMIN_NOT_KICKABLE",
    what: string,
  ) {
    if (await this.#isAdmin(app, ref, userId)) {
      throw new BansError(code, `This identity is an admin of the app: admins cannot be ${what}.`);
    }
  }

  /** KV's bans (the store before this object) moved over once, on the app's first call. */
  #migrate(sdkAppId: number): Promise<void> {
    if (this.#sql.exec("SELECT 1 FROM meta WHERE key = 'kvMigrated'").toArray().length > 0) {
      return Promise.resolve();
    }
    this.#migrated ??= (async () => {
      const bans = await listBans(kvStore(this.env.ADMINS), sdkAppId);
      for (const ban of bans) this.#writeBan(ban, true);
      this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('kvMigrated', ?)", String(bans.length));
    })().finally(() => {
      this.#migrated = undefined;
    });
    return this.#migrated;
  }

  /** Runs one call: the app loaded, KV's bans moved over, a domain error answered as data. */
  async #answer<T>(ref: ObjectRef, run: (app: LoadedApp) => Promise<T>): Promise<ObjectAnswer<T>> {
    try {
      const app = await this.#loadApp(ref.sdkAppId, ref.vars);
      if (this.env.TEST_ONLY_OBJECT_VARS === true) this.#vars = ref.vars;
      this.#timeoutMs = Math.min(OBJECT_TENCENT_TIMEOUT_MS, ref.tencentTimeoutMs ?? OBJECT_TENCENT_TIMEOUT_MS);
      if (this.#sdkAppId !== ref.sdkAppId) {
        this.#sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('sdkAppId', ?)", String(ref.sdkAppId));
        this.#sdkAppId = ref.sdkAppId;
      }
      await this.#migrate(ref.sdkAppId).catch(() => {
        throw new BansError("BANS_STORE_UNAVAILABLE", "Bans cannot be read or written right now; try again shortly.", {
          reason: "bans: moving KV's bans over failed",
          data: { retryAfterSeconds: BANS_RETRY_AFTER_SECONDS },
        });
      });
      return { ok: true, value: await run(app) };
    } catch (error) {
      if (error instanceof BrokerError) {
        return {
          ok: false,
          error: {
            code: error.code,
            detail: error.message,
            ...(error.data.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.data.retryAfterSeconds } : {}),
            ...(error.data.field !== undefined ? { field: error.data.field } : {}),
          },
        };
      }
      throw error;
    }
  }

  /** #answer, one write after another. */
  #serial<T>(ref: ObjectRef, run: (app: LoadedApp) => Promise<T>): Promise<ObjectAnswer<T>> {
    return this.#inOrder(() => this.#answer(ref, run));
  }

  /** `run` after every write and alarm step queued before it (one line for ban, unban, kick, tasks). */
  #inOrder<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#writes.then(run);
    this.#writes = next.catch(() => undefined);
    return next;
  }
}

function banOfRow(row: BanRow): Ban {
  return {
    userId: row.user_id,
    bannedAt: row.banned_at,
    bannedBy: row.banned_by,
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
  };
}

function failureOf(outcome: Parameters<typeof stepOf>[0]): "done" | { reason: string; errorCode?: number | string } {
  if (stepOf(outcome, false).ok) return "done";
  return outcome as { reason: string; errorCode?: number | string };
}
