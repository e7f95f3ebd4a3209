/**
 * The text a UserSig's HMAC covers, and the JSON document that carries it, as Tencent's Node
 * library writes them (the known-answer vectors are byte-exact with this).
 */

export interface SignedFields {
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  /** Standard base64 of the userbuf, exactly as it appears (or will appear) in the JSON. */
  userBuf?: string | undefined;
}

/** Every line ends in one LF, the last one too. Numbers are plain decimal. */
export function contentToSign(fields: SignedFields): string {
  let content =
    `TLS.identifier:${fields.identifier}\n` +
    `TLS.sdkappid:${fields.sdkAppId}\n` +
    `TLS.time:${fields.time}\n` +
    `TLS.expire:${fields.expire}\n`;
  if (fields.userBuf !== undefined) content += `TLS.userbuf:${fields.userBuf}\n`;
  return content;
}

/** Key order ver, identifier, sdkappid, time, expire, [userbuf], sig; compact; JSON.stringify escaping. */
export function tokenJson(fields: SignedFields, sig: string): string {
  const doc: Record<string, string | number> = {
    "TLS.ver": "2.0",
    "TLS.identifier": fields.identifier,
    "TLS.sdkappid": fields.sdkAppId,
    "TLS.time": fields.time,
    "TLS.expire": fields.expire,
  };
  if (fields.userBuf !== undefined) doc["TLS.userbuf"] = fields.userBuf;
  doc["TLS.sig"] = sig;
  return JSON.stringify(doc);
}
