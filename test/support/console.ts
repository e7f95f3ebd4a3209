// The console as the workerd tests read it: every line the Worker logs, and its audit lines.
import { afterAll, beforeAll, vi } from "vitest";
import type { Json } from "../broker/helpers.js";

/** What the Worker wrote to console.log, .error and .warn, captured for the whole file. */
export interface ConsoleCapture {
  /** Lines since the last clear(). */
  readonly lines: string[];
  /** Every line since the file started (for "no secret in any output"). */
  readonly all: string[];
  clear(): void;
  /** The audit lines (event "decision") since the last clear(). */
  auditLines(): Json[];
}

/** Captures the console from this file's beforeAll to its afterAll (call at the top level). */
export function captureConsole(): ConsoleCapture {
  const lines: string[] = [];
  const all: string[] = [];
  beforeAll(() => {
    const log = (...args: unknown[]) => {
      const line = args.map(String).join(" ");
      lines.push(line);
      all.push(line);
    };
    for (const method of ["log", "error", "warn"] as const) vi.spyOn(console, method).mockImplementation(log);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
  return {
    lines,
    all,
    clear: () => {
      lines.length = 0;
    },
    auditLines: () => auditLinesIn(lines),
  };
}

/** The audit lines (event "decision") among these console lines, parsed. */
export function auditLinesIn(lines: readonly string[]): Json[] {
  return lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Json)
    .filter((line) => line.event === "decision");
}
