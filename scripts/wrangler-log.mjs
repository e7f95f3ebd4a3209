// Wrangler's debug log, kept off the disk for good. Wrangler appends every message it logs, debug
// level included and whatever WRANGLER_LOG says, to a file (default ~/.wrangler/logs/wrangler-*.log,
// or the XDG config dir): under `wrangler dev` that includes the outbound requests it sees, such as
// the Chat REST URL whose query carries the admin's UserSig. WRANGLER_LOG_PATH (a file when it ends
// in .log, else a directory) moves it; there is no switch to turn it off. So every local start
// points it into a fresh private directory (0700) under the OS temp dir and removes that directory
// when wrangler exits (npm start, npm run dev, npm test and the browser tests' broker).
//
// An explicit WRANGLER_LOG_PATH in the environment is respected (you asked for that file).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `{ env, remove }`: env vars for wrangler's process, and the clean-up to run when it exits. */
export function privateWranglerLog(environment = process.env) {
  if (environment.WRANGLER_LOG_PATH) return { env: {}, dir: undefined, remove() {} };
  const dir = mkdtempSync(join(tmpdir(), "usersig-wrangler-log-"));
  return {
    env: { WRANGLER_LOG_PATH: join(dir, "wrangler.log") },
    dir,
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
