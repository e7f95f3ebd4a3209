// The doctor (src/doctor) on a table of tokens made for each diagnosis: every token is made here, at
// test time, with the real core (or, for what the core would never make, with node:zlib and jose), so
// each case proves the doctor recognizes the real thing.
import { readdirSync, readFileSync } from "node:fs";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  type Diagnosis,
  DoctorCode,
  type DoctorInput,
  diagnose,
  formatDuration,
  TENCENT_ERRORS,
  tencentError,
} from "../../src/doctor/index.js";
import { signPrivateMapKey, signUserSig } from "../../src/usersig/index.js";
import vectors from "../fixtures/vectors.json" with { type: "json" };
import { tokenOf } from "./tokens.js";

const KEY = vectors.secretKey;
const OTHER_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const APP = 1400000000;
const T0 = 1_700_000_000;
const DAY = 86_400;

const userSig = (userId = "alice", expireSeconds = DAY, now = T0, key = KEY) =>
  signUserSig({ sdkAppId: APP, userId, expireSeconds }, key, { now });

async function run(input: Partial<DoctorInput> & { token: string }): Promise<Diagnosis> {
  return diagnose({ now: T0 + 60, ...input });
}

const codes = (d: Diagnosis) => d.findings.map((f) => f.code);

describe("a sound token", () => {
  it("has no findings, and says the signature was not checked without a key", async () => {
    const d = await run({ token: await userSig(), sdkAppId: APP, userId: "alice", usedAs: "userSig" });
    expect(d.findings).toEqual([]);
    expect(d.kind).toBe("usersig");
    expect(d.signature).toBe("not-checked");
    expect(d.notes.join(" ")).toMatch(/Signature not checked/);
    expect(d.decoded?.userId).toBe("alice");
  });

  it("with the right key: signature valid", async () => {
    const d = await run({ token: await userSig(), secretKey: KEY });
    expect(d.findings).toEqual([]);
    expect(d.signature).toBe("valid");
  });

  it("decodes the other official libraries' tokens without a finding", async () => {
    for (const vector of vectors.verify) {
      const d = await run({ token: vector.userSig, secretKey: KEY, now: T0 });
      expect(codes(d), vector.library).toEqual([]);
      expect(d.signature).toBe("valid");
    }
  });
});

describe("truncated tokens", () => {
  for (const userId of ["alice", "a_rather_long_user_id_1234567890"]) {
    it(`cut at many lengths (UserID ${userId.length} bytes): TRUNCATED with how much is missing`, async () => {
      const whole = await userSig(userId);
      const unpadded = whole.replace(/_+$/, "").length;
      const cuts = [4, 12, 30, 50, 70, 90, 110, 130, 150, unpadded - 12, unpadded - 7, unpadded - 3, unpadded - 1];
      for (const cut of cuts) {
        const d = await run({ token: whole.slice(0, cut) });
        expect(codes(d), `cut at ${cut}`).toEqual([DoctorCode.Truncated]);
        expect(d.kind).toBe("truncated-usersig");
        const title = d.findings[0]?.title ?? "";
        const stated = Number(/(\d+) characters? seem|last (\d+) character/.exec(title)?.slice(1).find(Boolean));
        const actual = whole.length - cut;
        if (/at least/.test(title)) {
          // The UserID was cut: its length is unknown, so the figure is a lower bound.
          expect(stated, `cut at ${cut}: ${title}`).toBeLessThanOrEqual(actual);
        } else {
          expect(Math.abs(stated - actual), `cut at ${cut}: ${title}`).toBeLessThanOrEqual(3);
        }
        expect(d.findings[0]?.tencentErrors).toContain(70003);
      }
    });
  }

  it("a cut inside the checksum is called an unterminated zlib stream", async () => {
    const whole = await userSig();
    const d = await run({ token: whole.slice(0, whole.replace(/_+$/, "").length - 3) });
    expect(d.findings[0]?.title).toMatch(/unterminated zlib stream/);
  });

  it("a cut PrivateMapKey is truncated too", async () => {
    const whole = await signPrivateMapKey(
      { sdkAppId: APP, userId: "alice", expireSeconds: DAY, roomId: "room-abc", privileges: 255 },
      KEY,
      { now: T0 },
    );
    const d = await run({ token: whole.slice(0, 120) });
    expect(codes(d)).toEqual([DoctorCode.Truncated]);
  });

  it("a token whose padding alone is missing is whole (the core accepts it)", async () => {
    const whole = await userSig();
    const d = await run({ token: whole.replace(/_+$/, "") });
    expect(d.findings).toEqual([]);
  });

  it("a changed character is DAMAGED, not truncated", async () => {
    const whole = await userSig();
    const at = whole.length - 10;
    const changed = whole.slice(0, at) + (whole[at] === "A" ? "B" : "A") + whole.slice(at + 1);
    const d = await run({ token: changed });
    expect(codes(d)).toEqual([DoctorCode.Damaged]);
  });
});

describe("not a UserSig", () => {
  it("a JWT of an identity provider", async () => {
    const jwt = await new SignJWT({ sub: "alice" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://idp.example.com/")
      .sign(new TextEncoder().encode("k".repeat(32)));
    const d = await run({ token: jwt });
    expect(codes(d)).toEqual([DoctorCode.Jwt]);
    expect(d.findings[0]?.title).toBe("This is a JWT (alg HS256, issuer https://idp.example.com/), not a UserSig.");
    expect(d.findings[0]?.detail).toMatch(/Authorization: Bearer/);
  });

  it("a guest ticket of this broker", async () => {
    const ticket = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", typ: "guest-ticket+jwt" })
      .setSubject("guest_abcdefghijklmnop")
      .sign(new TextEncoder().encode("k".repeat(32)));
    const d = await run({ token: ticket });
    expect(codes(d)).toEqual([DoctorCode.GuestTicket]);
    expect(d.findings[0]?.title).toMatch(/guest ticket of usersig-broker for guest guest_abcdefghijklmnop/);
    expect(d.findings[0]?.detail).toMatch(/"guestTicket"/);
  });

  it("a PrivateMapKey where a UserSig is expected, and the reverse", async () => {
    const pmk = await signPrivateMapKey(
      { sdkAppId: APP, userId: "alice", expireSeconds: DAY, roomId: 1234, privileges: 42 },
      KEY,
      { now: T0 },
    );
    const asUserSig = await run({ token: pmk, usedAs: "userSig" });
    expect(codes(asUserSig)).toEqual([DoctorCode.PrivateMapKeyAsUserSig]);
    expect(asUserSig.kind).toBe("privatemapkey");
    expect((await run({ token: pmk, usedAs: "privateMapKey" })).findings).toEqual([]);
    const asPmk = await run({ token: await userSig(), usedAs: "privateMapKey" });
    expect(codes(asPmk)).toEqual([DoctorCode.UserSigAsPrivateMapKey]);
  });

  it("text, other compressed JSON, and other base64 are not UserSigs", async () => {
    expect(codes(await run({ token: "hello world" }))).toEqual([DoctorCode.NotAUserSig]);
    expect(codes(await run({ token: "aGVsbG8gd29ybGQ" }))).toEqual([DoctorCode.NotAUserSig]);
    const other = await run({ token: tokenOf({ hello: "world" }) });
    expect(codes(other)).toEqual([DoctorCode.NotAUserSig]);
    expect(other.findings[0]?.detail).toMatch(/compressed JSON, but not a UserSig's/);
    expect(codes(await run({ token: "" }))).toEqual([DoctorCode.Empty]);
    expect(codes(await run({ token: "A".repeat(5000) }))).toEqual([DoctorCode.TooLarge]);
  });

  it("a URL-encoded or re-encoded (standard base64) UserSig is named, then diagnosed", async () => {
    // A token whose alphabet uses every special character.
    let token = await userSig();
    for (let i = 0; !/\*/.test(token) || !/-/.test(token); i++) token = await userSig(`user${i}`);
    const urlEncoded = token.replace(/\*/g, "%2A").replace(/-/g, "%2D").replace(/_/g, "%5F");
    const d = await run({ token: urlEncoded, secretKey: KEY });
    expect(codes(d)).toEqual([DoctorCode.UrlEncoded]);
    expect(d.signature).toBe("valid");
    const standard = token.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
    const s = await run({ token: standard, secretKey: KEY });
    expect(codes(s)).toEqual([DoctorCode.WrongAlphabet]);
    expect(s.signature).toBe("valid");
  });
});

describe("a token wrapped on the way", () => {
  it("spaces or line breaks inside are named, then the token is diagnosed without them", async () => {
    const token = await userSig();
    const d = await run({
      token: `${token.slice(0, 60)}\n${token.slice(60, 120)} ${token.slice(120)}`,
      secretKey: KEY,
    });
    expect(codes(d)).toEqual([DoctorCode.Whitespace]);
    expect(d.signature).toBe("valid");
  });
});

describe("an old v1 (ECDSA) UserSig", () => {
  it("is recognized, decoded as far as it goes, and told apart from today's HMAC", async () => {
    const v1 = tokenOf({
      "TLS.account_type": "0",
      "TLS.identifier": "bob",
      "TLS.appid_at_3rd": "0",
      "TLS.sdk_appid": "1400000001",
      "TLS.expire_after": "15552000",
      "TLS.version": "201512300000",
      "TLS.time": String(T0),
      "TLS.sig": "MEUCIQDx3b0Kk0m2f2w0c1Yb7Yk3fQ8mX0f3wq4b5J6o7p8q9AIgF0o1p2q3r4s5t6u7v8w9x0y1z2A3B4C5D6E7F8G9H0I=",
    });
    const d = await run({ token: v1, sdkAppId: APP, userId: "bob", secretKey: KEY });
    expect(d.kind).toBe("v1-usersig");
    expect(codes(d)).toEqual([DoctorCode.V1Ecdsa, DoctorCode.SdkAppIdMismatch]);
    expect(d.findings[0]?.detail).toMatch(/HMAC-SHA256/);
    expect(d.v1).toEqual({
      version: "201512300000",
      sdkAppId: 1400000001,
      userId: "bob",
      issuedAt: T0,
      expireSeconds: 15552000,
      expiresAt: T0 + 15552000,
    });
    expect(d.notes.join(" ")).toMatch(/ECDSA.*cannot be checked/);
  });
});

describe("the wrong app, user or time", () => {
  it("names the SDKAppID and UserID it was signed for", async () => {
    const d = await run({ token: await userSig("Alice"), sdkAppId: 1400000099, userId: "alice" });
    expect(codes(d)).toEqual([DoctorCode.SdkAppIdMismatch, DoctorCode.UserIdMismatch]);
    expect(d.findings[0]?.title).toBe("It was signed for SDKAppID 1400000000, not 1400000099.");
    expect(d.findings[0]?.tencentErrors).toContain(70014);
    expect(d.findings[1]?.title).toBe('It was signed for UserID "Alice", not "alice".');
    expect(d.findings[1]?.detail).toMatch(/only in case/);
    expect(d.findings[1]?.tencentErrors).toEqual([70013]);
  });

  it("expired: how long ago and when", async () => {
    const d = await run({ token: await userSig("alice", 3600), now: T0 + 3600 + 2 * DAY + 5 });
    expect(codes(d)).toEqual([DoctorCode.Expired]);
    expect(d.findings[0]?.title).toBe("It expired 2d ago, at 2023-11-14T23:13:20Z.");
    expect(d.findings[0]?.tencentErrors).toEqual([6206, 70001, 70052]);
    // The last second is still valid (now == expiresAt).
    expect((await run({ token: await userSig("alice", 3600), now: T0 + 3600 })).findings).toEqual([]);
  });

  it("not yet valid: the clock skew is shown", async () => {
    const d = await run({ token: await userSig(), now: T0 - 125 });
    expect(codes(d)).toEqual([DoctorCode.NotYetValid]);
    expect(d.findings[0]?.title).toBe("It was issued 2m 5s in the future (clock skew of 125 s).");
  });

  it("several problems come most likely first: app, user, time, then the signature", async () => {
    const token = await userSig("bob", 60, T0, OTHER_KEY);
    const d = await run({ token, sdkAppId: 1, userId: "alice", secretKey: KEY, now: T0 + DAY });
    expect(codes(d)).toEqual([
      DoctorCode.SdkAppIdMismatch,
      DoctorCode.UserIdMismatch,
      DoctorCode.Expired,
      DoctorCode.SignatureMismatch,
    ]);
  });
});

describe("with the key", () => {
  it("a signature mismatch means the key of another app", async () => {
    const d = await run({ token: await userSig("alice", DAY, T0, OTHER_KEY), secretKey: KEY });
    expect(codes(d)).toEqual([DoctorCode.SignatureMismatch]);
    expect(d.signature).toBe("invalid");
    expect(d.findings[0]?.detail).toMatch(/key of another app/);
    expect(d.findings[0]?.tencentErrors).toEqual([70009]);
  });

  it("a key that is not 64 hex characters is pointed out", async () => {
    const d = await run({ token: await userSig(), secretKey: "not-the-key" });
    expect(d.findings[0]?.detail).toMatch(/64 hex characters; this one is 11 characters and not all hex/);
  });

  it("a key with a trailing newline: matches once trimmed", async () => {
    const d = await run({ token: await userSig(), secretKey: `${KEY}\n` });
    expect(codes(d)).toEqual([DoctorCode.KeyWhitespace]);
  });

  it("never puts the key or the token in a message", async () => {
    const token = await userSig("alice", DAY, T0, OTHER_KEY);
    const d = await run({ token, secretKey: KEY, sdkAppId: 1, userId: "x" });
    const text = JSON.stringify({ findings: d.findings, notes: d.notes });
    expect(text.includes(KEY)).toBe(false);
    expect(text.includes(token.slice(0, 40))).toBe(false);
  });
});

describe("Tencent's login error codes", () => {
  it("explains every code the issue names, from Tencent's documentation", () => {
    for (const code of [6206, 70001, 70003, 70009, 70013, 70014, 70016, 70020, 70052, 70107, 70398]) {
      const error = tencentError(code);
      expect(error, String(code)).toBeDefined();
      expect(error?.name).toMatch(/^ERR_[A-Z_]+$/);
      expect(error?.meaning.length).toBeGreaterThan(20);
      expect(error?.check.length).toBeGreaterThan(0);
    }
    expect(tencentError(12345)).toBeUndefined();
    expect(new Set(TENCENT_ERRORS.map((e) => e.code)).size).toBe(TENCENT_ERRORS.length);
  });

  it("each finding's Tencent codes are explained, and point back to it", () => {
    const all = Object.values(DoctorCode);
    for (const error of TENCENT_ERRORS) for (const f of error.findings) expect(all).toContain(f);
  });
});

describe("shared time formatting", () => {
  it("writes durations in three styles, largest unit first", () => {
    expect(formatDuration(15552000)).toBe("180d");
    expect(formatDuration(90061)).toBe("1d 1h");
    expect(formatDuration(86400 + 300)).toBe("1d");
    expect(formatDuration(3599, "spaced")).toBe("59 min 59 s");
    expect(formatDuration(3600 * 2 + 1800, "words")).toBe("2 hours 30 minutes");
    expect(formatDuration(1, "words")).toBe("1 second");
    expect(formatDuration(0, "words")).toBe("0 seconds");
    expect(formatDuration(-5)).toBe("0s");
  });
});

describe("src/doctor is pure", () => {
  const dir = new URL("../../src/doctor/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  it("has sources to check", () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const file of files) {
    it(`${file} imports only the doctor and the UserSig core`, () => {
      const source = readFileSync(new URL(file, dir), "utf8");
      const specifiers = [...source.matchAll(/(?:import|export)\s(?:[^;]*?from\s*)?["']([^"']+)["']/g)].map(
        (m) => m[1],
      );
      for (const specifier of specifiers)
        expect(specifier, file).toMatch(/^\.\/[a-z0-9-]+\.js$|^\.\.\/usersig\/[a-z0-9-]+\.js$/);
      expect(source).not.toMatch(/\b(process|Buffer|require)\s*[.(]|Date\.now\(/);
    });
  }
});
