/**
 * BROKER_CONFIG judged by its zod schemas themselves: every problem, each with its field path and
 * zod's English words (which name the expected shape and never echo a value). For the CLI and the
 * tests: the Worker judges with the validators compiled from the same schemas (check.ts
 * `judgeConfig`), which report the same issues (test/node/validators.test.ts). Both judge the same
 * parts, the top level (configTopSchema) and each app (appSchema), composed the same way (check.ts
 * `composeConfig`).
 */

import { type ConfigCheck, type ConfigParts, composeConfig, type PartValidator, secretsNeeded } from "./check.js";
import { appSchema, configTopSchema } from "./schema.js";

/** A zod schema as a part's validator (any zod flavour: only `path` and `message` of an issue are read). */
function zodPart(schema: {
  safeParse(
    input: unknown,
  ):
    | { success: true; data: unknown }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}): PartValidator {
  return (input) => {
    const parsed = schema.safeParse(input);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: parsed.error.issues };
  };
}

/** BROKER_CONFIG's parts, judged by zod. */
export const ZOD_PARTS: ConfigParts = { top: zodPart(configTopSchema), app: zodPart(appSchema) };

/** Validates a BROKER_CONFIG value: a JSON string, or the object itself (a `[vars]` table). */
export function checkConfig(value: unknown): ConfigCheck {
  const checked = composeConfig(value, ZOD_PARTS);
  if (!checked.ok) return { ok: false, errors: checked.errors, secrets: [] };
  return { ok: true, config: checked.config, secrets: secretsNeeded(checked.config), errors: [] };
}
