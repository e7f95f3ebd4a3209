// Shared by the build scripts: write a file beside its target and rename it into place, so a reader
// (a CLI starting, a Worker reloading, a page loading, a concurrent build) never sees half a file.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** @param {string} path @param {string | Uint8Array} contents */
export async function writeAtomic(path, contents) {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, contents);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}
