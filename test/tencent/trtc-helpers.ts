// Drives the fake TRTC Cloud API (test/fakes/trtc.mjs) from tests running in workerd: the worker's
// outbound fetches reach it through Miniflare's outboundService.

export const TRTC_BASE = "https://trtc.tencentcloudapi.com";

export type FakeTrtcAnswer =
  | { kind: "ok" }
  | { kind: "error"; code: string }
  | { kind: "http"; status: number }
  | { kind: "hang"; ms?: number }
  | { kind: "delay"; ms: number };

export interface FakeTrtcCall {
  action: string | null;
  region: string | null;
  host: string;
  body: Record<string, unknown> | null;
  /** "ok" when every check passed, else the Error.Code the fake refused with. */
  verdict: string;
  answered?: FakeTrtcAnswer["kind"];
  at: number;
}

export async function setupTrtc(
  apps: { sdkAppId: number; secretId: string; secretKey: string }[],
  latencyMs = 0,
): Promise<void> {
  const response = await fetch(`${TRTC_BASE}/__fake/trtc/setup`, {
    method: "POST",
    body: JSON.stringify({ apps, latencyMs }),
  });
  if (response.status !== 204) throw new Error("the fake TRTC did not take the setup");
}

export async function scriptTrtc(...answers: FakeTrtcAnswer[]): Promise<void> {
  await fetch(`${TRTC_BASE}/__fake/trtc/next`, { method: "POST", body: JSON.stringify({ answers }) });
}

export async function trtcCalls(): Promise<FakeTrtcCall[]> {
  return ((await (await fetch(`${TRTC_BASE}/__fake/trtc/calls`)).json()) as { calls: FakeTrtcCall[] }).calls;
}
