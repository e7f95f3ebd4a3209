// Drives the fake Tencent Chat REST API (test/fakes/tencent.mjs) from tests running in workerd: the
// worker's outbound fetches reach it through Miniflare's outboundService.

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
