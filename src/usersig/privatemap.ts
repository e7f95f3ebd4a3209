/**
 * The PrivateMapKey userbuf: a room and a privilege bitmap, big-endian.
 *
 *   u8  version (0 numeric room, 1 string room) | u16 account length | account (UTF-8)
 *   u32 sdkAppId | u32 room id (0 for a string room) | u32 absolute expiry | u32 privileges
 *   u32 account type (0) | [u16 room string length | room string (UTF-8)]   (string room only)
 */

export interface PrivateMapBuf {
  account: Uint8Array;
  sdkAppId: number;
  /** Numeric room id, or the UTF-8 bytes of a string room id. */
  room: number | Uint8Array;
  /** Absolute unix seconds: issue time + lifetime. */
  expiresAt: number;
  privileges: number;
}

export function encodePrivateMapBuf(buf: PrivateMapBuf): Uint8Array {
  const isString = typeof buf.room !== "number";
  const roomBytes = isString ? (buf.room as Uint8Array) : undefined;
  const length = 1 + 2 + buf.account.length + 4 * 5 + (roomBytes ? 2 + roomBytes.length : 0);
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  view.setUint8(offset, isString ? 1 : 0);
  offset += 1;
  view.setUint16(offset, buf.account.length);
  offset += 2;
  out.set(buf.account, offset);
  offset += buf.account.length;
  view.setUint32(offset, buf.sdkAppId);
  view.setUint32(offset + 4, isString ? 0 : (buf.room as number));
  view.setUint32(offset + 8, buf.expiresAt);
  view.setUint32(offset + 12, buf.privileges);
  view.setUint32(offset + 16, 0);
  offset += 20;
  if (roomBytes) {
    view.setUint16(offset, roomBytes.length);
    out.set(roomBytes, offset + 2);
  }
  return out;
}

/** Parses a userbuf laid out as above; undefined if it is anything else (e.g. an app's own bytes). */
export function decodePrivateMapBuf(bytes: Uint8Array): PrivateMapBuf | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 3) return undefined;
  const version = view.getUint8(0);
  if (version !== 0 && version !== 1) return undefined;
  const accountLength = view.getUint16(1);
  const fixedEnd = 3 + accountLength + 20;
  if (bytes.length < fixedEnd) return undefined;
  const account = bytes.slice(3, 3 + accountLength);
  const at = 3 + accountLength;
  const sdkAppId = view.getUint32(at);
  const roomId = view.getUint32(at + 4);
  const expiresAt = view.getUint32(at + 8);
  const privileges = view.getUint32(at + 12);
  if (version === 0) {
    if (bytes.length !== fixedEnd) return undefined;
    return { account, sdkAppId, room: roomId, expiresAt, privileges };
  }
  if (bytes.length < fixedEnd + 2) return undefined;
  const roomLength = view.getUint16(fixedEnd);
  if (bytes.length !== fixedEnd + 2 + roomLength) return undefined;
  return { account, sdkAppId, room: bytes.slice(fixedEnd + 2), expiresAt, privileges };
}
