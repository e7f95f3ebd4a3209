// Types of scripts/build-router.mjs for the TypeScript tests.
export const ROUTER_OUTFILE: URL;
export function buildRouter(options?: {
  write?: boolean;
}): Promise<{ built: false; reason: string } | { built: true; changed?: boolean; text: string; paths: string[] }>;
