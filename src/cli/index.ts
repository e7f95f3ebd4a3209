/** The process entry point; scripts/build-cli.mjs bundles it into dist/cli.mjs, which bin/usersig-broker.mjs runs. */

import { nodeIo } from "./io.js";
import { main } from "./main.js";

// exitCode rather than exit(): stdout is flushed before the process ends, also into a pipe.
process.exitCode = await main(process.argv.slice(2), nodeIo(process));
