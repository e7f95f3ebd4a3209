/**
 * Tencent Chat's callbacks (webhooks), verified before anything in them is read (pure: WebCrypto
 * only).
 *
 * As Tencent documents them ("Webhook Overview", https://tencentcloud.com/document/product/1047/34379,
 * and each command's page): a POST to the configured URL with the query parameters `SdkAppid`,
 * `CallbackCommand`, `contenttype`, `ClientIP`, `OptPlatform`, and, with webhook authentication
 * switched on (a token set in the console or with `live_config/set_callback_token`,
 * https://trtc.io/document/69528), `RequestTime` (unix seconds) and `Sign`, the lowercase hex SHA-256
 * digest of the token followed by RequestTime. The body is JSON and is not signed; Tencent says to
 * refuse a request older than one minute. The app backend must check that the SdkAppid is its own.
 *
 * Handled here: `C2C.CallbackBeforeSendMsg` and `Group.CallbackBeforeSendMsg` (the sender is
 * `From_Account`; Tencent waits 2 s, and the answer's ErrorCode decides: 0 sends, 1 refuses, 120001 to
 * 130000 refuses and passes the code to the sender), and `State.StateChange` (`Info.Action` "Login",
 * "Logout" or "Disconnect", `Info.To_Account` the user). Any other command is verified and ignored.
 */

import {
  CALLBACK_MAX_SKEW_MS,
  CallbackError,
  checkSize,
  constantTimeEqual,
  eventKeyOf,
  forIdentifiedApp,
  isObject,
  parseJsonObject,
  parseSdkAppId,
} from "./errors.js";

export const CHAT_BEFORE_SEND_COMMANDS: ReadonlySet<string> = new Set([
  "C2C.CallbackBeforeSendMsg",
  "Group.CallbackBeforeSendMsg",
]);
export const CHAT_STATE_CHANGE_COMMAND = "State.StateChange";
const COMMAND = /^[A-Za-z0-9_.]{1,64}$/;
const USER_ID_MAX_CHARS = 64;

export interface ChatCallbackInput {
  /** The request URL's query. */
  query: URLSearchParams;
  body: Uint8Array;
}

export type ChatCallback =
  | { sdkAppId: number; command: string; kind: "before-send"; fromAccount: string }
  | {
      sdkAppId: number;
      command: string;
      kind: "state";
      action: string;
      userId: string;
      /** The same for every delivery of one event (eventKeyOf: 64 hex digits). */
      eventKey: string;
    }
  | { sdkAppId: number; command: string; kind: "other" };

/**
 * Verifies and parses one callback. `tokenFor` gives the callback token of a configured app, undefined
 * otherwise (then the app is unknown: refused). Throws CallbackError for every refusal.
 */
export async function verifyChatCallback(
  input: ChatCallbackInput,
  tokenFor: (sdkAppId: number) => string | undefined,
  nowMs: number,
): Promise<ChatCallback> {
  checkSize(input.body);
  const query = input.query;
  const sdkAppId = single(query, "SdkAppid") === undefined ? undefined : parseSdkAppId(single(query, "SdkAppid"));
  const token = sdkAppId === undefined ? undefined : tokenFor(sdkAppId);
  if (sdkAppId === undefined || token === undefined) {
    throw new CallbackError("CALLBACK_UNKNOWN_APP", "The callback's SdkAppid is not an app configured for callbacks.");
  }
  return forIdentifiedApp(sdkAppId, () => verifyForApp(sdkAppId, token, query, input.body, nowMs));
}

/** The signature, the freshness and Tencent's JSON of a webhook for `sdkAppId`, whose token is `token`. */
async function verifyForApp(
  sdkAppId: number,
  token: string,
  query: URLSearchParams,
  rawBody: Uint8Array,
  nowMs: number,
): Promise<ChatCallback> {
  const requestTime = single(query, "RequestTime");
  const sign = single(query, "Sign");
  if (requestTime === undefined || !/^[0-9]{1,12}$/.test(requestTime) || sign === undefined) {
    throw new CallbackError("CALLBACK_BAD_SIGNATURE", "The callback carries no RequestTime and Sign.");
  }
  if (!(await signVerifies(token, requestTime, sign))) {
    throw new CallbackError("CALLBACK_BAD_SIGNATURE", "The callback's Sign does not verify.");
  }
  if (Math.abs(nowMs - Number(requestTime) * 1000) > CALLBACK_MAX_SKEW_MS) {
    throw new CallbackError("CALLBACK_STALE", "The callback's RequestTime is more than 60 s from the clock.");
  }
  const command = single(query, "CallbackCommand");
  if (command === undefined || !COMMAND.test(command)) {
    throw new CallbackError("CALLBACK_MALFORMED", "The callback has no CallbackCommand.");
  }
  const body = parseJsonObject(rawBody);
  if (CHAT_BEFORE_SEND_COMMANDS.has(command)) {
    return { sdkAppId, command, kind: "before-send", fromAccount: userIdField(body.From_Account, "From_Account") };
  }
  if (command === CHAT_STATE_CHANGE_COMMAND) {
    const info = body.Info;
    if (!isObject(info) || typeof info.Action !== "string") {
      throw new CallbackError("CALLBACK_MALFORMED", "The callback has no Info.Action.");
    }
    const userId = userIdField(info.To_Account, "Info.To_Account");
    const eventTime = typeof body.EventTime === "number" ? body.EventTime : requestTime;
    return {
      sdkAppId,
      command,
      kind: "state",
      action: info.Action.slice(0, 32),
      userId,
      eventKey: await eventKeyOf([command, info.Action, userId, eventTime]),
    };
  }
  return { sdkAppId, command, kind: "other" };
}

/** A parameter given exactly once. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

function userIdField(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > USER_ID_MAX_CHARS) {
    throw new CallbackError("CALLBACK_MALFORMED", `The callback's ${field} is not a UserID.`);
  }
  return value;
}

/** hex(SHA-256(token + RequestTime)) against `Sign`, compared in constant time. */
async function signVerifies(token: string, requestTime: string, sign: string): Promise<boolean> {
  if (!/^[0-9a-fA-F]{64}$/.test(sign)) return false;
  const expected = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${token}${requestTime}`)),
  );
  const presented = new Uint8Array(32);
  for (let i = 0; i < 32; i++) presented[i] = Number.parseInt(sign.slice(i * 2, i * 2 + 2), 16);
  return constantTimeEqual(expected, presented);
}

/**
 * The answer to a before-send callback: ErrorCode 0 sends the message; a refusal is 1, or a code in
 * 120001 to 130000 that Tencent passes to the sender.
 */
export function beforeSendAnswer(
  refuse: boolean,
  refuseCode: number,
): {
  ActionStatus: "OK";
  ErrorInfo: string;
  ErrorCode: number;
} {
  return { ActionStatus: "OK", ErrorInfo: "", ErrorCode: refuse ? refuseCode : 0 };
}
