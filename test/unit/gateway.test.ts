// The Chat gateway's allow-list (src/tencent/gateway.ts) under plain Node: the whole
// "service/command" must be listed.
import { describe, expect, it } from "vitest";
import { ChatError } from "../../src/tencent/errors.js";
import { authorizeChatCommand, gatewayAllows, requireChatTarget } from "../../src/tencent/gateway.js";

const key = { chatCommands: ["im_open_login_svc/account_import", "openim/sendmsg"] };

function refusal(service: string, command: string): ChatError {
  try {
    authorizeChatCommand(key, service, command);
  } catch (error) {
    expect(error).toBeInstanceOf(ChatError);
    return error as ChatError;
  }
  throw new Error(`${service}/${command} was allowed`);
}

describe("the gateway allow-list", () => {
  it("allows exactly the listed service/command names", () => {
    expect(() => authorizeChatCommand(key, "im_open_login_svc", "account_import")).not.toThrow();
    expect(() => authorizeChatCommand(key, "openim", "sendmsg")).not.toThrow();
    expect(gatewayAllows(key.chatCommands, "openim", "sendmsg")).toBe(true);
  });

  it("a listed command does not open the rest of its service", () => {
    const error = refusal("im_open_login_svc", "kick");
    expect(error.code).toBe("CHAT_COMMAND_NOT_ALLOWED");
    expect(error.message).toBe("This API key may not call im_open_login_svc/kick (chatCommands).");
    expect(refusal("openim", "admin_msgwithdraw").code).toBe("CHAT_COMMAND_NOT_ALLOWED");
  });

  it("nor a listed command name under another service, nor a prefix, nor a different case", () => {
    for (const [service, command] of [
      ["group_open_http_svc", "sendmsg"],
      ["openim", "sendms"],
      ["openim", "sendmsg_x"],
      ["OpenIM", "sendmsg"],
      ["openim/sendmsg", ""],
      ["", "openim/sendmsg"],
    ] as const) {
      expect(gatewayAllows(key.chatCommands, service, command), `${service}/${command}`).toBe(false);
    }
  });

  it("a key with no chatCommands may call nothing", () => {
    expect(gatewayAllows([], "openim", "sendmsg")).toBe(false);
  });

  it("an app without chat: CHAT_NOT_CONFIGURED", () => {
    expect(requireChatTarget("target")).toBe("target");
    expect(() => requireChatTarget(undefined)).toThrow(
      expect.objectContaining({ code: "CHAT_NOT_CONFIGURED" }) as unknown as Error,
    );
  });
});
