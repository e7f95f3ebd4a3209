// Types of scripts/bench/large-config.mjs for the TypeScript tests.
export const LARGE_APPS: number;
export const LARGE_KEYS_PER_APP: number;
export function largeConfig(secretKey: string): {
  config: { apps: Record<string, unknown>[] };
  secrets: Record<string, string>;
};
