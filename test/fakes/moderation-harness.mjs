// What the two-isolate test (test/node/two-isolates.test.ts) and the moderation bench
// (scripts/bench/moderation.mjs) share to run the broker in Miniflare against the fakes of Tencent
// Chat and the TRTC Cloud API from Node: the fakes' hosts, one app's config and bindings (test
// values, no secret; Tencent's callbacks switched on, with their key and token), the fakes' set-up,
// and the outbound service that hands every fetch of the broker (headers and all) to the fakes,
// Chat's answers after `chatLatencyMs`. The callbacks themselves are sent as Tencent sends them, by
// test/support/tencent-callbacks.ts, to the broker's real routes.

export const TENCENT = "https://adminapisgp.im.qcloud.com";
export const TRTC = "https://trtc.tencentcloudapi.com";
/** Tencent's published sample key (test/fixtures/vectors.json), not a secret. */
export const SAMPLE_SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The app's test keys, derived from its name so that each user of the harness has its own. */
export function harnessKeys(name) {
  return {
    operatorToken: `${name}-operator-token-0123456789abcdef`,
    apiKey: `${name}-api-key-0123456789abcdef0123`,
    trtcSecretId: `AKID${name.replaceAll(/[^A-Za-z0-9]/g, "")}`,
    trtcSecretKey: `${name}-trtc-secret-key`,
    // The TRTC console's key: up to 32 letters and digits.
    trtcCallbackKey: `${name.replaceAll(/[^A-Za-z0-9]/g, "")}CallbackKey`.slice(0, 32),
    chatCallbackToken: `${name}-chat-callback-token`,
  };
}

/**
 * BROKER_CONFIG's app (chat and trtc at the fakes, one API key naming users, both callbacks on) and
 * the Worker's bindings.
 */
export async function harnessBindings(sdkAppId, keys, appFields = {}) {
  const config = {
    apps: [
      {
        sdkAppId,
        admins: ["administrator"],
        chat: { apiBaseUrl: TENCENT },
        trtc: { apiBaseUrl: TRTC, region: "ap-singapore" },
        apiKeys: [{ name: "backend", sha256: await sha256Hex(keys.apiKey), allowUserId: true }],
        callbacks: { trtc: true, chat: true },
        ...appFields,
      },
    ],
  };
  return {
    BROKER_CONFIG: JSON.stringify(config),
    [`SECRET_KEY_${sdkAppId}`]: SAMPLE_SECRET_KEY,
    [`TRTC_SECRET_ID_${sdkAppId}`]: keys.trtcSecretId,
    [`TRTC_SECRET_KEY_${sdkAppId}`]: keys.trtcSecretKey,
    [`TRTC_CALLBACK_KEY_${sdkAppId}`]: keys.trtcCallbackKey,
    [`CHAT_CALLBACK_TOKEN_${sdkAppId}`]: keys.chatCallbackToken,
    ADMIN_API_TOKEN: keys.operatorToken,
  };
}

/** Both fakes know the app; TRTC's answers wait `latencyMs` (after the call is recorded). */
export async function setupHarnessFakes(fake, sdkAppId, keys, latencyMs = 0) {
  const post = (url, body) => fake.handle(new Request(url, { method: "POST", body: JSON.stringify(body) }));
  await post(`${TENCENT}/__fake/setup`, {
    apps: [{ sdkAppId, secretKey: SAMPLE_SECRET_KEY, admins: ["administrator"] }],
  });
  await post(`${TRTC}/__fake/trtc/setup`, {
    apps: [{ sdkAppId, secretId: keys.trtcSecretId, secretKey: keys.trtcSecretKey }],
    latencyMs,
  });
}

/** The calls each fake received. */
export async function harnessCalls(fake) {
  const read = async (url) => (await (await fake.handle(new Request(url))).json()).calls;
  return { chat: await read(`${TENCENT}/__fake/calls`), trtc: await read(`${TRTC}/__fake/trtc/calls`) };
}

/** Miniflare's outboundService: every fetch of the broker to the fakes; Chat's answers after `chatLatencyMs`. */
export function harnessOutbound(fake, MiniflareResponse, chatLatencyMs = 0) {
  return async (request) => {
    const answer = await fake.handle(
      new Request(request.url, {
        method: request.method,
        headers: Object.fromEntries(request.headers),
        ...(request.method === "GET" ? {} : { body: await request.text() }),
      }),
    );
    const text = await answer.text();
    if (chatLatencyMs > 0 && !new URL(request.url).host.startsWith("trtc")) {
      await new Promise((resolve) => setTimeout(resolve, chatLatencyMs));
    }
    return new MiniflareResponse(text, {
      status: answer.status,
      headers: { "Content-Type": answer.headers.get("Content-Type") ?? "text/plain" },
    });
  };
}

/** esbuild options for the harness entry (test/fakes/broker-short-bounds.ts) with these cache bounds. */
export function harnessBuild(root, bounds) {
  return {
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    define: { SHORT_BOUNDS: JSON.stringify(bounds) },
    logLevel: "warning",
  };
}
