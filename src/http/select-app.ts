/** Picking the app a request is for: from the body's `sdkAppId`, or a `:sdkAppId` path parameter. */
import type { LoadedApp, LoadedConfig } from "../config/load.js";
import { badRequest, RequestError } from "./errors.js";

/** A path's SDKAppID: digits, no leading zero, at most 10 of them (a u32). */
const SDKAPPID_PATH = /^[1-9][0-9]{0,9}$/;

export function pickApp(config: LoadedConfig, sdkAppId: number | undefined): LoadedApp {
  if (sdkAppId === undefined) {
    const single = config.single();
    if (single) return single;
    throw badRequest("sdkAppId is required: this broker serves several apps.", "sdkAppId");
  }
  const app = config.app(sdkAppId);
  if (!app) throw new RequestError("UNKNOWN_SDKAPPID", "This broker does not serve that sdkAppId.");
  return app;
}

export function appFromPath(config: LoadedConfig, raw: string): LoadedApp {
  if (!SDKAPPID_PATH.test(raw)) throw new RequestError("UNKNOWN_SDKAPPID", "No such app.");
  return pickApp(config, Number(raw));
}
