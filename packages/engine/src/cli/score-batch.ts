/**
 * One batch of `cx-anomaly score`, from parsed CSV rows to output CSV text: the
 * same function runs on the main thread (`--threads 1`, `--stream`) and in the
 * score workers, so that the output is byte-identical whatever the thread count.
 */
import { csvRow } from '../io/csv-writer.ts';
import type { AnomalyDetector, DetectorResult } from '../pipeline/anomaly-detector.ts';
import type { CsvBatch } from './csv-file.ts';
import { batchColumns, batchRecords, withBatchErrors, type InputPlan } from './input.ts';

/** What shapes the output columns (fixed for a whole run). */
export interface ScoreFormat {
  /** Metric names, in the order of the expected_<m> columns. */
  readonly columns: readonly string[];
  readonly explain: boolean;
  readonly withIf: boolean;
  readonly withRcf: boolean;
}

export interface BatchOutput {
  /** The output rows (input columns + result columns), CSV text, each row ending with LF. */
  readonly text: string;
  /** Rows flagged is_anomaly among the written ones. */
  readonly anomalies: number;
}

function fmt(x: number | undefined, digits: number): string {
  if (x === undefined || x !== x) return '';
  const f = 10 ** digits;
  return String(Math.round(x * f) / f);
}

/** The result columns for one result. */
function resultFields(r: DetectorResult, f: ScoreFormat): string[] {
  const out: string[] = [fmt(r.score, 6), r.isAnomaly ? '1' : '0', fmt(r.grade, 1)];
  if (f.withIf) out.push(fmt(r.scores.iforest, 6));
  if (f.withRcf) out.push(fmt(r.scores.rcf, 6));
  let top = '';
  let dir = '';
  let best = 0;
  for (const m of f.columns) {
    const a = r.attribution[m];
    if (!a) continue;
    if (a.high > best) {
      best = a.high;
      top = m;
      dir = 'high';
    }
    if (a.low > best) {
      best = a.low;
      top = m;
      dir = 'low';
    }
  }
  out.push(top, dir);
  for (const m of f.columns) out.push(fmt(r.expected[m], 4));
  out.push(r.imputed.join(';'));
  return out;
}

/** The header row's fields for `plan` and `f`. */
export function scoreHeader(plan: InputPlan, f: ScoreFormat): string[] {
  const header = [...plan.header, 'score', 'is_anomaly', 'grade'];
  if (f.withIf) header.push('if_score');
  if (f.withRcf) header.push('rcf_score');
  if (f.explain) header.push('top_metric', 'top_direction', ...f.columns.map((m) => `expected_${m}`), 'imputed');
  return header;
}

/**
 * Scores `work` (batch scoring, or score-then-learn when `stream`) and formats
 * the rows from `skip` on: the first `skip` rows are context carried over from
 * the previous batch (see score.ts) and are scored but not written.
 */
export function scoreBatch(detector: AnomalyDetector, plan: InputPlan, work: CsvBatch, skip: number, f: ScoreFormat, stream: boolean): BatchOutput {
  let text = '';
  let anomalies = 0;
  if (f.explain) {
    const records = batchRecords(plan, work);
    const results = withBatchErrors(plan, work, () => (stream ? detector.updateMany(records) : detector.score(records)));
    for (let r = skip; r < results.length; r++) {
      const res = results[r]!;
      if (res.isAnomaly) anomalies++;
      text += csvRow([...work.rows[r]!, ...resultFields(res, f)]);
    }
  } else {
    const input = batchColumns(plan, work);
    const res = stream ? detector.updateMatrix(input) : detector.scoreMatrix(input);
    for (let r = skip; r < res.rows; r++) {
      if (res.isAnomaly[r] === 1) anomalies++;
      const extra = [fmt(res.score[r], 6), res.isAnomaly[r] === 1 ? '1' : '0', fmt(res.grade[r], 1)];
      if (f.withIf) extra.push(fmt(res.iforest[r], 6));
      if (f.withRcf) extra.push(fmt(res.rcf[r], 6));
      text += csvRow([...work.rows[r]!, ...extra]);
    }
  }
  return { text, anomalies };
}
