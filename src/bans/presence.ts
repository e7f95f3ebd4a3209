/**
 * Presence: which TRTC rooms each user is in now, kept from TRTC's room callbacks (103 enter, 104
 * exit, 102 room dismissed) by the app's Durable Object. Pure rules here; the object stores the rows.
 *
 * - An entry with no news for PRESENCE_TTL_SECONDS is gone (a lost 104 must not keep a user in a
 *   room for ever).
 * - At most PRESENCE_MAX_PER_USER rooms per user and PRESENCE_MAX_PER_APP entries per app: past
 *   either, the oldest entries are dropped (a flood of 103s cannot grow the object without bound).
 * - An event older than the entry's (a 104 delivered after a later 103) changes nothing.
 * - A room dismissed (102) ends every entry in it up to the dismissal; a later entry is a new
 *   session in a room of the same ID, and stays.
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

/** A room's dismissal as the object records it (TRTC 102: no user, the whole room). */
export interface RoomDismissal {
  room: TrtcRoom;
  /** The callback's identity (src/callbacks/): a redelivery carries the same key. */
  eventKey: string;
  /** When Tencent says the room was dismissed (unix seconds). */
  eventSeconds: number;
}

/**
 * The user ID an exit of the whole room is remembered under (a 102 delivered before a 103 of that
 * room): never a UserID, which has 1 to 64 characters.
 */
export const WHOLE_ROOM = "";

/**
 * Whether a room's dismissal at `dismissSeconds` ends an entry last set at `seenSeconds`: every
 * entry up to that second (the same second counts as dismissed, as an exit does); a later one is a
 * new session in a room of the same ID.
 */
export function dismissalEnds(seenSeconds: number, dismissSeconds: number): boolean {
  return seenSeconds <= dismissSeconds;
}

/** How many of the oldest entries to drop before one more is added to `count` (0 when under `max`). */
export function overflow(count: number, max: number): number {
  return Math.max(0, count + 1 - max);
}
