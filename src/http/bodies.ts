/**
 * What the routes validate request bodies and path parameters with: the validators compiled at
 * build time (scripts/build-validators.mjs) from the zod schemas of schemas.ts, which stay the one
 * source of the shapes (and of /openapi.json). They report zod's own issues in zod's English words
 * (test/node/validators.test.ts compares them with zod's), so the Worker carries no zod.
 */

import type { Issue, Validator } from "../../build/validators/index.js";
import * as compiled from "../../build/validators/index.js";
import type * as z from "../config/zod.js";
import type * as schemas from "./schemas.js";

/** The schemas of schemas.ts that are compiled (scripts/build-validators.mjs, TARGETS). */
type SchemaName =
  | "usersigRequest"
  | "privateMapKeyRequest"
  | "verifyRequest"
  | "adminUsersigRequest"
  | "adminsReplaceRequest"
  | "banRequest"
  | "userId"
  | "sdkAppId";

export interface Body<T> {
  /** The export of schemas.ts it was compiled from. */
  readonly schema: SchemaName;
  /** The value as the schema parses it, or zod's issues (path, code, message). */
  safeParse(input: unknown): { success: true; data: T } | { success: false; issues: Issue[] };
}

function compiledBody<N extends SchemaName>(name: N, validate: Validator): Body<z.output<(typeof schemas)[N]>> {
  return {
    schema: name,
    safeParse(input) {
      const judged = validate(input);
      return judged.ok
        ? { success: true, data: judged.value as z.output<(typeof schemas)[N]> }
        : { success: false, issues: judged.issues };
    },
  };
}

export const usersigRequest = compiledBody("usersigRequest", compiled.usersigRequest);
export const privateMapKeyRequest = compiledBody("privateMapKeyRequest", compiled.privateMapKeyRequest);
export const verifyRequest = compiledBody("verifyRequest", compiled.verifyRequest);
export const adminUsersigRequest = compiledBody("adminUsersigRequest", compiled.adminUsersigRequest);
export const adminsReplaceRequest = compiledBody("adminsReplaceRequest", compiled.adminsReplaceRequest);
export const banRequest = compiledBody("banRequest", compiled.banRequest);
export const userId = compiledBody("userId", compiled.userId);
export const sdkAppId = compiledBody("sdkAppId", compiled.sdkAppId);
