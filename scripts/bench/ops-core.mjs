// The benchmark's operations on src/usersig (ours), its parts, and the CompressionStream variants.
// Web standards only: this runs in Node, in the bench worker and in the "plain" worker that has the
// production flags (no nodejs_compat). Each operation is `async (i) => result`; i picks the input.
import { bytesToBase64, bytesToToken } from "../../src/usersig/base64.ts";
import { contentToSign, tokenJson } from "../../src/usersig/content.ts";
import { inflateBounded } from "../../src/usersig/deflate.ts";
import { hmacSign, hmacVerify } from "../../src/usersig/hmac.ts";
import { signUserSig, verifyUserSig } from "../../src/usersig/index.ts";
import { deflateVariants, identityPlumbing, SRC_VARIANT } from "./deflate-variants.mjs";
import { EXPIRE_SECONDS, KNOWN_ANSWER, NOW, POOL_SIZE, SDK_APP_ID, SECRET_KEY, userIdFor } from "./inputs.mjs";

const encoder = new TextEncoder();

function fieldsFor(i) {
  return { identifier: userIdFor(i), sdkAppId: SDK_APP_ID, time: NOW, expire: EXPIRE_SECONDS };
}

export function signOurs(i) {
  return signUserSig({ sdkAppId: SDK_APP_ID, userId: userIdFor(i), expireSeconds: EXPIRE_SECONDS }, SECRET_KEY, {
    now: NOW,
  });
}

/** Inputs prepared once, outside the timed loops, so the parts measure only themselves. */
async function preparePools() {
  const tokens = [];
  const contents = [];
  const jsons = [];
  const macs = [];
  const compressed = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    const fields = fieldsFor(i);
    const content = encoder.encode(contentToSign(fields));
    const mac = await hmacSign(SECRET_KEY, content);
    const json = encoder.encode(tokenJson(fields, bytesToBase64(mac)));
    tokens.push(await signOurs(i));
    contents.push(content);
    macs.push(mac);
    jsons.push(json);
    compressed.push(await deflateVariants[SRC_VARIANT](json));
  }
  return { tokens, contents, jsons, macs, compressed };
}

/** The synchronous glue of a signature, part 1: the signed text and the JSON, as UTF-8. */
function textGlue(i) {
  const fields = fieldsFor(i);
  encoder.encode(contentToSign(fields));
  return encoder.encode(tokenJson(fields, "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="));
}

/** Part 2: base64 of the MAC, base64 of the compressed bytes in the token alphabet. */
function base64Glue(i, pool) {
  bytesToBase64(pool.macs[i % POOL_SIZE]);
  return bytesToToken(pool.compressed[i % POOL_SIZE]);
}

export async function coreOps() {
  const pool = await preparePools();
  const at = (list, i) => list[i % POOL_SIZE];
  const ops = {
    "loop: empty (await only)": async () => undefined,
    "sign: ours (signUserSig)": signOurs,
    "verify: ours (verifyUserSig)": (i) =>
      verifyUserSig(at(pool.tokens, i), {
        sdkAppId: SDK_APP_ID,
        secretKey: SECRET_KEY,
        userId: userIdFor(i % POOL_SIZE),
        now: NOW + 1,
      }),
    "part: HMAC sign, WebCrypto (cached key)": (i) => hmacSign(SECRET_KEY, at(pool.contents, i)),
    "part: HMAC verify, WebCrypto": (i) => hmacVerify(SECRET_KEY, at(pool.macs, i), at(pool.contents, i)),
    "part: glue 1, content + JSON + UTF-8": async (i) => textGlue(i),
    "part: glue 2, base64 + token alphabet": async (i) => base64Glue(i, pool),
    "part: inflate, DecompressionStream (src)": (i) => inflateBounded(at(pool.compressed, i)),
    "part: stream plumbing only (identity, writer + Response)": (i) => identityPlumbing(at(pool.jsons, i)),
  };
  for (const [name, run] of Object.entries(deflateVariants)) {
    ops[`deflate: ${name}`] = (i) => run(at(pool.jsons, i));
  }
  return ops;
}

/** The known-answer token and each variant's output for pool input 0, for the correctness checks. */
export async function coreChecks() {
  const { userId, expireSeconds, userSig } = KNOWN_ANSWER;
  const knownAnswer = await signUserSig({ sdkAppId: SDK_APP_ID, userId, expireSeconds }, SECRET_KEY, { now: NOW });
  const json = encoder.encode(
    tokenJson(fieldsFor(0), bytesToBase64(await hmacSign(SECRET_KEY, encoder.encode(contentToSign(fieldsFor(0)))))),
  );
  const variants = {};
  for (const [name, run] of Object.entries(deflateVariants)) {
    try {
      variants[name] = bytesToBase64(await run(json));
    } catch (error) {
      variants[name] = `error: ${error}`;
    }
  }
  return { knownAnswerMatches: knownAnswer === userSig, variants };
}
