// Setup file of the workerd project (vitest.config.ts): runs before each test file, so every file's
// `call`s reach an isolate state of their own (empty config, admin, ban and JWKS caches, counters),
// not one shared with the files that ran before it in the same runtime.
import { freshIsolate } from "../broker/helpers.js";

freshIsolate();
