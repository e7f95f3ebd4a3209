#!/usr/bin/env node
// Writes test/fixtures/cross-library.json: UserSigs shaped the way the official libraries whose output
// is not in the shared vectors shape them (FORMAT.md, "What other official libraries emit"), built
// here with node:crypto and node:zlib only, so they share no code with src/usersig.
//
//   node scripts/make-cross-library-fixtures.mjs
//
// Each case keeps the JSON text it compressed, so a reader can see exactly what is being accepted.
import { createHmac } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const vectors = JSON.parse(readFileSync(new URL("../test/fixtures/vectors.json", import.meta.url), "utf8"));
const { sdkAppId, secretKey, time } = vectors;
const expire = 86400;

/** @param {string} identifier @param {string | undefined} userbuf */
function sig(identifier, userbuf) {
  let content = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  if (userbuf !== undefined) content += `TLS.userbuf:${userbuf}\n`;
  return createHmac("sha256", secretKey).update(content, "utf8").digest("base64");
}

/** @param {Buffer} bytes */
function toToken(bytes) {
  return bytes.toString("base64").replace(/\+/g, "*").replace(/\//g, "-").replace(/=/g, "_");
}

/** zlib stream of stored (uncompressed) blocks, header 78 01, as Go's library writes since v1.4. */
function storedZlib(/** @type {Buffer} */ data) {
  const parts = [Buffer.from([0x78, 0x01])];
  for (let offset = 0; offset === 0 || offset < data.length; offset += 65535) {
    const block = data.subarray(offset, offset + 65535);
    const last = offset + 65535 >= data.length ? 1 : 0;
    const header = Buffer.alloc(5);
    header[0] = last;
    header.writeUInt16LE(block.length, 1);
    header.writeUInt16LE(~block.length & 0xffff, 3);
    parts.push(header, block);
  }
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((b << 16) | a) >>> 0);
  parts.push(adler);
  return Buffer.concat(parts);
}

/** Go's encoding/json escapes <, > and & and every non-ASCII character stays raw. */
function goEscape(/** @type {string} */ json) {
  return json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Python's json.dumps: ", " and ": " separators, non-ASCII as \uXXXX. */
function pythonDumps(/** @type {[string, unknown][]} */ entries) {
  const ascii = (/** @type {string} */ s) =>
    JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `{${entries.map(([k, v]) => `${ascii(k)}: ${typeof v === "string" ? ascii(v) : JSON.stringify(v)}`).join(", ")}}`;
}

/** A PrivateMapKey userbuf for a numeric room, account in UTF-8. */
function privateMapBuf(/** @type {string} */ account, /** @type {number} */ room, /** @type {number} */ privileges) {
  const acc = Buffer.from(account, "utf8");
  const buf = Buffer.alloc(1 + 2 + acc.length + 20);
  buf.writeUInt8(0, 0);
  buf.writeUInt16BE(acc.length, 1);
  acc.copy(buf, 3);
  const at = 3 + acc.length;
  buf.writeUInt32BE(sdkAppId, at);
  buf.writeUInt32BE(room, at + 4);
  buf.writeUInt32BE(time + expire, at + 8);
  buf.writeUInt32BE(privileges, at + 12);
  buf.writeUInt32BE(0, at + 16);
  return buf.toString("base64");
}

const cases = [];
function add(name, identifier, userbuf, json, compress) {
  cases.push({
    name,
    userId: identifier,
    hasUserBuf: userbuf !== undefined,
    json,
    userSig: toToken(compress(Buffer.from(json, "utf8"))),
  });
}
const level = (/** @type {number} */ n) => (/** @type {Buffer} */ data) => deflateSync(data, { level: n });

{
  const id = "go<user>&co";
  const s = sig(id, undefined);
  const json = `${goEscape(
    JSON.stringify({
      "TLS.ver": "2.0",
      "TLS.identifier": id,
      "TLS.sdkappid": sdkAppId,
      "TLS.expire": expire,
      "TLS.time": time,
      "TLS.sig": s,
    }),
  )}\n`;
  add("go: stored blocks, expire before time, <>& escaped, trailing newline", id, undefined, json, storedZlib);
}
{
  const id = "gopher";
  const ub = privateMapBuf(id, 4242, 2 | 8 | 32);
  const s = sig(id, ub);
  const json = `${JSON.stringify({ "TLS.ver": "2.0", "TLS.identifier": id, "TLS.sdkappid": sdkAppId, "TLS.expire": expire, "TLS.time": time, "TLS.userbuf": ub, "TLS.sig": s })}\n`;
  add("go: PrivateMapKey in stored blocks", id, ub, json, storedZlib);
}
{
  const id = "csharp_user";
  const ub = privateMapBuf(id, 7, 255);
  const s = sig(id, ub);
  const json = JSON.stringify({
    "TLS.ver": "2.0",
    "TLS.identifier": id,
    "TLS.sdkappid": sdkAppId,
    "TLS.expire": expire,
    "TLS.time": time,
    "TLS.sig": s,
    "TLS.userbuf": ub,
  });
  add("c#: userbuf after sig, level 6", id, ub, json, level(6));
}
{
  const id = "小明";
  const s = sig(id, undefined);
  const json = pythonDumps([
    ["TLS.ver", "2.0"],
    ["TLS.identifier", id],
    ["TLS.sdkappid", sdkAppId],
    ["TLS.expire", expire],
    ["TLS.time", time],
    ["TLS.sig", s],
  ]);
  add("python: non-ASCII UserID escaped as \\uXXXX, spaced separators", id, undefined, json, level(6));
}
{
  const id = "ユーザー";
  const ub = privateMapBuf(id, 99, 3);
  const s = sig(id, ub);
  const json = goEscape(
    JSON.stringify({
      "TLS.sig": s,
      "TLS.time": time,
      "TLS.userbuf": ub,
      "TLS.ver": "2.0",
      "TLS.expire": expire,
      "TLS.identifier": id,
      "TLS.sdkappid": sdkAppId,
    }),
  );
  add("java: hash-map key order, raw UTF-8 UserID, PrivateMapKey", id, ub, json, level(6));
}
{
  const id = "php/user";
  const s = sig(id, undefined);
  const json = JSON.stringify({
    "TLS.ver": "2.0",
    "TLS.identifier": id,
    "TLS.sdkappid": sdkAppId,
    "TLS.expire": expire,
    "TLS.time": time,
    "TLS.sig": s,
  }).replace(/\//g, "\\/");
  add("php: every / escaped as \\/, also inside the UserID", id, undefined, json, level(6));
}
{
  const id = "cpp_fast";
  const s = sig(id, undefined);
  const json = JSON.stringify({
    "TLS.ver": "2.0",
    "TLS.sdkappid": sdkAppId,
    "TLS.identifier": id,
    "TLS.time": time,
    "TLS.expire": expire,
    "TLS.sig": s,
  });
  add("c++: sdkappid first, level 1", id, undefined, json, level(1));
}
{
  const id = "level9";
  const s = sig(id, undefined);
  const json = JSON.stringify({
    "TLS.ver": "2.0",
    "TLS.identifier": id,
    "TLS.sdkappid": sdkAppId,
    "TLS.time": time,
    "TLS.expire": expire,
    "TLS.sig": s,
  });
  add("any: level 9", id, undefined, json, level(9));
}
{
  const id = "pretty";
  const s = sig(id, undefined);
  const json = `${JSON.stringify({ "TLS.ver": "2.0", "TLS.identifier": id, "TLS.sdkappid": sdkAppId, "TLS.time": time, "TLS.expire": expire, "TLS.sig": s }, null, "\t")}\r\n`;
  add("any: pretty-printed with tabs and CRLF", id, undefined, json, level(6));
}

const out = {
  about:
    "UserSigs shaped like the official libraries' output that the shared vectors lack (Go, C#, Java, Python non-ASCII, PHP, C++ level 1), made by scripts/make-cross-library-fixtures.mjs with node:crypto and node:zlib. All signed with the shared vectors' sample key at their time, lifetime 86400 s.",
  sdkAppId,
  time,
  expire,
  cases,
};
writeFileSync(new URL("../test/fixtures/cross-library.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${cases.length} cases to test/fixtures/cross-library.json`);
