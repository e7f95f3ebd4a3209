/**
 * The broker's JSON answers, checked before anything is cached, and the guest ticket's stored form.
 * The shapes mirror src/http/schemas.ts by hand (the client must not import server code).
 */

import { invalidResponse } from "./http.js";
import type { PrivateMapKeyResult, UserSigResult } from "./types.js";

export interface GuestTicket {
  ticket: string;
  /** Unix seconds, by the broker's clock. */
  expiresAt: number | undefined;
}

export function readUserSigAnswer(json: Record<string, unknown>): UserSigResult {
  const { sdkAppId, userId, userSig, expiresAt, expireSeconds } = json;
  if (
    !isPositiveInteger(sdkAppId) ||
    typeof userId !== "string" ||
    typeof userSig !== "string" ||
    userSig === "" ||
    !isPositiveInteger(expiresAt) ||
    !isPositiveInteger(expireSeconds)
  ) {
    throw invalidResponse("The broker's answer is not a UserSig response.");
  }
  return { sdkAppId, userId, userSig, expiresAt, expireSeconds };
}

export function readPrivateMapKeyAnswer(json: Record<string, unknown>): PrivateMapKeyResult {
  const { sdkAppId, userId, privateMapKey, roomId, strRoomId, privileges, privilegeNames, expiresAt, expireSeconds } =
    json;
  if (
    !isPositiveInteger(sdkAppId) ||
    typeof userId !== "string" ||
    typeof privateMapKey !== "string" ||
    privateMapKey === "" ||
    !isPositiveInteger(privileges) ||
    !isPositiveInteger(expiresAt) ||
    !isPositiveInteger(expireSeconds) ||
    (roomId !== undefined && !isPositiveInteger(roomId)) ||
    (strRoomId !== undefined && typeof strRoomId !== "string")
  ) {
    throw invalidResponse("The broker's answer is not a PrivateMapKey response.");
  }
  return {
    sdkAppId,
    userId,
    privateMapKey,
    ...(roomId !== undefined ? { roomId } : {}),
    ...(strRoomId !== undefined ? { strRoomId } : {}),
    privileges,
    privilegeNames: Array.isArray(privilegeNames) ? privilegeNames.filter((n) => typeof n === "string") : [],
    expiresAt,
    expireSeconds,
  };
}

/** The guest ticket a UserSig answer carries, if any. */
export function readGuestTicket(json: Record<string, unknown>): GuestTicket | undefined {
  const ticket = json["guestTicket"];
  if (typeof ticket !== "string" || ticket === "") return undefined;
  const expiresAt = json["guestTicketExpiresAt"];
  return { ticket, expiresAt: typeof expiresAt === "number" ? expiresAt : undefined };
}

export function encodeTicket(ticket: GuestTicket): string {
  return JSON.stringify({ v: 1, ticket: ticket.ticket, expiresAt: ticket.expiresAt });
}

export function decodeTicket(raw: string | null | undefined): GuestTicket | undefined {
  if (typeof raw !== "string" || raw === "") return undefined;
  try {
    const value = JSON.parse(raw) as { ticket?: unknown; expiresAt?: unknown };
    if (typeof value?.ticket === "string" && value.ticket !== "") {
      return { ticket: value.ticket, expiresAt: typeof value.expiresAt === "number" ? value.expiresAt : undefined };
    }
  } catch {
    // Not ours: ignore it rather than send it.
  }
  return undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
