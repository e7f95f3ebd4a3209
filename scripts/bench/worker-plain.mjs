// Bench worker with the production worker's flags (no nodejs_compat): ours and its parts only, to
// show whether nodejs_compat changes what ours costs.
import { coreChecks, coreOps, signOurs } from "./ops-core.mjs";
import { describe } from "./runner.mjs";
import { makeHandler } from "./worker-handler.mjs";

export default makeHandler(coreOps, async () => ({
  ...(await coreChecks()),
  firstTokens: { ours: describe(await signOurs(0)) },
}));
