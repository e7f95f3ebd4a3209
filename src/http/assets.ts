/**
 * The Worker's static assets (wrangler.toml [assets], binding ASSETS, built into build/assets/):
 * the inspector page and /openapi.json, uploaded beside the script rather than in it, so a cold
 * isolate never parses them. `run_worker_first = true` sends every request to the Worker first:
 * no file is reachable except through the routes that read it here and add their own headers.
 */
import type { BrokerContext } from "./context.js";

/**
 * A built file, by its path in build/assets/: a plain GET (none of the caller's headers), so the
 * asset server answers 200 with the body and its ETag. Anything else means a broken build (the
 * file is missing), not a bad request: it throws, and the caller gets the generic 500 problem.
 */
export async function fetchAsset(c: BrokerContext, path: string): Promise<Response> {
  const response = await c.env.ASSETS.fetch(new URL(path, c.req.url));
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw new Error(`static asset ${path} answered ${response.status}: was build/assets/ built (wrangler's [build])?`);
  }
  return response;
}
