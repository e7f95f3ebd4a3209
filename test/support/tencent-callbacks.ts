// Tencent's callbacks as Tencent sends them, for the workerd tests, the Node tests (the two-isolate
// test) and the moderation bench alike: no import of the runtime, WebCrypto only. TRTC's room events
// (headers SdkAppId and Sign = base64(HMAC-SHA256(key, raw body)), CallbackTs in ms,
// https://trtc.io/document/39558) and Chat's webhooks (SdkAppid, CallbackCommand, contenttype,
// ClientIP, OptPlatform, RequestTime and Sign = hex(SHA-256(token + RequestTime)) in the query,
// https://cloud.tencent.com/document/product/269/32431). Signatures are computed here,
// independently of src/callbacks/.

type Json = Record<string, unknown>;

const enc = new TextEncoder();

export async function hmacBase64(key: string, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, enc.encode(body)));
  return btoa(String.fromCharCode(...mac));
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface CallbackSenderOptions {
  sdkAppId: number;
  trtcKey: string;
  chatToken: string;
  /** The room of roomEvent when none is given. */
  room: number | string;
  /** Tencent's clock: milliseconds. */
  nowMs: () => number;
  /** Sends a request to the Worker under test (`path` starts with /v1/callbacks/). */
  send: (path: string, init: RequestInit) => Promise<Response>;
}

/** A Tencent that calls the broker for one app. */
export function tencentCallbacks(options: CallbackSenderOptions) {
  let uniqueIds = 0;

  /** A TRTC room event (103 enter, 104 exit, …) as Tencent's body. */
  function roomEvent(eventType: number, userId: string, room: number | string = options.room, info: Json = {}): Json {
    const nowMs = options.nowMs();
    return {
      EventGroupId: 1,
      EventType: eventType,
      CallbackTs: nowMs,
      EventInfo: {
        RoomId: room,
        EventTs: Math.floor(nowMs / 1000),
        UserId: userId,
        UniqueId: ++uniqueIds,
        Role: 20,
        TerminalType: 3,
        UserType: 3,
        Reason: 1,
        ...info,
      },
    };
  }

  /** POSTs a TRTC callback; `key`, `sign` and `sdkAppId` override what Tencent would send. */
  async function trtcCallback(
    body: Json | string,
    overrides: { key?: string; sign?: string | null; sdkAppId?: string | null } = {},
  ): Promise<Response> {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    const sign =
      overrides.sign === undefined ? await hmacBase64(overrides.key ?? options.trtcKey, text) : overrides.sign;
    if (sign !== null) headers.Sign = sign;
    const sdkAppId = overrides.sdkAppId === undefined ? String(options.sdkAppId) : overrides.sdkAppId;
    if (sdkAppId !== null) headers.SdkAppId = sdkAppId;
    return options.send("/v1/callbacks/trtc", { method: "POST", headers, body: text });
  }

  /** The URL Tencent calls for a Chat webhook; `sign: null` leaves the Sign out. */
  async function chatUrl(
    command: string,
    overrides: { sdkAppId?: string; token?: string; requestTime?: string; sign?: string | null } = {},
  ): Promise<string> {
    const requestTime = overrides.requestTime ?? String(Math.floor(options.nowMs() / 1000));
    const query = new URLSearchParams({
      SdkAppid: overrides.sdkAppId ?? String(options.sdkAppId),
      CallbackCommand: command,
      contenttype: "json",
      ClientIP: "203.0.113.7",
      OptPlatform: "Web",
      RequestTime: requestTime,
    });
    const sign =
      overrides.sign === undefined
        ? await sha256Hex(`${overrides.token ?? options.chatToken}${requestTime}`)
        : overrides.sign;
    if (sign !== null) query.set("Sign", sign);
    return `/v1/callbacks/chat?${query}`;
  }

  const chatPost = (url: string, body: Json | string) =>
    options.send(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  return { roomEvent, trtcCallback, chatUrl, chatPost };
}

/** C2C.CallbackBeforeSendMsg's body, as Tencent sends it, for a message from `from` at `nowMs`. */
export function c2cBeforeSend(from: string, nowMs: number): Json {
  return {
    CallbackCommand: "C2C.CallbackBeforeSendMsg",
    From_Account: from,
    To_Account: "alice",
    MsgSeq: 48374,
    MsgRandom: 2837546,
    MsgTime: Math.floor(nowMs / 1000),
    MsgKey: "48374_2837546_1557481126",
    MsgBody: [{ MsgType: "TIMTextElem", MsgContent: { Text: "hello" } }],
  };
}

/** State.StateChange's body: `userId`'s Login (or another action) at `nowMs`. */
export function stateChange(userId: string, nowMs: number, action = "Login"): Json {
  return {
    CallbackCommand: "State.StateChange",
    EventTime: nowMs,
    Info: { Action: action, To_Account: userId, Reason: action === "Login" ? "Register" : "Unregister" },
  };
}
