// Where the app's moderation object loads its config from (src/objects/moderation.ts, `#loadApp`):
// its own env, the same Worker's as the caller's. A production-shaped call (no TEST_ONLY_OBJECT_VARS
// in the caller's env) sends none of the caller's env to the object, and the object reads none; the
// workerd tests' per-request env reaches the object only under that switch, set in both envs
// (vitest.config.ts). docs/moderation.md, "The object's config".
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import type { ModerationObject, ObjectRef } from "../../src/objects/moderation.js";
import type { Json } from "../broker/helpers.js";
import { moderatedApp, moderationEnv, objectOf, scene, setupFakes } from "../support/moderation.js";

const APP = 1400016301;

beforeEach(async () => {
  await setupFakes([APP]);
});

/** The MODERATION namespace, each ref the service layer hands the object copied into `refs`. */
function recordingNamespace() {
  const refs: ObjectRef[] = [];
  const namespace = env.MODERATION;
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = namespace.get(id);
      const record =
        (method: "list" | "user") =>
        (ref: ObjectRef, ...rest: unknown[]) => {
          refs.push(structuredClone(ref));
          return (stub[method] as (...args: unknown[]) => unknown)(ref, ...rest);
        };
      return { list: record("list"), user: record("user") };
    },
  };
  return { refs, namespace: wrapped as unknown as DurableObjectNamespace<ModerationObject> };
}

/** The test env of APP as a deployed Worker has it: no test switch. */
function productionShapedEnv(extra: Json = {}): Json {
  const { TEST_ONLY_OBJECT_VARS: _switch, ...rest } = moderationEnv([moderatedApp(APP)], extra);
  return rest;
}

describe("the object's config: its own env", () => {
  it("the pool's envs carry the switch (the tests' seam), as a JSON true", () => {
    expect((env as unknown as Json).TEST_ONLY_OBJECT_VARS).toBe(true);
  });

  it("a production-shaped call sends the object no env: only the app, the clock and the Chat timeout", async () => {
    const recording = recordingNamespace();
    const s = scene({ ...productionShapedEnv(), MODERATION: recording.namespace });
    const app = await s.app(APP);
    // The object's own env (the pool's) has no BROKER_CONFIG: the call fails there, as it must.
    await s
      .broker()
      .bans.list(app)
      .catch(() => undefined);
    expect(recording.refs).toHaveLength(1);
    const [ref] = recording.refs;
    expect(Object.keys(ref ?? {}).sort()).toEqual(["nowMs", "sdkAppId", "tencentTimeoutMs"]);
    expect(ref?.sdkAppId).toBe(APP);
  });

  it("with the switch, the request's env strings go along (what the workerd tests use)", async () => {
    const recording = recordingNamespace();
    const testEnv = moderationEnv([moderatedApp(APP)]);
    const s = scene({ ...testEnv, MODERATION: recording.namespace });
    const app = await s.app(APP);
    expect(await s.broker().bans.list(app)).toEqual([]);
    const vars = recording.refs[0]?.vars ?? {};
    expect(vars.BROKER_CONFIG).toBe(testEnv.BROKER_CONFIG);
    expect(vars[`SECRET_KEY_${APP}`]).toBe(testEnv[`SECRET_KEY_${APP}`]);
    // Bindings stay out.
    expect(vars.MODERATION).toBeUndefined();
    expect(vars.ADMINS).toBeUndefined();
  });

  it("without the switch, the config and secrets only the request's env holds are not used by the object", async () => {
    const s = scene(productionShapedEnv());
    const app = await s.app(APP);
    // The Worker's side loads the app from the request's env; the object, from its own (no BROKER_CONFIG).
    const error = await s
      .broker()
      .bans.user(app, "alice")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/BROKER_CONFIG/);
  });

  it("the object reads a ref's vars only when its own env has the switch", async () => {
    const testEnv = moderationEnv([moderatedApp(APP)]);
    const vars = Object.fromEntries(Object.entries(testEnv).filter(([, v]) => typeof v === "string"));
    const ref: ObjectRef = { sdkAppId: APP, vars, nowMs: Date.now() };
    const stub = objectOf(APP);
    expect(await stub.list(ref)).toEqual({ ok: true, value: [] });
    // The same call to an object whose env has no switch (as deployed): the vars are ignored.
    const own = await runInDurableObject(stub, (instance) => {
      const object = instance as unknown as { env: Json };
      const saved = object.env;
      object.env = { ...saved, TEST_ONLY_OBJECT_VARS: undefined };
      return saved;
    });
    try {
      const answer = await stub.list(ref);
      expect(answer.ok).toBe(false);
      expect(!answer.ok && answer.error.code).toBe("CONFIG_ERROR");
      // A string (what a secret or a .dev.vars entry would give) is not the switch either.
      await runInDurableObject(stub, (instance) => {
        (instance as unknown as { env: Json }).env = { ...own, TEST_ONLY_OBJECT_VARS: "true" };
      });
      const stringSwitch = await stub.list(ref);
      expect(!stringSwitch.ok && stringSwitch.error.code).toBe("CONFIG_ERROR");
    } finally {
      await runInDurableObject(stub, (instance) => {
        (instance as unknown as { env: Json }).env = own;
      });
    }
    expect(await stub.list(ref)).toEqual({ ok: true, value: [] });
  });
});
