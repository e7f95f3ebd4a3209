// Builders for the tests of the app's Durable Object (src/objects/moderation.ts) through the service
// layer, as the routes reach it: an app with `chat` and `trtc` pointed at the fakes, the Worker's
// env with its secrets, and a Broker for one request at a given time.
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { LoadedApp } from "../../src/config/load.js";
import { createIsolateState, type IsolateState } from "../../src/isolate.js";
import type { ModerationObject } from "../../src/objects/moderation.js";
import { type Broker, createBroker } from "../../src/services/broker.js";
import { type Json, SECRET_KEY, secretsFor } from "../broker/helpers.js";
import { setupTencent, TENCENT_BASE } from "../tencent/helpers.js";
import { setupTrtc, TRTC_BASE } from "../tencent/trtc-helpers.js";
import { appConfig, brokerConfig } from "./config.js";

export const CHAT_ADMIN = "administrator";

/** The fake's CAM key pair for `sdkAppId` (test/fakes/trtc.mjs checks every signature with it). */
export function trtcSecrets(sdkAppId: number): Json {
  return {
    [`TRTC_SECRET_ID_${sdkAppId}`]: `AKIDtest${sdkAppId}`,
    [`TRTC_SECRET_KEY_${sdkAppId}`]: `trtc-key-${sdkAppId}`,
  };
}

/** An app with Chat and TRTC at the fakes, and the test's other fields. */
export function moderatedApp(sdkAppId: number, overrides: Json = {}): Json {
  return appConfig(sdkAppId, {
    guests: { enabled: true },
    admins: [CHAT_ADMIN],
    chat: { apiBaseUrl: TENCENT_BASE, adminUserId: CHAT_ADMIN },
    trtc: { apiBaseUrl: TRTC_BASE, region: "ap-singapore" },
    ...overrides,
  });
}

/** The Worker's env for these apps: BROKER_CONFIG, each app's secret key and TRTC key pair. */
export function moderationEnv(apps: Json[], extra: Json = {}): Json {
  const ids = apps.map((app) => app.sdkAppId as number);
  return {
    ...env,
    BROKER_CONFIG: JSON.stringify(brokerConfig(apps)),
    ...secretsFor(...ids),
    ...Object.assign({}, ...ids.map(trtcSecrets)),
    ...extra,
  };
}

/** Both fakes know these apps (and forget earlier calls and scripts). */
export async function setupFakes(sdkAppIds: number[]): Promise<void> {
  await setupTencent(sdkAppIds.map((sdkAppId) => ({ sdkAppId, secretKey: SECRET_KEY, admins: [CHAT_ADMIN] })));
  await setupTrtc(
    sdkAppIds.map((sdkAppId) => ({
      sdkAppId,
      secretId: `AKIDtest${sdkAppId}`,
      secretKey: `trtc-key-${sdkAppId}`,
    })),
  );
}

export interface Scene {
  state: IsolateState;
  testEnv: Json;
  /** A Broker for one request at `nowMs` (default: now), with its waitUntil awaited by `settle`. */
  broker(nowMs?: number): Broker;
  app(sdkAppId: number): Promise<LoadedApp>;
  /** Waits for the background work of the requests made so far. */
  settle(): Promise<void>;
}

/** One isolate's state over this env: what a request of the Worker would build. */
export function scene(testEnv: Json): Scene {
  const state = createIsolateState();
  const contexts: ExecutionContext[] = [];
  return {
    state,
    testEnv,
    broker(nowMs = Date.now()) {
      const ctx = createExecutionContext();
      contexts.push(ctx);
      return createBroker({ state, env: testEnv as never, nowMs, waitUntil: (promise) => ctx.waitUntil(promise) });
    },
    async app(sdkAppId) {
      const loaded = await state.config.load(testEnv);
      if (!loaded.ok) throw loaded.error;
      const app = loaded.config.app(sdkAppId);
      if (!app) throw new Error(`no app ${sdkAppId}`);
      return app;
    },
    async settle() {
      for (const ctx of contexts.splice(0)) await waitOnExecutionContext(ctx);
    },
  };
}

/** The app's object, as BansService reaches it. */
export function objectOf(sdkAppId: number): DurableObjectStub<ModerationObject> {
  return env.MODERATION.get(env.MODERATION.idFromName(String(sdkAppId)));
}

export interface TaskRow {
  kind: string;
  user_id: string;
  room: string;
  attempts: number;
  due_ms: number;
}

/** The object's queue of Tencent steps for its alarm. */
export function queuedTasks(sdkAppId: number): Promise<TaskRow[]> {
  return runInDurableObject(objectOf(sdkAppId), (_, state) =>
    state.storage.sql
      .exec("SELECT kind, user_id, room, attempts, due_ms FROM tasks ORDER BY id")
      .toArray()
      .map((row) => ({ ...row }) as unknown as TaskRow),
  );
}

/**
 * Makes every queued step due and runs the object's alarm once (as Cloudflare would when its time
 * comes). Returns whether an alarm was set.
 */
export async function runAlarmNow(sdkAppId: number): Promise<boolean> {
  const stub = objectOf(sdkAppId);
  await runInDurableObject(stub, (_, state) => {
    state.storage.sql.exec("UPDATE tasks SET due_ms = 0");
  });
  return runDurableObjectAlarm(stub);
}

/** Rows the object holds, counted: bans, presence, seen events, queued steps. */
export function objectCounts(sdkAppId: number) {
  return runInDurableObject(objectOf(sdkAppId), (_, state) => {
    const count = (table: string) =>
      state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { bans: count("bans"), presence: count("presence"), seen: count("seen"), tasks: count("tasks") };
  });
}
