// Types of scripts/deploy.mjs for the TypeScript tests.
export interface KvNamespace {
  binding: string | undefined;
  id: string | undefined;
}
export function kvNamespaces(toml: string): KvNamespace[];
export function placeholderNamespaces(toml: string): KvNamespace[];
export function setsTestSwitch(toml: string): boolean;
export function secretsFileOf(args: string[]): string | undefined;
export function judgeSecretsFileConfig(path: string): Promise<{ ok: boolean; problems: string } | undefined>;
