/**
 * Presence: which TRTC rooms each user is in now, kept from TRTC's room callbacks (103 enter, 104
 * exit) by the app's Durable Object. Pure rules here; the object stores the rows.
 *
 * - An entry with no news for PRESENCE_TTL_SECONDS is gone (a lost 104 must not keep a user in a
 *   room for ever).
 * - At most PRESENCE_MAX_PER_USER rooms per user and PRESENCE_MAX_PER_APP entries per app: past
 *   either, the oldest entries are dropped (a flood of 103s cannot grow the object without bound).
 * - An event older than the entry's (a 104 delivered after a later 103) changes nothing.
 */

import type { TrtcRoom } from "../tencent/trtc.js";

export const PRESENCE_TTL_SECONDS = 24 * 60 * 60;
export const PRESENCE_MAX_PER_USER = 50;
export const PRESENCE_MAX_PER_APP = 20_000;

/** How a room is stored: "n:<RoomId>" for a numeric room, "s:<strRoomId>" for a string one. */
export function roomKey(room: TrtcRoom): string {
  return typeof room === "number" ? `n:${room}` : `s:${room}`;
}

export function roomOfKey(key: string): TrtcRoom {
  return key.startsWith("n:") ? Number(key.slice(2)) : key.slice(2);
}

/** Entries last seen before this (unix seconds) have expired. */
export function presenceCutoff(nowSeconds: number): number {
  return nowSeconds - PRESENCE_TTL_SECONDS;
}

/** Whether an event at `eventSeconds` may change an entry last set at `storedSeconds`. */
export function eventApplies(storedSeconds: number | undefined, eventSeconds: number): boolean {
  return storedSeconds === undefined || eventSeconds >= storedSeconds;
}

/**
 * Whether an entry at `enterSeconds` is news after an exit at `exitSeconds` that arrived first (a
 * 104 delivered before its 103): only a later entry is; the same second counts as already left.
 */
export function entryAfterExit(exitSeconds: number, enterSeconds: number): boolean {
  return enterSeconds > exitSeconds;
}

/** How many of the oldest entries to drop before one more is added to `count` (0 when under `max`). */
export function overflow(count: number, max: number): number {
  return Math.max(0, count + 1 - max);
}
