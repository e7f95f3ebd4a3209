/** What the CLI needs from its process, so `main` can also be driven without one. */

import { readFile, stat } from "node:fs/promises";
import { CliError, ExitCode, inputError } from "./errors.js";

export interface Io {
  env: Readonly<Record<string, string | undefined>>;
  /** True when stdin is a terminal: secrets are not read from one (they would be echoed). */
  stdinIsTTY: boolean;
  /** All of stdin as UTF-8; a CliError when it is over `maxBytes`, unreadable or not UTF-8. */
  readStdin(maxBytes: number): Promise<string>;
  /** A file as UTF-8; a CliError when it is missing, over `maxBytes` or not UTF-8. */
  readFile(path: string, maxBytes: number): Promise<string>;
  /** HTTP for `smoke` (globalThis.fetch in the process). */
  fetch(input: string, init?: RequestInit): Promise<Response>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Nothing the CLI reads on stdin (a token, a key) is anywhere near this. */
export const STDIN_MAX_BYTES = 64 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function nodeIo(proc: NodeJS.Process): Io {
  return {
    env: proc.env,
    stdinIsTTY: proc.stdin.isTTY === true,
    readStdin: (maxBytes) => readAll(proc.stdin, maxBytes),
    readFile: (path, maxBytes) => readTextFile(path, maxBytes),
    fetch: (input, init) => fetch(input, init),
    stdout: (text) => {
      proc.stdout.write(text);
    },
    stderr: (text) => {
      proc.stderr.write(text);
    },
  };
}

async function readAll(stream: NodeJS.ReadableStream & { destroy(): void }, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
      total += bytes.byteLength;
      if (total > maxBytes) {
        stream.destroy();
        throw inputError(`stdin is over ${maxBytes} bytes`);
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(ExitCode.Input, "ERR_INPUT", "could not read stdin");
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return utf8.decode(all);
  } catch {
    throw inputError("stdin is not UTF-8");
  }
}

async function readTextFile(path: string, maxBytes: number): Promise<string> {
  let bytes: Uint8Array;
  try {
    if ((await stat(path)).size > maxBytes) throw inputError(`${path} is over ${maxBytes} bytes`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    throw inputError(
      `cannot read ${path}${code === "ENOENT" ? ": no such file" : code === "EISDIR" ? ": it is a directory" : ""}`,
    );
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw inputError(`${path} is not UTF-8`);
  }
}
