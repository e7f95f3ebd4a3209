// The floor's operations (node:crypto + node:zlib), in the same `async (i) => result` shape as
// ops-core.mjs, with the same inputs. Needs Node or workerd with nodejs_compat.
import { Buffer } from "node:buffer";
import { floorDeflate, floorHmac, floorSign, floorVerify } from "./floor.mjs";
import { EXPIRE_SECONDS, NOW, POOL_SIZE, SDK_APP_ID, SECRET_KEY, userIdFor } from "./inputs.mjs";

function contentFor(i) {
  return `TLS.identifier:${userIdFor(i)}\nTLS.sdkappid:${SDK_APP_ID}\nTLS.time:${NOW}\nTLS.expire:${EXPIRE_SECONDS}\n`;
}

export function signFloor(i) {
  return floorSign(userIdFor(i), SDK_APP_ID, SECRET_KEY, NOW, EXPIRE_SECONDS);
}

export function floorOps() {
  const tokens = [];
  const jsons = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    tokens.push(signFloor(i));
    jsons.push(
      Buffer.from(
        JSON.stringify({
          "TLS.ver": "2.0",
          "TLS.identifier": userIdFor(i),
          "TLS.sdkappid": SDK_APP_ID,
          "TLS.time": NOW,
          "TLS.expire": EXPIRE_SECONDS,
          "TLS.sig": floorHmac(SECRET_KEY, contentFor(i)).toString("base64"),
        }),
      ),
    );
  }
  // The floor is synchronous; `async` gives it the same one-await-per-operation loop as ours.
  return {
    "sign: floor (createHmac + deflateSync)": async (i) => signFloor(i),
    "verify: floor (inflateSync + createHmac)": async (i) =>
      floorVerify(tokens[i % POOL_SIZE], SDK_APP_ID, SECRET_KEY, userIdFor(i % POOL_SIZE), NOW + 1),
    "part: HMAC sign, createHmac": async (i) => floorHmac(SECRET_KEY, contentFor(i % POOL_SIZE)),
    "part: deflate, deflateSync": async (i) => floorDeflate(jsons[i % POOL_SIZE]),
  };
}
