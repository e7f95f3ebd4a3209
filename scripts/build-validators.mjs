#!/usr/bin/env node
// Compiles the zod schemas of BROKER_CONFIG and of the request bodies into plain JavaScript
// validators, build/validators/index.js (with its index.d.ts), which the Worker validates with.
// zod stays the one source of truth: this script walks the schemas' own definitions (the same
// objects the OpenAPI document is generated from). The Worker carries no zod but its English locale
// module (zod/v4/locales/en.js, ~1.3 KiB gzip with the helpers it imports), which words the issues:
// a cold isolate runs a few small functions instead of zod's constructors and checks, and the
// upload is ~12 KiB gzip smaller than with zod (BENCHMARKS.md, Cold start).
//
// What a compiled validator does: exactly what the schema's parse does (zod's core/schemas.js and
// core/checks.js, read for 4.6.7): for a valid input its output (defaults, prefaults, `toLowerCase`,
// a URL's trimming); for an invalid one zod's issues, in zod's order, with zod's path, code and
// message (a refinement's or a check's own message, else the locale's words for the issue). Which
// checks run after an issue (zod's `aborted`, `continue`, a size check's `when`), unions (the only
// option not aborted), missing keys and unknown keys follow zod. test/node/validators.test.ts
// compares the two on generated inputs (verdict, value, and every issue's code, path, message and
// keys), and fails when this file's output is stale.
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
// BROKER_CONFIG in its two parts (src/config/schema.ts): the top level, which a cold isolate's first
// request checks (the first target: made at module evaluation), and one app, checked when a request
// first needs that app (made with the request bodies' validators, on first use). The whole config is
// the two composed (src/config/check.ts `composeConfig`), so it has no validator of its own.
const TARGETS = {
  configTop: "configTopSchema",
  app: "appSchema",
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
    `import { appSchema, configTopSchema } from ${src("src/config/schema.ts")};`,
    `import { requestFields, requestSchemas } from ${src("src/http/schemas.ts")};`,
    ...RULE_MODULES.map((path, i) => `import * as rules${i} from ${src(path)};`),
    "export const schemas = { configTopSchema, appSchema, requests: requestSchemas(), fields: requestFields() };",
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

  /** A refinement's own message: its error function must not read the issue (checked with a trap). */
  function constantMessage(def, where) {
    if (!def.error) return undefined;
    const trap = new Proxy({}, { get: () => fail(where, "a message that depends on the issue") });
    const message = def.error(trap);
    const text = typeof message === "string" ? message : message?.message;
    if (text !== undefined && typeof text !== "string") fail(where, "a message that is not a string");
    return text;
  }
  /** zod's capSize for an array: its leading max_length checks' smallest maximum, or -1. */
  function sizeCap(list) {
    let cap = -1;
    for (const check of list ?? []) {
      const d = check._zod.def;
      if (!/_(length|size)$|_equals$/.test(d.check)) break;
      if (d.check !== "min_length" && d.check !== "max_length") return fail("", `the check ${d.check}`);
      if (d.maximum >= 0) cap = cap < 0 ? d.maximum : Math.min(cap, d.maximum);
    }
    return cap;
  }

  /** A schema's checks, in order, as the runtime's check functions (`[]` when none). */
  function checks(list, where, first = []) {
    const out = [...first];
    for (const check of list ?? []) {
      const def = check._zod.def;
      if (def.abort) fail(where, `abort on the check ${def.check}`);
      // A check's own message (z.regex(pattern, "…")) outranks the locale's words for its issues.
      const said = def.check === "custom" ? undefined : constantMessage(def, where);
      const at = out.length;
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
            if (def.abort || def.when || def.params) fail(where, "a refinement with abort, when or params");
            const path = def.path ?? [];
            out.push(
              `refine(${rule(def.fn, where)}, ${literal(constantMessage(def, where) ?? null, where)}${path.length ? `, ${literal(path, where)}` : ""})`,
            );
          } else {
            fail(where, "a z.superRefine without its rule (use crossCheck from config/schema.ts)");
          }
          break;
        default:
          fail(where, `the check ${def.check}`);
      }
      if (said !== undefined) {
        if (out.length !== at + 1) fail(where, `a message on the check ${def.check}, which compiles to nothing`);
        out[at] = `said(${out[at]}, ${literal(said, where)})`;
      }
    }
    return out.length === 0 ? "none" : define(`[${out.join(", ")}]`);
  }

  /** The name of the validator for `schema`: payload → payload (zod's: value and issues). */
  function fn(schema, where) {
    const known = compiled.get(schema);
    if (known) return known;
    const def = schema._zod.def;
    if (def.error) fail(where, "a custom message on a schema (only refinements' messages are compiled)");
    // z.url() and z.int() are a check as well as a schema: theirs runs first (zod's $ZodType).
    const first = def.format === "url" ? ["urlFormat"] : def.format === "safeint" ? ["safeInt"] : [];
    const own = checks(def.checks, where, first);
    let expression;
    switch (def.type) {
      case "string":
        if (def.format === "url") {
          if ("normalize" in def || "hostname" in def || "protocol" in def) fail(where, "a z.url() with options");
          expression = `string(${own})`;
        } else if (def.format === undefined) {
          expression = `string(${own})`;
        } else {
          fail(where, `the string format ${def.format}`);
        }
        break;
      case "number":
        if (def.format !== undefined && def.format !== "safeint") fail(where, `the number format ${def.format}`);
        expression = `number(${own})`;
        break;
      case "boolean":
        expression = `boolean(${own})`;
        break;
      case "unknown":
        expression = `unknown(${own})`;
        break;
      case "literal":
      case "enum": {
        // zod's own list (util.getEnumValues for an enum), which its message names
        const values =
          def.type === "literal"
            ? def.values
            : Object.entries(def.entries)
                .filter(([key]) => !Object.values(def.entries).some((v) => typeof v === "number" && v === +key))
                .map(([, value]) => value);
        expression = `oneOf([${values.map((v) => literal(v, where)).join(", ")}], ${own})`;
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
      case "prefault": {
        // An absent value parses to what the default parses to: zod's own output, computed here,
        // so that the Worker makes it with one literal instead of checking the default (every
        // rate-limit policy an app leaves out, on each cold start).
        const absent = schema["~standard"].validate(undefined);
        if (own !== "none") fail(where, "checks on a prefault");
        if (absent instanceof Promise || absent.issues) fail(where, "a prefault whose default does not parse");
        expression = `withPrefault(${fn(def.innerType, where)}, ${fresh(absent.value, where)})`;
        break;
      }
      case "union":
        if (def.inclusive === false) fail(where, "an exclusive union");
        expression = `union([${def.options.map((option, i) => fn(option, `${where}|${i}`)).join(", ")}], ${own})`;
        break;
      case "array":
        expression = `array(${fn(def.element, `${where}[]`)}, ${sizeCap(def.checks)}, ${own})`;
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
  // The first target's definitions (BROKER_CONFIG's top level, which the first request checks) are
  // built at module evaluation; the others' (an app's, the request bodies') when one of them first runs.
  let eager = 0;
  for (const [exportName, path] of Object.entries(targets)) {
    const schema = path.split(".").reduce((value, part) => value?.[part], schemas);
    if (!schema?._zod) fail(exportName, `no zod schema at ${path}`);
    exported.push([exportName, fn(schema, exportName)]);
    if (exported.length === 1) eager = definitions.length;
  }
  const [first, ...later] = exported;
  const importLines = RULE_MODULES.map((path, i) =>
    imports[i].size === 0
      ? ""
      : `import { ${[...imports[i]].sort().join(", ")} } from "../../${path.replace(/\.ts$/, ".js")}";\n`,
  ).join("");
  return `// Generated by scripts/build-validators.mjs from the zod schemas of src/config/schema.ts and
// src/http/schemas.ts. Do not edit: change the schemas, and \`npm test\`, \`npm start\` or wrangler's
// [build] regenerate it. Each validator returns { ok: true, value } (the input as the schema would
// parse it) or { ok: false, issues } (zod's issues: code, path, zod's English message, keys).
import en from "zod/v4/locales/en.js";
${importLines}
// One function around everything, so that a bundle that wraps this module for lazy initialisation
// has nine names to hoist, not 200. The validators after the first are made on first use.
const compiled = (() => {
${RUNTIME}
${definitions.slice(0, eager).join("\n")}

let later;
const made = () =>
  (later ??= (() => {
${definitions.slice(eager).join("\n")}
return { ${later.map(([name, value]) => `${name}: judge(${value})`).join(", ")} };
  })());
return {
  ${first[0]}: judge(${first[1]}),
${later.map(([name]) => `  ${name}: (input) => made().${name}(input),`).join("\n")}
};
})();

${exported.map(([name]) => `export const ${name} = compiled.${name};`).join("\n")}
`;
}

/**
 * What the generated validators are made of: one small function per kind of schema and of check,
 * each doing what zod's parse does, on a value and the list its issues go to (zod's payload,
 * unwrapped); an issue carries zod's fields, which the locale words (zod's \`core/schemas.js\` and
 * \`core/checks.js\`, read for 4.6.7).
 */
const RUNTIME = String.raw`
const none = [];
/** zod's English words for an issue: the locale is made when a first issue needs it, not at module evaluation. */
let locale;
const localeError = (issue) => (locale ??= en()).localeError(issue);

// A validator takes a value and the list its issues go to, (x, iss) => the value as parsed; what it
// adds to iss from the length iss had when it was called is its payload's issues in zod's terms
// (a validator is always called before anything is added for the value it checks). No payload
// object and no issue list per value: a cold isolate's first config check allocates and calls less.

/** zod's util.aborted: an issue (from "from" on) that does not let the checks after it run. */
function aborted(iss, from) {
  for (let i = from; i < iss.length; i++) if (iss[i].continue !== true) return true;
  return false;
}
function fatal(iss, from) {
  for (let i = from; i < iss.length; i++) if (iss[i].continue === false) return true;
  return false;
}
/** zod's runChecks on the value whose issues start at "start": a size check runs unless explicitly aborted (and on anything with a length). */
function run(x, iss, start, checks) {
  if (checks === none) return x;
  let stop = iss.length !== start && aborted(iss, start);
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i];
    if (check.sized) {
      if ((iss.length !== start && fatal(iss, start)) || x == null || x.length === undefined) continue;
    } else if (stop) continue;
    const before = iss.length;
    x = check(x, iss);
    if (!stop && iss.length !== before) stop = aborted(iss, before);
  }
  return x;
}
/** An issue about the value x (its words come from zod's locale when it has none). */
function raise(x, iss, issue) {
  issue.input = x;
  issue.path ??= [];
  iss.push(issue);
}
/** The issues from "from" on are about the element or field "key". */
function prefix(iss, from, key) {
  for (let i = from; i < iss.length; i++) iss[i].path.unshift(key);
}

/** A string's length in code points (as zod counts it). */
function codePoints(x) {
  let n = 0;
  for (const _ of x) n++;
  return n;
}
const origin = (x) => (Array.isArray(x) ? "array" : typeof x === "string" ? "string" : "unknown");
const sized = (check) => ((check.sized = true), check);
const minSize = (n) =>
  sized((x, iss) => {
    const units = x.length;
    const length = typeof x === "string" && units >= n && units < 2 * n ? codePoints(x) : units;
    if (length < n) raise(x, iss, { code: "too_small", origin: origin(x), minimum: n, inclusive: true, continue: true });
    return x;
  });
const maxSize = (n) =>
  sized((x, iss) => {
    const length = typeof x === "string" && x.length > n ? codePoints(x) : x.length;
    if (length > n) raise(x, iss, { code: "too_big", origin: origin(x), maximum: n, inclusive: true, continue: true });
    return x;
  });
const bound = (code, key, inclusive, test) => (n) => (x, iss) => {
  if (!test(x, n)) raise(x, iss, { code, origin: "number", [key]: n, inclusive, continue: true });
  return x;
};
const atLeast = bound("too_small", "minimum", true, (x, n) => x >= n);
const above = bound("too_small", "minimum", false, (x, n) => x > n);
const atMost = bound("too_big", "maximum", true, (x, n) => x <= n);
const below = bound("too_big", "maximum", false, (x, n) => x < n);
const matches = (pattern) => (x, iss) => {
  if (!pattern.test(x)) {
    raise(x, iss, { code: "invalid_format", origin: "string", format: "regex", pattern: String(pattern), continue: true });
  }
  return x;
};
const lowerCase = (x) => x.toLowerCase();
/** z.url()'s own check: the trimmed string must parse; the value is trimmed, tabs and newlines dropped. */
const urlFormat = (x, iss) => {
  const trimmed = x.trim();
  if (URL.canParse(trimmed)) return trimmed.replace(/[\t\n\r]/g, "");
  raise(x, iss, { code: "invalid_format", format: "url", continue: true });
  return x;
};
/** z.int()'s own check (the safeint format). */
const safeInt = (x, iss) => {
  if (!Number.isInteger(x)) raise(x, iss, { code: "invalid_type", expected: "int", format: "safeint", continue: false });
  else if (x > Number.MAX_SAFE_INTEGER)
    raise(x, iss, { code: "too_big", origin: "int", maximum: Number.MAX_SAFE_INTEGER, inclusive: true, continue: true });
  else if (x < Number.MIN_SAFE_INTEGER)
    raise(x, iss, { code: "too_small", origin: "int", minimum: Number.MIN_SAFE_INTEGER, inclusive: true, continue: true });
  return x;
};
/** A check with its own message, for the issues it raises. */
const said = (check, message) => {
  const worded = (x, iss) => {
    const before = iss.length;
    x = check(x, iss);
    for (let i = before; i < iss.length; i++) iss[i].message ??= message;
    return x;
  };
  worded.sized = check.sized;
  return worded;
};
const refine = (rule, message, path = none) => (x, iss) => {
  if (!rule(x)) raise(x, iss, { code: "custom", message: message ?? undefined, path: [...path], continue: true });
  return x;
};
/** A cross-field rule (a z.superRefine's): each issue it adds, as zod's ctx.addIssue takes it. */
const crossRule = (rule) => (x, iss) => {
  rule(x, {
    addIssue(issue) {
      const copy = { code: "custom", input: x, continue: true, ...issue };
      copy.path = [...(issue.path ?? none)];
      iss.push(copy);
    },
  });
  return x;
};

/** A validator whose first step refuses a value that \`test\` does not accept, with an aborting issue. */
const kind = (test, validate) => ((validate.accepts = test), validate);
const type = (expected, test) => (checks) =>
  kind(test, (x, iss) => {
    const start = iss.length;
    if (!test(x)) raise(x, iss, { code: "invalid_type", expected });
    return run(x, iss, start, checks);
  });
const string = type("string", (x) => typeof x === "string");
const number = type("number", (x) => typeof x === "number" && Number.isFinite(x));
const boolean = type("boolean", (x) => typeof x === "boolean");
const unknown = (checks) => (x, iss) => run(x, iss, iss.length, checks);
const oneOf = (values, checks) =>
  kind(
    (x) => values.includes(x),
    (x, iss) => {
      const start = iss.length;
      if (!values.includes(x)) raise(x, iss, { code: "invalid_value", values });
      return run(x, iss, start, checks);
    },
  );
const pipe = (inner, checks) => (x, iss) => {
  const start = iss.length;
  const value = inner(x, iss);
  return run(value, iss, start, checks);
};
const optional = (inner, checks) => (x, iss) => {
  const start = iss.length;
  const value = x === undefined ? x : inner(x, iss);
  return run(value, iss, start, checks);
};
const withDefault = (inner, make, checks) => (x, iss) => {
  const start = iss.length;
  let value = x === undefined ? x : inner(x, iss);
  if (value === undefined) value = make();
  return run(value, iss, start, checks);
};
/** A prefault without checks of its own; \`absent\` makes the output of its default (the compiler's zod parsed it). */
const withPrefault = (inner, absent) => (x, iss) => (x === undefined ? absent() : inner(x, iss));
/**
 * zod's union: the first option without issues; else the only one not aborted; else invalid_union.
 * An option whose kind the value is not (its "accepts") ends aborted on an invalid_type or
 * invalid_value issue, so it is neither: it is not run (for a policy's \`false | {…}\`, no issue is
 * made and dropped per policy).
 */
const union = (options, checks) => (x, iss) => {
  const start = iss.length;
  if (options.length === 1) {
    const value = options[0](x, iss);
    return run(value, iss, start, checks);
  }
  const open = [];
  for (const option of options) {
    if (option.accepts !== undefined && !option.accepts(x)) continue;
    const value = option(x, iss);
    if (iss.length === start) return run(value, iss, start, checks);
    const own = iss.splice(start);
    if (!aborted(own, 0)) open.push({ value, own });
  }
  if (open.length === 1) {
    for (const issue of open[0].own) iss.push(issue);
    return run(open[0].value, iss, start, checks);
  }
  raise(x, iss, { code: "invalid_union" });
  return run(x, iss, start, checks);
};
/** An array (cap: zod's capSize, its leading maximum: a longer array is refused before its items). */
const array = (element, cap, checks) => kind(Array.isArray, (x, iss) => {
  const start = iss.length;
  if (!Array.isArray(x)) {
    raise(x, iss, { code: "invalid_type", expected: "array" });
    return run(x, iss, start, checks);
  }
  if (cap >= 0 && x.length > cap) {
    raise(x, iss, { code: "too_big", origin: "array", maximum: cap, inclusive: true, continue: false });
    return x;
  }
  const out = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const before = iss.length;
    out[i] = element(x[i], iss);
    if (iss.length !== before) prefix(iss, before, i);
  }
  return run(out, iss, start, checks);
});
function isPlainObject(x) {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const ctor = x.constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto = ctor.prototype;
  if (typeof proto !== "object" || proto === null || Array.isArray(proto)) return false;
  return Object.prototype.hasOwnProperty.call(proto, "isPrototypeOf");
}
/** A record with string keys (zod's: own enumerable keys, __proto__ dropped). */
const record = (value, checks) => kind(isPlainObject, (x, iss) => {
  const start = iss.length;
  if (!isPlainObject(x)) {
    raise(x, iss, { code: "invalid_type", expected: "record" });
    return run(x, iss, start, checks);
  }
  const out = {};
  for (const key of Reflect.ownKeys(x)) {
    if (key === "__proto__" || !Object.prototype.propertyIsEnumerable.call(x, key)) continue;
    if (typeof key !== "string") {
      iss.push({ code: "invalid_key", origin: "record", input: key, path: [key] });
      continue;
    }
    const before = iss.length;
    out[key] = value(x[key], iss);
    if (iss.length !== before) prefix(iss, before, key);
  }
  return run(out, iss, start, checks);
});
const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);
/**
 * An object's fields, as zod's object parse takes them: [key, validator, mode] (mode: 0 required,
 * 1 optional, 3 defaulted); strict: unknown keys are one issue naming them.
 */
const object = (fields, strict, checks) => {
  const known = new Set(fields.map((field) => field[0]));
  return kind(isObject, (x, iss) => {
    const start = iss.length;
    if (typeof x !== "object" || x === null || Array.isArray(x)) {
      raise(x, iss, { code: "invalid_type", expected: "object" });
      return run(x, iss, start, checks);
    }
    const out = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const key = field[0];
      const mode = field[2];
      const present = key in x;
      if (mode === 1 && !present) continue;
      const before = iss.length;
      const value = field[1](x[key], iss);
      const failed = iss.length !== before;
      if (failed) prefix(iss, before, key);
      if (mode === 0 && !present) {
        if (!failed) iss.push({ code: "invalid_type", expected: "nonoptional", input: undefined, path: [key] });
        continue;
      }
      if (value !== undefined) out[key] = value;
      else if (present || mode === 3) out[key] = undefined;
    }
    if (strict) {
      const keys = [];
      for (const key in x) if (!known.has(key)) keys.push(key);
      if (keys.length) raise(out, iss, { code: "unrecognized_keys", keys, continue: true });
    }
    return run(out, iss, start, checks);
  });
};
/** The exported form: the value, or every issue with its path and zod's English message. */
const judge = (validate) => (input) => {
  const iss = [];
  const value = validate(input, iss);
  if (iss.length === 0) return { ok: true, value };
  return {
    ok: false,
    issues: iss.map((issue) => ({
      code: issue.code,
      path: issue.path,
      message: issue.message || localeError(issue) || "Invalid input",
      ...(issue.keys ? { keys: issue.keys } : {}),
    })),
  };
};
`;

function declarations() {
  return `// Generated by scripts/build-validators.mjs: the compiled validators (see index.js).
/** One problem, as zod reports it (\`path\`, \`message\` in zod's English; \`keys\` for unrecognized_keys). */
export interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}
export type Judgement = { ok: true; value: unknown } | { ok: false; issues: Issue[] };
export type Validator = (input: unknown) => Judgement;
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
