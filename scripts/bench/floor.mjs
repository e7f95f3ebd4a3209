// The "floor": the same UserSig work done with node:crypto createHmac and node:zlib deflateSync,
// the way Tencent's own Node library does it, written here independently of src/usersig. It runs in
// Node and, with the nodejs_compat flag, in the bench worker (never in src/).
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";

function content(userId, sdkAppId, time, expire) {
  return `TLS.identifier:${userId}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
}

function toTokenChar(c) {
  return c === "+" ? "*" : c === "/" ? "-" : "_";
}

function fromTokenChar(c) {
  return c === "*" ? "+" : c === "-" ? "/" : "=";
}

/** Same JSON (key order, compact) and zlib default level as signUserSig, so the bytes are identical. */
export function floorSign(userId, sdkAppId, secretKey, time, expire) {
  const sig = createHmac("sha256", secretKey)
    .update(content(userId, sdkAppId, time, expire))
    .digest("base64");
  const json = JSON.stringify({
    "TLS.ver": "2.0",
    "TLS.identifier": userId,
    "TLS.sdkappid": sdkAppId,
    "TLS.time": time,
    "TLS.expire": expire,
    "TLS.sig": sig,
  });
  return deflateSync(json).toString("base64").replace(/[+/=]/g, toTokenChar);
}

/**
 * The same checks verifyUserSig makes, minus its defensive bounds (a floor, not a hardened
 * verifier): decode, inflate, parse, recompute the HMAC, compare in constant time, check the fields.
 */
export function floorVerify(token, sdkAppId, secretKey, userId, now) {
  const compressed = Buffer.from(token.replace(/[*\-_]/g, fromTokenChar), "base64");
  const doc = JSON.parse(inflateSync(compressed, { maxOutputLength: 8192 }).toString("utf8"));
  if (doc["TLS.sdkappid"] !== sdkAppId) throw new Error("floor: sdkappid mismatch");
  const text = content(doc["TLS.identifier"], doc["TLS.sdkappid"], doc["TLS.time"], doc["TLS.expire"]);
  const expected = createHmac("sha256", secretKey).update(text).digest();
  const actual = Buffer.from(doc["TLS.sig"], "base64");
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new Error("floor: bad signature");
  if (doc["TLS.identifier"] !== userId) throw new Error("floor: userId mismatch");
  if (Math.floor(now) > doc["TLS.time"] + doc["TLS.expire"]) throw new Error("floor: expired");
  return doc;
}

export function floorHmac(secretKey, text) {
  return createHmac("sha256", secretKey).update(text).digest();
}

export function floorDeflate(bytes) {
  return deflateSync(bytes);
}
