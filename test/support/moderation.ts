// The moderation routes and the console, as the moderation test files use them: ban / unban /
// kick / list for an app (the operator's token by default), and every line the Worker logs.
import { afterAll, beforeAll, vi } from "vitest";
import type { Json } from "../broker/helpers.js";
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

/** What the Worker wrote to console.log, .error and .warn, captured for the whole file. */
export interface ConsoleCapture {
  /** Lines since the last clear(). */
  readonly lines: string[];
  /** Every line since the file started (for "no secret in any output"). */
  readonly all: string[];
  clear(): void;
  /** The audit lines (event "decision") since the last clear(). */
  auditLines(): Json[];
}

/** Captures the console from this file's beforeAll to its afterAll (call at the top level). */
export function captureConsole(): ConsoleCapture {
  const lines: string[] = [];
  const all: string[] = [];
  beforeAll(() => {
    const log = (...args: unknown[]) => {
      const line = args.map(String).join(" ");
      lines.push(line);
      all.push(line);
    };
    for (const method of ["log", "error", "warn"] as const) vi.spyOn(console, method).mockImplementation(log);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
  return {
    lines,
    all,
    clear: () => {
      lines.length = 0;
    },
    auditLines: () =>
      lines
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Json)
        .filter((line) => line.event === "decision"),
  };
}
