/**
 * Admin identities, without HTTP: the operator's list, replace, add and remove, and which identity
 * an admin sig is for. Everything decided about the admin set is decided here; the route parses and
 * answers, the service layer (src/services/) gives the store.
 *
 * - Config admins (BROKER_CONFIG) are always listed first and are never stored or removed here.
 * - Runtime admins must match the app's userIdPattern; at most RUNTIME_ADMINS_MAX of them.
 * - After a write, this isolate's cache holds the new set at once; a removed identity's cached
 *   sig is dropped.
 */

import { unavailableOnFailure } from "../shared/errors.js";
import { ADMINS_RETRY_AFTER_SECONDS, AdminsError } from "./errors.js";
import type { AdminSet } from "./set.js";
import { RUNTIME_ADMINS_MAX } from "./store.js";

/** What editing needs of an app (LoadedApp has it). */
export interface AdminsApp {
  readonly config: { readonly sdkAppId: number };
  readonly configAdmins: AdminSet;
  readonly userIdRule: RegExp;
}

/** The I/O of an edit: the app's stored runtime admins, and this isolate's caches. */
export interface AdminsEditDeps {
  /** The runtime admins stored for the app (a KV read). */
  read(): Promise<string[]>;
  /** Stores the app's runtime admins (a KV write). */
  write(userIds: string[]): Promise<void>;
  /** This isolate's admin cache learns the new runtime set at once. */
  remember(userIds: string[]): void;
  /** Drops the cached sig of an identity that is no admin any more. */
  forgetSig(userId: string): void;
  /** RUNTIME_ADMINS_MAX, unless a test lowers it. */
  maxRuntimeAdmins?: number;
}

export interface AdminsList {
  sdkAppId: number;
  admins: { userId: string; source: "config" | "runtime" }[];
}

export async function listAdmins(app: AdminsApp, deps: AdminsEditDeps): Promise<AdminsList> {
  return adminsList(app, await store(deps.read));
}

/** Replaces the runtime admins; IDs that are config admins already are not stored again. */
export async function replaceAdmins(
  app: AdminsApp,
  userIds: readonly string[],
  deps: AdminsEditDeps,
): Promise<AdminsList> {
  for (const id of userIds) checkAdminId(app, id);
  const runtime = [...new Set(userIds.filter((id) => !app.configAdmins.ids.has(id)))];
  if (runtime.length > (deps.maxRuntimeAdmins ?? RUNTIME_ADMINS_MAX)) throw full(deps);
  await save(runtime, deps);
  return adminsList(app, runtime);
}

/** Adds one runtime admin. `added`: false when it was an admin already (config or runtime). */
export async function addAdmin(
  app: AdminsApp,
  userId: string,
  deps: AdminsEditDeps,
): Promise<{ list: AdminsList; added: boolean }> {
  checkAdminId(app, userId);
  const runtime = await store(deps.read);
  if (app.configAdmins.ids.has(userId) || runtime.includes(userId))
    return { list: adminsList(app, runtime), added: false };
  if (runtime.length >= (deps.maxRuntimeAdmins ?? RUNTIME_ADMINS_MAX)) throw full(deps);
  runtime.push(userId);
  await save(runtime, deps);
  return { list: adminsList(app, runtime), added: true };
}

/** Removes one runtime admin; a config admin is removed from BROKER_CONFIG, not here. */
export async function removeAdmin(app: AdminsApp, userId: string, deps: AdminsEditDeps): Promise<void> {
  if (app.configAdmins.ids.has(userId)) {
    throw new AdminsError("CONFIG_ADMIN", "This admin identity comes from BROKER_CONFIG; remove it there.");
  }
  const runtime = await store(deps.read);
  if (!runtime.includes(userId)) {
    throw new AdminsError("NOT_A_RUNTIME_ADMIN", "This UserID is not a runtime admin identity.");
  }
  await save(
    runtime.filter((id) => id !== userId),
    deps,
  );
  deps.forgetSig(userId);
}

/**
 * The admin identity an admin sig is for: the one asked for, which must be a config or runtime
 * admin; or, when none is named, the app's only admin identity.
 */
export function pickAdminIdentity(app: Pick<AdminsApp, "configAdmins">, runtime: AdminSet, requested?: string): string {
  const configAdmins = app.configAdmins.ids;
  const admins = [...configAdmins, ...[...runtime.ids].filter((id) => !configAdmins.has(id))];
  if (requested === undefined) {
    if (admins.length !== 1) {
      throw new AdminsError(
        "ADMIN_USERID_REQUIRED",
        "userId is required: this app has several (or no) admin identities.",
        { data: { field: "userId" } },
      );
    }
    return admins[0] as string;
  }
  if (!admins.includes(requested)) {
    throw new AdminsError("NOT_AN_ADMIN_IDENTITY", "This UserID is not an admin identity of the app.");
  }
  return requested;
}

function checkAdminId(app: AdminsApp, userId: string): void {
  if (!app.userIdRule.test(userId)) {
    throw new AdminsError("ADMIN_ID_RULE", "An admin identity must match the app's userIdPattern.", {
      data: { field: "userId" },
    });
  }
}

function full(deps: AdminsEditDeps): AdminsError {
  return new AdminsError(
    "RUNTIME_ADMINS_FULL",
    `At most ${deps.maxRuntimeAdmins ?? RUNTIME_ADMINS_MAX} runtime admins.`,
  );
}

async function save(runtime: string[], deps: AdminsEditDeps): Promise<void> {
  await store(() => deps.write(runtime));
  deps.remember(runtime);
}

function adminsList(app: AdminsApp, runtime: readonly string[]): AdminsList {
  const configAdmins = app.configAdmins.ids;
  return {
    sdkAppId: app.config.sdkAppId,
    admins: [
      ...[...configAdmins].map((userId) => ({ userId, source: "config" as const })),
      ...runtime.filter((id) => !configAdmins.has(id)).map((userId) => ({ userId, source: "runtime" as const })),
    ],
  };
}

/** The operator API reads and writes KV directly: a KV failure is a 503 the operator can retry. */
function store<T>(operation: () => Promise<T>): Promise<T> {
  return unavailableOnFailure(
    operation,
    (kind) =>
      new AdminsError(
        "ADMINS_STORE_UNAVAILABLE",
        "The admin identities cannot be read or written right now; try again shortly.",
        { reason: `admins kv: ${kind}`, data: { retryAfterSeconds: ADMINS_RETRY_AFTER_SECONDS } },
      ),
  );
}
