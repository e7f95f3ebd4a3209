// What the Node side of the benchmark imports from the bundle: the same operations and loop the
// workers run, plus verifyUserSig to check every implementation's first token.
export { verifyUserSig } from "../../src/usersig/index.ts";
export { EXPIRE_SECONDS, NOW, SDK_APP_ID, SECRET_KEY, userIdFor } from "./inputs.mjs";
export { coreChecks, coreOps, signOurs } from "./ops-core.mjs";
export { floorOps, signFloor } from "./ops-floor.mjs";
export { describe, runBatch } from "./runner.mjs";
