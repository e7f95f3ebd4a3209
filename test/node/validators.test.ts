// The validators compiled from the zod schemas at build time (scripts/build-validators.mjs,
// build/validators/) against zod itself, the one source of truth: on generated inputs (valid
// configurations and bodies, and thousands of mutations of them), both must accept the same inputs
// and produce the same value. Also: the file on disk is the one the schemas compile to now (a stale
// build fails here), and the compiler stops on what it does not know rather than skipping it.
// Runs under plain Node.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import * as compiled from "../../build/validators/index.js";
import { largeConfig } from "../../scripts/bench/large-config.mjs";
import { buildValidators, compile, VALIDATORS_OUTFILE } from "../../scripts/build-validators.mjs";
import { type ConfigIssue, checkConfigValue, fieldOf } from "../../src/config/check.js";
import { checkConfig } from "../../src/config/explain.js";
import { appSchema, configSchema, configTopSchema } from "../../src/config/schema.js";
import { requestFields, requestSchemas } from "../../src/http/schemas.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values a mutation puts somewhere: each kind of JSON value, and the edges of the schemas' rules. */
const ODD_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  59,
  60,
  86400,
  4294967295,
  4294967296,
  2 ** 53,
  1e300,
  "",
  " ",
  "a",
  "x".repeat(65),
  "guest_",
  "administrator",
  "any",
  "null",
  "(",
  "[a-z]{1,8}",
  "https://idp.example.com/",
  " https://idp.example.com/ ",
  "http://localhost:8787",
  "http://127.0.0.1:9999",
  "http://example.com",
  "https://adminapisgp.im.qcloud.com/path",
  "ftp://x",
  "TURNSTILE_OTHER",
  "SECRET_KEY_1",
  "openim/sendmsg",
  "openim",
  "ap-singapore",
  "ap-tokyo",
  "RS256",
  "HS256",
  "EnterRoom",
  "A".repeat(64),
  "0123456789abcdef".repeat(4),
  "\u0000",
  "\u202e",
  "\ud800",
  "😀".repeat(33),
  [],
  [1],
  ["a"],
  [{}],
  {},
  { a: 1 },
];

/** Every path to a value inside `value` (the root is []). */
function pathsOf(value: Json, path: (string | number)[] = []): (string | number)[][] {
  const out = [path];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) out.push(...pathsOf(item, [...path, i]));
  } else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value)) out.push(...pathsOf(item, [...path, key]));
  return out;
}

type Mutation =
  | { kind: "set"; at: number; value: Json }
  | { kind: "copy"; at: number; from: number }
  | { kind: "delete"; at: number }
  | { kind: "add"; at: number; key: string; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(...ODD_VALUES) }),
  fc.record({ kind: fc.constant("copy" as const), at: fc.nat(), from: fc.nat() }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("add" as const),
    at: fc.nat(),
    key: fc.constantFrom("extra", "userid", "__proto__", "toString", "enabled", "windows"),
    value: fc.constantFrom(...ODD_VALUES),
  }),
);

function get(root: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((value, key) => (value as Record<string, Json>)[key] as Json, root);
}

/** `base` with the mutations applied (a copy; paths are picked modulo the current paths). */
function mutated(base: Json, mutations: Mutation[]): Json {
  let root = structuredClone(base);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length] as (string | number)[];
    const value =
      m.kind === "set"
        ? structuredClone(m.value)
        : m.kind === "copy"
          ? structuredClone(get(root, paths[m.from % paths.length] ?? []))
          : undefined;
    if (m.kind === "add") {
      const target = get(root, path);
      if (target !== null && typeof target === "object" && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, {
          value: structuredClone(m.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      continue;
    }
    if (path.length === 0) {
      if (m.kind !== "delete") root = value as Json;
      continue;
    }
    const parent = get(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
    const key = path[path.length - 1] as string | number;
    if (m.kind === "delete") {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, Json>)[key];
    } else {
      (parent as Record<string | number, Json>)[key] = value as Json;
    }
  }
  return root;
}

interface Pair {
  name: string;
  zod: z.ZodMiniType;
  validate: compiled.Validator;
  bases: Json[];
}

const demo = JSON.parse(readFileSync(new URL("../../demo/config.json", import.meta.url), "utf8")) as Json;
const SAMPLE_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const requests = requestSchemas();
const fields = requestFields();

/** Whole configurations: the top level's bases, and (their apps) the app part's. */
const CONFIGS: Json[] = [
  demo as Json,
  largeConfig(SAMPLE_KEY).config as Json,
  { apps: [{ sdkAppId: 1400000001 }] },
  {
    inspector: false,
    apps: [
      {
        sdkAppId: 1400000002,
        userIdPattern: "[a-z]{1,8}",
        admins: [],
        guests: { enabled: true, userIdPrefix: "" },
        rateLimits: { enabled: false, usersig: false, newGuests: false },
        privateMapKey: { apiKey: { rooms: "any" }, guest: { enabled: true, rooms: [1, "r"] } },
      },
    ],
  },
];

const PAIRS: Pair[] = [
  { name: "BROKER_CONFIG top level", zod: configTopSchema, validate: compiled.configTop, bases: CONFIGS },
  {
    name: "BROKER_CONFIG app",
    zod: appSchema,
    validate: compiled.app,
    bases: CONFIGS.flatMap((config) => (config as { apps: Json[] }).apps),
  },
  {
    name: "usersigRequest",
    zod: requests.usersigRequest,
    validate: compiled.usersigRequest,
    bases: [{}, { sdkAppId: 1400000000, userId: "alice", expireSeconds: 3600, guestTicket: "t", turnstileToken: "x" }],
  },
  {
    name: "privateMapKeyRequest",
    zod: requests.privateMapKeyRequest,
    validate: compiled.privateMapKeyRequest,
    bases: [
      { roomId: 1234, privileges: 255 },
      { sdkAppId: 1, userId: "bob", strRoomId: "demo-room", privileges: ["EnterRoom", "RecvAudio"], guestTicket: "t" },
    ],
  },
  {
    name: "verifyRequest",
    zod: requests.verifyRequest,
    validate: compiled.verifyRequest,
    bases: [{ userSig: "eJw", sdkAppId: 1400000000, userId: "alice" }],
  },
  {
    name: "adminUsersigRequest",
    zod: requests.adminUsersigRequest,
    validate: compiled.adminUsersigRequest,
    bases: [{}, { sdkAppId: 1400000000, userId: "administrator" }],
  },
  {
    name: "adminsReplaceRequest",
    zod: requests.adminsReplaceRequest,
    validate: compiled.adminsReplaceRequest,
    bases: [{ userIds: ["ops_1", "ops_2"] }],
  },
  {
    name: "banRequest",
    zod: requests.banRequest,
    validate: compiled.banRequest,
    bases: [{}, { reason: "spam in the lobby", expiresAt: 2000000000 }],
  },
  { name: "userId", zod: fields.userId, validate: compiled.userId, bases: ["alice", "ops_2"] },
  { name: "sdkAppId", zod: fields.sdkAppId, validate: compiled.sdkAppId, bases: [1400000000] },
];

/** What the wire can show of an issue: its code, path, message and (unknown members) keys. */
function shown(issue: { code: string; path: readonly PropertyKey[]; message: string; keys?: readonly string[] }) {
  return {
    code: issue.code,
    path: [...issue.path],
    message: issue.message,
    ...(issue.keys ? { keys: [...issue.keys] } : {}),
  };
}

/** Both agree on `input`: the same verdict, the same value when valid, the same issues when not. */
function agree(pair: Pair, input: unknown): void {
  const byZod = pair.zod.safeParse(input);
  const byCompiled = pair.validate(input);
  const where = `${pair.name}: ${JSON.stringify(input)}`;
  expect(byCompiled.ok, where).toBe(byZod.success);
  if (byZod.success && byCompiled.ok) expect(byCompiled.value).toStrictEqual(byZod.data);
  if (!byZod.success && !byCompiled.ok) {
    expect(byCompiled.issues.map(shown), where).toStrictEqual(byZod.error.issues.map(shown));
  }
}

describe("compiled validators agree with zod", () => {
  for (const pair of PAIRS) {
    it(`${pair.name}: the valid bases, and mutations of them`, () => {
      for (const base of pair.bases) {
        expect(pair.zod.safeParse(base).success, `${pair.name} base ${JSON.stringify(base)}`).toBe(true);
        agree(pair, base);
      }
      fc.assert(
        fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
          agree(pair, mutated(pair.bases[which % pair.bases.length] as Json, mutations));
        }),
        { numRuns: pair.name.startsWith("BROKER_CONFIG") ? 3000 : 800, seed: 17 },
      );
    });
  }

  it("BROKER_CONFIG: a few inputs the mutations may not reach", () => {
    const app = (extra: Record<string, Json>) => ({ apps: [{ sdkAppId: 1400000001, ...extra }] });
    for (const input of [
      app({ apiKeys: [{ name: "k", sha256: "A".repeat(64) }] }),
      app({ idp: { issuers: [{ issuer: "i", audience: "a", jwksUri: " https://idp.example.com/x\t" }] } }),
      app({ idp: { issuers: [{ issuer: "i", audience: "a" }] } }),
      app({ lifetimes: { guest: { default: 7200 } } }),
      app({ lifetimes: { guest: { default: 7201, max: 7200 } } }),
      app({ chat: { apiBaseUrl: "https://console.tim.qq.com" } }),
      app({ chat: { apiBaseUrl: "https://console.tim.qq.com" }, admins: [] }),
      app({ extra: 1 }),
      { apps: [{ sdkAppId: 1 }, { sdkAppId: 1 }] },
      { apps: [{ sdkAppId: 0, name: 7 }, "x", { sdkAppId: 2, admins: "a" }], extra: true },
      { apps: [] },
      [],
      "{}",
    ]) {
      agree(PAIRS[0] as Pair, input);
      for (const entry of Array.isArray((input as { apps?: unknown }).apps) ? (input as { apps: Json[] }).apps : []) {
        agree(PAIRS[1] as Pair, entry);
      }
      composedAgrees(input);
    }
  });
});

/**
 * The whole judgement, composed from the parts (check.ts composeConfig: the top level's problems,
 * then each app's), against zod's configSchema, the config as one schema: the same verdict and value;
 * every problem zod finds, and no other but one: zod skips the duplicate-sdkAppId rule when any app
 * has a problem that aborts (a wrong type anywhere in it), the top level checks it whatever the
 * apps' other fields hold.
 */
function composedAgrees(input: unknown): void {
  const byZod = configSchema.safeParse(input);
  const json = typeof input === "object" && input !== null && !Array.isArray(input) ? input : undefined;
  const composed = checkConfigValue(json ?? input);
  const byZodParts = checkConfig(json ?? input);
  const where = JSON.stringify(input);
  // the compiled parts and zod's parts, composed the same way, agree exactly
  expect(composed, where).toStrictEqual(
    byZodParts.ok ? { ok: true, config: byZodParts.config } : { ok: false, errors: byZodParts.errors },
  );
  if (json === undefined) return;
  expect(composed.ok, where).toBe(byZod.success);
  if (composed.ok && byZod.success) expect(composed.config).toStrictEqual(byZod.data);
  if (!composed.ok && !byZod.success) {
    const key = (issue: ConfigIssue) => `${issue.field} ${issue.message}`;
    const zodIssues = byZod.error.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }));
    const mine = new Set(composed.errors.map(key));
    for (const issue of zodIssues) expect(mine.has(key(issue)), `${where}: ${key(issue)}`).toBe(true);
    const theirs = new Set(zodIssues.map(key));
    for (const issue of composed.errors) {
      if (!theirs.has(key(issue))) expect(issue.message, `${where}: ${key(issue)}`).toBe("duplicate sdkAppId");
    }
    expect(composed.errors.length, where).toBe(new Set(composed.errors.map(key)).size);
  }
}

describe("the whole judgement, composed from the parts, agrees with zod's configSchema", () => {
  it("on the configurations and mutations of them", () => {
    for (const config of CONFIGS) composedAgrees(config);
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
        composedAgrees(mutated(CONFIGS[which % CONFIGS.length] as Json, mutations));
      }),
      { numRuns: 1500, seed: 17 },
    );
  });

  it("lists the top level's problems first, then each app's, an app's SDKAppID problem once", () => {
    const judged = checkConfigValue({
      apps: [
        { sdkAppId: 0, name: 7 },
        { sdkAppId: 2, admins: "a" },
      ],
      extra: true,
    });
    expect(judged.ok).toBe(false);
    if (judged.ok) return;
    expect(judged.errors.map((issue) => issue.field)).toEqual([
      "apps[0].sdkAppId",
      "",
      "apps[0].name",
      "apps[1].admins",
    ]);
  });
});

describe("the words the wire shows, from the compiled validators", () => {
  // zod's own English (its locale module); the comparisons above hold every other case to zod's.
  const first = (validate: compiled.Validator, input: unknown) => {
    const judged = validate(input);
    return judged.ok ? undefined : shown(judged.issues[0] as compiled.Issue);
  };
  it("a wrong type, a too-long string, an unknown key, a missing field, an option outside the list", () => {
    expect(first(compiled.usersigRequest, { expireSeconds: "60" })).toEqual({
      code: "invalid_type",
      path: ["expireSeconds"],
      message: "Invalid input: expected number, received string",
    });
    expect(first(compiled.usersigRequest, { userId: "u".repeat(33) })).toEqual({
      code: "too_big",
      path: ["userId"],
      message: "Too big: expected string to have <=32 characters",
    });
    expect(first(compiled.usersigRequest, { userid: "bob" })).toEqual({
      code: "unrecognized_keys",
      path: [],
      message: 'Unrecognized key: "userid"',
      keys: ["userid"],
    });
    expect(first(compiled.configTop, { apps: [{}] })).toEqual({
      code: "invalid_type",
      path: ["apps", 0, "sdkAppId"],
      message: "Invalid input: expected number, received undefined",
    });
    expect(first(compiled.app, { sdkAppId: 1, trtc: { region: "mars" } })).toEqual({
      code: "invalid_value",
      path: ["trtc", "region"],
      message: 'Invalid option: expected one of "ap-beijing"|"ap-guangzhou"|"ap-singapore"',
    });
  });
});

describe("compiled validators agree with zod on schema forms the broker's schemas do not reach", () => {
  it("a required key that accepts undefined, unsafe integers, unions, records, a worded regex, an array cap", async () => {
    const schemas = {
      unknownKey: z.strictObject({ a: z.unknown() }),
      int: z.int().check(z.maximum(5)),
      union: z.union([z.string().check(z.minLength(3)), z.array(z.boolean())]),
      record: z.record(z.string(), z.number()),
      regex: z.string().check(z.regex(/^a+$/, "only a's")),
      capped: z.array(z.string()).check(z.maxLength(2), z.minLength(1)),
      literal: z.literal(["x", 2]),
    };
    const targets = Object.fromEntries(Object.keys(schemas).map((name) => [name, name]));
    const file = new URL(`../../build/validators/forms-${process.pid}.js`, import.meta.url);
    writeFileSync(file, compile({ schemas, ruleModules: [] }, targets));
    try {
      const forms = (await import(file.href)) as Record<keyof typeof schemas, compiled.Validator>;
      const inputs: unknown[] = [{}, { a: 1, b: 2 }, 2 ** 60, -(2 ** 60), 1.5, 7, "ab", [true, 1], "abc", { k: "1" }];
      inputs.push(["a", "b", "c"], [1, 2, 3], [], "b", "x", 3, null, undefined, [1, 2], { k: 1, j: null });
      for (const name of Object.keys(schemas) as (keyof typeof schemas)[]) {
        for (const input of inputs) agree({ name, zod: schemas[name], validate: forms[name], bases: [] }, input);
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe("the compiled validators are built from the schemas as they are now", () => {
  it("build/validators/index.js is what scripts/build-validators.mjs makes from them", async () => {
    const result = await buildValidators({ write: false });
    if (!result.built) throw new Error(result.reason);
    expect(
      readFileSync(VALIDATORS_OUTFILE, "utf8") === result.text,
      "stale: run node scripts/build-validators.mjs",
    ).toBe(true);
  }, 60_000);

  it("stops on a refinement it cannot import, or a schema kind it does not know", () => {
    const one = (schema: unknown) => compile({ schemas: { s: schema }, ruleModules: [] }, { s: "s" });
    expect(() => one(z.string().check(z.refine((value) => value.length > 2)))).toThrow(/not an exported function/);
    expect(() => one(z.date())).toThrow(/the schema kind date/);
    expect(() => one(z.email())).toThrow(/string format email/);
    expect(() => one(z.prefault(z.string().check(z.minLength(3)), "ab"))).toThrow(
      /a prefault whose default does not parse/,
    );
    expect(one(z.strictObject({ a: z.optional(z.string()) }))).toContain("export const s = ");
  });

  it("makes the first target's validator at module evaluation, the others' only when one first runs", () => {
    const text = compile(
      { schemas: { first: z.string().check(z.minLength(2)), second: z.number().check(z.maximum(5)) }, ruleModules: [] },
      { first: "first", second: "second" },
    );
    const lazy = text.indexOf("let later;");
    expect(lazy).toBeGreaterThan(0);
    expect(text.indexOf("= [minSize(2)]")).toBeGreaterThan(0);
    expect(text.indexOf("= [minSize(2)]")).toBeLessThan(lazy);
    expect(text.indexOf("= [atMost(5)]")).toBeGreaterThan(lazy);
    // BROKER_CONFIG's top level is the first target: an app's and the request bodies' validators
    // wait for a request that needs them.
    const built = readFileSync(VALIDATORS_OUTFILE, "utf8");
    expect(built.indexOf("usersigRequest: judge(")).toBeGreaterThan(built.indexOf("let later;"));
    expect(built.indexOf("app: judge(")).toBeGreaterThan(built.indexOf("let later;"));
    expect(built).toMatch(/\n {2}configTop: judge\(v\d+\),\n/);
  });
});
