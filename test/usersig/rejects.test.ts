// What the core must refuse: tampered or foreign tokens, bad sign arguments, oversized input.
import { describe, expect, it } from "vitest";
import {
  decodeUserSig,
  limits,
  signPrivateMapKey,
  signUserSig,
  UserSigError,
  verifyUserSig,
} from "../../src/usersig/index.js";
import vectors from "../fixtures/vectors.json";
import {
  bytesToToken,
  deflate,
  expectUserSigError,
  hmacBase64,
  inflate,
  tokenFromJson,
  tokenToBytes,
} from "./helpers.js";

const { sdkAppId, secretKey, time } = vectors;
const xiaojun = vectors.sign[0]?.userSig as string;
const expected = { sdkAppId, secretKey, userId: "xiaojun", now: time };

describe("verifyUserSig refuses", () => {
  it("a wrong secret key", async () => {
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, secretKey: `${secretKey}0` }), "ERR_SIGNATURE");
  });

  it("a secret key that differs only by case or surrounding space (the key is used byte for byte)", async () => {
    await expectUserSigError(
      verifyUserSig(xiaojun, { ...expected, secretKey: secretKey.toUpperCase() }),
      "ERR_SIGNATURE",
    );
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, secretKey: ` ${secretKey}` }), "ERR_SIGNATURE");
  });

  it("another SDKAppID", async () => {
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, sdkAppId: sdkAppId + 1 }), "ERR_SDKAPPID_MISMATCH");
  });

  it("another UserID", async () => {
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, userId: "xiaojun2" }), "ERR_USERID_MISMATCH");
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, userId: "Xiaojun" }), "ERR_USERID_MISMATCH");
  });

  it("an expired token, and accepts one at exactly its expiry", async () => {
    const expiry = time + 15552000;
    await expect(verifyUserSig(xiaojun, { ...expected, now: expiry })).resolves.toMatchObject({ expiresAt: expiry });
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, now: expiry + 1 }), "ERR_EXPIRED");
  });

  it("uses the current clock by default", async () => {
    // The vector was issued in 2023 for 180 days: long expired today.
    await expectUserSigError(verifyUserSig(xiaojun, { sdkAppId, secretKey }), "ERR_EXPIRED");
    const fresh = await signUserSig({ sdkAppId, userId: "now", expireSeconds: 60 }, secretKey);
    await expect(verifyUserSig(fresh, { sdkAppId, secretKey, userId: "now" })).resolves.toMatchObject({
      userId: "now",
    });
  });

  it("each field changed after signing (re-signed JSON with the original sig)", async () => {
    const json = JSON.parse(vectors.sign[1]?.json as string) as Record<string, unknown>;
    const changes: Record<string, unknown>[] = [
      { "TLS.identifier": "administrator" },
      { "TLS.time": time + 1 },
      { "TLS.expire": 15552001 },
      { "TLS.userbuf": "AAAHeGlhb2p1blNyTgAAAATSZkE/AAAAAP8AAAAB" },
    ];
    for (const change of changes) {
      const token = await tokenFromJson(JSON.stringify({ ...json, ...change }));
      await expectUserSigError(verifyUserSig(token, { sdkAppId, secretKey, now: time }), "ERR_SIGNATURE");
    }
  });

  it("a token with its userbuf removed (the signature covers the userbuf line)", async () => {
    const json = JSON.parse(vectors.sign[1]?.json as string) as Record<string, unknown>;
    delete json["TLS.userbuf"];
    const token = await tokenFromJson(JSON.stringify(json));
    await expectUserSigError(verifyUserSig(token, { sdkAppId, secretKey, now: time }), "ERR_SIGNATURE");
  });

  it("checks the signature before the UserID and the expiry, so a forgery learns nothing", async () => {
    await expectUserSigError(
      verifyUserSig(xiaojun, { sdkAppId, secretKey: "wrong", userId: "someone-else", now: time + 10e8 }),
      "ERR_SIGNATURE",
    );
  });

  it("an invalid secret key as invalid input", async () => {
    await expectUserSigError(verifyUserSig(xiaojun, { ...expected, secretKey: "" }), "ERR_INVALID_INPUT");
    await expectUserSigError(
      verifyUserSig(xiaojun, { ...expected, secretKey: "k".repeat(limits.SECRET_KEY_MAX_CHARS + 1) }),
      "ERR_INVALID_INPUT",
    );
  });
});

describe("decodeUserSig refuses what is not a UserSig", () => {
  const cases: [string, string | (() => Promise<string>), string][] = [
    ["the empty string", "", "ERR_MALFORMED"],
    ["characters outside the token alphabet", "eJyr+Vgr/CdYrSy1SslI=", "ERR_MALFORMED"],
    ["base64url instead of the token alphabet (padding inside)", "eJy_rVg", "ERR_MALFORMED"],
    ["an impossible base64 length", "eJyrV", "ERR_MALFORMED"],
    ["surrounding whitespace", ` ${xiaojun}`, "ERR_MALFORMED"],
    ["bytes that are not zlib", bytesToToken(new TextEncoder().encode('{"TLS.ver":"2.0"}')), "ERR_MALFORMED"],
    [
      "a raw deflate stream (no zlib header)",
      async () => bytesToToken((await deflate("{}")).subarray(2)),
      "ERR_MALFORMED",
    ],
    ["a truncated zlib stream", bytesToToken(tokenToBytes(xiaojun).subarray(0, 40)), "ERR_MALFORMED"],
    ["a zlib stream with a wrong Adler-32", async () => corruptAdler(xiaojun), "ERR_MALFORMED"],
    ["bytes after the zlib stream", bytesToToken(new Uint8Array([...tokenToBytes(xiaojun), 0])), "ERR_MALFORMED"],
    [
      "a zlib stream followed by a second one",
      async () => bytesToToken(new Uint8Array([...tokenToBytes(xiaojun), ...(await deflate("{}"))])),
      "ERR_MALFORMED",
    ],
    ["JSON that is not an object", async () => tokenFromJson("[1,2,3]"), "ERR_MALFORMED"],
    [
      "invalid UTF-8",
      async () => bytesToToken(await deflateBytes(new Uint8Array([0x7b, 0xff, 0x7d]))),
      "ERR_MALFORMED",
    ],
    ["a wrong version", async () => withJson({ "TLS.ver": "1.0" }), "ERR_MALFORMED"],
    ["a numeric version", async () => withJson({ "TLS.ver": 2 }), "ERR_MALFORMED"],
    ["a missing identifier", async () => withJson({ "TLS.identifier": undefined }), "ERR_MALFORMED"],
    ["an empty identifier", async () => withJson({ "TLS.identifier": "" }), "ERR_MALFORMED"],
    ["a numeric identifier", async () => withJson({ "TLS.identifier": 42 }), "ERR_MALFORMED"],
    ["sdkappid as a string", async () => withJson({ "TLS.sdkappid": "1400000000" }), "ERR_MALFORMED"],
    ["sdkappid zero", async () => withJson({ "TLS.sdkappid": 0 }), "ERR_MALFORMED"],
    ["a fractional time", async () => withJson({ "TLS.time": 1700000000.5 }), "ERR_MALFORMED"],
    ["a negative expire", async () => withJson({ "TLS.expire": -1 }), "ERR_MALFORMED"],
    ["an expire past 32 bits", async () => withJson({ "TLS.expire": 2 ** 32 }), "ERR_MALFORMED"],
    ["a missing sig", async () => withJson({ "TLS.sig": undefined }), "ERR_MALFORMED"],
    ["a sig that is not base64", async () => withJson({ "TLS.sig": "not base64!" }), "ERR_MALFORMED"],
    ["a sig of the wrong length", async () => withJson({ "TLS.sig": btoa("short") }), "ERR_MALFORMED"],
    ["a userbuf that is not base64", async () => withJson({ "TLS.userbuf": "%%%" }), "ERR_MALFORMED"],
    ["a userbuf that is not a string", async () => withJson({ "TLS.userbuf": 7 }), "ERR_MALFORMED"],
  ];

  for (const [label, token, code] of cases) {
    it(label, async () => {
      const value = typeof token === "string" ? token : await token();
      await expectUserSigError(decodeUserSig(value), code as UserSigError["code"]);
      await expectUserSigError(verifyUserSig(value, expected), code as UserSigError["code"]);
    });
  }

  it("a non-string", async () => {
    await expectUserSigError(decodeUserSig(42 as unknown as string), "ERR_MALFORMED");
    await expectUserSigError(decodeUserSig(undefined as unknown as string), "ERR_MALFORMED");
  });

  it("error messages never contain the token or the key", async () => {
    const forged = await withJson({ "TLS.identifier": "secret-user-name" });
    for (const attempt of [
      () => decodeUserSig(`${xiaojun}!`),
      () => verifyUserSig(xiaojun, { ...expected, secretKey: "my-secret-key" }),
      () => verifyUserSig(forged, { ...expected, secretKey: "my-secret-key" }),
      () => verifyUserSig(xiaojun, { ...expected, userId: "secret-user-name" }),
    ]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e as UserSigError,
      );
      expect(error).toBeInstanceOf(UserSigError);
      for (const needle of [xiaojun, xiaojun.slice(0, 16), "my-secret-key", secretKey, "secret-user-name"]) {
        expect(error?.message).not.toContain(needle);
        expect(String(error?.stack)).not.toContain(needle);
      }
    }
  });
});

describe("bounds", () => {
  it("refuses a token over the length cap before decoding it", async () => {
    const long = "A".repeat(limits.TOKEN_MAX_CHARS + 1);
    await expectUserSigError(decodeUserSig(long), "ERR_TOO_LARGE");
    await expectUserSigError(verifyUserSig(long, expected), "ERR_TOO_LARGE");
  });

  it("refuses a token whose JSON inflates past the cap", async () => {
    const padded = JSON.stringify({ ...JSON.parse(vectors.sign[0]?.json as string), pad: " ".repeat(20_000) });
    const token = await tokenFromJson(padded);
    expect(token.length).toBeLessThan(limits.TOKEN_MAX_CHARS);
    await expectUserSigError(decodeUserSig(token), "ERR_TOO_LARGE");
  });

  it("stops inflating a zip bomb (50 MB of zeros) at the cap, in bounded time", async () => {
    // 50 MB of zeros deflates to ~48 KiB, which is already over the token cap. Feed the
    // same stream's first 3 KiB, which on its own would inflate to ~3 MB: still refused as too large
    // (not merely as a truncated stream), so inflation stopped at the cap rather than at the end.
    const bomb = await deflateBytes(new Uint8Array(50_000_000));
    const token = bytesToToken(bomb.subarray(0, 3000));
    expect(token.length).toBeLessThanOrEqual(limits.TOKEN_MAX_CHARS);
    await expectUserSigError(decodeUserSig(token), "ERR_TOO_LARGE");
    await expectUserSigError(decodeUserSig(bytesToToken(bomb)), "ERR_TOO_LARGE");
  });

  it("accepts JSON exactly at the inflated cap and refuses one byte more", async () => {
    const base = JSON.parse(vectors.sign[0]?.json as string) as Record<string, unknown>;
    const pad = (n: number) => JSON.stringify({ ...base, pad: " ".repeat(n) });
    const overhead = pad(0).length;
    const atCap = await tokenFromJson(pad(limits.INFLATED_MAX_BYTES - overhead));
    await expect(decodeUserSig(atCap)).resolves.toMatchObject({ userId: "xiaojun" });
    const overCap = await tokenFromJson(pad(limits.INFLATED_MAX_BYTES - overhead + 1));
    await expectUserSigError(decodeUserSig(overCap), "ERR_TOO_LARGE");
  });
});

describe("sign arguments are validated", () => {
  const ok = { sdkAppId, userId: "alice", expireSeconds: 3600 };
  const now = { now: time };
  const bad: [string, Record<string, unknown>][] = [
    ["sdkAppId 0", { sdkAppId: 0 }],
    ["sdkAppId past u32", { sdkAppId: 2 ** 32 }],
    ["a fractional sdkAppId", { sdkAppId: 1.5 }],
    ["sdkAppId as a string", { sdkAppId: "1400000000" }],
    ["an empty userId", { userId: "" }],
    ["a 33-byte userId", { userId: "a".repeat(33) }],
    ["a userId of 11 three-byte characters (33 bytes)", { userId: "小".repeat(11) }],
    ["a userId with a newline", { userId: "a\nTLS.sdkappid:1" }],
    ["a userId with a lone surrogate", { userId: "a\ud800" }],
    ["a numeric userId", { userId: 42 }],
    ["expireSeconds 0", { expireSeconds: 0 }],
    ["negative expireSeconds", { expireSeconds: -60 }],
    ["fractional expireSeconds", { expireSeconds: 1.5 }],
    ["an expiry past 32 bits", { expireSeconds: 2 ** 32 - time }],
    ["expireSeconds as a string", { expireSeconds: "3600" }],
  ];

  for (const [label, change] of bad) {
    it(`refuses ${label}`, async () => {
      await expectUserSigError(signUserSig({ ...ok, ...change } as typeof ok, secretKey, now), "ERR_INVALID_INPUT");
      await expectUserSigError(
        signPrivateMapKey(
          { ...ok, roomId: 1, privileges: 255, ...change } as typeof ok & { roomId: number; privileges: number },
          secretKey,
          now,
        ),
        "ERR_INVALID_INPUT",
      );
    });
  }

  it("accepts the edges of every range", async () => {
    const edges = [
      { sdkAppId: 1 },
      { sdkAppId: 2 ** 32 - 1 },
      { userId: "a".repeat(32) },
      { userId: "é".repeat(16) },
      { expireSeconds: 1 },
      { expireSeconds: 2 ** 32 - 1 - time },
    ];
    for (const change of edges) {
      const token = await signUserSig({ ...ok, ...change }, secretKey, now);
      const decoded = await decodeUserSig(token);
      expect(decoded).toMatchObject({ ...ok, ...change, issuedAt: time });
    }
  });

  it("refuses a bad `now`", async () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32]) {
      await expectUserSigError(signUserSig(ok, secretKey, { now: value }), "ERR_INVALID_INPUT");
    }
  });

  it("truncates a fractional `now`", async () => {
    const decoded = await decodeUserSig(await signUserSig(ok, secretKey, { now: time + 0.999 }));
    expect(decoded.issuedAt).toBe(time);
  });

  it("refuses a bad secret key", async () => {
    await expectUserSigError(signUserSig(ok, "", now), "ERR_INVALID_INPUT");
    await expectUserSigError(signUserSig(ok, 42 as unknown as string, now), "ERR_INVALID_INPUT");
  });

  it("refuses a userBuf that is too large or not bytes", async () => {
    await expectUserSigError(
      signUserSig({ ...ok, userBuf: new Uint8Array(limits.USERBUF_MAX_BYTES + 1) }, secretKey, now),
      "ERR_INVALID_INPUT",
    );
    await expectUserSigError(
      signUserSig({ ...ok, userBuf: "abc" as unknown as Uint8Array }, secretKey, now),
      "ERR_INVALID_INPUT",
    );
    const largest = await signUserSig(
      { ...ok, userBuf: crypto.getRandomValues(new Uint8Array(limits.USERBUF_MAX_BYTES)) },
      secretKey,
      now,
    );
    expect(largest.length).toBeLessThanOrEqual(limits.TOKEN_MAX_CHARS);
    await expect(verifyUserSig(largest, { sdkAppId, secretKey, now: time })).resolves.toMatchObject({
      userId: "alice",
    });
  });

  const room: [string, Record<string, unknown>][] = [
    ["room 0", { roomId: 0 }],
    ["room 4294967295 (reserved)", { roomId: 4294967295 }],
    ["a fractional room", { roomId: 1.5 }],
    ["an empty string room", { roomId: "" }],
    ["a 65-byte string room", { roomId: "r".repeat(65) }],
    ["a room that is neither number nor string", { roomId: null }],
    ["privileges 0", { privileges: 0 }],
    ["privileges 256", { privileges: 256 }],
    ["fractional privileges", { privileges: 2.5 }],
  ];
  for (const [label, change] of room) {
    it(`signPrivateMapKey refuses ${label}`, async () => {
      await expectUserSigError(
        signPrivateMapKey(
          { ...ok, roomId: 1, privileges: 255, ...change } as Parameters<typeof signPrivateMapKey>[0],
          secretKey,
          now,
        ),
        "ERR_INVALID_INPUT",
      );
    });
  }

  it("signPrivateMapKey accepts a 64-byte string room and writes UTF-8 for non-ASCII UserIDs and rooms", async () => {
    const token = await signPrivateMapKey(
      { sdkAppId, userId: "小明", expireSeconds: 600, roomId: "会议室-1", privileges: 2 | 8 },
      secretKey,
      now,
    );
    const decoded = await verifyUserSig(token, { sdkAppId, secretKey, userId: "小明", now: time });
    expect(decoded.privateMap).toEqual({ strRoomId: "会议室-1", privileges: 10, expiresAt: time + 600 });
    const account = new TextEncoder().encode("小明");
    expect([...(decoded.userBuf ?? new Uint8Array()).subarray(1, 3 + account.length)]).toEqual([
      0,
      account.length,
      ...account,
    ]);
    const long = await signPrivateMapKey({ ...ok, roomId: "r".repeat(64), privileges: 1 }, secretKey, now);
    expect((await decodeUserSig(long)).privateMap?.strRoomId).toBe("r".repeat(64));
  });

  it("reads the clock once: the userbuf's absolute expiry equals TLS.time + TLS.expire", async () => {
    const token = await signPrivateMapKey({ ...ok, roomId: 5, privileges: 3 }, secretKey);
    const decoded = await decodeUserSig(token);
    expect(decoded.privateMap?.expiresAt).toBe(decoded.issuedAt + decoded.expireSeconds);
    expect(Math.abs(decoded.issuedAt - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe("the signed JSON", () => {
  it("a non-ASCII UserID signs its UTF-8 bytes and verifies", async () => {
    const token = await signUserSig({ sdkAppId, userId: "José", expireSeconds: 60 }, secretKey, { now: time });
    const json = JSON.parse(await inflate(tokenToBytes(token))) as Record<string, string>;
    const content = `TLS.identifier:José\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:60\n`;
    expect(json["TLS.sig"]).toBe(await hmacBase64(secretKey, content));
  });
});

async function deflateBytes(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function withJson(change: Record<string, unknown>): Promise<string> {
  return tokenFromJson(JSON.stringify({ ...JSON.parse(vectors.sign[0]?.json as string), ...change }));
}

async function corruptAdler(token: string): Promise<string> {
  const bytes = tokenToBytes(token).slice();
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] as number) ^ 0x01;
  return bytesToToken(bytes);
}
