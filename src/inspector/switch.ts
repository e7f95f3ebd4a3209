/**
 * Whether the inspector page is served: `"inspector": false` at the top of BROKER_CONFIG turns it
 * off (GET /, /inspector.js, /inspector.css and /favicon.svg then answer 404), for deployments that
 * serve backends only. Read from the raw value so that the page keeps working while the rest of the
 * config is broken (the decoder is most useful then); a config that cannot be read leaves it on.
 */
export function inspectorEnabled(rawConfig: unknown): boolean {
  let config: unknown = rawConfig;
  if (typeof rawConfig === "string") {
    try {
      config = JSON.parse(rawConfig);
    } catch {
      return true;
    }
  }
  return !(typeof config === "object" && config !== null && (config as { inspector?: unknown }).inspector === false);
}
