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
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: fileURLToPath(root), loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
  });
  const [output] = result.outputFiles;
  return import(`data:text/javascript;base64,${Buffer.from(output.contents).toString("base64")}`);
}

/** The source of build/validators/index.js for these schemas. */
export function compile({ schemas, ruleModules }) {
  /** function → [module index, export name] */
  const ruleNames = new Map();
  ruleModules.forEach((module, i) => {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === "function" && !ruleNames.has(value)) ruleNames.set(value, [i, name]);
    }
  });
  const imports = RULE_MODULES.map(() => new Set());
  const functions = [];
  const compiled = new Map();
  const byBody = new Map();
  const constants = [];
  /** A module-level constant (a regular expression, a key set), made once. */
  const constantNames = new Map();
  const constant = (expression) => {
    let name = constantNames.get(expression);
    if (name === undefined) {
      name = `c${constants.length}`;
      constantNames.set(expression, name);
      constants.push(`const ${name} = ${expression};`);
    }
    return name;
  };

  const fail = (where, what) => {
    throw new Error(`build-validators: ${where || "(root)"}: ${what}`);
  };
  const ruleCall = (fn, where) => {
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

  /** The checks of a schema, on `x` (its parsed value), each returning INVALID when it fails. */
  function checks(list, where, sized = false) {
    const lines = [];
    for (const check of list ?? []) {
      const def = check._zod.def;
      switch (def.check) {
        case "describe":
        case "meta":
          break;
        case "min_length":
          lines.push(
            `if (${sized ? "" : "x != null && x.length !== undefined && "}sizeOf(x) < ${def.minimum}) return INVALID;`,
          );
          break;
        case "max_length":
          lines.push(
            `if (${sized ? "" : "x != null && x.length !== undefined && "}sizeOf(x) > ${def.maximum}) return INVALID;`,
          );
          break;
        case "greater_than":
          lines.push(`if (!(x ${def.inclusive ? ">=" : ">"} ${def.value})) return INVALID;`);
          break;
        case "less_than":
          lines.push(`if (!(x ${def.inclusive ? "<=" : "<"} ${def.value})) return INVALID;`);
          break;
        case "string_format":
          if (def.format !== "regex" || !(def.pattern instanceof RegExp)) fail(where, `string format ${def.format}`);
          if (def.pattern.global || def.pattern.sticky) fail(where, "a global or sticky regular expression");
          lines.push(`if (!${constant(def.pattern.toString())}.test(x)) return INVALID;`);
          break;
        case "overwrite": {
          const source = String(def.tx).replace(/\s+/g, " ");
          const known = { "(input) => input.toLowerCase()": "x = x.toLowerCase();" }[source];
          if (!known) fail(where, `an overwrite this compiler does not know: ${source}`);
          lines.push(known);
          break;
        }
        case "custom":
          if (typeof check.rule === "function") {
            lines.push(`if (!passes(${ruleCall(check.rule, where)}, x)) return INVALID;`);
          } else if (typeof def.fn === "function") {
            if (def.abort || def.when) fail(where, "a refinement with abort or when");
            lines.push(`if (!${ruleCall(def.fn, where)}(x)) return INVALID;`);
          } else {
            fail(where, "a z.superRefine without its rule (use crossCheck from config/schema.ts)");
          }
          break;
        default:
          fail(where, `the check ${def.check}`);
      }
    }
    return lines;
  }

  /** `x = expression`, then the checks; or just `return expression` when there are none. */
  const then = (expression, lines) =>
    lines.length === 0
      ? [`return ${expression};`]
      : [`x = ${expression};`, "if (x === INVALID) return INVALID;", ...lines];

  /** The name of the compiled function for `schema`: (x) → its output, or INVALID. */
  function fn(schema, where) {
    const known = compiled.get(schema);
    if (known) return known;
    const def = schema._zod.def;
    const own = def.checks ?? [];
    let body;
    switch (def.type) {
      case "string": {
        body = ['if (typeof x !== "string") return INVALID;'];
        if (def.format === "url") {
          if ("normalize" in def || "hostname" in def || "protocol" in def) fail(where, "a z.url() with options");
          body.push(
            "const t = x.trim();",
            "if (!URL.canParse(t)) return INVALID;",
            'x = t.replace(/[\\t\\n\\r]/g, "");',
          );
        } else if (def.format !== undefined) {
          fail(where, `the string format ${def.format}`);
        }
        body.push(...checks(own, where, true));
        break;
      }
      case "number": {
        body = ['if (typeof x !== "number" || !Number.isFinite(x)) return INVALID;'];
        if (def.format === "safeint") body.push("if (!Number.isSafeInteger(x)) return INVALID;");
        else if (def.format !== undefined) fail(where, `the number format ${def.format}`);
        body.push(...checks(own, where));
        break;
      }
      case "boolean":
        body = ['if (typeof x !== "boolean") return INVALID;', ...checks(own, where)];
        break;
      case "unknown":
        body = [...checks(own, where)];
        break;
      case "literal":
      case "enum": {
        const values = def.type === "literal" ? def.values : Object.values(def.entries);
        const test =
          values.length === 1
            ? `x === ${literal(values[0], where)}`
            : `${constant(`new Set([${values.map((v) => literal(v, where)).join(", ")}])`)}.has(x)`;
        body = [`if (!(${test})) return INVALID;`, ...checks(own, where)];
        break;
      }
      case "lazy": {
        const inner = fn(schema._zod.innerType, where);
        if (checks(own, where).length === 0) {
          compiled.set(schema, inner);
          return inner;
        }
        body = then(`${inner}(x)`, checks(own, where));
        break;
      }
      case "optional":
        if (def.innerType._zod.optin === "defaulted") fail(where, "z.optional around a default");
        body = [
          "if (x === undefined) return undefined;",
          ...then(`${fn(def.innerType, where)}(x)`, checks(own, where)),
        ];
        break;
      case "default": {
        const value = literal(def.defaultValue, where);
        body = [
          `if (x === undefined) return ${value};`,
          `x = ${fn(def.innerType, where)}(x);`,
          "if (x === INVALID) return INVALID;",
          `if (x === undefined) x = ${value};`,
          ...checks(own, where),
        ];
        break;
      }
      case "prefault":
        body = [
          `if (x === undefined) x = ${literal(def.defaultValue, where)};`,
          ...then(`${fn(def.innerType, where)}(x)`, checks(own, where)),
        ];
        break;
      case "union": {
        if (def.inclusive === false) fail(where, "an exclusive union");
        const options = def.options.map((option, i) => fn(option, `${where}|${i}`));
        body = then(`firstOf(x, ${constant(`[${options.join(", ")}]`)})`, checks(own, where));
        break;
      }
      case "array":
        body = then(`array(x, ${fn(def.element, `${where}[]`)})`, checks(own, where, true));
        break;
      case "record": {
        if (def.keyType._zod.def.type !== "string" || (def.keyType._zod.def.checks ?? []).length > 0) {
          fail(where, "a record whose keys are not plain strings");
        }
        if (def.mode === "loose" || def.partial) fail(where, "a loose or partial record");
        body = then(`record(x, ${fn(def.valueType, `${where}{}`)})`, checks(own, where));
        break;
      }
      case "object": {
        const shape = def.shape;
        const keys = Object.keys(shape);
        if (Object.getOwnPropertySymbols(shape).length > 0) fail(where, "symbol keys");
        const catchall = def.catchall?._zod.def.type;
        if (catchall !== undefined && catchall !== "never") fail(where, `an object catchall of ${catchall}`);
        // zod's handlePropertyResult, per field: 0 required; 1 optional (an absent key is skipped);
        // 2 defaulted but optional out (an absent key's failure is ignored); 3 defaulted (its
        // output kept even when undefined).
        const fields = keys
          .filter((key) => key !== "__proto__")
          .map((key) => {
            const { optin, optout } = shape[key]._zod;
            const mode =
              optin === undefined
                ? 0
                : optin === "optional" && optout === "optional"
                  ? 1
                  : optout === "optional"
                    ? 2
                    : optin === "defaulted"
                      ? 3
                      : fail(`${where}.${key}`, `a field with optin ${optin} and optout ${optout}`);
            return `[${JSON.stringify(key)}, ${fn(shape[key], `${where}.${key}`)}, ${mode}]`;
          });
        const list = constant(`[${fields.join(", ")}]`);
        body = then(`object(x, ${list}, ${catchall === "never"})`, checks(own, where));
        break;
      }
      default:
        fail(where, `the schema kind ${def.type}`);
    }
    // Schemas built by the same helper (every string with a minimum length, every rate-limit policy
    // with the same defaults) compile to the same code: one function for them all.
    const text = body.join("\n  ");
    let name = byBody.get(text);
    if (name === undefined) {
      name = `v${byBody.size}`;
      byBody.set(text, name);
      functions.push(`function ${name}(x) {\n  ${text}\n  return x;\n}`);
    }
    compiled.set(schema, name);
    return name;
  }

  const exported = [];
  for (const [exportName, path] of Object.entries(TARGETS)) {
    const schema = path.split(".").reduce((value, part) => value?.[part], schemas);
    if (!schema?._zod) fail(exportName, `no zod schema at ${path}`);
    exported.push(`export const ${exportName} = ${fn(schema, exportName)};`);
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

/** A string's length in code points (as zod counts it), an array's in items. */
function sizeOf(x) {
  if (typeof x !== "string") return x.length;
  let n = 0;
  for (const _ of x) n++;
  return n;
}

function isPlainObject(x) {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const ctor = x.constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto = ctor.prototype;
  if (typeof proto !== "object" || proto === null || Array.isArray(proto)) return false;
  return Object.prototype.hasOwnProperty.call(proto, "isPrototypeOf");
}

/**
 * An object's fields, as zod's object parse takes them: [key, validator, mode] (mode: 0 required,
 * 1 optional, 2 defaulted but optional out, 3 defaulted); \`strict\`: unknown keys are refused.
 */
/** Each strict object's keys, made on its first parse. */
const knownKeys = new WeakMap();

function object(x, fields, strict) {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return INVALID;
  const out = {};
  for (const [key, validate, mode] of fields) {
    const present = key in x;
    if (mode === 1 && !present) continue;
    const r = validate(x[key]);
    if (r === INVALID) {
      if (mode === 2 && !present) continue;
      return INVALID;
    }
    if (mode === 0 && !present) return INVALID;
    if (r !== undefined) out[key] = r;
    else if (present || mode === 3) out[key] = undefined;
  }
  if (strict) {
    let known = knownKeys.get(fields);
    if (known === undefined) knownKeys.set(fields, (known = new Set(fields.map((field) => field[0]))));
    for (const key in x) if (!known.has(key)) return INVALID;
  }
  return out;
}

/** The first option's output that is valid (zod's union: options in order). */
function firstOf(x, options) {
  for (const option of options) {
    const r = option(x);
    if (r !== INVALID) return r;
  }
  return INVALID;
}

function array(x, element) {
  if (!Array.isArray(x)) return INVALID;
  const out = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const r = element(x[i]);
    if (r === INVALID) return INVALID;
    out[i] = r;
  }
  return out;
}

/** A record with string keys (zod's: own enumerable keys, \`__proto__\` dropped). */
function record(x, value) {
  if (!isPlainObject(x)) return INVALID;
  const out = {};
  for (const key of Reflect.ownKeys(x)) {
    if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(x, key)) continue;
    if (typeof key !== "string") return INVALID;
    const r = value(x[key]);
    if (r === INVALID) return INVALID;
    out[key] = r;
  }
  return out;
}

/** A cross-field rule (a z.superRefine's): valid when it reports nothing. */
function passes(rule, x) {
  let ok = true;
  rule(x, { addIssue() { ok = false; } });
  return ok;
}

${constants.join("\n")}

${functions.join("\n\n")}

${exported.join("\n")}
`;
}

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
