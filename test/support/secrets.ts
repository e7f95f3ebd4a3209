// The secrets scan over captured output (workerd and Node tests alike): none of the given secrets,
// no part of a Chat REST query (it carries the admin sig), no TC3 Authorization, no UserSig.
import { expect } from "vitest";

export function expectNoSecrets(text: string, secrets: readonly string[]): void {
  expect(text.length).toBeGreaterThan(0);
  for (const secret of [...secrets, "usersig=", "sdkappid=", "identifier=", "TC3-HMAC-SHA256"]) {
    expect(text).not.toContain(secret);
  }
  // A UserSig is base64 of zlib: it starts with "eJ" (0x78 0x9c / 0x78 0xda …).
  expect(text).not.toMatch(/eJ[a-zA-Z0-9*_-]{40,}/);
}
