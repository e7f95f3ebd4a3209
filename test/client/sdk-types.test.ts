// The adapters' view of the SDKs (ChatLike, TrtcLike and the event names, kick types and error codes
// they match) checked against the real typings of @tencentcloud/chat 3.6.6 and trtc-sdk-v5 5.17.1.
// Most of this file is checked by `npm run typecheck`: a rename in either SDK fails it.
import type TencentCloudChat from "@tencentcloud/chat";
import type { ChatSDK } from "@tencentcloud/chat";
import type TRTC from "trtc-sdk-v5";
import type { TRTCEventTypes } from "trtc-sdk-v5";
import { describe, expect, it } from "vitest";
import type { CHAT_EVENT_KICKED_OUT, CHAT_KICKED_OUT_TYPES, ChatLike } from "../../src/client/chat.js";
import type { TRTC_EVENT, TrtcKickReason, TrtcLike, TrtcRole } from "../../src/client/trtc.js";
import { FakeChat, FakeTrtc } from "./sdk-fakes.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// The real SDK instances (and so the fakes) are what the adapters accept.
type _ChecksInstances = [
  Expect<ChatSDK extends ChatLike ? true : false>,
  Expect<TRTC extends TrtcLike ? true : false>,
  Expect<FakeChat extends ChatLike ? true : false>,
  Expect<FakeTrtc extends TrtcLike ? true : false>,
];

// The names and values the adapters match, as the SDKs declare them.
type _ChecksConstants = [
  Expect<Equal<`${TencentCloudChat.EVENT.KICKED_OUT}`, typeof CHAT_EVENT_KICKED_OUT>>,
  Expect<Equal<`${TencentCloudChat.TYPES.KICKED_OUT_USERSIG_EXPIRED}`, typeof CHAT_KICKED_OUT_TYPES.USERSIG_EXPIRED>>,
  Expect<Equal<`${TencentCloudChat.TYPES.KICKED_OUT_MULT_ACCOUNT}`, typeof CHAT_KICKED_OUT_TYPES.MULT_ACCOUNT>>,
  Expect<Equal<`${TencentCloudChat.TYPES.KICKED_OUT_MULT_DEVICE}`, typeof CHAT_KICKED_OUT_TYPES.MULT_DEVICE>>,
  Expect<Equal<`${TencentCloudChat.TYPES.KICKED_OUT_REST_API}`, typeof CHAT_KICKED_OUT_TYPES.REST_API>>,
  Expect<Equal<(typeof TRTC.EVENT)["ERROR"], typeof TRTC_EVENT.ERROR>>,
  Expect<Equal<(typeof TRTC.EVENT)["KICKED_OUT"], typeof TRTC_EVENT.KICKED_OUT>>,
  Expect<Equal<`${TRTCEventTypes["kicked-out"][0]["reason"]}`, TrtcKickReason>>,
  Expect<Equal<`${Parameters<TRTC["switchRole"]>[0]}`, TrtcRole>>,
];

describe("the SDK typings", () => {
  it("fakes built on them are accepted by the adapters (the type checks above run in `npm run typecheck`)", () => {
    const chat: ChatLike = new FakeChat();
    const trtc: TrtcLike = new FakeTrtc();
    expect(typeof chat.login).toBe("function");
    expect(typeof trtc.enterRoom).toBe("function");
  });
});
