// The config's parts and their cache, under plain Node (src/config/load.ts, check.ts): the top level
// on load(), each app on first use, once per cache entry; the whole judgement (judgeEnvironment)
// composed from the same parts, so its first problem for a part is what the Worker answers with.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkAppPart, checkConfigTop, checkEveryPart } from "../../src/config/check.js";
import { ConfigError } from "../../src/config/errors.js";
import { createConfigCache, judgeEnvironment, type LoadedConfig } from "../../src/config/load.js";

const KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const A = 1400000001;
const B = 1400000002;
const C = 1400000003;

const appA = { sdkAppId: A, cors: { origins: ["https://a.example"] } };
/** App B's part is bad: its userIdPattern does not compile. */
const appB = { sdkAppId: B, cors: { origins: ["https://b.example"] }, userIdPattern: "(" };
const appC = { sdkAppId: C, cors: { origins: ["https://c.example"] } };
const env = (apps: unknown[], extra: Record<string, unknown> = {}) => ({
  BROKER_CONFIG: JSON.stringify({ apps }),
  [`SECRET_KEY_${A}`]: KEY,
  [`SECRET_KEY_${B}`]: KEY,
  [`SECRET_KEY_${C}`]: KEY,
  ...extra,
});

let logged: string[];
beforeEach(() => {
  logged = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
});
afterEach(() => vi.restoreAllMocks());

async function loaded(vars: Record<string, unknown>, cache = createConfigCache()): Promise<LoadedConfig> {
  const result = await cache.load(vars);
  if (!result.ok) throw new Error(result.error.detail);
  return result.config;
}

function thrown(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("the top level", () => {
  it("passes with a bad app, knows every SDKAppID, and checks no app", async () => {
    const config = await loaded(env([appA, appB, appC]));
    expect(config.sdkAppIds).toEqual([A, B, C]);
    expect(logged).toEqual([]);
  });

  it("refuses a duplicate or invalid SDKAppID, an empty list, an unknown top-level key", () => {
    const top = (value: unknown) => {
      const checked = checkConfigTop(value);
      return checked.ok ? [] : checked.errors;
    };
    expect(top({ apps: [appA, { ...appC, sdkAppId: A }] })).toEqual([
      { field: "apps[1].sdkAppId", message: "duplicate sdkAppId" },
    ]);
    expect(top({ apps: [appA, { sdkAppId: -1, anything: "else" }] })[0]?.field).toBe("apps[1].sdkAppId");
    expect(top({ apps: [] })[0]?.field).toBe("apps");
    expect(top({ apps: [appA], extra: 1 })[0]).toEqual({ field: "", message: 'Unrecognized key: "extra"' });
    // an app's own fields are not the top level's business
    expect(top({ apps: [appB, { sdkAppId: C, unknown: true }] })).toEqual([]);
  });

  it("ADMIN_API_TOKEN left as its placeholder is a top-level problem", async () => {
    const result = await createConfigCache().load(env([appA], { ADMIN_API_TOKEN: "replace-with-a-long-random-token" }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toMatch(/^ADMIN_API_TOKEN still holds the placeholder/);
  });
});

describe("an app's part", () => {
  it("is checked when first asked for: a good app loads, a bad one throws its CONFIG_ERROR with its field", async () => {
    const config = await loaded(env([appA, appB, appC]));
    expect(config.app(A)?.config.sdkAppId).toBe(A);
    const error = thrown(() => config.app(B));
    expect(error.code).toBe("CONFIG_ERROR");
    expect(error.detail).toBe("BROKER_CONFIG.apps[1].userIdPattern: must be a valid regular expression");
    expect(error.data).toEqual({ field: "apps[1].userIdPattern" });
    expect(config.app(C)?.config.sdkAppId).toBe(C);
    expect(config.app(1400000099)).toBeUndefined();
  });

  it("names its fields under apps[i], as checking the whole config does", () => {
    const checked = checkAppPart({ sdkAppId: B, admins: "x" }, 4);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.errors[0]?.field).toBe("apps[4].admins");
  });

  it("is checked once per cache entry: the same app object, one log line for a bad one", async () => {
    const cache = createConfigCache();
    const vars = env([appA, appB]);
    const first = await loaded(vars, cache);
    const second = await loaded({ ...vars }, cache);
    expect(second).toBe(first);
    expect(second.app(A)).toBe(first.app(A));
    const errors = [thrown(() => first.app(B)), thrown(() => second.app(B)), thrown(() => first.apps())];
    expect(new Set(errors).size).toBe(1);
    expect(logged.filter((line) => line.includes("config_error"))).toHaveLength(1);
  });

  it("is checked again when a secret or the config changes", async () => {
    const cache = createConfigCache();
    const missing = env([appA, appC], { [`SECRET_KEY_${C}`]: "" });
    const before = await loaded(missing, cache);
    expect(thrown(() => before.app(C)).detail).toMatch(new RegExp(`^SECRET_KEY_${C} is not set`));
    const set = await loaded(env([appA, appC]), cache);
    expect(set).not.toBe(before);
    expect(set.app(C)?.secretKey).toBe(KEY);
    const changed = await loaded(env([appA, { ...appC, userIdPattern: "(" }]), cache);
    expect(thrown(() => changed.app(C)).data).toEqual({ field: "apps[1].userIdPattern" });
    const again = await loaded(missing, cache);
    thrown(() => again.app(C));
    expect(logged.filter((line) => line.includes("config_error"))).toHaveLength(3);
  });

  it("single() is the only app, checked; undefined with several", async () => {
    expect((await loaded(env([appA]))).single()?.config.sdkAppId).toBe(A);
    const onlyB = await loaded(env([appB]));
    expect(thrown(() => onlyB.single()).code).toBe("CONFIG_ERROR");
    expect((await loaded(env([appA, appC]))).single()).toBeUndefined();
  });
});

describe("what needs every app", () => {
  it("apps() checks them all and throws the first bad one's error; usableApps() and allOrigins() leave it out", async () => {
    const config = await loaded(env([appA, appB, appC]));
    expect(thrown(() => config.apps()).data).toEqual({ field: "apps[1].userIdPattern" });
    expect(config.usableApps().map((app) => app.config.sdkAppId)).toEqual([A, C]);
    expect([...config.allOrigins()]).toEqual(["https://a.example", "https://c.example"]);
    const fine = await loaded(env([appA, appC]));
    expect([...fine.apps().keys()]).toEqual([A, C]);
  });

  it("listedApps() (GET /v1/apps) is the usable apps; with none usable, the first app's error", async () => {
    const config = await loaded(env([appA, appB, appC]));
    expect(config.listedApps().map((app) => app.config.sdkAppId)).toEqual([A, C]);
    const onlyBad = await loaded(env([appB, { ...appC, userIdPattern: "[" }]));
    expect(thrown(() => onlyBad.listedApps()).data).toEqual({ field: "apps[0].userIdPattern" });
  });
});

describe("the whole judgement is the parts composed", () => {
  it("lists every part's problems, top level first; its first problem for a part is the Worker's answer", async () => {
    const vars = env([appA, appB, { ...appC, userIdPattern: "[" }], {
      [`SECRET_KEY_${A}`]: "",
      ADMIN_API_TOKEN: "replace-with-a-long-random-token",
    });
    const judged = await judgeEnvironment(vars);
    expect(judged.ok).toBe(false);
    if (judged.ok) return;
    expect(judged.problems.map((problem) => problem.field ?? problem.detail.split(" ")[0])).toEqual([
      "ADMIN_API_TOKEN",
      `SECRET_KEY_${A}`,
      "apps[1].userIdPattern",
      "apps[2].userIdPattern",
    ]);
    // the Worker, part by part, answers with the same words
    const result = await createConfigCache().load(vars);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.detail).toBe(judged.problems[0]?.detail);
    const top = await loaded({ ...vars, ADMIN_API_TOKEN: "a-real-token-0123456789" });
    expect(thrown(() => top.app(B)).detail).toBe(judged.problems[2]?.detail);
    expect(thrown(() => top.app(C)).detail).toBe(judged.problems[3]?.detail);
    expect(thrown(() => top.app(A)).detail).toBe(judged.problems[1]?.detail);
  });

  it("checks an app whose SDKAppID the top level refused, naming the SDKAppID once", () => {
    const { top, apps } = checkEveryPart({ apps: [{ sdkAppId: "x", userIdPattern: "(" }] });
    expect(top.ok).toBe(false);
    if (!top.ok) expect(top.errors.map((e) => e.field)).toEqual(["apps[0].sdkAppId"]);
    expect(apps[0]?.ok).toBe(false);
    if (apps[0] && !apps[0].ok) expect(apps[0].errors.map((e) => e.field)).toEqual(["apps[0].userIdPattern"]);
  });

  it("a valid environment loads every app", async () => {
    const judged = await judgeEnvironment(env([appA, appC]));
    expect(judged.ok).toBe(true);
    if (judged.ok) expect([...judged.config.apps().keys()]).toEqual([A, C]);
  });
});

describe("the whole judgement with a bad top level", () => {
  it("names the top level's problem and the apps' own fields, never secrets the Worker does not reach", async () => {
    // An sdkAppId listed twice, and no SECRET_KEY for it: every request fails on the top level first.
    const twice = { BROKER_CONFIG: JSON.stringify({ apps: [{ sdkAppId: 5 }, { sdkAppId: 5 }] }) };
    const judged = await judgeEnvironment(twice);
    expect(judged.ok).toBe(false);
    if (judged.ok) return;
    expect(judged.problems.map((p) => p.field)).toEqual(["apps[1].sdkAppId"]);
    expect(judged.problems.some((p) => p.detail.includes("SECRET_KEY_5"))).toBe(false);

    // An app's own field problem is still listed beside the top level's.
    const both = await judgeEnvironment(env([{ ...appB }, { sdkAppId: 0 }]));
    expect(both.ok).toBe(false);
    if (both.ok) return;
    expect(both.problems.map((p) => p.field)).toEqual(["apps[1].sdkAppId", "apps[0].userIdPattern"]);
  });
});
