/**
 * What the app passes in, checked once: createUserSigSource()'s options and getPrivateMapKey()'s
 * request. A mistake throws a TypeError that names the option and says what to pass instead
 * (`roomId: "demo-room"` → use `strRoomId`), before anything is sent.
 *
 * Must never: echo a token-like value (an ID token hook's result, a ticket) into a message. Only
 * option names, types and the app's own room IDs and privilege names are quoted.
 */

import type { HttpContext } from "./http.js";
import type {
  FetchLike,
  GuestOptions,
  PrivateMapKeyRequest,
  PrivilegeName,
  Timers,
  UserSigSourceOptions,
} from "./types.js";

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const MAX_ROOM_ID = 4_294_967_294;

/** Must match Privilege in src/usersig/privilege.ts (test/client checks). */
export const PRIVILEGE_NAMES: readonly PrivilegeName[] = [
  "CreateRoom",
  "EnterRoom",
  "SendAudio",
  "RecvAudio",
  "SendVideo",
  "RecvVideo",
  "SendSubVideo",
  "RecvSubVideo",
  "All",
];

const KNOWN_OPTIONS = new Set<string>([
  "endpoint",
  "sdkAppId",
  "getIdToken",
  "guest",
  "expireSeconds",
  "refreshBeforeSeconds",
  "maxRetries",
  "maxRetryDelayMs",
  "requestTimeoutMs",
  "fetch",
  "now",
  "timers",
  "random",
] satisfies (keyof UserSigSourceOptions)[]);

/** Spellings the SDKs or other brokers use, mapped to ours. */
const OPTION_ALIASES: Record<string, string> = {
  url: "endpoint",
  baseUrl: "endpoint",
  baseURL: "endpoint",
  SDKAppID: "sdkAppId",
  sdkAppID: "sdkAppId",
  sdkappid: "sdkAppId",
  getToken: "getIdToken",
  idToken: "getIdToken (a function returning the token)",
  userId: "nothing: the broker decides the UserID (from the ID token, or a new guest's)",
  userID: "nothing: the broker decides the UserID (from the ID token, or a new guest's)",
};

const ROOM_ALIASES: Record<string, string> = {
  roomID: "roomId",
  strRoomID: "strRoomId",
  room: "roomId (a number) or strRoomId (a string)",
  privilege: "privileges",
  privilegeMap: "privileges",
};

export interface Config {
  usersigUrl: string;
  privateMapKeyUrl: string;
  sdkAppId: number | undefined;
  expireSeconds: number | undefined;
  getIdToken: (() => string | Promise<string>) | undefined;
  guest: GuestOptions | undefined;
  refreshBeforeSeconds: number | undefined;
  http: Omit<HttpContext, "closed">;
}

export function readOptions(options: UserSigSourceOptions): Config {
  if (typeof options !== "object" || options === null) {
    throw optionError(
      'createUserSigSource() needs an options object, e.g. { endpoint: "https://sig.example.com", guest: true }',
    );
  }
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key)) continue;
    const alias = OPTION_ALIASES[key];
    throw optionError(alias ? `unknown option "${key}": use ${alias}` : `unknown option "${key}"`);
  }
  const { endpoint } = options;
  if (typeof endpoint !== "string" || endpoint.trim() === "") {
    throw optionError('endpoint must be the broker\'s URL, e.g. "https://sig.example.com"');
  }
  const guest = options.guest === true ? {} : options.guest === false ? undefined : options.guest;
  if (guest !== undefined && (typeof guest !== "object" || guest === null)) {
    throw optionError("guest must be true or an object { getTurnstileToken?, storage? }");
  }
  if (options.getIdToken !== undefined && typeof options.getIdToken !== "function") {
    throw optionError("getIdToken must be a function that returns the ID token (it is called for every request)");
  }
  if ((options.getIdToken === undefined) === (guest === undefined)) {
    throw optionError("give exactly one of getIdToken (signed-in users) and guest (guests)");
  }
  const base = endpoint.trim().replace(/\/+$/, "");
  const userFetch = options.fetch;
  // Called as plain functions: a browser's fetch/setTimeout called as a method of another object
  // throws "Illegal invocation".
  const fetchFn: FetchLike = userFetch
    ? (input, init) => userFetch(input, init)
    : (input, init) => globalThis.fetch(input, init);
  const timers: Timers = options.timers ?? {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  };
  return {
    usersigUrl: `${base}/v1/usersig`,
    privateMapKeyUrl: `${base}/v1/privatemapkey`,
    sdkAppId: optionalInteger(options.sdkAppId, "sdkAppId", 1),
    expireSeconds: optionalInteger(options.expireSeconds, "expireSeconds", 1),
    getIdToken: options.getIdToken,
    guest,
    refreshBeforeSeconds: optionalNumber(options.refreshBeforeSeconds, "refreshBeforeSeconds", 0),
    http: {
      fetch: fetchFn,
      now: options.now ?? (() => Date.now()),
      timers,
      random: options.random ?? Math.random,
      maxRetries: optionalInteger(options.maxRetries, "maxRetries", 0) ?? DEFAULT_MAX_RETRIES,
      maxRetryDelayMs: optionalNumber(options.maxRetryDelayMs, "maxRetryDelayMs", 0) ?? DEFAULT_MAX_RETRY_DELAY_MS,
      requestTimeoutMs: optionalNumber(options.requestTimeoutMs, "requestTimeoutMs", 1) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
  };
}

export interface RoomBody {
  roomId?: number;
  strRoomId?: string;
  privileges: number | PrivilegeName[];
  expireSeconds?: number;
}

/** Checks a PrivateMapKey request; the error says which field is wrong and what to pass instead. */
export function readRoomRequest(request: PrivateMapKeyRequest, call = "getPrivateMapKey()"): RoomBody {
  if (typeof request !== "object" || request === null) {
    throw optionError(
      `${call} needs { roomId | strRoomId, privileges }, e.g. { strRoomId: "demo-room", privileges: ["EnterRoom"] }`,
    );
  }
  for (const key of Object.keys(request)) {
    const alias = ROOM_ALIASES[key];
    if (alias) throw optionError(`${call}: unknown field "${key}": use ${alias}`);
  }
  const { roomId, strRoomId, expireSeconds } = request as {
    roomId?: unknown;
    strRoomId?: unknown;
    expireSeconds?: unknown;
  };
  if (roomId !== undefined && strRoomId !== undefined) {
    throw optionError(`${call}: give roomId (a number) or strRoomId (a string), not both`);
  }
  if (roomId === undefined && strRoomId === undefined) {
    throw optionError(`${call}: give the room as roomId (a number 1..${MAX_ROOM_ID}) or strRoomId (a string)`);
  }
  if (typeof roomId === "string") {
    const hint = /^\d+$/.test(roomId)
      ? `roomId: ${roomId} (a number), or strRoomId: "${roomId}" if the room really has a string ID`
      : `strRoomId: "${roomId}"`;
    throw optionError(`${call}: roomId must be a number; "${roomId}" is a string room ID, so pass ${hint}`);
  }
  if (
    roomId !== undefined &&
    (typeof roomId !== "number" || !Number.isInteger(roomId) || roomId < 1 || roomId > MAX_ROOM_ID)
  ) {
    throw optionError(`${call}: roomId must be an integer from 1 to ${MAX_ROOM_ID}; use strRoomId for string room IDs`);
  }
  if (typeof strRoomId === "number") {
    throw optionError(
      `${call}: strRoomId must be a string; ${strRoomId} is a numeric room ID, so pass roomId: ${strRoomId}`,
    );
  }
  if (strRoomId !== undefined && (typeof strRoomId !== "string" || strRoomId === "")) {
    throw optionError(`${call}: strRoomId must be a non-empty string`);
  }
  return {
    ...(roomId !== undefined ? { roomId: roomId as number } : { strRoomId: strRoomId as string }),
    privileges: readPrivileges(request.privileges, call),
    ...(expireSeconds !== undefined ? { expireSeconds: optionalInteger(expireSeconds, "expireSeconds", 1) } : {}),
  };
}

function readPrivileges(privileges: unknown, call: string): number | PrivilegeName[] {
  const example = 'e.g. ["EnterRoom", "RecvAudio"] or a bitmap 1..255';
  if (privileges === undefined) throw optionError(`${call}: privileges is required, ${example}`);
  if (typeof privileges === "number") {
    if (!Number.isInteger(privileges) || privileges < 1 || privileges > 255) {
      throw optionError(`${call}: privileges must be a bitmap from 1 to 255 or a list of names, ${example}`);
    }
    return privileges;
  }
  if (typeof privileges === "string") {
    throw optionError(`${call}: privileges must be a list, e.g. ["${privileges}"], or a bitmap 1..255`);
  }
  if (!Array.isArray(privileges) || privileges.length === 0) {
    throw optionError(`${call}: privileges must be a non-empty list of names or a bitmap, ${example}`);
  }
  for (const name of privileges) {
    if (PRIVILEGE_NAMES.includes(name)) continue;
    const near = PRIVILEGE_NAMES.find((known) => known.toLowerCase() === String(name).toLowerCase());
    throw optionError(
      near
        ? `${call}: unknown privilege "${String(name)}": names are case-sensitive, use "${near}"`
        : `${call}: unknown privilege "${String(name)}"; the names are ${PRIVILEGE_NAMES.join(", ")}`,
    );
  }
  return [...new Set(privileges as PrivilegeName[])];
}

export function optionalNumber(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw optionError(`${name} must be a number >= ${min}`);
  }
  return value;
}

export function optionalInteger(value: unknown, name: string, min: number): number | undefined {
  const number = optionalNumber(value, name, min);
  if (number !== undefined && !Number.isInteger(number)) throw optionError(`${name} must be an integer`);
  return number;
}

export function optionError(message: string): TypeError {
  return new TypeError(`usersig-broker/client: ${message}`);
}
