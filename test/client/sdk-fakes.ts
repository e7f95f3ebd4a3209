// Fakes of the two Tencent SDKs, typed by their real typings (devDependencies, never imported at run
// time): a renamed or re-typed method in @tencentcloud/chat or trtc-sdk-v5 breaks `npm run typecheck`.
import type { ChatSDK } from "@tencentcloud/chat";
import type TRTC from "trtc-sdk-v5";
import type { EnterRoomConfig, TRTCEventTypes } from "trtc-sdk-v5";

type Handler = (...args: never[]) => void;

class Emitter {
  readonly handlers = new Map<string, Set<Handler>>();
  add(event: string, handler: Handler): void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
  }
  remove(event: string, handler: Handler): void {
    this.handlers.get(event)?.delete(handler);
  }
  count(event: string): number {
    return this.handlers.get(event)?.size ?? 0;
  }
  fire(event: string, payload: unknown): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) (handler as (p: unknown) => void)(payload);
  }
}

/** What a fake SDK call does: resolve, or reject with an SDK-shaped error. */
export type Outcome = "ok" | { code: number; extraCode?: number; message: string };

/** The Chat SDK's instance, as far as loginChat() uses it. */
export class FakeChat implements Pick<ChatSDK, "login" | "logout" | "on" | "off"> {
  readonly events = new Emitter();
  readonly logins: { userID: string; userSig: string }[] = [];
  /** The outcome of each login() in turn; "ok" when the script runs out. */
  readonly script: Outcome[] = [];

  login(options: { userID: string; userSig: string }): Promise<unknown> {
    this.logins.push(options);
    const outcome = this.script.shift() ?? "ok";
    return outcome === "ok" ? Promise.resolve({ data: { repeatLogin: false } }) : Promise.reject(outcome);
  }
  logout(): Promise<void> {
    return Promise.resolve();
  }
  // biome-ignore lint/complexity/noBannedTypes: the SDK's own signature.
  on(eventName: string, handler: Function): void {
    this.events.add(eventName, handler as Handler);
  }
  // biome-ignore lint/complexity/noBannedTypes: the SDK's own signature.
  off(eventName: string, handler: Function): void {
    this.events.remove(eventName, handler as Handler);
  }
  /** What the SDK fires on TencentCloudChat.EVENT.KICKED_OUT. */
  kick(type: string): void {
    this.events.fire("kickedOut", { name: "kickedOut", data: { type } });
  }
}

/** The TRTC v5 instance, as far as the TRTC adapter uses it. */
export class FakeTrtc implements Pick<TRTC, "enterRoom" | "exitRoom" | "switchRole" | "on" | "off"> {
  readonly events = new Emitter();
  readonly entries: EnterRoomConfig[] = [];
  readonly switches: { role: string; privateMapKey: string | undefined }[] = [];
  exits = 0;
  /** The outcome of each enterRoom() / switchRole() in turn; "ok" when the script runs out. */
  readonly enterScript: Outcome[] = [];
  readonly switchScript: Outcome[] = [];

  enterRoom(params: EnterRoomConfig): Promise<void> {
    this.entries.push(params);
    const outcome = this.enterScript.shift() ?? "ok";
    return outcome === "ok" ? Promise.resolve() : Promise.reject(outcome);
  }
  exitRoom(): Promise<void> {
    this.exits++;
    return Promise.resolve();
  }
  switchRole(role: Parameters<TRTC["switchRole"]>[0], option?: { privateMapKey?: string }): Promise<void> {
    this.switches.push({ role, privateMapKey: option?.privateMapKey });
    const outcome = this.switchScript.shift() ?? "ok";
    return outcome === "ok" ? Promise.resolve() : Promise.reject(outcome);
  }
  on<T extends keyof TRTCEventTypes>(event: T, handler: (...args: TRTCEventTypes[T]) => void): TRTC {
    this.events.add(event, handler as Handler);
    return this as unknown as TRTC;
  }
  off<T extends keyof TRTCEventTypes>(
    event: T | "*",
    handler: T extends "*" ? never : (...args: TRTCEventTypes[T]) => void,
  ): TRTC {
    this.events.remove(event, handler as Handler);
    return this as unknown as TRTC;
  }
  fire<T extends keyof TRTCEventTypes>(event: T, ...payload: TRTCEventTypes[T]): void {
    this.events.fire(event, payload[0]);
  }
}
