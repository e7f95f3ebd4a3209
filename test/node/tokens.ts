/** Token-making helpers shared by the plain-Node tests. */
import { deflateSync } from "node:zlib";

/** Any JSON, deflated and written in the UserSig alphabet: what another signer could emit (its signature is whatever the JSON says). */
export function tokenOf(doc: unknown): string {
  return deflateSync(Buffer.from(JSON.stringify(doc)))
    .toString("base64")
    .replace(/\+/g, "*")
    .replace(/\//g, "-")
    .replace(/=/g, "_");
}
