// Property-based tests (fast-check): round trips for any valid input, every single-byte mutation
// of a token is refused, and arbitrary input only ever raises UserSigError.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUserSig, signPrivateMapKey, signUserSig, UserSigError, verifyUserSig } from "../../src/usersig/index.js";
import vectors from "../fixtures/vectors.json";
import { bytesToToken, inflate, tokenToBytes } from "./helpers.js";

const { secretKey } = vectors;
const encoder = new TextEncoder();
const NOW_MAX = 2 ** 32 - 2;

// UserIDs: any well-formed string of 1..32 UTF-8 bytes without control characters.
const userId = fc.string({ unit: "grapheme", minLength: 1, maxLength: 16 }).filter((s) => {
  const bytes = encoder.encode(s).length;
  return bytes >= 1 && bytes <= 32 && s.isWellFormed() && !/[\u0000-\u001f\u007f-\u009f]/.test(s);
});
const sdkAppId = fc.integer({ min: 1, max: 2 ** 32 - 1 });
const nowAndExpire = fc
  .integer({ min: 0, max: NOW_MAX })
  .chain((now) => fc.tuple(fc.constant(now), fc.integer({ min: 1, max: 2 ** 32 - 1 - now })));

describe("round trips", () => {
  it("signUserSig then verifyUserSig gives back every field", async () => {
    await fc.assert(
      fc.asyncProperty(
        sdkAppId,
        userId,
        nowAndExpire,
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        async (app, id, [now, expireSeconds], userBuf) => {
          const token = await signUserSig({ sdkAppId: app, userId: id, expireSeconds, userBuf }, secretKey, { now });
          const decoded = await verifyUserSig(token, { sdkAppId: app, secretKey, userId: id, now });
          expect(decoded).toMatchObject({ version: "2.0", sdkAppId: app, userId: id, issuedAt: now, expireSeconds });
          expect(decoded.expiresAt).toBe(now + expireSeconds);
          if (userBuf) expect(decoded.userBuf).toEqual(userBuf);
          else expect(decoded.userBuf).toBeUndefined();
          expect(token).toMatch(/^[A-Za-z0-9*-]+_{0,2}$/);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("signPrivateMapKey then verifyUserSig gives back the room and privileges", async () => {
    const room = fc.oneof(
      fc.integer({ min: 1, max: 4294967294 }),
      fc
        .string({ unit: "grapheme", minLength: 1, maxLength: 32 })
        .filter((s) => s.isWellFormed() && encoder.encode(s).length <= 64),
    );
    await fc.assert(
      fc.asyncProperty(
        sdkAppId,
        userId,
        nowAndExpire,
        room,
        fc.integer({ min: 1, max: 255 }),
        async (app, id, [now, expireSeconds], roomId, privileges) => {
          const token = await signPrivateMapKey(
            { sdkAppId: app, userId: id, expireSeconds, roomId, privileges },
            secretKey,
            { now },
          );
          const decoded = await verifyUserSig(token, { sdkAppId: app, secretKey, userId: id, now });
          const expectedRoom = typeof roomId === "number" ? { roomId } : { strRoomId: roomId };
          expect(decoded.privateMap).toEqual({ ...expectedRoom, privileges, expiresAt: now + expireSeconds });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("single-byte mutations are all refused", () => {
  it("flipping any bit of any byte of the compressed token never verifies, except deflate's unused final bits", async () => {
    const token = vectors.sign[1]?.userSig as string;
    const bytes = tokenToBytes(token);
    const now = vectors.time;
    const expected = { sdkAppId: vectors.sdkAppId, secretKey, userId: "xiaojun", now };
    const original = await inflate(bytes);
    await expect(verifyUserSig(token, expected)).resolves.toMatchObject({ userId: "xiaojun" });
    // Exhaustive over positions and bits: 8 * length mutations.
    const accepted: string[] = [];
    for (let position = 0; position < bytes.length; position++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = bytes.slice();
        mutated[position] = (mutated[position] as number) ^ (1 << bit);
        const error = await verifyUserSig(bytesToToken(mutated), expected).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined) {
          // The only tolerated change: padding bits after the final deflate block's end code, in the
          // last byte before the Adler-32. The inflated JSON (what is signed) is byte-identical;
          // Tencent's server accepts these too, and anyone holding the token could make them.
          expect(await inflate(mutated)).toBe(original);
          accepted.push(`${position}:${bit}`);
        } else {
          expect(error, `byte ${position} bit ${bit}`).toBeInstanceOf(UserSigError);
        }
      }
    }
    const finalDeflateByte = bytes.length - 5;
    for (const at of accepted) expect(at.startsWith(`${finalDeflateByte}:`), at).toBe(true);
    expect(accepted.length).toBeLessThan(8);
  });

  it("replacing any character of the token with any other alphabet character never verifies", async () => {
    const token = vectors.sign[0]?.userSig as string;
    const expected = { sdkAppId: vectors.sdkAppId, secretKey, userId: "xiaojun", now: vectors.time };
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_";
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (position, char) => {
          fc.pre(token[position] !== char);
          const mutated = token.slice(0, position) + char + token.slice(position + 1);
          // A change inside the final base64 quantum's unused bits decodes to the same bytes; one in
          // the final deflate byte's padding bits inflates to the same JSON (see above).
          fc.pre(!sameBytes(mutated, token) && !(await sameJson(mutated, token)));
          await expect(verifyUserSig(mutated, expected)).rejects.toBeInstanceOf(UserSigError);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("arbitrary input only ever raises UserSigError", () => {
  const onlyUserSigErrors = async (input: string) => {
    for (const attempt of [
      () => decodeUserSig(input),
      () => verifyUserSig(input, { sdkAppId: vectors.sdkAppId, secretKey, now: vectors.time }),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (error !== undefined) expect(error).toBeInstanceOf(UserSigError);
    }
  };

  it("random strings", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), onlyUserSigErrors), { numRuns: 300 });
  });

  it("random strings in the token alphabet", async () => {
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9*-]{0,200}_{0,2}$/), onlyUserSigErrors), {
      numRuns: 300,
    });
  });

  it("random bytes encoded as a token", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyUserSigErrors(bytesToToken(bytes))),
      { numRuns: 300 },
    );
  });

  it("random bytes behind a valid zlib header", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), (bytes) =>
        onlyUserSigErrors(bytesToToken(new Uint8Array([0x78, 0x9c, ...bytes]))),
      ),
      { numRuns: 300 },
    );
  });

  it("random JSON values compressed into a token", async () => {
    const deflate = async (text: string) => {
      const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    };
    const fields = fc.record(
      {
        "TLS.ver": fc.oneof(fc.constant("2.0"), fc.jsonValue()),
        "TLS.identifier": fc.oneof(fc.string(), fc.jsonValue()),
        "TLS.sdkappid": fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
        "TLS.time": fc.oneof(fc.integer(), fc.jsonValue()),
        "TLS.expire": fc.oneof(fc.integer(), fc.jsonValue()),
        "TLS.userbuf": fc.oneof(fc.base64String(), fc.jsonValue()),
        "TLS.sig": fc.oneof(fc.base64String({ minLength: 44, maxLength: 44 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fields, async (doc) => onlyUserSigErrors(bytesToToken(await deflate(JSON.stringify(doc))))),
      { numRuns: 300 },
    );
  });
});

async function sameJson(a: string, b: string): Promise<boolean> {
  try {
    return (await inflate(tokenToBytes(a))) === (await inflate(tokenToBytes(b)));
  } catch {
    return false;
  }
}

function sameBytes(a: string, b: string): boolean {
  try {
    const x = tokenToBytes(a);
    const y = tokenToBytes(b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  } catch {
    return false;
  }
}
