/** Turning decoded tokens into the CLI's human lines and JSON objects. */

import { formatDuration as duration, isExpired, isoTime } from "../doctor/time.js";
import { type DecodedUserSig, limits, privilegeNames } from "../usersig/index.js";

/**
 * Text from a token may come from a stranger: control characters (terminal escape sequences, line
 * breaks) are shown escaped, and the value is quoted when it would otherwise be ambiguous.
 */
export function printable(text: string): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f"\\]/g, (c) =>
    c === '"' || c === "\\" ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}

export function privilegesText(mask: number): string {
  const names: string[] = privilegeNames(mask);
  const unknown = mask & ~limits.PRIVILEGES_MAX;
  if (unknown !== 0) names.push(`unknown bits 0x${(unknown >>> 0).toString(16)}`);
  const all = (mask & limits.PRIVILEGES_MAX) === limits.PRIVILEGES_MAX ? " (All)" : "";
  return `${mask >>> 0}${all}: ${names.length > 0 ? names.join(", ") : "none"}`;
}

export interface DecodedJson {
  version: string;
  sdkAppId: number;
  userId: string;
  issuedAt: number;
  issuedAtIso: string;
  expireSeconds: number;
  expiresAt: number;
  expiresAtIso: string;
  expired: boolean;
  userBuf?: string;
  privateMap?: {
    roomId?: number;
    strRoomId?: string;
    privileges: number;
    privilegeNames: string[];
    expiresAt: number;
    expiresAtIso: string;
  };
}

export function decodedJson(decoded: DecodedUserSig, now: number): DecodedJson {
  const out: DecodedJson = {
    version: decoded.version,
    sdkAppId: decoded.sdkAppId,
    userId: decoded.userId,
    issuedAt: decoded.issuedAt,
    issuedAtIso: isoTime(decoded.issuedAt),
    expireSeconds: decoded.expireSeconds,
    expiresAt: decoded.expiresAt,
    expiresAtIso: isoTime(decoded.expiresAt),
    expired: isExpired(decoded.expiresAt, now),
  };
  if (decoded.userBuf) out.userBuf = Buffer.from(decoded.userBuf).toString("base64");
  const map = decoded.privateMap;
  if (map) {
    out.privateMap = {
      ...(map.roomId !== undefined ? { roomId: map.roomId } : {}),
      ...(map.strRoomId !== undefined ? { strRoomId: map.strRoomId } : {}),
      privileges: map.privileges,
      privilegeNames: privilegeNames(map.privileges),
      expiresAt: map.expiresAt,
      expiresAtIso: isoTime(map.expiresAt),
    };
  }
  return out;
}

/** The human description shared by decode and verify, one `name: value` per line. */
export function decodedLines(decoded: DecodedUserSig, now: number): string[] {
  const expired = isExpired(decoded.expiresAt, now);
  const lines = [
    `sdkAppId:   ${decoded.sdkAppId}`,
    `userId:     ${printable(decoded.userId)}`,
    `issued:     ${isoTime(decoded.issuedAt)} (${decoded.issuedAt})`,
    `lifetime:   ${decoded.expireSeconds}s (${duration(decoded.expireSeconds)})`,
    `expires:    ${isoTime(decoded.expiresAt)} (${decoded.expiresAt})`,
    `expired:    ${
      expired ? `yes, ${duration(now - decoded.expiresAt)} ago` : `no, ${duration(decoded.expiresAt - now)} left`
    }`,
  ];
  const map = decoded.privateMap;
  if (map) {
    lines.push(
      map.roomId !== undefined
        ? `room:       ${map.roomId}`
        : `room:       ${printable(map.strRoomId ?? "")} (string room)`,
      `privileges: ${privilegesText(map.privileges)}`,
    );
    if (map.expiresAt !== decoded.expiresAt) {
      lines.push(`room until: ${isoTime(map.expiresAt)} (${map.expiresAt}), as written in the userbuf`);
    }
  } else if (decoded.userBuf) {
    lines.push(
      `userbuf:    ${decoded.userBuf.length} bytes, base64 ${Buffer.from(decoded.userBuf).toString("base64")}`,
    );
  }
  return lines;
}
