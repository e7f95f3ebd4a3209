/** The part of scripts/bench/serve.mjs (plain JavaScript) that test/node/body-framing.test.ts uses. */
declare module "*/scripts/bench/serve.mjs" {
  export function serveBroker(options: {
    root: string;
    Miniflare: unknown;
    bindings: Record<string, string>;
    onOutput?: (chunk: string) => void;
    prefix?: string;
    direct?: boolean;
  }): Promise<{ base: string; directBase: string; close: () => Promise<void> }>;
}
