/** Picking the app a request is for. */
import type { LoadedApp, LoadedConfig } from "../config/load.js";
import { Problem, problems } from "./problem.js";

export function pickApp(config: LoadedConfig, sdkAppId: number | undefined): LoadedApp {
  if (sdkAppId === undefined) {
    if (config.single) return config.single;
    throw problems.badRequest("sdkAppId is required: this broker serves several apps.", { field: "sdkAppId" });
  }
  const app = config.apps.get(sdkAppId);
  if (!app) {
    throw new Problem({
      status: 404,
      code: "UNKNOWN_SDKAPPID",
      title: "Unknown app",
      detail: "This broker does not serve that sdkAppId.",
    });
  }
  return app;
}

/** `:sdkAppId` path parameter: digits only. */
export function appFromPath(config: LoadedConfig, raw: string): LoadedApp {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw problems.notFound("No such app.", "UNKNOWN_SDKAPPID");
  return pickApp(config, Number(raw));
}
