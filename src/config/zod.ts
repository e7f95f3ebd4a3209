/**
 * zod for the schemas: `zod/mini` (the same zod 4 as `zod`, with functions instead of methods, so a
 * bundle keeps only what it uses) with zod's English messages, which name the expected shape (and
 * an unknown key) and never echo the value. `zod` itself would bring every locale and the JSON
 * Schema converter into every cold isolate: see BENCHMARKS.md, Cold start.
 *
 * Import zod from here (`import * as z from "./zod.js"`), not from "zod" (which would bring the
 * rest back). src/ratelimit/schema.ts, a lower layer, imports "zod/mini" itself; its schema is only
 * parsed as part of the config schema, which imports this module.
 *
 * The Worker carries none of this: it judges with the validators compiled from these schemas at
 * build time (scripts/build-validators.mjs), which word their issues with the same locale module.
 * zod is for the CLI, the build and the tests.
 */

import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

config(en());

export * from "zod/mini";
