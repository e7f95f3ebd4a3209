/**
 * GET /openapi.json: the OpenAPI 3.1 document, generated at build time from the zod schemas the
 * routes validate with (src/http/openapi-document.ts, run by scripts/build-openapi.mjs into
 * build/openapi/openapi.json). Loaded on the first request for it, so a cold isolate that never
 * serves it never evaluates it.
 */

type Json = Record<string, unknown>;

let cached: Promise<Json> | undefined;

export function openApiDocument(): Promise<Json> {
  cached ??= import("../../build/openapi/openapi.json").then((m) => m.default as Json);
  return cached;
}
