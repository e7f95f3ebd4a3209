#!/usr/bin/env node
// Compiles the zod schemas of BROKER_CONFIG and of the request bodies into plain JavaScript
// validators, build/validators/index.js (with its index.d.ts), which the Worker validates with.
// zod stays the one source of truth: this script walks the schemas' own definitions (the same
// objects the OpenAPI document is generated from), and the Worker loads zod only to word an error
// once a compiled validator has said "invalid" (src/config/load.ts, src/http/body.ts). A cold
// isolate then runs a few small functions instead of zod's constructors and checks, for the first
// time, on its first request (BENCHMARKS.md, Cold start).
//
// What a compiled validator does: exactly what the schema's parse does to a valid input (defaults,
// prefaults, `toLowerCase`, a URL's trimming; unknown keys of a strict object refused; unions in
// order), and `INVALID` for any input zod would refuse. It does not say why: zod does that, from the
// same schema. test/node/validators.test.ts compares the two on generated inputs, and fails when
// this file's output is stale.
//
// A refinement (`z.refine(fn)`, or config/schema.ts `crossCheck(fn)` for a `z.superRefine`) must be
// an exported function of one of RULE_MODULES, so that the compiled code can import it; anything
// this compiler does not know (a schema kind, a check, an inline function) stops the build with the
// path of the schema it is in, rather than being skipped.
//
// Run by wrangler's [build] command (`wrangler dev`, so `npm start`, and `wrangler deploy`), by
// npm's `prepare`, by `npm test` before vitest, and by hand: `node scripts/build-validators.mjs`.
// The output is git-ignored; it is rewritten only when it changes.
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { importBundled } from "./lib/import-bundled.mjs";
import { writeAtomic } from "./lib/write-atomic.mjs";

const root = new URL("../", import.meta.url);
export const VALIDATORS_OUTFILE = new URL("build/validators/index.js", root);
const TYPES_OUTFILE = new URL("build/validators/index.d.ts", root);

/** The modules whose exported functions a refinement may be (paths from the repository root). */
const RULE_MODULES = [
  "src/config/rules.ts",
  "src/ratelimit/config.ts",
  "src/requests/rules.ts",
  "src/usersig/index.ts",
];

/** What is compiled: export name → how the generator's bundle reaches the zod schema. */
const TARGETS = {
  config: "configSchema",
  usersigRequest: "requests.usersigRequest",
  privateMapKeyRequest: "requests.privateMapKeyRequest",
  verifyRequest: "requests.verifyRequest",
  adminUsersigRequest: "requests.adminUsersigRequest",
  adminsReplaceRequest: "requests.adminsReplaceRequest",
  banRequest: "requests.banRequest",
  userId: "fields.userId",
  sdkAppId: "fields.sdkAppId",
};

/** The schemas and the rule modules, bundled for Node from the TypeScript sources. */
async function loadSchemas(esbuild) {
  const src = (path) => JSON.stringify(fileURLToPath(new URL(path, root)));
  const entry = [
    `import { configSchema } from ${src("src/config/schema.ts")};`,
    `import { requestFields, requestSchemas } from ${src("src/http/schemas.ts")};`,
    ...RULE_MODULES.map((path, i) => `import * as rules${i} from ${src(path)};`),
    "export const schemas = { configSchema, requests: requestSchemas(), fields: requestFields() };",
    `export const ruleModules = [${RULE_MODULES.map((_, i) => `rules${i}`).join(", ")}];`,
  ].join("\n");
  return importBundled(esbuild, { stdin: { contents: entry, resolveDir: fileURLToPath(root), loader: "ts" } });
}

/** The source of build/validators/index.js for these schemas (`targets`: export name → path). */
export function compile({ schemas, ruleModules }, targets = TARGETS) {
  /** function → [module index, export name] */
  const ruleNames = new Map();
  ruleModules.forEach((module, i) => {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === "function" && !ruleNames.has(value)) ruleNames.set(value, [i, name]);
    }
  });
  const imports = RULE_MODULES.map(() => new Set());
  /** schema → the name of its validator; expression → the constant holding it. */
  const compiled = new Map();
  const byExpression = new Map();
  const definitions = [];
  const define = (expression) => {
    let name = byExpression.get(expression);
    if (name === undefined) {
      name = `v${byExpression.size}`;
      byExpression.set(expression, name);
      definitions.push(`const ${name} = ${expression};`);
    }
    return name;
  };

  const fail = (where, what) => {
    throw new Error(`build-validators: ${where || "(root)"}: ${what}`);
  };
  const rule = (fn, where) => {
    const found = ruleNames.get(fn);
    if (!found) {
      fail(
        where,
        `a refinement that is not an exported function of ${RULE_MODULES.join(", ")}: export it from one of them (name: ${fn.name || "anonymous"})`,
      );
    }
    imports[found[0]].add(found[1]);
    return found[1];
  };
  const literal = (value, where) => {
    const text = JSON.stringify(value);
    if (text === undefined || JSON.stringify(JSON.parse(text)) !== text) fail(where, "a default that is not JSON");
    return text;
  };
  /** A default: a function making a fresh copy (zod hands out a copy too). */
  const fresh = (value, where) => {
    const text = literal(value, where);
    return typeof value === "object" && value !== null ? define(`() => (${text})`) : `() => ${text}`;
  };

  /** A schema's checks, in order, as the runtime's check functions (`[]` when none). */
  function checks(list, where) {
    const out = [];
    for (const check of list ?? []) {
      const def = check._zod.def;
      switch (def.check) {
        case "describe":
        case "meta":
          break;
        case "min_length":
          out.push(`minSize(${def.minimum})`);
          break;
        case "max_length":
          out.push(`maxSize(${def.maximum})`);
          break;
        case "greater_than":
          out.push(`${def.inclusive ? "atLeast" : "above"}(${def.value})`);
          break;
        case "less_than":
          out.push(`${def.inclusive ? "atMost" : "below"}(${def.value})`);
          break;
        case "string_format":
          if (def.format !== "regex" || !(def.pattern instanceof RegExp)) fail(where, `string format ${def.format}`);
          if (def.pattern.global || def.pattern.sticky) fail(where, "a global or sticky regular expression");
          out.push(`matches(${def.pattern.toString()})`);
          break;
        case "overwrite": {
          const source = String(def.tx).replace(/\s+/g, " ");
          const known = { "(input) => input.toLowerCase()": "lowerCase" }[source];
          if (!known) fail(where, `an overwrite this compiler does not know: ${source}`);
          out.push(known);
          break;
        }
        case "custom":
          if (typeof check.rule === "function") {
            out.push(`crossRule(${rule(check.rule, where)})`);
          } else if (typeof def.fn === "function") {
            if (def.abort || def.when) fail(where, "a refinement with abort or when");
            out.push(`refine(${rule(def.fn, where)})`);
          } else {
            fail(where, "a z.superRefine without its rule (use crossCheck from config/schema.ts)");
          }
          break;
        default:
          fail(where, `the check ${def.check}`);
      }
    }
    return out.length === 0 ? "none" : define(`[${out.join(", ")}]`);
  }

  /** The name of the validator for `schema`: (x) → its output, or INVALID. */
  function fn(schema, where) {
    const known = compiled.get(schema);
    if (known) return known;
    const def = schema._zod.def;
    const own = checks(def.checks, where);
    let expression;
    switch (def.type) {
      case "string":
        if (def.format === "url") {
          if ("normalize" in def || "hostname" in def || "protocol" in def) fail(where, "a z.url() with options");
          expression = `url(${own})`;
        } else if (def.format === undefined) {
          expression = `string(${own})`;
        } else {
          fail(where, `the string format ${def.format}`);
        }
        break;
      case "number":
        if (def.format !== undefined && def.format !== "safeint") fail(where, `the number format ${def.format}`);
        expression = `${def.format === "safeint" ? "int" : "number"}(${own})`;
        break;
      case "boolean":
        expression = `boolean(${own})`;
        break;
      case "unknown":
        expression = `unknown(${own})`;
        break;
      case "literal":
      case "enum": {
        const values = def.type === "literal" ? def.values : Object.values(def.entries);
        expression = `oneOf(new Set([${values.map((v) => literal(v, where)).join(", ")}]), ${own})`;
        break;
      }
      case "lazy":
        expression = `pipe(${fn(schema._zod.innerType, where)}, ${own})`;
        if (own === "none") {
          const inner = fn(schema._zod.innerType, where);
          compiled.set(schema, inner);
          return inner;
        }
        break;
      case "optional":
        if (def.innerType._zod.optin === "defaulted") fail(where, "z.optional around a default");
        expression = `optional(${fn(def.innerType, where)}, ${own})`;
        break;
      case "default":
        expression = `withDefault(${fn(def.innerType, where)}, ${fresh(def.defaultValue, where)}, ${own})`;
        break;
      case "prefault":
        expression = `withPrefault(${fn(def.innerType, where)}, ${fresh(def.defaultValue, where)}, ${own})`;
        break;
      case "union":
        if (def.inclusive === false) fail(where, "an exclusive union");
        expression = `union([${def.options.map((option, i) => fn(option, `${where}|${i}`)).join(", ")}], ${own})`;
        break;
      case "array":
        expression = `array(${fn(def.element, `${where}[]`)}, ${own})`;
        break;
      case "record":
        if (def.keyType._zod.def.type !== "string" || (def.keyType._zod.def.checks ?? []).length > 0) {
          fail(where, "a record whose keys are not plain strings");
        }
        if (def.mode === "loose" || def.partial) fail(where, "a loose or partial record");
        expression = `record(${fn(def.valueType, `${where}{}`)}, ${own})`;
        break;
      case "object": {
        const shape = def.shape;
        if (Object.getOwnPropertySymbols(shape).length > 0) fail(where, "symbol keys");
        const catchall = def.catchall?._zod.def.type;
        if (catchall !== undefined && catchall !== "never") fail(where, `an object catchall of ${catchall}`);
        // zod's handlePropertyResult, per field: 0 required; 1 optional (an absent key is skipped);
        // 3 defaulted (its output kept even when undefined). zod's fourth case (defaulted in but
        // optional out: z.optional around a default) is refused above.
        const fields = Object.keys(shape)
          .filter((key) => key !== "__proto__")
          .map((key) => {
            const { optin, optout } = shape[key]._zod;
            const mode =
              optin === undefined
                ? 0
                : optin === "optional" && optout === "optional"
                  ? 1
                  : optin === "defaulted" && optout !== "optional"
                    ? 3
                    : fail(`${where}.${key}`, `a field with optin ${optin} and optout ${optout}`);
            return `[${JSON.stringify(key)}, ${fn(shape[key], `${where}.${key}`)}, ${mode}]`;
          });
        expression = `object([${fields.join(", ")}], ${catchall === "never"}, ${own})`;
        break;
      }
      default:
        fail(where, `the schema kind ${def.type}`);
    }
    // Schemas built by the same helper (every non-empty string, every rate-limit policy with the
    // same defaults) compile to the same expression: one validator for them all.
    const name = define(expression);
    compiled.set(schema, name);
    return name;
  }

  const exported = [];
  for (const [exportName, path] of Object.entries(targets)) {
    const schema = path.split(".").reduce((value, part) => value?.[part], schemas);
    if (!schema?._zod) fail(exportName, `no zod schema at ${path}`);
    exported.push([exportName, fn(schema, exportName)]);
  }
  const importLines = RULE_MODULES.map((path, i) =>
    imports[i].size === 0
      ? ""
      : `import { ${[...imports[i]].sort().join(", ")} } from "../../${path.replace(/\.ts$/, ".js")}";\n`,
  ).join("");
  return `// Generated by scripts/build-validators.mjs from the zod schemas of src/config/schema.ts and
// src/http/schemas.ts. Do not edit: change the schemas, and \`npm test\`, \`npm start\` or wrangler's
// [build] regenerate it. Each validator returns its input as the schema would parse it, or INVALID.
${importLines}
export const INVALID = Symbol("invalid");

// One function around everything, so that a bundle that wraps this module for lazy initialisation
// (esbuild does, for a module a dynamic import also reaches) has nine names to hoist, not 200.
const compiled = (() => {
${RUNTIME}
${definitions.join("\n")}

return { ${exported.map(([name, value]) => `${name}: ${value}`).join(", ")} };
})();

${exported.map(([name]) => `export const ${name} = compiled.${name};`).join("\n")}
`;
}

/**
 * What the generated validators are made of: one small function per kind of schema and of check,
 * each doing what zod's parse does for a valid input, and returning INVALID where zod would report
 * an issue (zod's \`core/schemas.js\` and \`core/checks.js\`, read for 4.6.7).
 */
const RUNTIME = String.raw`
const none = [];

function run(x, checks) {
  for (let i = 0; i < checks.length; i++) {
    x = checks[i](x);
    if (x === INVALID) return INVALID;
  }
  return x;
}

/** A string's length in code points (as zod counts it). */
function codePoints(x) {
  let n = 0;
  for (const _ of x) n++;
  return n;
}
const sized = (x) => x != null && x.length !== undefined;
// A code point is one or two UTF-16 units: count them only when the units leave it in doubt.
const minSize = (n) => (x) => {
  if (!sized(x)) return x;
  const units = x.length;
  if (typeof x !== "string" || units < n || units >= 2 * n) return units < n ? INVALID : x;
  return codePoints(x) < n ? INVALID : x;
};
const maxSize = (n) => (x) => {
  if (!sized(x) || x.length <= n) return x;
  return typeof x !== "string" || codePoints(x) > n ? INVALID : x;
};
const atLeast = (n) => (x) => (x >= n ? x : INVALID);
const above = (n) => (x) => (x > n ? x : INVALID);
const atMost = (n) => (x) => (x <= n ? x : INVALID);
const below = (n) => (x) => (x < n ? x : INVALID);
const matches = (pattern) => (x) => (pattern.test(x) ? x : INVALID);
const lowerCase = (x) => x.toLowerCase();
const refine = (rule) => (x) => (rule(x) ? x : INVALID);
/** A cross-field rule (a z.superRefine's): valid when it reports nothing. */
const crossRule = (rule) => (x) => {
  let ok = true;
  rule(x, { addIssue() { ok = false; } });
  return ok ? x : INVALID;
};

const string = (checks) => (x) => (typeof x === "string" ? run(x, checks) : INVALID);
/** zod's z.url(): the trimmed string must parse as a URL; the value is trimmed, tabs and newlines dropped. */
const url = (checks) => (x) => {
  if (typeof x !== "string") return INVALID;
  const trimmed = x.trim();
  return URL.canParse(trimmed) ? run(trimmed.replace(/[\t\n\r]/g, ""), checks) : INVALID;
};
const number = (checks) => (x) => (typeof x === "number" && Number.isFinite(x) ? run(x, checks) : INVALID);
const int = (checks) => (x) => (typeof x === "number" && Number.isSafeInteger(x) ? run(x, checks) : INVALID);
const boolean = (checks) => (x) => (typeof x === "boolean" ? run(x, checks) : INVALID);
const unknown = (checks) => (x) => run(x, checks);
const oneOf = (values, checks) => (x) => (values.has(x) ? run(x, checks) : INVALID);
const pipe = (inner, checks) => (x) => {
  x = inner(x);
  return x === INVALID ? INVALID : run(x, checks);
};
const optional = (inner, checks) => (x) => {
  if (x === undefined) return run(x, checks);
  x = inner(x);
  return x === INVALID ? INVALID : run(x, checks);
};
const withDefault = (inner, make, checks) => (x) => {
  if (x === undefined) return run(make(), checks);
  x = inner(x);
  return x === INVALID ? INVALID : run(x === undefined ? make() : x, checks);
};
const withPrefault = (inner, make, checks) => (x) => {
  x = inner(x === undefined ? make() : x);
  return x === INVALID ? INVALID : run(x, checks);
};
/** The first option whose output is valid (zod's union: options in order). */
const union = (options, checks) => (x) => {
  for (const option of options) {
    const r = option(x);
    if (r !== INVALID) return run(r, checks);
  }
  return INVALID;
};
const array = (element, checks) => (x) => {
  if (!Array.isArray(x)) return INVALID;
  const out = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const r = element(x[i]);
    if (r === INVALID) return INVALID;
    out[i] = r;
  }
  return run(out, checks);
};
function isPlainObject(x) {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const ctor = x.constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto = ctor.prototype;
  if (typeof proto !== "object" || proto === null || Array.isArray(proto)) return false;
  return Object.prototype.hasOwnProperty.call(proto, "isPrototypeOf");
}
/** A record with string keys (zod's: own enumerable keys, __proto__ dropped). */
const record = (value, checks) => (x) => {
  if (!isPlainObject(x)) return INVALID;
  const out = {};
  for (const key of Reflect.ownKeys(x)) {
    if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(x, key)) continue;
    if (typeof key !== "string") return INVALID;
    const r = value(x[key]);
    if (r === INVALID) return INVALID;
    out[key] = r;
  }
  return run(out, checks);
};
/**
 * An object's fields, as zod's object parse takes them: [key, validator, mode] (mode: 0 required,
 * 1 optional, 3 defaulted); strict: unknown keys are refused.
 */
const object = (fields, strict, checks) => {
  const known = new Set(fields.map((field) => field[0]));
  return (x) => {
    if (typeof x !== "object" || x === null || Array.isArray(x)) return INVALID;
    const out = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const key = field[0];
      const mode = field[2];
      const present = key in x;
      if (mode === 1 && !present) continue;
      const r = field[1](x[key]);
      if (r === INVALID) return INVALID;
      if (mode === 0 && !present) return INVALID;
      if (r !== undefined) out[key] = r;
      else if (present || mode === 3) out[key] = undefined;
    }
    if (strict) for (const key in x) if (!known.has(key)) return INVALID;
    return run(out, checks);
  };
};
`;

function declarations() {
  return `// Generated by scripts/build-validators.mjs: the compiled validators (see index.js).
export declare const INVALID: unique symbol;
export type Validator = (input: unknown) => unknown;
${Object.keys(TARGETS)
  .map((name) => `export declare const ${name}: Validator;`)
  .join("\n")}
`;
}

/** Builds the validators; `{ built: false, reason }` when esbuild (a devDependency) is not installed. */
export async function buildValidators({ write = true } = {}) {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return { built: false, reason: "esbuild (a devDependency) is not installed" };
  }
  const text = compile(await loadSchemas(esbuild));
  if (!write) return { built: true, text };
  let changed = false;
  for (const [url, contents] of [
    [VALIDATORS_OUTFILE, text],
    [TYPES_OUTFILE, declarations()],
  ]) {
    const file = fileURLToPath(url);
    const previous = await readFile(file, "utf8").catch(() => undefined);
    if (previous === contents) continue;
    await writeAtomic(file, contents);
    changed = true;
  }
  return { built: true, changed, text };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await buildValidators();
  if (!result.built) {
    // As build-openapi.mjs: `npm ci --omit=dev` must still install; anything else must stop here.
    const installing =
      process.env.npm_lifecycle_event === "prepare" && /^(install|ci|i)$/.test(process.env.npm_command ?? "");
    console.error(`build-validators: ${result.reason}; build/validators/ was not built`);
    process.exit(installing ? 0 : 1);
  }
}
