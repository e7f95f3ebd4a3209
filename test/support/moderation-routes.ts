// The moderation routes as the moderation test files use them: ban / unban / kick / list for an
// app (the operator's token by default).
import { beforeEach } from "vitest";
import { freshIsolate, type Json, SECRET_KEY } from "../broker/helpers.js";
import { setupTencent } from "../tencent/helpers.js";
import type { ConsoleCapture } from "./console.js";
import type { BrokerClient } from "./requests.js";

type Headers = Record<string, string>;

/** The moderation routes of `defaultApp` (another app per call), as `operator` unless told otherwise. */
export function moderationRoutes(broker: BrokerClient, defaultApp: number, operator: Headers) {
  const bans = (app = defaultApp) => `/v1/admin/apps/${app}/bans`;
  const user = (userId: string) => encodeURIComponent(userId);
  const list = async (app = defaultApp): Promise<Json[]> =>
    ((await (await broker.get(bans(app), operator)).json()) as { bans: Json[] }).bans;
  const unban = (userId: string, headers: Headers = operator, app = defaultApp) =>
    broker.delete(`${bans(app)}/${user(userId)}`, headers);
  return {
    bans,
    list,
    unban,
    ban: (userId: string, body: Json = {}, headers: Headers = operator, app = defaultApp) =>
      broker.putJson(`${bans(app)}/${user(userId)}`, body, headers),
    kick: (userId: string, headers: Headers = operator, app = defaultApp) =>
      broker.postJson(`/v1/admin/apps/${app}/users/${user(userId)}/kick`, undefined, headers),
    /** Lifts every ban of the app (a test file's clean start). */
    async unbanAll(app = defaultApp): Promise<void> {
      for (const b of await list(app)) await unban(b.userId as string, operator, app);
    },
  };
}

/**
 * Before each test: a fresh isolate (Chat calls time out after 300 ms), no ban left in the app, the
 * fake Tencent knowing the app and its admin with no call recorded, the console cleared.
 */
export function startEachTestClean(
  app: number,
  routes: Pick<ReturnType<typeof moderationRoutes>, "unbanAll">,
  output: ConsoleCapture,
): void {
  const tencent = () => setupTencent([{ sdkAppId: app, secretKey: SECRET_KEY, admins: ["administrator"] }]);
  beforeEach(async () => {
    freshIsolate({ chatTimeoutMs: 300 });
    await tencent();
    await routes.unbanAll();
    await tencent();
    output.clear();
  });
}
