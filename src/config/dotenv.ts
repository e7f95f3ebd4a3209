/**
 * A `.dev.vars` / `.env` file read the way `wrangler dev` reads `.dev.vars`: wrangler 4.86 passes it
 * to `dotenv.parse` (dotenv 16.3.1; no `${VAR}` expansion for .dev.vars), so `check-config` must see
 * the same values the Worker will get, multi-line quoted values (a pretty-printed BROKER_CONFIG)
 * included. test/node/config-judgement.test.ts checks this parser against dotenv 16.3.1 itself.
 *
 * dotenv's rules, as its parser applies them: `KEY=value` or `KEY: value` (keys of letters, digits,
 * `_`, `.`, `-`; an `export ` prefix is dropped); a value in '…', "…" or `…` may span lines and keeps
 * everything between its quotes (a backslash before the quote keeps it inside), and must be followed
 * by nothing but blanks or a `# comment` on its line; in "…" the two-character sequences \n and \r
 * become a line feed and a carriage return; an unquoted value ends at `#` or the end of the line; values
 * are trimmed; a later key wins. Pure: no I/O.
 */

const QUOTES = "'\"`";
const KEY_CHAR = /[\w.-]/;
const BLANK = /\s/;

export function parseDotenv(text: string): Record<string, string> {
  const src = text.replace(/\r\n?/g, "\n");
  const vars: Record<string, string> = {};
  let lineStart = 0;
  while (lineStart <= src.length) {
    const at = skipBlanks(src, lineStart);
    const entry = readEntry(src, at, true) ?? readEntry(src, at, false);
    const resumeFrom = entry ? entry.end : at;
    if (entry) vars[entry.key] = entry.value;
    const next = src.indexOf("\n", resumeFrom);
    if (next === -1) break;
    lineStart = next + 1;
  }
  return vars;
}

interface Entry {
  key: string;
  value: string;
  /** Where the entry's last line ends (a later entry starts on a following line). */
  end: number;
}

function readEntry(src: string, start: number, withExport: boolean): Entry | undefined {
  let i = start;
  if (withExport) {
    if (!src.startsWith("export", i) || !BLANK.test(src[i + 6] ?? "")) return undefined;
    i = skipBlanks(src, i + 6);
  }
  const keyStart = i;
  while (i < src.length && KEY_CHAR.test(src[i] as string)) i++;
  if (i === keyStart) return undefined;
  const key = src.slice(keyStart, i);
  // `KEY = value` (blanks, even line breaks, before the `=`) or `KEY: value` (one blank after `:`).
  const equals = skipBlanks(src, i);
  let valueStart: number;
  if (src[equals] === "=") valueStart = equals + 1;
  else if (src[i] === ":" && BLANK.test(src[i + 1] ?? "")) valueStart = i + 2;
  else return undefined;
  const raw = quotedValue(src, valueStart) ?? unquotedValue(src, valueStart);
  return { key, value: finish(raw.text), end: raw.end };
}

/** '…', "…" or `…` (after any blanks), closed by a quote that only blanks or a comment follow on its line. */
function quotedValue(src: string, from: number): { text: string; end: number } | undefined {
  const open = skipBlanks(src, from);
  const quote = src[open];
  if (quote === undefined || !QUOTES.includes(quote)) return undefined;
  // Candidate closing quotes: each quote up to the first one that no backslash precedes; the last first.
  const candidates: number[] = [];
  for (let j = open + 1; j < src.length; j++) {
    if (src[j] !== quote) continue;
    candidates.push(j);
    if (src[j - 1] !== "\\") break;
  }
  for (const close of candidates.reverse()) {
    const lineEnd = endOfLine(src, close + 1);
    if (/^[^\S\n]*(?:#.*)?$/.test(src.slice(close + 1, lineEnd))) {
      return { text: src.slice(from, close + 1), end: lineEnd };
    }
  }
  return undefined;
}

/** The rest of the line up to a `#` (possibly nothing). */
function unquotedValue(src: string, from: number): { text: string; end: number } {
  let j = from;
  while (j < src.length && src[j] !== "#" && src[j] !== "\n") j++;
  return { text: src.slice(from, j), end: endOfLine(src, j) };
}

function finish(raw: string): string {
  let value = raw.trim();
  const quote = value[0];
  if (value.length >= 2 && quote !== undefined && QUOTES.includes(quote) && value.endsWith(quote)) {
    value = value.slice(1, -1);
  }
  if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  return value;
}

function skipBlanks(src: string, from: number): number {
  let i = from;
  while (i < src.length && BLANK.test(src[i] as string)) i++;
  return i;
}

function endOfLine(src: string, from: number): number {
  const next = src.indexOf("\n", from);
  return next === -1 ? src.length : next;
}
