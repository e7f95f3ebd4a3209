/** An app's TRTC Cloud API target: its host and region from `trtc`, its CAM key pair from the secrets. */

import type { LoadedApp } from "../config/load.js";
import type { TrtcTarget } from "./trtc.js";

/** The target, or undefined when the app has no `trtc` configured. */
export function trtcTarget(app: LoadedApp): TrtcTarget | undefined {
  const trtc = app.config.trtc;
  const credentials = app.trtcCredentials;
  if (!trtc || !credentials) return undefined;
  return {
    apiBaseUrl: trtc.apiBaseUrl,
    region: trtc.region,
    sdkAppId: app.config.sdkAppId,
    secretId: credentials.secretId,
    secretKey: credentials.secretKey,
  };
}
