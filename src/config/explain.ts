/**
 * BROKER_CONFIG judged by its zod schema itself: every problem, each with its field path and zod's
 * English words (which name the expected shape and never echo a value). For the CLI and the tests:
 * the Worker judges with the validator compiled from the same schema (check.ts `judgeConfig`),
 * which reports the same issues (test/node/validators.test.ts).
 */

import { type ConfigCheck, type ConfigIssue, fieldOf, readConfigValue, secretsNeeded } from "./check.js";
import { configSchema } from "./schema.js";

/** Validates a BROKER_CONFIG value: a JSON string, or the object itself (a `[vars]` table). */
export function checkConfig(value: unknown): ConfigCheck {
  const read = readConfigValue(value);
  if (!read.ok) return read.check;
  const parsed = configSchema.safeParse(read.json);
  if (!parsed.success) return { ok: false, errors: issuesOf(parsed.error), secrets: [] };
  return { ok: true, config: parsed.data, secrets: secretsNeeded(parsed.data), errors: [] };
}

/** zod's issues (any zod flavour: only `path` and `message` are read). */
function issuesOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): ConfigIssue[] {
  return error.issues.map((issue) => ({ field: fieldOf(issue.path), message: issue.message }));
}
