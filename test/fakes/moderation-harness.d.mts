// Types of moderation-harness.mjs for the Node-side tests.
export declare const TENCENT: string;
export declare const TRTC: string;
export declare const SAMPLE_SECRET_KEY: string;
export interface HarnessKeys {
  operatorToken: string;
  apiKey: string;
  trtcSecretId: string;
  trtcSecretKey: string;
  trtcCallbackKey: string;
  chatCallbackToken: string;
}
type Fake = { handle(request: Request): Promise<Response> };
export declare function harnessKeys(name: string): HarnessKeys;
export declare function harnessBindings(
  sdkAppId: number,
  keys: HarnessKeys,
  appFields?: Record<string, unknown>,
): Promise<Record<string, string>>;
export declare function setupHarnessFakes(
  fake: Fake,
  sdkAppId: number,
  keys: HarnessKeys,
  latencyMs?: number,
): Promise<void>;
export declare function harnessCalls(fake: Fake): Promise<{ chat: unknown[]; trtc: unknown[] }>;
export declare function harnessOutbound(
  fake: Fake,
  // Miniflare's Response (or the global one): built with a string body, a status and one header.
  // biome-ignore lint/suspicious/noExplicitAny: Miniflare's and the DOM's ResponseInit differ.
  MiniflareResponse: new (body: string, init: any) => unknown,
  chatLatencyMs?: number,
): (request: {
  url: string;
  method: string;
  headers: Iterable<[string, string]>;
  text(): Promise<string>;
}) => Promise<never>;
export declare function harnessBuild(
  root: string,
  bounds: { softTtlMs: number; hardTtlMs: number },
): Record<string, unknown>;
