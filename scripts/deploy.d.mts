// Types of scripts/deploy.mjs for the TypeScript tests.
export interface KvNamespace {
  binding: string | undefined;
  id: string | undefined;
}
export function kvNamespaces(toml: string): KvNamespace[];
export function placeholderNamespaces(toml: string): KvNamespace[];
export function setsTestSwitch(toml: string): boolean;
