/**
 * Records -> vectors: turns records (objects, CSV rows, or a columnar table)
 * into a row-major {@link Matrix} with one column per metric of the field spec,
 * plus a mask of the values that were missing.
 *
 * What counts as a value:
 * - a finite number, or text that reads as one after trimming (`"12.5"`, `" 3 "`,
 *   `"1e3"`, `"-0.5"`);
 * - MISSING: `undefined`, `null`, an empty or all-blank string (the CSV empty
 *   cell), and a NaN number (the typed-array convention for "no value"). Missing
 *   values are written as NaN in the matrix, flagged 1 in `missing`, and are for
 *   the {@link Imputer} to fill.
 * - anything else is an ERROR, a {@link RecordError} naming the data row
 *   (1-based), the CSV line when known, the field and the value: text such as
 *   `"abc"`, `"12x"`, `"NA"`, `"null"`, hexadecimal `"0x1F"`, booleans, and
 *   +/-Infinity. Bad data is reported, never silently turned into a number or a
 *   gap. Callers that do use tokens such as `NA` for gaps can list them in
 *   {@link VectorizeOptions.missingTokens}.
 */
import { checkFieldsPresent, parseFieldSpec, toModelScale, type FieldSpec } from './field-spec.ts';
import type { Matrix } from '../matrix.ts';

export class RecordError extends Error {
  override name = 'RecordError';
  /** 1-based data row (the first record after the header is row 1). */
  readonly row: number;
  /** 1-based line of the CSV input, when the record came from one. */
  readonly line: number | undefined;
  readonly field: string;
  readonly value: unknown;
  /** What was wrong, without the location. */
  readonly reason: string;
  constructor(row: number, line: number | undefined, field: string, value: unknown, why: string, source?: string) {
    const where = `${source ? `${source}: ` : ''}row ${row}${line !== undefined ? ` (line ${line})` : ''}, field "${field}"`;
    super(`${where}: ${why}`);
    this.row = row;
    this.line = line;
    this.field = field;
    this.value = value;
    this.reason = why;
  }

  /**
   * The same error placed in a larger input: for a batch that starts after
   * `rowOffset` data rows, with the input line of each batch row when known.
   */
  relocate(rowOffset: number, lineOf?: (batchRow: number) => number | undefined, source?: string): RecordError {
    return new RecordError(rowOffset + this.row, lineOf ? lineOf(this.row - 1) : this.line, this.field, this.value, this.reason, source);
  }
}

/** Records as arrays of CSV cells sharing one header (what the CSV parser yields). */
export interface RowTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  /** Input line of each row (parallel to `rows`), for error messages. */
  readonly lines?: ArrayLike<number>;
}

/** Column-oriented records: one array per field, all of the same length. */
export interface ColumnTable {
  readonly columns: Readonly<Record<string, ArrayLike<unknown>>>;
}

export type VectorizeInput = readonly Readonly<Record<string, unknown>>[] | RowTable | ColumnTable;

export interface VectorizeOptions {
  /** Number of data rows before this batch, so that errors name the row in the whole input. Default 0. */
  readonly rowOffset?: number;
  /** Name of the input (file path) for error messages. */
  readonly source?: string;
  /** Extra texts to read as missing (e.g. `['NA', 'NaN']`). Default none: only empty/null/undefined. */
  readonly missingTokens?: readonly string[];
}

export interface Vectorized {
  /** rows x metrics, NaN where missing. */
  readonly matrix: Matrix;
  /** Same layout as `matrix.data`: 1 where the value was missing. */
  readonly missing: Uint8Array;
  /** Metric names, in spec order (the matrix's columns). */
  readonly columns: string[];
}

/** Outcome of reading one cell: a number, NaN for missing; throws nothing (the caller builds the error). */
const INVALID = Symbol('invalid');

/**
 * Reads one numeric cell. Returns the number, NaN when missing, or INVALID.
 * Numbers are validated with Number() plus a check that the text uses only
 * decimal-number characters (Number() alone accepts "0x1F", "Infinity", "").
 */
function readCell(v: unknown, missingTokens: ReadonlySet<string> | undefined): number | typeof INVALID {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v;
    return Number.isNaN(v) ? NaN : INVALID;
  }
  if (v === undefined || v === null) return NaN;
  if (typeof v !== 'string') return INVALID;
  const n = v.length;
  // Fast path: plain decimal text with no surrounding blanks.
  let start = 0;
  let end = n;
  while (start < end && isBlank(v.charCodeAt(start))) start++;
  while (end > start && isBlank(v.charCodeAt(end - 1))) end--;
  if (start === end) return NaN;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i);
    // digits . + - e E
    if (!((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 45 || c === 101 || c === 69)) {
      if (missingTokens !== undefined && missingTokens.has(v.slice(start, end))) return NaN;
      return INVALID;
    }
  }
  const num = Number(start === 0 && end === n ? v : v.slice(start, end));
  if (Number.isFinite(num)) return num;
  if (missingTokens !== undefined && missingTokens.has(v.slice(start, end))) return NaN;
  return INVALID;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0;
}

function describeInvalid(v: unknown): string {
  if (typeof v === 'number') return `${v} is not a finite number`;
  if (typeof v === 'string') return `${JSON.stringify(v)} is not a number`;
  return `a ${typeof v} (${String(v)}) is not a number`;
}

function toSpec(spec: string | FieldSpec): FieldSpec {
  return typeof spec === 'string' ? parseFieldSpec(spec) : spec;
}

/** Parses a single value as {@link vectorize} would; throws a RecordError (row 1) on bad input. For one-off checks. */
export function parseNumericValue(value: unknown, field = 'value'): number {
  const r = readCell(value, undefined);
  if (r === INVALID) throw new RecordError(1, undefined, field, value, describeInvalid(value));
  return r;
}

/** True when the value reads as a number or is missing under the vectorizer's rules (used to detect numeric columns). */
export function isNumericOrMissing(value: unknown): boolean {
  return readCell(value, undefined) !== INVALID;
}

/** True when the value is missing under the vectorizer's rules. */
export function isMissingValue(value: unknown): boolean {
  const r = readCell(value, undefined);
  return r !== INVALID && Number.isNaN(r);
}

export function vectorize(input: VectorizeInput, spec: string | FieldSpec, options: VectorizeOptions = {}): Vectorized {
  const fieldSpec = toSpec(spec);
  const names = fieldSpec.fields.map((f) => f.name);
  const cols = names.length;
  const offset = options.rowOffset ?? 0;
  const tokens = options.missingTokens && options.missingTokens.length > 0 ? new Set(options.missingTokens) : undefined;
  const source = options.source;

  const transforms = fieldSpec.fields.map((f) => f.transform);
  const anyTransform = transforms.some((t) => t !== undefined);
  const fill = (rows: number, get: (r: number, c: number) => unknown, lineOf?: (r: number) => number | undefined): Vectorized => {
    const data = new Float64Array(rows * cols);
    const missing = new Uint8Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = get(r, c);
        let x = readCell(v, tokens);
        if (x === INVALID) {
          throw new RecordError(offset + r + 1, lineOf?.(r), names[c]!, v, describeInvalid(v), source);
        }
        if (anyTransform && transforms[c] !== undefined && x === x) {
          if (x < 0) throw new RecordError(offset + r + 1, lineOf?.(r), names[c]!, v, `${x} is negative, and the field spec models "${names[c]}" on a log scale (ln(1 + value) needs values >= 0)`, source);
          x = toModelScale(transforms[c], x);
        }
        data[base + c] = x;
        if (x !== x) missing[base + c] = 1;
      }
    }
    return { matrix: { data, rows, cols }, missing, columns: names };
  };

  if (Array.isArray(input)) {
    const records = input as readonly Readonly<Record<string, unknown>>[];
    const out = fill(records.length, (r, c) => records[r]![names[c]!]);
    // A field that no record carries at all is a typo in the spec, not a gap in the
    // data (a record may legitimately omit a metric: that one value is missing).
    if (records.length > 0) {
      const absent = names.filter((n) => !records.some((rec) => n in rec));
      if (absent.length > 0) {
        const keys = [...new Set(records.slice(0, 100).flatMap((rec) => Object.keys(rec)))];
        checkFieldsPresent({ fields: fieldSpec.fields.filter((f) => absent.includes(f.name)) }, keys, source ?? 'the records');
      }
    }
    return out;
  }
  if ('header' in input) {
    const table = input as RowTable;
    checkFieldsPresent(fieldSpec, table.header, source ?? 'input');
    const idx = names.map((n) => table.header.indexOf(n));
    const lines = table.lines;
    return fill(
      table.rows.length,
      (r, c) => table.rows[r]![idx[c]!],
      lines ? (r) => lines[r] : undefined,
    );
  }
  const table = (input as ColumnTable).columns;
  checkFieldsPresent(fieldSpec, Object.keys(table), source ?? 'input');
  const arrays = names.map((n) => table[n]!);
  const rows = arrays.length > 0 ? arrays[0]!.length : 0;
  arrays.forEach((a, c) => {
    if (a.length !== rows) {
      throw new RecordError(Math.min(a.length, rows) + 1 + offset, undefined, names[c]!, undefined, `column has ${a.length} values, "${names[0]}" has ${rows}`, source);
    }
  });
  return fill(rows, (r, c) => arrays[c]![r]);
}
