/**
 * Tencent's callbacks (POST /v1/callbacks/trtc, /v1/callbacks/chat): verified with the app's own
 * secret (src/callbacks/trtc.ts, chat.ts) before anything in them is read, then decided
 * (src/callbacks/decide.ts) against the app's moderation Durable Object through BansService. Wiring
 * only: no rule lives here.
 */

import type { ChatCallbackInput } from "../callbacks/chat.js";
import { verifyChatCallback } from "../callbacks/chat.js";
import {
  type CallbackAudit,
  type CallbackPorts,
  type ChatAnswer,
  decideChat,
  decideTrtc,
  type TrtcAnswer,
} from "../callbacks/decide.js";
import type { TrtcCallbackInput } from "../callbacks/trtc.js";
import { verifyTrtcCallback } from "../callbacks/trtc.js";
import type { LoadedApp, LoadedConfig } from "../config/load.js";
import type { BansService, BrokerScope } from "./broker.js";

export type { ChatCallbackInput, TrtcCallbackInput };

/** A callback that verified: its app, Tencent's answer, and what the audit line says. */
export interface AnsweredCallback<Answer> {
  sdkAppId: number;
  answer: Answer;
  audit: CallbackAudit;
}

export class CallbacksService {
  readonly #scope: BrokerScope;
  readonly #bans: BansService;

  constructor(scope: BrokerScope, bans: BansService) {
    this.#scope = scope;
    this.#bans = bans;
  }

  /** A TRTC room callback: throws CallbackError (nothing read, nothing done) unless it verifies. */
  async trtc(input: TrtcCallbackInput): Promise<AnsweredCallback<TrtcAnswer>> {
    const config = await this.#config();
    const event = await verifyTrtcCallback(
      input,
      (sdkAppId) => config.app(sdkAppId)?.callbackSecrets.trtcKey,
      this.#scope.nowMs,
    );
    // Verified: keyFor found the app's key, so the app is configured.
    const app = config.app(event.sdkAppId) as LoadedApp;
    return { sdkAppId: event.sdkAppId, ...(await decideTrtc(event, this.#ports(app))) };
  }

  /** A Chat webhook: throws CallbackError (nothing read, nothing done) unless it verifies. */
  async chat(input: ChatCallbackInput): Promise<AnsweredCallback<ChatAnswer>> {
    const config = await this.#config();
    const event = await verifyChatCallback(
      input,
      (sdkAppId) => config.app(sdkAppId)?.callbackSecrets.chatToken,
      this.#scope.nowMs,
    );
    // Verified: tokenFor found the app's token, so the app is configured.
    const app = config.app(event.sdkAppId) as LoadedApp;
    const refuseCode = app.config.callbacks?.beforeSendRefuseCode ?? 1;
    return { sdkAppId: event.sdkAppId, ...(await decideChat(event, this.#ports(app), refuseCode)) };
  }

  /** The app's object, as the decisions reach it (every read and write goes to the object). */
  #ports(app: LoadedApp): CallbackPorts {
    const bans = this.#bans;
    return {
      enterRoom: (event) => bans.enterRoom(app, event),
      exitRoom: (event) => bans.exitRoom(app, event),
      roomDismissed: (event) => bans.roomDismissed(app, event),
      isBanned: async (userId) => (await bans.bannedAs(app, userId)) !== undefined,
      loggedIn: (login) => bans.loggedIn(app, login),
    };
  }

  /** The loaded config (awaited: a loader that parses on first use may answer a promise). */
  async #config(): Promise<LoadedConfig> {
    const { state, env } = this.#scope;
    const loaded = await state.config.load(env);
    if (!loaded.ok) throw loaded.error;
    return loaded.config;
  }
}
