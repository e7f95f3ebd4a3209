// The operator token rule (src/auth/operator.ts) under plain Node: one or two tokens in
// ADMIN_API_TOKEN, each at least 32 characters, compared in constant time.
import { beforeAll, describe, expect, it } from "vitest";
import { AuthError } from "../../src/auth/errors.js";
import {
  authenticateOperator,
  OPERATOR_TOKEN_MIN_CHARS,
  operatorTokens,
  presentsOperatorToken,
} from "../../src/auth/operator.js";

// workerd's crypto.subtle.timingSafeEqual (which src/auth/compare.ts calls) is not in Node's
// WebCrypto: a compare of the same contract (equal lengths only, every byte looked at) stands in.
beforeAll(() => {
  const subtle = crypto.subtle as unknown as { timingSafeEqual?: (a: Uint8Array, b: Uint8Array) => boolean };
  subtle.timingSafeEqual ??= (a, b) => {
    if (a.byteLength !== b.byteLength) throw new TypeError("Input buffers must have the same byte length");
    let diff = 0;
    for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
    return diff === 0;
  };
});

const OLD = "old-operator-token-0123456789abcdef";
const NEW = "new-operator-token-0123456789abcdef";
const bearer = (token: string) => `Bearer ${token}`;

async function refusal(secret: string | undefined, authorization: string | undefined): Promise<AuthError> {
  const error = await authenticateOperator(secret, authorization).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe("operatorTokens: how ADMIN_API_TOKEN is judged", () => {
  it("one token, or two separated by whitespace or a comma", () => {
    expect(operatorTokens(OLD)).toEqual({ on: true, tokens: [OLD] });
    for (const secret of [`${OLD} ${NEW}`, `${OLD},${NEW}`, `${OLD}, ${NEW}`, `  ${OLD}\n${NEW}\n`]) {
      expect(operatorTokens(secret), JSON.stringify(secret)).toEqual({ on: true, tokens: [OLD, NEW] });
    }
  });

  it("unset, empty or only separators: off, saying it is not set", () => {
    for (const secret of [undefined, "", "  ", " , "]) {
      expect(operatorTokens(secret)).toEqual({ on: false, why: "ADMIN_API_TOKEN is not set." });
    }
  });

  it("a token one character short of the minimum turns the API off; at the minimum it is on", () => {
    const atMin = "m".repeat(OPERATOR_TOKEN_MIN_CHARS);
    expect(OPERATOR_TOKEN_MIN_CHARS).toBe(32);
    expect(operatorTokens(atMin)).toEqual({ on: true, tokens: [atMin] });
    const short = operatorTokens(atMin.slice(1));
    expect(short.on).toBe(false);
    expect(short.on === false && short.why).toBe(
      "ADMIN_API_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32).",
    );
  });

  it("a short second token turns the whole API off and says which token, never silently keeping the first", () => {
    const judged = operatorTokens(`${OLD},short-new`);
    expect(judged).toEqual({
      on: false,
      why: "ADMIN_API_TOKEN's token 2 of 2 must be at least 32 characters (e.g. openssl rand -hex 32).",
    });
    expect(operatorTokens(`short-old ${NEW}`)).toMatchObject({
      on: false,
      why: expect.stringContaining("token 1 of 2"),
    });
  });

  it("three tokens, or one longer than 512 characters: off", () => {
    expect(operatorTokens(`${OLD} ${NEW} ${OLD}x`)).toMatchObject({
      on: false,
      why: expect.stringContaining("at most 2"),
    });
    expect(operatorTokens("x".repeat(513))).toMatchObject({ on: false, why: expect.stringContaining("at most 512") });
    expect(operatorTokens("x".repeat(512)).on).toBe(true);
  });
});

describe("presentsOperatorToken / authenticateOperator", () => {
  it("accepts either token during a change, and only those", async () => {
    const secret = `${OLD},${NEW}`;
    expect(await presentsOperatorToken(secret, bearer(OLD))).toBe(true);
    expect(await presentsOperatorToken(secret, bearer(NEW))).toBe(true);
    expect(await presentsOperatorToken(secret, bearer(`${OLD},${NEW}`))).toBe(false);
    expect(await presentsOperatorToken(secret, bearer(`${NEW}x`))).toBe(false);
    expect(await presentsOperatorToken(secret, bearer(NEW.slice(0, -1)))).toBe(false);
    expect(await presentsOperatorToken(secret, `Basic ${NEW}`)).toBe(false);
    expect(await presentsOperatorToken(secret, undefined)).toBe(false);
    await expect(authenticateOperator(secret, bearer(NEW))).resolves.toBeUndefined();
    await expect(authenticateOperator(secret, `bearer  ${OLD} `)).resolves.toBeUndefined();
  });

  it("a short token authenticates nobody, even when presented exactly", async () => {
    const short = "short-operator-token";
    expect(await presentsOperatorToken(short, bearer(short))).toBe(false);
    const error = await refusal(short, bearer(short));
    expect(error.code).toBe("OPERATOR_API_DISABLED");
    expect(error.message).toContain("32");
    expect(error.message).not.toContain(short);
  });

  it("with a short second token the old one no longer works either (loud, not silent)", async () => {
    const secret = `${OLD} short-new`;
    expect(await presentsOperatorToken(secret, bearer(OLD))).toBe(false);
    const error = await refusal(secret, bearer(OLD));
    expect(error.code).toBe("OPERATOR_API_DISABLED");
    expect(error.message).toContain("token 2 of 2");
    expect(error.message).not.toContain(OLD);
    expect(error.message).not.toContain("short-new");
  });

  it("off: 403 OPERATOR_API_DISABLED before any token is looked at; on: 401 for a wrong or missing one", async () => {
    expect((await refusal(undefined, bearer(OLD))).code).toBe("OPERATOR_API_DISABLED");
    const wrong = await refusal(OLD, bearer(NEW));
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(wrong.data).toEqual({ challenge: "Bearer", credentialsGiven: true });
    const missing = await refusal(OLD, undefined);
    expect(missing.code).toBe("UNAUTHORIZED");
    expect(missing.data.credentialsGiven).toBe(false);
  });
});
