/**
 * TencentCloud API 3.0's request signature, TC3-HMAC-SHA256, with WebCrypto only (no hono, no
 * cloudflare:*, no node:*). As Tencent documents it ("Signature v3", https://trtc.io/document/34264;
 * the same page for every product, e.g. https://cloud.tencent.com/document/api/400/37390):
 *
 *     CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
 *                        SignedHeaders \n Lowercase(HexEncode(SHA256(payload)))
 *     CanonicalHeaders = for each signed header, sorted by lowercase name: name:value\n
 *                        (name lowercase, value trimmed; the doc lowercases X-TC-Action's value too)
 *     StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n Date/service/tc3_request \n
 *                        Lowercase(HexEncode(SHA256(CanonicalRequest)))
 *     SecretDate       = HMAC_SHA256("TC3" + SecretKey, Date)      (Date: the timestamp's UTC day)
 *     SecretService    = HMAC_SHA256(SecretDate, service)
 *     SecretSigning    = HMAC_SHA256(SecretService, "tc3_request")
 *     Signature        = HexEncode(HMAC_SHA256(SecretSigning, StringToSign))
 *     Authorization    = "TC3-HMAC-SHA256 Credential=" SecretId "/" Date/service/tc3_request
 *                        ", SignedHeaders=" SignedHeaders ", Signature=" Signature
 *
 * Only POST with a JSON body is built here (the only form the broker sends): the URI is "/" and the
 * query string empty. The `Authorization` value and the SecretKey are secrets: nothing here logs
 * them, and callers must not either (PROJECT_BRIEF: never a TC3 `Authorization` header).
 */

export const TC3_ALGORITHM = "TC3-HMAC-SHA256";
export const TC3_CONTENT_TYPE = "application/json; charset=utf-8";

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  /** The product's name in its host, e.g. "trtc" for trtc.tencentcloudapi.com. */
  service: string;
  /** The Host header's value, e.g. "trtc.tencentcloudapi.com". */
  host: string;
  /** X-TC-Action, e.g. "RemoveUser". */
  action: string;
  /** X-TC-Timestamp: unix seconds. */
  timestampSeconds: number;
  /** The exact JSON text sent as the body. */
  payload: string;
  /**
   * Which headers are signed: content-type and host always (Tencent requires them); x-tc-action too
   * unless false (the doc recommends it; its published example signs the two only).
   */
  signAction?: boolean;
}

export interface Tc3Signed {
  /** The `Authorization` header's value: a secret's derivative, never logged. */
  authorization: string;
  /** The intermediate strings, for known-answer tests. */
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  /** "YYYY-MM-DD", the timestamp's UTC date. */
  date: string;
}

const encoder = new TextEncoder();

export async function tc3Sign(input: Tc3Input): Promise<Tc3Signed> {
  const date = utcDate(input.timestampSeconds);
  const headers: [string, string][] = [
    ["content-type", TC3_CONTENT_TYPE],
    ["host", input.host.toLowerCase()],
  ];
  if (input.signAction !== false) headers.push(["x-tc-action", input.action.toLowerCase()]);
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(";");
  const canonicalHeaders = headers.map(([name, value]) => `${name}:${value.trim()}\n`).join("");
  const canonicalRequest = ["POST", "/", "", canonicalHeaders, signedHeaders, await sha256Hex(input.payload)].join(
    "\n",
  );
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = [TC3_ALGORITHM, String(input.timestampSeconds), scope, await sha256Hex(canonicalRequest)].join(
    "\n",
  );
  const secretDate = await hmac(utf8(`TC3${input.secretKey}`), date);
  const secretService = await hmac(secretDate, input.service);
  const secretSigning = await hmac(secretService, "tc3_request");
  const signature = hex(await hmac(secretSigning, stringToSign));
  const authorization = `${TC3_ALGORITHM} Credential=${input.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, canonicalRequest, stringToSign, signature, date };
}

/** "YYYY-MM-DD" in UTC (Tencent: never the local time zone, or calls fail around midnight). */
export function utcDate(timestampSeconds: number): string {
  return new Date(timestampSeconds * 1000).toISOString().slice(0, 10);
}

async function hmac(key: BufferSource, message: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", cryptoKey, utf8(message));
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", utf8(text)));
}

/** UTF-8 bytes, typed for WebCrypto under both the Workers and the Node type libraries. */
function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(text));
}

function hex(buffer: ArrayBuffer): string {
  let out = "";
  for (const byte of new Uint8Array(buffer)) out += byte.toString(16).padStart(2, "0");
  return out;
}
