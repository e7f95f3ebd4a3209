// Bench worker with nodejs_compat: ours, its parts, the CompressionStream variants and the floor.
import { coreChecks, coreOps, signOurs } from "./ops-core.mjs";
import { floorOps, signFloor } from "./ops-floor.mjs";
import { describe } from "./runner.mjs";
import { makeHandler } from "./worker-handler.mjs";

export default makeHandler(
  async () => ({ ...(await coreOps()), ...floorOps() }),
  async () => ({
    ...(await coreChecks()),
    firstTokens: { ours: describe(await signOurs(0)), floor: describe(signFloor(0)) },
  }),
);
