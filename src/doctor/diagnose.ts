/**
 * The doctor: given a token that failed to log in and whatever the person knows (the SDKAppID and
 * UserID it was used with, the secret key, the clock), say what is wrong with it, most likely
 * first. One module for the CLI (`usersig-broker doctor`) and the inspector page.
 *
 * Pure like the core it builds on (src/usersig): Web standards only, no clock read (`now` is an
 * input), nothing logged. Messages never contain the token or the key; they may quote the fields
 * decoded from the token (a UserID, an issuer), which the caller shows escaped.
 */

import { type DecodedUserSig, decodeUserSig, limits, UserSigError, verifyUserSig } from "../usersig/index.js";
import { DoctorCode } from "./codes.js";
import {
  checksumBytesPresent,
  estimateWholeLength,
  inflatePartial,
  isZlibHeader,
  lenientTokenBytes,
} from "./stream.js";
import { isoTime, formatDuration as span } from "./time.js";

export interface DoctorInput {
  token: string;
  /** Unix seconds: the time the token is judged at (the device's clock, for a login that just failed). */
  now: number;
  /** The SDKAppID the token was used with. */
  sdkAppId?: number;
  /** The UserID the token was used with. */
  userId?: string;
  /** What the token was used as: `userSig` (login, enterRoom) or `privateMapKey` (TRTC room permissions). */
  usedAs?: "userSig" | "privateMapKey";
  /** The app's secret key, to check the signature. */
  secretKey?: string;
}

export interface Finding {
  code: DoctorCode;
  /** One line. */
  title: string;
  /** What it means and what to do. */
  detail: string;
  /** Tencent's error codes this usually shows up as. */
  tencentErrors: number[];
}

/** What an old v1 (ECDSA) token says; its fields are strings in the JSON. */
export interface DecodedV1 {
  version: string;
  sdkAppId?: number;
  userId?: string;
  issuedAt?: number;
  expireSeconds?: number;
  expiresAt?: number;
}

export type TokenKind =
  | "usersig"
  | "privatemapkey"
  | "v1-usersig"
  | "jwt"
  | "guest-ticket"
  | "truncated-usersig"
  | "unknown";

export interface Diagnosis {
  kind: TokenKind;
  /** Most likely first; empty when nothing is wrong that the doctor can see. */
  findings: Finding[];
  /** What the doctor could and could not check (e.g. "signature not checked: no key"). */
  notes: string[];
  /** The signature check, when a key was given and the token could be checked. */
  signature: "valid" | "invalid" | "not-checked";
  decoded?: DecodedUserSig;
  v1?: DecodedV1;
}

const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const TOKEN_ALPHABET = /^[A-Za-z0-9*_-]+$/;
const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const URL_ESCAPES = /%2[AaDdFf]|%5[Ff]|%3[Dd]/;

export async function diagnose(input: DoctorInput): Promise<Diagnosis> {
  const out: Diagnosis = { kind: "unknown", findings: [], notes: [], signature: "not-checked" };
  let token = input.token.trim();
  if (token === "") {
    out.findings.push(finding(DoctorCode.Empty, "No token was given.", "Paste the UserSig that failed.", [70002]));
    return out;
  }
  if (JWT.test(token)) return jwt(token, out);
  if (token.length > limits.TOKEN_MAX_CHARS) {
    out.findings.push(
      finding(
        DoctorCode.TooLarge,
        `Too long to be a UserSig (${token.length} characters).`,
        `UserSigs are a few hundred characters; the longest an official library makes is about 600. Check that one token was pasted, not a whole response or several tokens.`,
        [70003],
      ),
    );
    return out;
  }
  const unwrapped = token.replace(/\s+/g, "");
  if (unwrapped !== token && TOKEN_ALPHABET.test(unwrapped) && isZlibHeader(lenientTokenBytes(unwrapped))) {
    out.findings.push(
      finding(
        DoctorCode.Whitespace,
        "The token has spaces or line breaks inside.",
        "It was wrapped or split on the way (a log line, a mail, a terminal). A UserSig is one unbroken line: remove the whitespace where it is stored or passed on. The doctor looked at it with the whitespace removed.",
        [70003],
      ),
    );
    token = unwrapped;
  }
  if (URL_ESCAPES.test(token)) {
    const decoded = token.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    out.findings.push(
      finding(
        DoctorCode.UrlEncoded,
        "The token is URL-encoded (%2A for *, %2D for -, %5F for _).",
        "Somewhere it went through URL encoding and was not decoded: pass the token as it was made (decode it once, or send it in a JSON body rather than a query string). The doctor looked at the decoded token below.",
        [70003],
      ),
    );
    token = decoded;
  }
  if (!TOKEN_ALPHABET.test(token)) {
    if (STANDARD_BASE64.test(token)) {
      out.findings.push(
        finding(
          DoctorCode.WrongAlphabet,
          "The token is in standard base64 (+ / =), not in the UserSig alphabet (* - _).",
          "Something re-encoded it (a base64 library, a JSON or URL step). Use the token exactly as the signer made it. The doctor looked at it converted back.",
          [70003],
        ),
      );
      token = token.replace(/[+/=]/g, (c) => (c === "+" ? "*" : c === "/" ? "-" : "_"));
    } else {
      const at = token.search(/[^A-Za-z0-9*_-]/);
      out.findings.push(
        notAUserSig(
          `It has a character a UserSig never has (at position ${at + 1}). A UserSig is one line of letters, digits and * - _, usually starting with "eJ".`,
        ),
      );
      return out;
    }
  }

  const bytes = lenientTokenBytes(token);
  if (!isZlibHeader(bytes)) {
    out.findings.push(
      notAUserSig(
        `It does not start like one: a UserSig is zlib-compressed JSON and starts with "eJ" (this starts with "${token.slice(0, 2)}").`,
      ),
    );
    return out;
  }
  const inflated = await inflatePartial(bytes);
  if (inflated.tooLarge) {
    out.findings.push(
      finding(
        DoctorCode.TooLarge,
        "It inflates to far more than any UserSig.",
        `A UserSig's JSON is under ${limits.INFLATED_MAX_BYTES} bytes; this is something else, or a decompression bomb.`,
        [70003],
      ),
    );
    return out;
  }
  const text = new TextDecoder().decode(inflated.bytes);
  if (!inflated.complete) {
    await cutShort(token, bytes, inflated.bytes, text, out);
    return out;
  }

  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    out.findings.push(notAUserSig("It is zlib-compressed, but what is inside is not a JSON object."));
    return out;
  }
  const fields = doc as Record<string, unknown>;
  if (fields["TLS.ver"] === undefined && ("TLS.sdk_appid" in fields || "TLS.expire_after" in fields)) {
    return v1(fields, input, out);
  }
  let decoded: DecodedUserSig;
  try {
    decoded = await decodeUserSig(token);
  } catch (error) {
    const reason = error instanceof UserSigError ? error.message.replace(/^not a UserSig:\s*/, "") : "unreadable";
    out.findings.push(notAUserSig(`It is compressed JSON, but not a UserSig's: ${reason}.`));
    return out;
  }
  out.decoded = decoded;
  out.kind = decoded.privateMap ? "privatemapkey" : "usersig";
  checkKind(decoded, input, out);
  checkIdentity(decoded.sdkAppId, decoded.userId, input, out);
  checkTimes(decoded.issuedAt, decoded.expireSeconds, decoded.expiresAt, input.now, out);
  await checkSignature(token, decoded, input, out);
  return out;
}

function finding(code: DoctorCode, title: string, detail: string, tencentErrors: number[]): Finding {
  return { code, title, detail, tencentErrors };
}

function notAUserSig(detail: string): Finding {
  return finding(DoctorCode.NotAUserSig, "This is not a UserSig.", detail, [70003]);
}

/** The stream did not end: cut short, or (when nothing seems missing) damaged. */
async function cutShort(
  token: string,
  bytes: Uint8Array,
  inflated: Uint8Array,
  text: string,
  out: Diagnosis,
): Promise<void> {
  out.kind = "truncated-usersig";
  const looksLikeUserSig = /^\s*\{\s*("|$)/.test(text) || text === "";
  if (!looksLikeUserSig) {
    out.findings.push(notAUserSig("It starts like compressed data, but what comes out is not a UserSig's JSON."));
    return;
  }
  const jsonComplete = /\}\s*$/.test(text) && isJson(text);
  if (jsonComplete) {
    // The JSON came out whole: the checksum after it is cut short, or a character was changed.
    const present = await checksumBytesPresent(bytes, inflated);
    if (present !== undefined && present < 4) {
      const wholeChars = Math.ceil((bytes.length + 4 - present) / 3) * 4;
      const missing = Math.max(1, wholeChars - token.length);
      out.findings.push(
        finding(
          DoctorCode.Truncated,
          `The token is cut short: its last ${missing} character${missing === 1 ? "" : "s"} seem to be missing (an unterminated zlib stream: the JSON is complete, its checksum is not).`,
          `The token has ${token.length} characters; the whole one has ${wholeChars}. Copy it again in full, and look for a column, buffer or field that cuts it.`,
          [70003],
        ),
      );
      return;
    }
    out.findings.push(damaged("its JSON is complete but its checksum does not match"));
    return;
  }
  const estimate = await estimateWholeLength(text);
  const have = token.replace(/_+$/, "").length;
  if (estimate.chars - have <= 0) {
    // As long as a whole token or longer, yet the stream breaks off: damaged, not cut.
    out.findings.push(damaged("its compressed JSON breaks off in the middle"));
    return;
  }
  const missing = estimate.chars - have;
  const what = estimate.lowerBound ? `at least ${missing}` : `about ${missing}`;
  out.findings.push(
    finding(
      DoctorCode.Truncated,
      `The token is cut short: ${what} characters seem to be missing.`,
      `It has ${token.length} characters and ends inside its compressed JSON (an unterminated zlib stream), after ${describePrefix(text)}. A whole UserSig of this kind has about ${estimate.chars}${estimate.lowerBound ? " or more" : ""}. Copy it again in full, and look for a database column, buffer, form field or log line that cuts it.`,
      [70003],
    ),
  );
}

function damaged(how: string): Finding {
  return finding(
    DoctorCode.Damaged,
    `The token is damaged: ${how}.`,
    "Nothing seems to be missing, so a character was probably changed (a copy by hand, an encoding step that replaced a character). Copy it again from where it was made.",
    [70003],
  );
}

function describePrefix(text: string): string {
  const fields = [...text.matchAll(/"(TLS\.[a-z_]+)"\s*:/g)].map((m) => m[1]);
  return fields.length === 0 ? "a few bytes" : `the field${fields.length === 1 ? "" : "s"} ${fields.join(", ")}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function jwt(token: string, out: Diagnosis): Diagnosis {
  const [header, payload] = token.split(".").map(base64UrlJson);
  const typ = typeof header?.["typ"] === "string" ? header["typ"] : "";
  if (typ === "guest-ticket+jwt") {
    out.kind = "guest-ticket";
    const sub = typeof payload?.["sub"] === "string" ? ` for guest ${payload["sub"]}` : "";
    out.findings.push(
      finding(
        DoctorCode.GuestTicket,
        `This is a guest ticket of usersig-broker${sub}, not a UserSig.`,
        'A guest ticket only renews a guest\'s identity at the broker: send it as "guestTicket" to POST /v1/usersig and log in with the "userSig" of the answer. Tencent does not accept it.',
        [70003],
      ),
    );
    return out;
  }
  out.kind = "jwt";
  const alg = typeof header?.["alg"] === "string" ? header["alg"] : "unknown";
  const iss = typeof payload?.["iss"] === "string" ? `, issuer ${payload["iss"]}` : "";
  out.findings.push(
    finding(
      DoctorCode.Jwt,
      `This is a JWT (alg ${alg}${iss}), not a UserSig.`,
      'A JWT is an identity provider\'s token. The broker turns it into a UserSig: send it as `Authorization: Bearer <JWT>` to POST /v1/usersig and log in with the "userSig" of the answer. Tencent does not accept a JWT.',
      [70003],
    ),
  );
  return out;
}

function base64UrlJson(part: string | undefined): Record<string, unknown> | undefined {
  if (part === undefined) return undefined;
  try {
    const standard = part.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function v1(fields: Record<string, unknown>, input: DoctorInput, out: Diagnosis): Diagnosis {
  out.kind = "v1-usersig";
  const text = (name: string) => (typeof fields[name] === "string" ? (fields[name] as string) : undefined);
  const num = (name: string) => {
    const value = text(name) ?? (typeof fields[name] === "number" ? String(fields[name]) : undefined);
    return value !== undefined && /^[0-9]{1,10}$/.test(value) ? Number(value) : undefined;
  };
  const decoded: DecodedV1 = { version: text("TLS.version") ?? "(none)" };
  const sdkAppId = num("TLS.sdk_appid");
  if (sdkAppId !== undefined) decoded.sdkAppId = sdkAppId;
  const userId = text("TLS.identifier");
  if (userId !== undefined) decoded.userId = userId;
  // TLS.time is unix seconds, or in the oldest tokens a Beijing-time date ("2016-01-01T10:00:00-08:00" style).
  const timeText = text("TLS.time");
  const issuedAt =
    num("TLS.time") ??
    (timeText !== undefined && !Number.isNaN(Date.parse(timeText))
      ? Math.floor(Date.parse(timeText) / 1000)
      : undefined);
  if (issuedAt !== undefined) decoded.issuedAt = issuedAt;
  const expire = num("TLS.expire_after");
  if (expire !== undefined) decoded.expireSeconds = expire;
  if (issuedAt !== undefined && expire !== undefined) decoded.expiresAt = issuedAt + expire;
  out.v1 = decoded;
  out.findings.push(
    finding(
      DoctorCode.V1Ecdsa,
      "This is an old v1 UserSig, signed with ECDSA (a private key).",
      `It was made by TLSSigAPI v1 (version ${decoded.version}), which signs with the app's private key. Today's apps use HMAC-SHA256 with the app's secret key (TLSSigAPIv2: the key shown in the console's UserSig tools); Tencent's v2 libraries say the old asymmetric keys cannot be used with them. Sign with a v2 library or this broker, using this app's secret key.`,
      [70009, 70016],
    ),
  );
  checkIdentity(decoded.sdkAppId, decoded.userId, input, out);
  if (issuedAt !== undefined && expire !== undefined) checkTimes(issuedAt, expire, issuedAt + expire, input.now, out);
  out.notes.push("The v1 signature (ECDSA) cannot be checked here: it needs the app's public key.");
  return out;
}

function checkKind(decoded: DecodedUserSig, input: DoctorInput, out: Diagnosis): void {
  if (input.usedAs === "userSig" && decoded.privateMap) {
    out.findings.push(
      finding(
        DoctorCode.PrivateMapKeyAsUserSig,
        "This is a PrivateMapKey, given where a UserSig is expected.",
        "A PrivateMapKey carries one TRTC room's permissions. Log in (Chat login, TRTC enterRoom's userSig) with a plain UserSig, and pass this one as enterRoom's privateMapKey.",
        [],
      ),
    );
  }
  if (input.usedAs === "privateMapKey" && !decoded.privateMap) {
    out.findings.push(
      finding(
        DoctorCode.UserSigAsPrivateMapKey,
        "This is a plain UserSig, given where a PrivateMapKey is expected.",
        decoded.userBuf
          ? "It carries a userbuf, but not a PrivateMapKey's room and privileges. Get a PrivateMapKey for the room (POST /v1/privatemapkey, or `usersig-broker sign-privatemapkey`)."
          : "It carries no room permissions. Get a PrivateMapKey for the room (POST /v1/privatemapkey, or `usersig-broker sign-privatemapkey`) and pass it as enterRoom's privateMapKey.",
        [],
      ),
    );
  }
}

function checkIdentity(
  sdkAppId: number | undefined,
  userId: string | undefined,
  input: DoctorInput,
  out: Diagnosis,
): void {
  if (input.sdkAppId !== undefined && sdkAppId !== undefined && sdkAppId !== input.sdkAppId) {
    out.findings.push(
      finding(
        DoctorCode.SdkAppIdMismatch,
        `It was signed for SDKAppID ${sdkAppId}, not ${input.sdkAppId}.`,
        `The SDK is initialised with ${input.sdkAppId} but the token names ${sdkAppId}: sign it for the app you log in to, or initialise every component (Chat, TRTC, plugins) with the same SDKAppID.`,
        [70014, 70020],
      ),
    );
  }
  if (input.userId !== undefined && userId !== undefined && userId !== input.userId) {
    const nearly = userId.trim().toLowerCase() === input.userId.trim().toLowerCase();
    out.findings.push(
      finding(
        DoctorCode.UserIdMismatch,
        `It was signed for UserID ${JSON.stringify(userId)}, not ${JSON.stringify(input.userId)}.`,
        `${nearly ? "They differ only in case or surrounding spaces, and the comparison is exact. " : ""}Log in with the UserID the token names, or get a token for this UserID (a token cached for another user is a common cause).`,
        [70013],
      ),
    );
  }
}

function checkTimes(issuedAt: number, expireSeconds: number, expiresAt: number, now: number, out: Diagnosis): void {
  if (now > expiresAt) {
    const zero = expireSeconds === 0;
    out.findings.push(
      finding(
        DoctorCode.Expired,
        `It expired ${span(now - expiresAt)} ago, at ${isoTime(expiresAt)}.`,
        zero
          ? "Its lifetime is 0 seconds: it was expired when it was made. Sign it with a real lifetime."
          : `It was issued at ${isoTime(issuedAt)} for ${span(expireSeconds)}. Get a fresh one before login (and again when the SDK reports onUserSigExpired); a UserSig cannot be renewed.`,
        [6206, 70001, 70052],
      ),
    );
  } else if (issuedAt > now) {
    out.findings.push(
      finding(
        DoctorCode.NotYetValid,
        `It was issued ${span(issuedAt - now)} in the future (clock skew of ${issuedAt - now} s).`,
        `Its issue time is ${isoTime(issuedAt)}, but the clock used here reads ${isoTime(now)}: the signing machine's clock is ahead, or this one's is behind. Synchronise the clocks (NTP).`,
        [70001],
      ),
    );
  }
}

async function checkSignature(
  token: string,
  decoded: DecodedUserSig,
  input: DoctorInput,
  out: Diagnosis,
): Promise<void> {
  const key = input.secretKey;
  if (key === undefined || key === "") {
    out.notes.push("Signature not checked: give the app's secret key to check it.");
    return;
  }
  if (key.length > limits.SECRET_KEY_MAX_CHARS) {
    out.notes.push(`Signature not checked: the key is over ${limits.SECRET_KEY_MAX_CHARS} characters.`);
    return;
  }
  // Judged at the issue time and for the token's own app: only the signature is in question here.
  const verifies = (secretKey: string) =>
    verifyUserSig(token, { sdkAppId: decoded.sdkAppId, secretKey, now: decoded.issuedAt }).then(
      () => true,
      () => false,
    );
  if (await verifies(key)) {
    out.signature = "valid";
    out.notes.push(`Signature valid: this key signed it (for SDKAppID ${decoded.sdkAppId}).`);
    return;
  }
  out.signature = "invalid";
  const trimmed = key.trim();
  if (trimmed !== key && trimmed !== "" && (await verifies(trimmed))) {
    out.findings.push(
      finding(
        DoctorCode.KeyWhitespace,
        "The signature matches only once whitespace is removed from the key.",
        "The key given here has leading or trailing whitespace (a line break from a file, a space from a copy). The HMAC key is the key string exactly as given: remove the whitespace where the key is stored.",
        [70009],
      ),
    );
    return;
  }
  const shape = /^[0-9a-f]{64}$/i.test(key)
    ? ""
    : ` (Tencent's secret keys are 64 hex characters; this one is ${key.length} characters${/^[0-9a-f]+$/i.test(trimmed) ? "" : " and not all hex"}.)`;
  out.findings.push(
    finding(
      DoctorCode.SignatureMismatch,
      "The signature does not match this key: the token was signed with another key.",
      `Most often the key of another app (another SDKAppID, or the same name in another region), a key that was changed in the console, or a signer with an old copy of the key. Check that the signer uses the secret key of SDKAppID ${decoded.sdkAppId}.${shape}`,
      [70009],
    ),
  );
}
