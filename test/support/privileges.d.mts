// Types of privileges.mjs for the TypeScript tests.
export declare const ALL_PRIVILEGE_NAMES: string[];
