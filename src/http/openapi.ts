/**
 * GET /openapi.json: the OpenAPI 3.1 document, generated at build time from the zod schemas the
 * routes validate with (src/http/openapi-document.ts, run by scripts/build-openapi.mjs into
 * build/assets/openapi.json). It is a static asset (see assets.ts): the Worker script does not
 * carry it, and the route streams the file as it was built.
 */
import { fetchAsset } from "./assets.js";
import type { BrokerContext } from "./context.js";

export async function openApiResponse(c: BrokerContext): Promise<Response> {
  const asset = await fetchAsset(c, "/openapi.json");
  return new Response(asset.body, { status: 200, headers: { "Content-Type": "application/json" } });
}
