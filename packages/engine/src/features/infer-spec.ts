/**
 * A field spec from the data itself, for `--exclude`: every column that looks
 * numeric in a sample of the first rows becomes a metric with direction `both`,
 * except the excluded ones. Ids, queue names and timestamps are text and are
 * skipped; each skipped column is reported with the reason.
 *
 * "Looks numeric": every sampled value reads as a number or is missing (under
 * the vectorizer's rules) and at least one is a number. A column of numbers
 * with a stray bad value beyond the sample is still picked and then fails in
 * the vectorizer with the row named, rather than being silently dropped.
 */
import { FieldSpecError, type FieldSpec } from './field-spec.ts';
import { isMissingValue, isNumericOrMissing } from './vectorize.ts';

export interface SkippedColumn {
  readonly name: string;
  readonly reason: string;
}

export interface InferredSpec {
  readonly spec: FieldSpec;
  /** Columns left out because they are not numeric (or have no value in the sample). */
  readonly skipped: SkippedColumn[];
  /** Columns left out because the caller excluded them. */
  readonly excluded: string[];
}

/** Default number of rows examined. */
export const INFER_SAMPLE_ROWS = 1000;

/**
 * @param columns the header
 * @param exclude column names to leave out (each must exist: a typo is an error listing the columns)
 * @param sample the first rows of the data, as arrays parallel to `columns`
 */
export function specFromColumns(
  columns: readonly string[],
  exclude: readonly string[],
  sample: readonly (readonly unknown[])[],
  sampleRows = INFER_SAMPLE_ROWS,
): InferredSpec {
  const present = new Set(columns);
  const unknown = exclude.filter((e) => !present.has(e));
  if (unknown.length > 0) {
    throw new FieldSpecError(
      `excluded column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} not found; columns present: ${columns.join(', ')}`,
    );
  }
  const ex = new Set(exclude);
  const rows = Math.min(sample.length, sampleRows);
  const fields: { name: string; direction: 'both' }[] = [];
  const skipped: SkippedColumn[] = [];
  columns.forEach((name, c) => {
    if (ex.has(name)) return;
    let numbers = 0;
    for (let r = 0; r < rows; r++) {
      const v = sample[r]![c];
      if (!isNumericOrMissing(v)) {
        skipped.push({ name, reason: `not numeric (row ${r + 1}: ${JSON.stringify(v)})` });
        return;
      }
      if (!isMissingValue(v)) numbers++;
    }
    if (numbers === 0) {
      skipped.push({ name, reason: `no value in the first ${rows} rows` });
      return;
    }
    fields.push({ name, direction: 'both' });
  });
  if (fields.length === 0) {
    throw new FieldSpecError(
      `no numeric column left to score (columns present: ${columns.join(', ')}${exclude.length ? `; excluded: ${exclude.join(', ')}` : ''})`,
    );
  }
  return { spec: { fields }, skipped, excluded: [...ex] };
}
