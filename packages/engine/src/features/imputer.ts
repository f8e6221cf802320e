/**
 * Imputation of missing metric values (CSAT is missing most of the time in
 * contact-centre data: most interactions get no survey).
 *
 * The rule, one for the whole project:
 * - Batch: a missing value is replaced by the MEDIAN of the observed values of
 *   that column in the training data (robust to the very outliers we look for;
 *   the mean would move with them). The medians are the model's `imputeValues`.
 * - Streaming: by the LAST OBSERVED value of that metric in the same segment
 *   (e.g. the queue), because a metric such as CSAT moves slowly and its last
 *   value is a better guess than a global median; before the segment has seen
 *   a value, the training median.
 * - A column with no observed value at all in the training data imputes 0 and
 *   is listed in {@link ImputerState.emptyColumns} so callers can report it.
 *
 * The missing mask is left untouched: it is what tells each Result which
 * metrics were imputed.
 */
import type { Matrix } from '../matrix.ts';

/** Plain, JSON-safe state (numbers and arrays only), stored in the model. */
export interface ImputerState {
  /** Column names the values belong to (spec order). */
  readonly columns: readonly string[];
  /** The training median of each column (0 for an empty column). */
  readonly imputeValues: readonly number[];
  /** Indices of columns that had no observed value in the training data. */
  readonly emptyColumns: readonly number[];
}

/** Median of the finite values of column `c` whose mask is 0; NaN when none. */
export function columnMedian(matrix: Matrix, missing: Uint8Array | undefined, c: number): number {
  const { data, rows, cols } = matrix;
  const values = new Float64Array(rows);
  let n = 0;
  for (let r = 0, k = c; r < rows; r++, k += cols) {
    const v = data[k]!;
    if ((missing === undefined || missing[k] === 0) && v === v) values[n++] = v;
  }
  if (n === 0) return NaN;
  const sorted = values.subarray(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class Imputer {
  private values: Float64Array;
  private empty: number[];
  private readonly names: string[];
  /** Streaming: last observed value per segment and column (NaN until seen). */
  private readonly last = new Map<string, Float64Array>();

  constructor(columns: readonly string[], state?: Pick<ImputerState, 'imputeValues' | 'emptyColumns'>) {
    this.names = [...columns];
    this.values = new Float64Array(columns.length);
    this.empty = [];
    if (state) {
      if (state.imputeValues.length !== columns.length) {
        throw new Error(`Imputer: state has ${state.imputeValues.length} impute values for ${columns.length} columns`);
      }
      this.values.set(state.imputeValues);
      this.empty = [...state.emptyColumns];
    }
  }

  /** Restores an imputer from {@link toState} output. */
  static fromState(state: ImputerState): Imputer {
    return new Imputer(state.columns, state);
  }

  get columns(): readonly string[] {
    return this.names;
  }

  /** The batch impute value of each column (the training medians). */
  get imputeValues(): Float64Array {
    return this.values;
  }

  /** Names of the columns that had no observed training value (they impute 0). */
  get emptyColumns(): string[] {
    return this.empty.map((c) => this.names[c]!);
  }

  /** Learns each column's median of observed values. */
  fit(matrix: Matrix, missing?: Uint8Array): this {
    if (matrix.cols !== this.names.length) {
      throw new Error(`Imputer.fit: matrix has ${matrix.cols} columns, imputer has ${this.names.length}`);
    }
    this.empty = [];
    for (let c = 0; c < matrix.cols; c++) {
      const m = columnMedian(matrix, missing, c);
      if (Number.isNaN(m)) {
        this.values[c] = 0;
        this.empty.push(c);
      } else {
        this.values[c] = m;
      }
    }
    return this;
  }

  /** Batch: replaces each missing value (mask 1, or NaN) of `matrix` IN PLACE by the column's median. Returns how many were filled. */
  apply(matrix: Matrix, missing?: Uint8Array): number {
    const { data, cols } = matrix;
    const values = this.values;
    let filled = 0;
    for (let k = 0, c = 0; k < data.length; k++) {
      const v = data[k]!;
      if (v !== v || (missing !== undefined && missing[k] === 1)) {
        data[k] = values[c]!;
        filled++;
      }
      if (++c === cols) c = 0;
    }
    return filled;
  }

  /**
   * Streaming: fills the missing values of one row IN PLACE (at `offset` in
   * `row`) with the segment's last observed value, else the median; and
   * remembers the observed ones. Returns how many were filled.
   */
  applyStreaming(row: Float64Array, missing: ArrayLike<number>, segment = '', offset = 0): number {
    const cols = this.names.length;
    let last = this.last.get(segment);
    if (last === undefined) {
      last = new Float64Array(cols).fill(NaN);
      this.last.set(segment, last);
    }
    let filled = 0;
    for (let c = 0; c < cols; c++) {
      const k = offset + c;
      const v = row[k]!;
      if (missing[k] === 1 || v !== v) {
        const l = last[c]!;
        row[k] = l === l ? l : this.values[c]!;
        filled++;
      } else {
        last[c] = v;
      }
    }
    return filled;
  }

  /** Forgets a segment's streaming memory (when the pipeline drops the segment). */
  forgetSegment(segment: string): void {
    this.last.delete(segment);
  }

  /** Streaming memory of one segment, as plain numbers (null where never seen), for saving stream state. */
  segmentState(segment: string): (number | null)[] | undefined {
    const last = this.last.get(segment);
    return last ? Array.from(last, (v) => (v === v ? v : null)) : undefined;
  }

  /** Restores a segment's streaming memory saved by {@link segmentState}. */
  setSegmentState(segment: string, values: readonly (number | null)[]): void {
    if (values.length !== this.names.length) {
      throw new Error(`Imputer.setSegmentState: ${values.length} values for ${this.names.length} columns`);
    }
    this.last.set(segment, Float64Array.from(values, (v) => (v === null ? NaN : v)));
  }

  toState(): ImputerState {
    return { columns: [...this.names], imputeValues: Array.from(this.values), emptyColumns: [...this.empty] };
  }
}

/** Names of the metrics that were missing in row `r` (what each Result lists as `imputed`). */
export function imputedMetrics(missing: Uint8Array, columns: readonly string[], r: number): string[] {
  const cols = columns.length;
  const out: string[] = [];
  for (let c = 0; c < cols; c++) if (missing[r * cols + c] === 1) out.push(columns[c]!);
  return out;
}
