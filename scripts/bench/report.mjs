// Turns the benchmark's samples into the printed tables: medians, spread across repetitions, and
// ratios against the floor measured in the same runtime.

export const FLOOR_SIGN = "sign: floor (createHmac + deflateSync)";
export const FLOOR_VERIFY = "verify: floor (inflateSync + createHmac)";

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** (max - min) / median, as a percentage: how much the repetitions disagreed. */
export function spread(values) {
  if (values.length < 2) return 0;
  return ((Math.max(...values) - Math.min(...values)) / median(values)) * 100;
}

/** Verify rows compare with the floor's verify; everything else with the floor's sign. */
function floorFor(op) {
  return op.startsWith("verify:") ? FLOOR_VERIFY : FLOOR_SIGN;
}

function pad(text, width, right) {
  return right ? String(text).padStart(width) : String(text).padEnd(width);
}

function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/**
 * rows: { runtime, op, us: number[] (CPU, or wall where there is no CPU figure), wallUs: number[],
 * clockUs?: number[] }; floors: runtime -> { op -> median µs }.
 * A runtime without its own floor (the production-flags worker) borrows another's via floorOf.
 */
export function formatTable(rows, floors, floorOf = (runtime) => runtime) {
  const header = ["runtime", "operation", "ops/s", "µs/op", "× floor", "spread", "wall µs/op", "in-worker clock µs/op"];
  const lines = rows.map((row) => {
    const us = median(row.us);
    const floor = floors[floorOf(row.runtime)]?.[floorFor(row.op)];
    // workerd's empty loop is the request overhead minus itself: zero within the timing noise.
    const wall = fixed(median(row.wallUs), 1);
    const clock = row.clockUs ? fixed(median(row.clockUs), 1) : "";
    if (us < 0.05) return [row.runtime, row.op, "-", "≈0", "-", "-", wall, clock];
    return [
      row.runtime,
      row.op,
      fixed(1e6 / us, 0),
      fixed(us, 1),
      floor ? `${fixed(us / floor, 2)}x` : "-",
      `±${fixed(spread(row.us) / 2, 0)}%`,
      wall,
      clock,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const right = [false, false, true, true, true, true, true, true];
  const format = (cells) => `| ${cells.map((c, i) => pad(c, widths[i], right[i])).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [format(header), rule, ...lines.map(format)].join("\n");
}

export function formatMemory(rows) {
  const mib = (bytes) => (bytes / 1048576).toFixed(1);
  const lines = rows.map((r) => `| ${r.op} | ${mib(r.before)} | ${mib(r.after)} | ${mib(r.afterGc)} |`);
  return [
    "| Node, one more batch per operation after the timed ones | heap used before (after gc), MiB | after the batch | after gc |",
    "|---|---:|---:|---:|",
    ...lines,
  ].join("\n");
}

/** A seeded shuffle: each repetition runs in another order, the same orders every run. */
export function shuffled(items, seed) {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
