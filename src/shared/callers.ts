/** The kinds of caller a public route serves (the operator is not one: it never gets a sig). */
export const CALLER_KINDS = ["idp", "apiKey", "guest"] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];
