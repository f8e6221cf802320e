/**
 * From a CSV file to detector input, for `train` and `score`:
 * - which columns are metrics (`--fields`, or every numeric column minus
 *   `--exclude`, the time and the segment field), checked against the header;
 * - each row as a small record holding only the metrics, the segment and the
 *   time, as text (the time is parsed here once too, so that a bad time names
 *   its row and line);
 * - a training sample: every row when the file has at most `maxRows` data rows,
 *   else a uniform reservoir sample of `maxRows` rows (seeded), kept in file
 *   order so each segment's rows stay in time order.
 */
import { checkFieldsPresent, parseFieldSpec, formatFieldSpec, type FieldSpec } from '../features/field-spec.ts';
import { specFromColumns, type SkippedColumn, INFER_SAMPLE_ROWS } from '../features/infer-spec.ts';
import { RecordError, vectorize } from '../features/vectorize.ts';
import type { MatrixInput } from '../pipeline/anomaly-detector.ts';
import { parseTime } from '../features/time.ts';
import { Prng } from '../random/prng.ts';
import type { CxRecord } from '../pipeline/types.ts';
import { readCsvBatches, readCsvHead, type CsvBatch } from './csv-file.ts';
import { CliError } from './errors.ts';
import { Progress } from './progress.ts';

export interface InputPlan {
  readonly path: string;
  readonly header: string[];
  readonly spec: FieldSpec;
  readonly timeField: string | undefined;
  readonly segmentField: string | undefined;
  /** Columns not used as metrics, with why (only when the spec was inferred). */
  readonly skipped: SkippedColumn[];
  /** Index in the header of each metric, then of time and segment (-1 when absent). */
  readonly metricIdx: number[];
  readonly timeIdx: number;
  readonly segmentIdx: number;
}

export interface PlanOptions {
  /** `--fields` text. */
  readonly fields?: string | undefined;
  /** `--exclude` columns. */
  readonly exclude?: readonly string[];
  /** A model's spec (score --model): used as is. */
  readonly spec?: FieldSpec;
  readonly timeField?: string | undefined;
  readonly segmentField?: string | undefined;
}

function columnIndex(header: readonly string[], name: string, what: string, path: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw new CliError(`${what} "${name}" not found in ${path}; columns present: ${header.join(', ')}`);
  return i;
}

export async function planInput(path: string, opts: PlanOptions): Promise<InputPlan> {
  if (opts.fields !== undefined && opts.exclude !== undefined && opts.exclude.length > 0) {
    throw new CliError('use either --fields or --exclude, not both');
  }
  const head = await readCsvHead(path, INFER_SAMPLE_ROWS);
  const header = head.header;
  const timeIdx = opts.timeField !== undefined ? columnIndex(header, opts.timeField, 'time field', path) : -1;
  const segmentIdx = opts.segmentField !== undefined ? columnIndex(header, opts.segmentField, 'segment field', path) : -1;
  let spec: FieldSpec;
  let skipped: SkippedColumn[] = [];
  if (opts.spec !== undefined) {
    spec = opts.spec;
  } else if (opts.fields !== undefined) {
    spec = parseFieldSpec(opts.fields);
  } else {
    // Every numeric column except the excluded ones and the time/segment fields.
    const exclude = [...(opts.exclude ?? [])];
    for (const f of [opts.timeField, opts.segmentField]) if (f !== undefined && !exclude.includes(f)) exclude.push(f);
    const inferred = specFromColumns(header, exclude, head.rows);
    spec = inferred.spec;
    skipped = inferred.skipped;
  }
  checkFieldsPresent(spec, header, path);
  for (const f of spec.fields) {
    if (f.name === opts.timeField || f.name === opts.segmentField) {
      throw new CliError(`field "${f.name}" is the ${f.name === opts.timeField ? 'time' : 'segment'} field; it cannot also be a metric`);
    }
  }
  return {
    path,
    header,
    spec,
    timeField: opts.timeField,
    segmentField: opts.segmentField,
    skipped,
    metricIdx: spec.fields.map((f) => header.indexOf(f.name)),
    timeIdx,
    segmentIdx,
  };
}

/** Records of one batch: metrics as text, time as epoch ms, segment as text. */
export function batchRecords(plan: InputPlan, batch: CsvBatch): CxRecord[] {
  const names = plan.spec.fields.map((f) => f.name);
  const idx = plan.metricIdx;
  const m = names.length;
  const out: CxRecord[] = new Array(batch.rows.length);
  for (let r = 0; r < batch.rows.length; r++) {
    const row = batch.rows[r]!;
    const rec: Record<string, unknown> = {};
    for (let c = 0; c < m; c++) rec[names[c]!] = row[idx[c]!];
    if (plan.timeIdx >= 0) {
      const v = row[plan.timeIdx]!;
      try {
        parseTime(v); // checked here so that a bad time names its row and line
      } catch (e) {
        throw new RecordError(batch.rowOffset + r + 1, batch.lines[r], plan.timeField!, v, (e as Error).message, plan.path);
      }
      rec[plan.timeField!] = v; // as text: the pipeline reads it with the same parseTime
    }
    if (plan.segmentIdx >= 0) {
      const v = row[plan.segmentIdx]!;
      if (v.trim() === '') throw new RecordError(batch.rowOffset + r + 1, batch.lines[r], plan.segmentField!, v, 'empty segment value', plan.path);
      rec[plan.segmentField!] = v;
    }
    out[r] = rec;
  }
  return out;
}

/** A batch as the pipeline's columnar input: the metric matrix (NaN = missing), segment keys and times. */
export function batchColumns(plan: InputPlan, batch: CsvBatch): MatrixInput {
  const { matrix, missing } = vectorize(batch, plan.spec, { rowOffset: batch.rowOffset, source: plan.path });
  const n = batch.rows.length;
  const input: { matrix: MatrixInput['matrix']; missing: Uint8Array; segments?: string[]; times?: Float64Array } = { matrix, missing };
  if (plan.timeIdx >= 0) {
    const times = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const v = batch.rows[r]![plan.timeIdx]!;
      try {
        times[r] = parseTime(v);
      } catch (e) {
        throw new RecordError(batch.rowOffset + r + 1, batch.lines[r], plan.timeField!, v, (e as Error).message, plan.path);
      }
    }
    input.times = times;
  }
  if (plan.segmentIdx >= 0) {
    const segments = new Array<string>(n);
    for (let r = 0; r < n; r++) {
      const v = batch.rows[r]![plan.segmentIdx]!;
      if (v.trim() === '') throw new RecordError(batch.rowOffset + r + 1, batch.lines[r], plan.segmentField!, v, 'empty segment value', plan.path);
      segments[r] = v;
    }
    input.segments = segments;
  }
  return input;
}

/** Runs `fn` on a batch's records, placing any RecordError it raises in the whole file (row, line, path). */
export function withBatchErrors<T>(plan: InputPlan, batch: CsvBatch, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RecordError && e.row <= batch.rows.length && !e.message.startsWith(plan.path)) {
      throw e.relocate(batch.rowOffset, (k) => batch.lines[k], plan.path);
    }
    throw e;
  }
}

export interface TrainingSample {
  readonly records: CxRecord[];
  /** Data rows in the file. */
  readonly totalRows: number;
  /** True when the sample is a subset of the rows. */
  readonly sampled: boolean;
}

/**
 * One pass over the file: every record when there are at most `maxRows`, else a
 * reservoir sample (Algorithm R, seeded), returned in file order. Each batch is
 * checked by `validate` (e.g. vectorized) so that a bad value anywhere in the
 * file is reported in this pass, with its row.
 */
export async function trainingSample(plan: InputPlan, maxRows: number, seed: number, validate: (records: CxRecord[], batch: CsvBatch) => void): Promise<TrainingSample> {
  const rng = new Prng(seed ^ 0x5eed);
  const kept: CxRecord[] = [];
  const keptAt: number[] = [];
  let seen = 0;
  const progress = new Progress('reading');
  for await (const batch of readCsvBatches(plan.path)) {
    const records = batchRecords(plan, batch);
    withBatchErrors(plan, batch, () => validate(records, batch));
    for (let r = 0; r < records.length; r++, seen++) {
      if (seen < maxRows) {
        kept.push(records[r]!);
        keptAt.push(seen);
      } else {
        const j = rng.nextInt(seen + 1);
        if (j < maxRows) {
          kept[j] = records[r]!;
          keptAt[j] = seen;
        }
      }
    }
    progress.update(seen, batch.bytesRead, batch.totalBytes);
  }
  progress.done();
  if (seen === 0) throw new CliError(`${plan.path} has a header but no data rows`);
  if (seen <= maxRows) return { records: kept, totalRows: seen, sampled: false };
  const order = keptAt.map((_, k) => k).sort((a, b) => keptAt[a]! - keptAt[b]!);
  return { records: order.map((k) => kept[k]!), totalRows: seen, sampled: true };
}

/** Text for the stderr note about inferred fields. */
export function describePlan(plan: InputPlan): string {
  const parts = [`fields ${formatFieldSpec(plan.spec)}`];
  if (plan.skipped.length > 0) parts.push(`skipped ${plan.skipped.map((s) => s.name).join(', ')} (not numeric)`);
  return parts.join('; ');
}
