/**
 * CSV formatting (RFC 4180 quoting), isomorphic: it builds strings, and the
 * caller decides where they go (a Node stream in the CLI, a Blob in a browser).
 *
 * A field is quoted only when it must be: when it holds the delimiter, a quote,
 * CR or LF, or starts/ends with a space (so readers that trim keep it intact).
 * Quotes inside are doubled. Rows end with LF.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;

/** One field, quoted if needed. Numbers are written with JS's shortest round-trip form; null/undefined/NaN as empty. */
export function csvField(value: unknown, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  const s = typeof value === 'string' ? value : String(value);
  const n = s.length;
  if (n === 0) return s;
  const d = delimiter.charCodeAt(0);
  let needs = s.charCodeAt(0) === SPACE || s.charCodeAt(n - 1) === SPACE;
  for (let i = 0; !needs && i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === d || c === QUOTE || c === LF || c === CR) needs = true;
  }
  if (!needs) return s;
  return '"' + s.replaceAll('"', '""') + '"';
}

/** One row, with its trailing newline. */
export function csvRow(fields: readonly unknown[], delimiter = ','): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += delimiter;
    out += csvField(fields[i], delimiter);
  }
  return out + '\n';
}

/** A whole table as CSV text (header first). For small outputs; stream large ones row by row. */
export function csvText(header: readonly string[], rows: Iterable<readonly unknown[]>, delimiter = ','): string {
  const parts: string[] = [csvRow(header, delimiter)];
  for (const row of rows) parts.push(csvRow(row, delimiter));
  return parts.join('');
}
