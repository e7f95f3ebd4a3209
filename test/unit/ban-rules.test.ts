// The rules the app's Durable Object applies (src/bans/: decide, presence, dedupe, retry, steps),
// under plain Node: which ban matches, the exact cap, a request's bounds, presence expiry, order and
// bounds, event keys, the retry schedule and which failures are retried, and the legacy KV reader
// that moves the bans over once.
import { describe, expect, it } from "vitest";
import { BAN_ACTOR_MAX_CHARS, type Ban, banFor, banToStore, checkBanRequest, inForce } from "../../src/bans/decide.js";
import { checkEventKey, EVENT_KEY_MAX_CHARS, SEEN_TTL_SECONDS, seenCutoff } from "../../src/bans/dedupe.js";
import {
  dismissalEnds,
  entryAfterExit,
  eventApplies,
  overflow,
  PRESENCE_TTL_SECONDS,
  presenceCutoff,
  roomKey,
  roomOfKey,
  WHOLE_ROOM,
} from "../../src/bans/presence.js";
import {
  ALARM_CONFIG_RETRY_MS,
  ALARM_CONTINUE_AFTER_MS,
  nextAlarmAt,
  nextAttemptAt,
  RETRY_BASE_MS,
  RETRY_MAX_ATTEMPTS,
  RETRY_MAX_DELAY_MS,
} from "../../src/bans/retry.js";
import { allOf, chatIdsOf, STEP_OK, skipped, stepOf, worthRetrying } from "../../src/bans/steps.js";
import { listBans } from "../../src/bans/store.js";
import { memoryStore } from "../../src/shared/storage.js";

const NOW = 1_800_000_000;
const ban = (userId: string, extra: Partial<Ban> = {}): Ban => ({
  userId,
  bannedAt: NOW,
  bannedBy: "operator",
  ...extra,
});

describe("which ban matches (banFor)", () => {
  it("the ID's own ban first, else a variant's; never one that has expired", () => {
    const own = ban("Mallory");
    const variant = ban("mallory");
    expect(banFor([variant, own], "Mallory", NOW)).toBe(own);
    expect(banFor([variant, own], "MALLORY", NOW)).toBe(variant);
    expect(banFor([ban("Mallory", { expiresAt: NOW }), variant], "Mallory", NOW)).toBe(variant);
    expect(banFor([ban("x", { expiresAt: NOW })], "x", NOW)).toBeUndefined();
    expect(inForce(ban("x", { expiresAt: NOW + 1 }), NOW)).toBe(true);
    expect(inForce(ban("x", { expiresAt: NOW }), NOW)).toBe(false);
  });
});

describe("the ban to store (banToStore): the exact cap", () => {
  it("a new ban at the cap is BANS_FULL; one below it, or an update of a ban in force, is stored", () => {
    expect(() => banToStore("new", {}, "operator", undefined, 3, 3, NOW)).toThrow(
      expect.objectContaining({ code: "BANS_FULL" }),
    );
    expect(banToStore("new", {}, "operator", undefined, 2, 3, NOW).userId).toBe("new");
    // A variant's ban is updated under the stored ID, even at the cap.
    const stored = banToStore("MALLORY", { reason: "again" }, "operator", ban("mallory"), 3, 3, NOW);
    expect(stored).toEqual({ userId: "mallory", reason: "again", bannedAt: NOW, bannedBy: "operator" });
  });

  it("cuts the actor on a code point", () => {
    const actor = `idp:${"😀".repeat(100)}@https://idp.test/`;
    const stored = banToStore("x", {}, actor, undefined, 0, 1, NOW);
    expect([...stored.bannedBy]).toHaveLength(BAN_ACTOR_MAX_CHARS);
  });
});

describe("a ban request's bounds (checkBanRequest)", () => {
  it("refuses an expiry not in the future and a reason over 200 code points", () => {
    expect(() => checkBanRequest({ expiresAt: NOW }, NOW)).toThrow(
      expect.objectContaining({ code: "BAN_EXPIRY_PAST" }),
    );
    expect(() => checkBanRequest({ reason: "😀".repeat(201) }, NOW)).toThrow(
      expect.objectContaining({ code: "BAN_REASON_TOO_LONG" }),
    );
    expect(() => checkBanRequest({ reason: "😀".repeat(200), expiresAt: NOW + 1 }, NOW)).not.toThrow();
  });
});

describe("presence", () => {
  it("a numeric room and a string room of the same digits are two rooms", () => {
    expect(roomKey(42)).toBe("n:42");
    expect(roomKey("42")).toBe("s:42");
    expect(roomOfKey(roomKey(42))).toBe(42);
    expect(roomOfKey(roomKey("42"))).toBe("42");
    expect(roomOfKey(roomKey("n:x"))).toBe("n:x");
  });

  it("entries without news for 24 h expire", () => {
    expect(PRESENCE_TTL_SECONDS).toBe(86_400);
    expect(presenceCutoff(NOW)).toBe(NOW - 86_400);
  });

  it("an event older than the entry changes nothing; the same second or later does", () => {
    expect(eventApplies(undefined, NOW)).toBe(true);
    expect(eventApplies(NOW, NOW)).toBe(true);
    expect(eventApplies(NOW, NOW + 1)).toBe(true);
    expect(eventApplies(NOW, NOW - 1)).toBe(false);
  });

  it("a room dismissed (102) ends every entry up to that second; a later entry (a new session) stays", () => {
    expect(dismissalEnds(NOW - 3600, NOW)).toBe(true);
    expect(dismissalEnds(NOW, NOW)).toBe(true);
    expect(dismissalEnds(NOW + 1, NOW)).toBe(false);
    // The whole room's exit is remembered under an ID no UserID can be (1 to 64 characters).
    expect(WHOLE_ROOM).toBe("");
  });

  it("bounds: how many of the oldest to drop before one more", () => {
    expect(overflow(0, 50)).toBe(0);
    expect(overflow(49, 50)).toBe(0);
    expect(overflow(50, 50)).toBe(1);
    expect(overflow(60, 50)).toBe(11);
  });
});

describe("redeliveries", () => {
  it("keys are kept 10 minutes and are 1 to 512 characters", () => {
    expect(seenCutoff(NOW)).toBe(NOW - SEEN_TTL_SECONDS);
    expect(() => checkEventKey("")).toThrow(RangeError);
    expect(() => checkEventKey("k".repeat(EVENT_KEY_MAX_CHARS + 1))).toThrow(RangeError);
    expect(() => checkEventKey("k".repeat(EVENT_KEY_MAX_CHARS))).not.toThrow();
  });
});

describe("the alarm's retry schedule", () => {
  it("doubles from 2 s, at most 5 minutes apart, and gives up after 10 retries", () => {
    const delays = Array.from({ length: RETRY_MAX_ATTEMPTS }, (_, n) => (nextAttemptAt(n, 0) as number) / 1000);
    expect(delays).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
    expect(nextAttemptAt(RETRY_MAX_ATTEMPTS, 0)).toBeUndefined();
    expect(RETRY_BASE_MS).toBe(2_000);
    expect(RETRY_MAX_DELAY_MS).toBe(300_000);
    expect(() => nextAttemptAt(-1, 0)).toThrow(RangeError);
  });

  it("retries Tencent unreachable or its own failures; not a refusal that would repeat", () => {
    expect(worthRetrying({})).toBe(true);
    expect(worthRetrying({ errorCode: "InternalError" })).toBe(true);
    expect(worthRetrying({ errorCode: "RequestLimitExceeded" })).toBe(true);
    expect(worthRetrying({ errorCode: 130014 })).toBe(true);
    expect(worthRetrying({ errorCode: 70107 })).toBe(false);
    expect(worthRetrying({ errorCode: "AuthFailure.SignatureFailure" })).toBe(false);
    expect(worthRetrying({ errorCode: "FailedOperation.RoomNotExist" })).toBe(false);
  });

  it("a step reports what Tencent said, never more", () => {
    expect(stepOf({ kicked: true }, false)).toEqual({ ok: true });
    expect(stepOf({ muted: false, reason: "Tencent answered ErrorCode 130014", errorCode: 130014 }, true)).toEqual({
      ok: false,
      reason: "Tencent answered ErrorCode 130014",
      errorCode: 130014,
      retrying: true,
    });
    expect(stepOf({ ok: false, reason: "Tencent could not be reached" }, false)).toEqual({
      ok: false,
      reason: "Tencent could not be reached",
      retrying: false,
    });
    expect(skipped("trtc not configured")).toEqual({ ok: false, reason: "trtc not configured", retrying: false });
  });
});

describe("steps for several IDs (allOf, chatIdsOf)", () => {
  it("the stored ID, and the asked ID when it differs; ok only if every step is", () => {
    expect(chatIdsOf("alice", "alice")).toEqual(["alice"]);
    expect(chatIdsOf("alice", "Alice")).toEqual(["alice", "Alice"]);
    expect(allOf([STEP_OK, STEP_OK])).toEqual(STEP_OK);
    expect(allOf([STEP_OK, skipped("b"), skipped("c")])).toEqual(skipped("b"));
  });
});

describe("an exit delivered before its entry (entryAfterExit)", () => {
  it("only a later entry is news; the same second counts as already left", () => {
    expect(entryAfterExit(100, 99)).toBe(false);
    expect(entryAfterExit(100, 100)).toBe(false);
    expect(entryAfterExit(100, 101)).toBe(true);
  });
});

describe("when the alarm runs next (nextAlarmAt)", () => {
  it("the earliest step; nothing queued, no alarm; after a capped run or a config failure, later, never dropped", () => {
    expect(nextAlarmAt(5_000, 1_000, "done")).toBe(5_000);
    expect(nextAlarmAt(500, 1_000, "done")).toBe(500);
    expect(nextAlarmAt(null, 1_000, "done")).toBeUndefined();
    expect(nextAlarmAt(null, 1_000, "config_failed")).toBeUndefined();
    expect(nextAlarmAt(0, 1_000, "capped")).toBe(1_000 + ALARM_CONTINUE_AFTER_MS);
    expect(nextAlarmAt(0, 1_000, "config_failed")).toBe(1_000 + ALARM_CONFIG_RETRY_MS);
    expect(nextAlarmAt(1_000 + 10 * ALARM_CONFIG_RETRY_MS, 1_000, "config_failed")).toBe(
      1_000 + 10 * ALARM_CONFIG_RETRY_MS,
    );
  });
});

describe("the bans KV held before the object (read once, to move them over)", () => {
  const APP = 1400000007;
  const put = (store: ReturnType<typeof memoryStore>, id: string, metadata: unknown) =>
    store.put(`bans/v1/${APP}/${encodeURIComponent(id)}`, "", { metadata });

  it("an app without the marker: no list at all", async () => {
    const store = memoryStore();
    await put(store, "ghost", { b: NOW, by: "operator" });
    const ops: string[] = [];
    store.before = async (op) => {
      ops.push(op);
    };
    expect(await listBans(store, APP)).toEqual([]);
    expect(ops).toEqual(["get"]);
  });

  it("every ban, in pages, its details from the metadata; a key it cannot read is skipped", async () => {
    const store = memoryStore();
    await store.put(`bans-exist/v1/${APP}`, "1");
    await put(store, "Mallory", { b: NOW, by: "operator", r: "spam", e: NOW + 60 });
    await put(store, "語", { b: NOW - 1, by: "apiKey:mod" });
    for (let i = 0; i < 3; i++) await put(store, `u${i}`, { b: NOW, by: "operator" });
    await put(store, "broken", { by: "operator" });
    await store.put(`bans/v1/${APP}/%E0%A4%A`, "", { metadata: { b: NOW, by: "operator" } });
    await store.put(`bans/v1/${APP + 1}/elsewhere`, "", { metadata: { b: NOW, by: "operator" } });
    const bans = await listBans(store, APP, 2);
    expect(bans.map((b) => b.userId).sort()).toEqual(["Mallory", "u0", "u1", "u2", "語"].sort());
    expect(bans.find((b) => b.userId === "Mallory")).toEqual({
      userId: "Mallory",
      reason: "spam",
      expiresAt: NOW + 60,
      bannedAt: NOW,
      bannedBy: "operator",
    });
  });
});
