/** The kinds of caller a public route serves (the operator is not one: it never gets a sig). */
export type CallerKind = "idp" | "apiKey" | "guest";
