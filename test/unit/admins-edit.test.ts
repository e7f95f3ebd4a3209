// Admin-identity editing (src/admins/edit.ts) and who gets an admin sig (src/issue/admin-sig.ts),
// under plain Node with an in-memory store.
import { describe, expect, it } from "vitest";
import { addAdmin, listAdmins, pickAdminIdentity, removeAdmin, replaceAdmins } from "../../src/admins/edit.js";
import { AdminsError } from "../../src/admins/errors.js";
import { adminSetOf, NO_ADMINS } from "../../src/admins/set.js";
import { issueAdminSig } from "../../src/issue/admin-sig.js";

const app = { config: { sdkAppId: 1400000001 }, configAdmins: adminSetOf(["administrator"]), userIdRule: /^[a-z_]+$/ };

/** A store in memory, and what the isolate's caches were told. */
function memory(initial: string[] = [], options: { failing?: boolean; max?: number } = {}) {
  const state = {
    stored: [...initial],
    writes: 0,
    remembered: undefined as string[] | undefined,
    forgotten: [] as string[],
  };
  const deps = {
    read: async () => {
      if (options.failing) throw new TypeError("kv down: admins/v1/1400000001");
      return [...state.stored];
    },
    write: async (ids: string[]) => {
      if (options.failing) throw new TypeError("kv down");
      state.writes++;
      state.stored = [...ids];
    },
    remember: (ids: string[]) => {
      state.remembered = [...ids];
    },
    forgetSig: (id: string) => void state.forgotten.push(id),
    ...(options.max !== undefined ? { maxRuntimeAdmins: options.max } : {}),
  };
  return { state, deps };
}

async function refused(promise: Promise<unknown>): Promise<AdminsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdminsError);
  return error as AdminsError;
}

describe("listAdmins / replaceAdmins", () => {
  it("lists config admins first, then runtime ones, never a config admin twice", async () => {
    const { deps } = memory(["ops_bot", "administrator"]);
    expect(await listAdmins(app, deps)).toEqual({
      sdkAppId: 1400000001,
      admins: [
        { userId: "administrator", source: "config" },
        { userId: "ops_bot", source: "runtime" },
      ],
    });
  });

  it("replace stores the runtime set without config admins or duplicates, and the cache learns it", async () => {
    const { state, deps } = memory(["old_bot"]);
    const list = await replaceAdmins(app, ["ops_bot", "administrator", "ops_bot", "audit_bot"], deps);
    expect(state.stored).toEqual(["ops_bot", "audit_bot"]);
    expect(state.remembered).toEqual(["ops_bot", "audit_bot"]);
    expect(list.admins.map((a) => `${a.source}:${a.userId}`)).toEqual([
      "config:administrator",
      "runtime:ops_bot",
      "runtime:audit_bot",
    ]);
  });

  it("replace refuses an ID outside the app's pattern, and stores nothing", async () => {
    const { state, deps } = memory(["old_bot"]);
    const error = await refused(replaceAdmins(app, ["ops_bot", "Bad-Id"], deps));
    expect(error.code).toBe("ADMIN_ID_RULE");
    expect(error.data.field).toBe("userId");
    expect(state.writes).toBe(0);
  });

  it("replace refuses more than the cap", async () => {
    const { state, deps } = memory([], { max: 2 });
    expect((await refused(replaceAdmins(app, ["a", "b", "c"], deps))).code).toBe("RUNTIME_ADMINS_FULL");
    await replaceAdmins(app, ["a", "b", "administrator"], deps);
    expect(state.stored).toEqual(["a", "b"]);
  });
});

describe("addAdmin", () => {
  it("adds a new runtime admin (added: true) and the cache learns it", async () => {
    const { state, deps } = memory(["ops_bot"]);
    const { added, list } = await addAdmin(app, "audit_bot", deps);
    expect(added).toBe(true);
    expect(state.stored).toEqual(["ops_bot", "audit_bot"]);
    expect(state.remembered).toEqual(["ops_bot", "audit_bot"]);
    expect(list.admins).toContainEqual({ userId: "audit_bot", source: "runtime" });
  });

  it("an admin already (runtime or config): unchanged, nothing written", async () => {
    const { state, deps } = memory(["ops_bot"]);
    expect((await addAdmin(app, "ops_bot", deps)).added).toBe(false);
    expect((await addAdmin(app, "administrator", deps)).added).toBe(false);
    expect(state.writes).toBe(0);
    expect(state.stored).toEqual(["ops_bot"]);
  });

  it("refuses an ID outside the pattern before reading, and a new one past the cap", async () => {
    const { deps } = memory([], { failing: true });
    expect((await refused(addAdmin(app, "Bad-Id", deps))).code).toBe("ADMIN_ID_RULE");
    const full = memory(["a", "b"], { max: 2 });
    expect((await refused(addAdmin(app, "c", full.deps))).code).toBe("RUNTIME_ADMINS_FULL");
    expect(full.state.stored).toEqual(["a", "b"]);
    // at the cap, an existing admin is still "unchanged", not "full"
    expect((await addAdmin(app, "a", full.deps)).added).toBe(false);
  });
});

describe("removeAdmin", () => {
  it("removes a runtime admin and forgets its cached sig", async () => {
    const { state, deps } = memory(["ops_bot", "audit_bot"]);
    await removeAdmin(app, "ops_bot", deps);
    expect(state.stored).toEqual(["audit_bot"]);
    expect(state.remembered).toEqual(["audit_bot"]);
    expect(state.forgotten).toEqual(["ops_bot"]);
  });

  it("a config admin: CONFIG_ADMIN (remove it from BROKER_CONFIG), without reading the store", async () => {
    const { deps } = memory([], { failing: true });
    expect((await refused(removeAdmin(app, "administrator", deps))).code).toBe("CONFIG_ADMIN");
  });

  it("not a runtime admin: NOT_A_RUNTIME_ADMIN, nothing written or forgotten", async () => {
    const { state, deps } = memory(["ops_bot"]);
    expect((await refused(removeAdmin(app, "stranger", deps))).code).toBe("NOT_A_RUNTIME_ADMIN");
    expect(state.writes).toBe(0);
    expect(state.forgotten).toEqual([]);
  });
});

describe("a failing store", () => {
  it("is ADMINS_STORE_UNAVAILABLE with Retry-After, naming only the error's class", async () => {
    const { deps } = memory([], { failing: true });
    for (const attempt of [listAdmins(app, deps), addAdmin(app, "ops_bot", deps), replaceAdmins(app, ["a"], deps)]) {
      const error = await refused(attempt);
      expect(error.code).toBe("ADMINS_STORE_UNAVAILABLE");
      expect(error.reason).toBe("admins kv: TypeError");
      expect(error.data.retryAfterSeconds).toBe(5);
    }
  });
});

describe("pickAdminIdentity / issueAdminSig", () => {
  const sig = { userSig: "sig", issuedAt: 1, expireSeconds: 60 };
  const deps = (runtime: string[]) => ({
    runtimeAdmins: async () => adminSetOf(runtime),
    sign: async (userId: string) => ({ sig: { ...sig, userSig: `sig-of-${userId}` }, cached: false }),
  });

  it("no userId: the app's only admin identity; several or none: ADMIN_USERID_REQUIRED", () => {
    expect(pickAdminIdentity(app, NO_ADMINS)).toBe("administrator");
    expect(pickAdminIdentity(app, adminSetOf(["administrator"]))).toBe("administrator");
    const several = (() => {
      try {
        return pickAdminIdentity(app, adminSetOf(["ops_bot"]));
      } catch (error) {
        return error as AdminsError;
      }
    })();
    expect(several).toMatchObject({ code: "ADMIN_USERID_REQUIRED", data: { field: "userId" } });
    expect(() => pickAdminIdentity({ configAdmins: NO_ADMINS }, NO_ADMINS)).toThrow(
      expect.objectContaining({ code: "ADMIN_USERID_REQUIRED" }) as unknown as Error,
    );
  });

  it("a named identity must be a config or runtime admin, exactly (no folding here)", () => {
    expect(pickAdminIdentity(app, adminSetOf(["ops_bot"]), "ops_bot")).toBe("ops_bot");
    for (const id of ["Administrator", "stranger"]) {
      expect(() => pickAdminIdentity(app, adminSetOf(["ops_bot"]), id)).toThrow(
        expect.objectContaining({ code: "NOT_AN_ADMIN_IDENTITY" }) as unknown as Error,
      );
    }
  });

  it("only a key with allowAdmin gets a sig, and before the admin set is read", async () => {
    let read = false;
    const watching = {
      ...deps([]),
      runtimeAdmins: async () => {
        read = true;
        return NO_ADMINS;
      },
    };
    await expect(issueAdminSig({ allowAdmin: false }, app, undefined, watching)).rejects.toMatchObject({
      code: "ADMIN_NOT_ALLOWED",
    });
    expect(read).toBe(false);
    const issued = await issueAdminSig({ allowAdmin: true }, app, "ops_bot", deps(["ops_bot"]));
    expect(issued).toEqual({ userId: "ops_bot", sig: { ...sig, userSig: "sig-of-ops_bot" }, cached: false });
  });
});
