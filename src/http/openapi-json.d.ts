/**
 * build/openapi/openapi.json, written by scripts/build-openapi.mjs (git-ignored). Declared here so
 * the Worker type-checks in a fresh clone before the document is built.
 */
declare module "*/build/openapi/openapi.json" {
  const document: Record<string, unknown>;
  export default document;
}
