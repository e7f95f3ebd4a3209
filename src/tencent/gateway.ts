/**
 * The Chat REST gateway's allow-list: an API key may call exactly the "service/command" names its
 * `chatCommands` lists. The whole name must match: listing `im_open_login_svc/account_import`
 * never allows `im_open_login_svc/kick`.
 */

import { ChatError } from "./errors.js";

/** "service/command", as `chatCommands` and the audit line write it. */
export function chatCommandName(service: string, command: string): string {
  return `${service}/${command}`;
}

/** Whether `chatCommands` lists this exact service and command. */
export function gatewayAllows(chatCommands: readonly string[], service: string, command: string): boolean {
  const name = chatCommandName(service, command);
  return chatCommands.some((allowed) => allowed === name);
}

/** Throws CHAT_COMMAND_NOT_ALLOWED unless the key lists this exact service and command. */
export function authorizeChatCommand(
  key: { readonly chatCommands: readonly string[] },
  service: string,
  command: string,
): void {
  if (!gatewayAllows(key.chatCommands, service, command)) {
    const name = chatCommandName(service, command);
    throw new ChatError("CHAT_COMMAND_NOT_ALLOWED", `This API key may not call ${name} (chatCommands).`);
  }
}

/** The app's Chat REST target, or CHAT_NOT_CONFIGURED when the app has no `chat`. */
export function requireChatTarget<T>(target: T | undefined): T {
  if (target === undefined) {
    throw new ChatError("CHAT_NOT_CONFIGURED", "This app has no Chat REST API configured (chat).");
  }
  return target;
}
