// Test helpers shared by the UserSig core's suites (which run in workerd and in plain Node).
import { expect } from "vitest";
import { UserSigError, type UserSigErrorCode } from "../../src/usersig/index.js";

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function tokenToBytes(token: string): Uint8Array {
  const b64 = token.replace(/\*/g, "+").replace(/-/g, "/").replace(/_/g, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

export function bytesToToken(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "*")
    .replace(/\//g, "-")
    .replace(/=/g, "_");
}

export async function inflate(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).text();
}

export async function deflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A token made from arbitrary JSON text (our own test-side deflate, not the core's). */
export async function tokenFromJson(json: string): Promise<string> {
  return bytesToToken(await deflate(json));
}

/** HMAC-SHA256 of `content` in standard base64, computed independently of the core. */
export async function hmacBase64(secretKey: string, content: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secretKey), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(content)));
  return btoa(String.fromCharCode(...mac));
}

export async function expectUserSigError(promise: Promise<unknown>, code: UserSigErrorCode): Promise<UserSigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserSigError);
  expect((error as UserSigError).code).toBe(code);
  return error as UserSigError;
}
