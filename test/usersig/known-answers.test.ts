// Known answers from Tencent's official libraries (test/fixtures/vectors.json, copied from
// shared/usersig): what we sign must be byte-exact with the Node library, and what any official
// library signed must decode and verify.
import { describe, expect, it } from "vitest";
import {
  decodeUserSig,
  Privilege,
  signPrivateMapKey,
  signUserSig,
  UserSigErrorCode,
  verifyUserSig,
} from "../../src/usersig/index.js";
import crossLibrary from "../fixtures/cross-library.json";
import vectors from "../fixtures/vectors.json";
import { expectUserSigError, hexToBytes, inflate, tokenToBytes } from "./helpers.js";

const { sdkAppId, secretKey, time } = vectors;
const byName = (name: string) => {
  const v = vectors.sign.find((s) => s.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
};

describe("sign: byte-exact with Tencent's Node library", () => {
  it("genUserSig('xiaojun', 15552000)", async () => {
    const v = byName("genUserSig");
    const token = await signUserSig({ sdkAppId, userId: "xiaojun", expireSeconds: 15552000 }, secretKey, { now: time });
    expect(token).toBe(v.userSig);
  });

  it("genUserSig('abc_123-XYZ', 86400)", async () => {
    const v = byName("genUserSig expire 86400 user abc_123-XYZ");
    const token = await signUserSig({ sdkAppId, userId: "abc_123-XYZ", expireSeconds: 86400 }, secretKey, {
      now: time,
    });
    expect(token).toBe(v.userSig);
  });

  it("genPrivateMapKey('xiaojun', 15552000, 1234, 255)", async () => {
    const v = byName("genPrivateMapKey numeric room");
    const token = await signPrivateMapKey(
      { sdkAppId, userId: "xiaojun", expireSeconds: 15552000, roomId: 1234, privileges: Privilege.All },
      secretKey,
      { now: time },
    );
    expect(token).toBe(v.userSig);
  });

  it("genPrivateMapKeyWithStringRoomID('xiaojun', 15552000, 'room-abc', 255)", async () => {
    const v = byName("genPrivateMapKeyWithStringRoomID");
    const token = await signPrivateMapKey(
      { sdkAppId, userId: "xiaojun", expireSeconds: 15552000, roomId: "room-abc", privileges: 255 },
      secretKey,
      { now: time },
    );
    expect(token).toBe(v.userSig);
  });

  it("strRoomId, as every other surface names it, signs the same string-room known answer; both at once are refused", async () => {
    const v = byName("genPrivateMapKeyWithStringRoomID");
    const input = { sdkAppId, userId: "xiaojun", expireSeconds: 15552000, privileges: 255 };
    expect(await signPrivateMapKey({ ...input, strRoomId: "room-abc" }, secretKey, { now: time })).toBe(v.userSig);
    await expect(
      signPrivateMapKey({ ...input, roomId: 1234, strRoomId: "room-abc" }, secretKey, { now: time }),
    ).rejects.toMatchObject({ code: "ERR_INVALID_INPUT", message: expect.stringMatching(/not both/) });
    await expect(signPrivateMapKey({ ...input }, secretKey, { now: time })).rejects.toMatchObject({
      code: "ERR_INVALID_INPUT",
    });
  });

  it("genPrivateMapKey with room 4294967295 (reserved by TRTC): byte-exact through the userbuf path, refused by signPrivateMapKey", async () => {
    const v = byName("genPrivateMapKey max room id, expire 300, privilege 42");
    const userBuf = hexToBytes((v as { userBufHex: string }).userBufHex);
    const token = await signUserSig({ sdkAppId, userId: "xiaojun", expireSeconds: 300, userBuf }, secretKey, {
      now: time,
    });
    expect(token).toBe(v.userSig);
    await expectUserSigError(
      signPrivateMapKey(
        { sdkAppId, userId: "xiaojun", expireSeconds: 300, roomId: 4294967295, privileges: 42 },
        secretKey,
        {
          now: time,
        },
      ),
      UserSigErrorCode.InvalidInput,
    );
    const inRange = await signPrivateMapKey(
      { sdkAppId, userId: "xiaojun", expireSeconds: 300, roomId: 4294967294, privileges: 42 },
      secretKey,
      { now: time },
    );
    expect((await decodeUserSig(inRange)).privateMap).toEqual({
      roomId: 4294967294,
      privileges: 42,
      expiresAt: time + 300,
    });
  });

  it("every sign vector's JSON is what the token inflates to", async () => {
    for (const v of vectors.sign) {
      expect(await inflate(tokenToBytes(v.userSig))).toBe(v.json);
    }
  });
});

describe("decode and verify: every official library's tokens", () => {
  const all = [
    ...vectors.sign.map((v) => ({ label: `node ${v.name}`, userSig: v.userSig, json: v.json })),
    ...vectors.verify.map((v) => ({ label: `${v.library} ${v.function}`, userSig: v.userSig, json: v.json })),
  ];

  for (const { label, userSig, json } of all) {
    it(label, async () => {
      const doc = JSON.parse(json) as Record<string, string | number>;
      const decoded = await decodeUserSig(userSig);
      expect(decoded.version).toBe("2.0");
      expect(decoded.sdkAppId).toBe(sdkAppId);
      expect(decoded.userId).toBe(doc["TLS.identifier"]);
      expect(decoded.issuedAt).toBe(time);
      expect(decoded.expireSeconds).toBe(doc["TLS.expire"]);
      expect(decoded.expiresAt).toBe(time + (doc["TLS.expire"] as number));
      const verified = await verifyUserSig(userSig, {
        sdkAppId,
        secretKey,
        userId: doc["TLS.identifier"] as string,
        now: time + 1,
      });
      expect(verified).toEqual(decoded);
    });
  }

  it("decodes the numeric-room PrivateMapKey's room, privileges and absolute expiry", async () => {
    const decoded = await decodeUserSig(byName("genPrivateMapKey numeric room").userSig);
    expect(decoded.privateMap).toEqual({ roomId: 1234, privileges: 255, expiresAt: 1715552000 });
    expect(decoded.userBuf).toEqual(hexToBytes("0000077869616f6a756e53724e00000004d266413f00000000ff00000000"));
  });

  it("decodes the string-room PrivateMapKey from every library alike", async () => {
    const tokens = all.filter((t) => t.label.endsWith("WithStringRoomID")).map((t) => t.userSig);
    expect(tokens.length).toBe(4);
    for (const token of tokens) {
      expect((await decodeUserSig(token)).privateMap).toEqual({
        strRoomId: "room-abc",
        privileges: 255,
        expiresAt: 1715552000,
      });
    }
  });

  it("a plain UserSig has neither userBuf nor privateMap", async () => {
    const decoded = await decodeUserSig(byName("genUserSig").userSig);
    expect(decoded).not.toHaveProperty("userBuf");
    expect(decoded).not.toHaveProperty("privateMap");
  });
});

describe("decode and verify: shapes the shared vectors lack (fixtures/cross-library.json)", () => {
  for (const c of crossLibrary.cases) {
    it(c.name, async () => {
      expect(await inflate(tokenToBytes(c.userSig))).toBe(c.json);
      const decoded = await verifyUserSig(c.userSig, {
        sdkAppId,
        secretKey,
        userId: c.userId,
        now: crossLibrary.time + crossLibrary.expire,
      });
      expect(decoded.userId).toBe(c.userId);
      expect(decoded.expiresAt).toBe(crossLibrary.time + crossLibrary.expire);
      expect(decoded.userBuf !== undefined).toBe(c.hasUserBuf);
      if (c.hasUserBuf) expect(decoded.privateMap?.expiresAt).toBe(crossLibrary.time + crossLibrary.expire);
    });
  }

  it("Go's stored-block tokens start with the 78 01 zlib header", () => {
    const go = crossLibrary.cases.filter((c) => c.name.startsWith("go:"));
    expect(go.length).toBe(2);
    for (const c of go) expect([...tokenToBytes(c.userSig).subarray(0, 2)]).toEqual([0x78, 0x01]);
  });
});
