// Tencent's callbacks for the workerd tests: the sender (test/support/tencent-callbacks.ts, shared with
// the Node tests and the moderation bench) and a ban made straight in the app's moderation object.
import { env } from "cloudflare:workers";
import type { Json } from "../broker/helpers.js";

export {
  type CallbackSenderOptions,
  c2cBeforeSend,
  hmacBase64,
  sha256Hex,
  stateChange,
  tencentCallbacks,
} from "./tencent-callbacks.js";

/** A ban made in the app's moderation object (the object's own `ban`), with the Worker's env strings. */
export async function banInObject(sdkAppId: number, workerEnv: Json, userId: string, nowMs: number): Promise<void> {
  const stub = env.MODERATION.get(env.MODERATION.idFromName(String(sdkAppId)));
  const vars = Object.fromEntries(Object.entries(workerEnv).filter(([, v]) => typeof v === "string")) as Record<
    string,
    string
  >;
  const answer = await stub.ban({ sdkAppId, vars, nowMs }, userId, {}, "operator");
  if (!answer.ok) throw new Error(answer.error.code);
}
