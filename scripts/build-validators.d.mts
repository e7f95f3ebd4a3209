// Types of scripts/build-validators.mjs for the TypeScript tests.
export const VALIDATORS_OUTFILE: URL;
export function compile(
  loaded: { schemas: Record<string, unknown>; ruleModules: Record<string, unknown>[] },
  targets?: Record<string, string>,
): string;
export function buildValidators(options?: {
  write?: boolean;
}): Promise<{ built: false; reason: string } | { built: true; changed?: boolean; text: string }>;
