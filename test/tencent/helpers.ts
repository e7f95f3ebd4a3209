// Drives the fake Tencent Chat REST API (test/fakes/tencent.mjs) from tests running in workerd: the
// worker's outbound fetches reach it through Miniflare's outboundService.
import { beforeEach } from "vitest";
import type { ChatClientDeps, ChatTarget } from "../../src/tencent/chat.js";
import { signUserSig } from "../../src/usersig/index.js";
import { SECRET_KEY } from "../broker/helpers.js";

export const TENCENT_BASE = "https://adminapisgp.im.qcloud.com";

export type FakeAnswer =
  | { kind: "ok"; extra?: Record<string, unknown> }
  | { kind: "fail"; code: number; info?: string }
  | { kind: "http"; status: number }
  | { kind: "hang"; ms?: number }
  | { kind: "garbage" }
  | { kind: "redirect"; status?: number }
  | { kind: "oversized" };

export interface FakeCall {
  service: string;
  command: string;
  method: string;
  query: {
    sdkappid?: string;
    identifier?: string;
    random?: string;
    contenttype?: string;
    usersigVerified?: boolean;
    /** The verified usersig's TLS.time (unix seconds). */
    usersigIssuedAt?: number;
  };
  body: Record<string, unknown> | null;
  /** The body as sent, when at most 4096 characters. */
  text?: string;
  /** "ok" when every check passed, else the ErrorCode the fake refused with. */
  verdict: "ok" | number;
  answered?: FakeAnswer["kind"];
}

export async function setupTencent(apps: { sdkAppId: number; secretKey: string; admins: string[] }[]): Promise<void> {
  await fetch(`${TENCENT_BASE}/__fake/reset`, { method: "POST" });
  const response = await fetch(`${TENCENT_BASE}/__fake/setup`, { method: "POST", body: JSON.stringify({ apps }) });
  if (response.status !== 204) throw new Error("the fake Tencent did not take the setup");
}

export async function scriptTencent(...answers: FakeAnswer[]): Promise<void> {
  await fetch(`${TENCENT_BASE}/__fake/next`, { method: "POST", body: JSON.stringify({ answers }) });
}

export async function tencentCalls(): Promise<FakeCall[]> {
  return ((await (await fetch(`${TENCENT_BASE}/__fake/calls`)).json()) as { calls: FakeCall[] }).calls;
}

/** The users the fake was asked to kick (im_open_login_svc/kick), in order: a ban's mute left out. */
export async function kickedUsers(): Promise<unknown[]> {
  return (await tencentCalls()).filter((c) => c.command === "kick").map((c) => c.body?.UserID);
}

/** An app's Chat target at the fake Tencent: the admin's sig signed with the known-answer key. */
export function fakeChatTarget(sdkAppId: number, admin: string): ChatTarget {
  return {
    apiBaseUrl: TENCENT_BASE,
    sdkAppId,
    adminUserId: admin,
    adminUserSig: () => signUserSig({ sdkAppId, userId: admin, expireSeconds: 3600 }, SECRET_KEY),
  };
}

/** The Chat client's deps for a test: the real fetch, no jitter, no waiting between attempts. */
export const quickChatDeps: ChatClientDeps = {
  fetch: (request) => fetch(request),
  random: () => 0.5,
  sleep: async () => {},
  timeoutMs: 1_000,
};

/**
 * Before each test: the fake Tencent reset, knowing this one app and its admin. Returns the app's
 * Chat target there and the client's deps (quickChatDeps).
 */
export function useFakeTencent(sdkAppId: number, admin: string): { target: ChatTarget; deps: ChatClientDeps } {
  beforeEach(async () => {
    await setupTencent([{ sdkAppId, secretKey: SECRET_KEY, admins: [admin] }]);
  });
  return { target: fakeChatTarget(sdkAppId, admin), deps: quickChatDeps };
}
