// TC3-HMAC-SHA256 (src/tencent/tc3.ts) under plain Node: Tencent's published example, step by step,
// and an independent computation with node:crypto for the request the TRTC client sends.
//
// The example is the CVM DescribeInstances request of Tencent's "Signature v3" page
// (https://trtc.io/document/34264; the same page for every product, e.g.
// https://cloud.tencent.com/document/api/400/37390): SecretId AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******,
// SecretKey Gu5t9xGARNpq86cd98joQYCN3*******, timestamp 1551113065, region ap-guangzhou, version
// 2017-03-12, and the JSON body below with the Chinese instance name ("未命名") \u-escaped. Later
// editions of the page masked the keys differently (…EXAMPLE) and so publish another signature for
// the same request: both are checked.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tc3Sign, utcDate } from "../../src/tencent/tc3.js";

const PAYLOAD = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
const EXAMPLE = {
  secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
  secretKey: "Gu5t9xGARNpq86cd98joQYCN3*******",
  service: "cvm",
  host: "cvm.tencentcloudapi.com",
  action: "DescribeInstances",
  timestampSeconds: 1551113065,
  payload: PAYLOAD,
  // The published example signs content-type and host only.
  signAction: false,
};

describe("Tencent's published example (Signature v3)", () => {
  it("gives the published CanonicalRequest", async () => {
    const signed = await tc3Sign(EXAMPLE);
    expect(signed.canonicalRequest).toBe(
      [
        "POST",
        "/",
        "",
        "content-type:application/json; charset=utf-8",
        "host:cvm.tencentcloudapi.com",
        "",
        "content-type;host",
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064",
      ].join("\n"),
    );
  });

  it("gives the published StringToSign, with the UTC date (2019-02-25, not UTC+8's 26th)", async () => {
    const signed = await tc3Sign(EXAMPLE);
    expect(signed.date).toBe("2019-02-25");
    expect(signed.stringToSign).toBe(
      "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031",
    );
  });

  it("gives the published signature and Authorization", async () => {
    const signed = await tc3Sign(EXAMPLE);
    expect(signed.signature).toBe("2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
    expect(signed.authorization).toBe(
      "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
    );
  });

  it("gives the signature the later edition publishes for its …EXAMPLE keys", async () => {
    const signed = await tc3Sign({
      ...EXAMPLE,
      secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
      secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
    });
    expect(signed.signature).toBe("72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
  });
});

describe("the request the TRTC client signs", () => {
  const input = {
    secretId: "AKIDtest",
    secretKey: "a-test-secret-key",
    service: "trtc",
    host: "trtc.tencentcloudapi.com",
    action: "RemoveUser",
    timestampSeconds: 1_767_225_599, // 2025-12-31T23:59:59Z: the last second of a UTC day
    payload: JSON.stringify({ SdkAppId: 1400000001, RoomId: 1234, UserIds: ["mallory"] }),
  };

  it("matches an independent node:crypto computation, x-tc-action signed", async () => {
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    const mac = (k: string | Buffer, s: string) => createHmac("sha256", k).update(s).digest();
    const canonical = `POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:trtc.tencentcloudapi.com\nx-tc-action:removeuser\n\ncontent-type;host;x-tc-action\n${sha(input.payload)}`;
    const stringToSign = `TC3-HMAC-SHA256\n1767225599\n2025-12-31/trtc/tc3_request\n${sha(canonical)}`;
    const key = mac(mac(mac(`TC3${input.secretKey}`, "2025-12-31"), "trtc"), "tc3_request");
    const expected = createHmac("sha256", key).update(stringToSign).digest("hex");
    const signed = await tc3Sign(input);
    expect(signed.canonicalRequest).toBe(canonical);
    expect(signed.signature).toBe(expected);
    expect(signed.authorization).toBe(
      `TC3-HMAC-SHA256 Credential=AKIDtest/2025-12-31/trtc/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=${expected}`,
    );
  });

  it("changes with every signed input", async () => {
    const base = (await tc3Sign(input)).signature;
    for (const change of [
      { secretKey: "another-key" },
      { payload: input.payload.replace("mallory", "mallorz") },
      { action: "RemoveUserByStrRoomId" },
      { host: "trtc.intl.tencentcloudapi.com" },
      { timestampSeconds: input.timestampSeconds + 1 },
    ]) {
      expect((await tc3Sign({ ...input, ...change })).signature, JSON.stringify(change)).not.toBe(base);
    }
  });

  it("dates by UTC", () => {
    expect(utcDate(1_767_225_599)).toBe("2025-12-31");
    expect(utcDate(1_767_225_600)).toBe("2026-01-01");
  });

  it("imports no framework and no runtime module", () => {
    const source = readFileSync(new URL("../../src/tencent/tc3.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/from\s+["'](?:hono|cloudflare:|node:)/);
    expect(source).not.toMatch(/\bimport\s/);
  });
});
