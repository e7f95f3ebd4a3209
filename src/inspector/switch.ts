/**
 * Whether the inspector page is served: `"inspector": false` at the top of BROKER_CONFIG turns it
 * off. Read from the raw value, so the page keeps working while the rest of the config is broken;
 * a config that cannot be read leaves it on. Parsed once per config string, not per request.
 */

/** The last config string seen and its answer: a pure function's memo, invisible from outside. */
let last: { raw: string; enabled: boolean } | undefined;

export function inspectorEnabled(rawConfig: unknown): boolean {
  if (typeof rawConfig !== "string") return enabledIn(rawConfig);
  if (last?.raw !== rawConfig) last = { raw: rawConfig, enabled: enabledIn(parsed(rawConfig)) };
  return last.enabled;
}

function parsed(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function enabledIn(config: unknown): boolean {
  return !(typeof config === "object" && config !== null && (config as { inspector?: unknown }).inspector === false);
}
