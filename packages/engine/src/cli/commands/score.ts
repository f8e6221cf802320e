/**
 * `cx-anomaly score`: score every row of a CSV file; the output is the input
 * columns plus the result columns, streamed in batches (flat memory whatever
 * the file size).
 *
 * Modes:
 * - `--model m.cxm`: score with a saved model (no state change);
 * - no model: TWO passes over the file: the first fits (on every row, or on a
 *   seeded uniform sample of `--fit-rows` rows of a larger file, kept in file
 *   order), the second scores every row;
 * - `--stream`: one pass, each row scored then learned, in file order (the
 *   order of time); with `--model` the saved model continues learning, without
 *   it the detector starts empty (RRCF warms up, the IF is fitted lazily).
 * The output does not depend on the batch size (see the context rows below).
 * `--no-explain` takes the pipeline's columnar path (typed arrays, no Result
 * objects): the same scores, without attribution and expected values.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatFieldSpec } from '../../features/field-spec.ts';
import { vectorize } from '../../features/vectorize.ts';
import { AnomalyDetector, type DetectorResult } from '../../pipeline/anomaly-detector.ts';
import { intOpt, listOpt, parseCommandArgs, required, str } from '../args.ts';
import { readCsvBatches, fileSize, CsvOutput, type CsvBatch } from '../csv-file.ts';
import { DETECTOR_HELP, DETECTOR_OPTIONS, MODEL_FLAGS, detectorConfig, fitRowsOf, seedOf } from '../detector-options.ts';
import { CliError } from '../errors.ts';
import { batchColumns, batchRecords, planInput, trainingSample, withBatchErrors, type InputPlan } from '../input.ts';
import { Progress } from '../progress.ts';
import { writeOut } from '../io.ts';

export const SCORE_HELP = `Usage: cx-anomaly score --input data.csv [--model model.cxm] [--out scores.csv] [options]

Scores each row. Output: the input columns, then
  score          ensemble score, calibrated to [0, 1]
  is_anomaly     1 when the row raised or continues an alert
  grade          severity 0..100 (critical >= 75, major >= 50, minor >= 25, warning >= 3)
  if_score       the Isolation Forest's calibrated score (iforest, ensemble)
  rcf_score      the Random Cut Forest's calibrated score (rcf, ensemble)
  top_metric     the metric that explains most of the score, and top_direction (high/low)
  expected_<m>   the value of each metric that would have been normal
  imputed        the metrics that were missing and imputed (";"-separated)

Without --model the detector is fitted on the input first: two passes over the file
(all rows, or a seeded uniform sample of --fit-rows rows of a larger file), then scored.
With --stream each row is scored and then learned, in file order, in one pass.

Options:
  --input FILE          CSV file with a header row
  --model FILE          model from "cx-anomaly train" (carries fields, detector, time and segment fields)
  --out FILE            output CSV (default: stdout)
  --stream              streaming: score then learn each row, in order
  --batch-rows N        rows read, scored and written at a time (default 4096)
  --save-model FILE     after scoring, save the detector (with what --stream learned, or the model
                        fitted on the input) to FILE
  --no-explain          only score, is_anomaly, grade and the detectors' scores (faster: no
                        per-row attribution or expected values)
${DETECTOR_HELP}
  -h, --help            this help`;

const BATCH_ROWS = 4096;

function loadModel(path: string): AnomalyDetector {
  fileSize(path, 'model file');
  const bytes = new Uint8Array(readFileSync(path));
  try {
    return AnomalyDetector.load(bytes);
  } catch (e) {
    // Whatever the model reader rejects, the user's file is at fault: one line, no stack.
    throw new CliError(`model file ${path} cannot be used: ${(e as Error).message}`);
  }
}

function fmt(x: number | undefined, digits: number): string {
  if (x === undefined || x !== x) return '';
  const f = 10 ** digits;
  return String(Math.round(x * f) / f);
}

/** The result columns for one result. */
function resultFields(r: DetectorResult, columns: readonly string[], withIf: boolean, withRcf: boolean): string[] {
  const out: string[] = [fmt(r.score, 6), r.isAnomaly ? '1' : '0', fmt(r.grade, 1)];
  if (withIf) out.push(fmt(r.scores.iforest, 6));
  if (withRcf) out.push(fmt(r.scores.rcf, 6));
  let top = '';
  let dir = '';
  let best = 0;
  for (const m of columns) {
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
  for (const m of columns) out.push(fmt(r.expected[m], 4));
  out.push(r.imputed.join(';'));
  return out;
}

export async function runScore(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('score', argv, {
    ...DETECTOR_OPTIONS,
    model: { type: 'string', short: 'm' },
    stream: { type: 'boolean' },
    'batch-rows': { type: 'string' },
    'no-explain': { type: 'boolean' },
    'save-model': { type: 'string' },
  });
  if (values['help']) {
    writeOut(SCORE_HELP + '\n');
    return 0;
  }
  const input = required(values, 'input', 'score');
  const modelPath = str(values, 'model');
  const stream = values['stream'] === true;
  const outPath = str(values, 'out');
  fileSize(input);

  let detector: AnomalyDetector;
  let plan: InputPlan;
  if (modelPath !== undefined) {
    const clash = MODEL_FLAGS.filter((f) => values[f] !== undefined);
    if (clash.length > 0) throw new CliError(`--${clash[0]} cannot be used with --model: the model carries its own (train a new model to change it)`);
    detector = loadModel(modelPath);
    plan = await planInput(input, { spec: detector.config.spec, timeField: detector.config.timeField, segmentField: detector.config.segmentField });
  } else {
    plan = await planInput(input, {
      fields: str(values, 'fields'),
      exclude: listOpt(values, 'exclude'),
      timeField: str(values, 'time-field'),
      segmentField: str(values, 'segment-field'),
    });
    detector = new AnomalyDetector(detectorConfig(values, plan));
    if (!stream) {
      const sample = await trainingSample(plan, fitRowsOf(values), seedOf(values), (records) => {
        vectorize(records, plan.spec);
      });
      detector.fit(sample.records);
    }
  }

  const columns = plan.spec.fields.map((f) => f.name);
  const kind = detector.config.detector;
  const explain = values['no-explain'] !== true;
  const withIf = kind !== 'rcf';
  const withRcf = kind !== 'iforest';
  const header = [...plan.header, 'score', 'is_anomaly', 'grade'];
  if (withIf) header.push('if_score');
  if (withRcf) header.push('rcf_score');
  if (explain) header.push('top_metric', 'top_direction', ...columns.map((m) => `expected_${m}`), 'imputed');

  const batchRows = intOpt(values, 'batch-rows', 1, 10_000_000) ?? BATCH_ROWS;
  // Batch scoring changes no state, so each call starts every segment from the
  // model's saved shingle. The last rows of each segment from the previous batch
  // therefore go first, as context, and their results are dropped: batches join
  // seamlessly (the output does not depend on --batch-rows). Context per segment:
  // the rest of its shingle, and what the alert rules (minimum duration,
  // cool-down) look back on.
  const cfg = detector.config;
  const contextRows = stream ? 0 : Math.max(0, (detector.shingle || cfg.shingleSize || 1) - 1 + (cfg.minDuration - 1) + cfg.cooldown);
  const context = new Map<string, { rows: string[][]; lines: number[] }>();
  const out = CsvOutput.open(outPath);
  const progress = new Progress(stream ? 'streaming' : 'scoring');
  let rows = 0;
  let anomalies = 0;
  try {
    await out.writeRow(header);
    for await (const batch of readCsvBatches(input, { batchRows })) {
      if (batch.rows.length === 0) continue;
      let work: CsvBatch = batch;
      let skip = 0;
      if (contextRows > 0 && context.size > 0) {
        const ctxRows: string[][] = [];
        const ctxLines: number[] = [];
        for (const c of context.values()) {
          ctxRows.push(...c.rows);
          ctxLines.push(...c.lines);
        }
        skip = ctxRows.length;
        work = { ...batch, rows: ctxRows.concat(batch.rows), lines: ctxLines.concat(batch.lines), rowOffset: batch.rowOffset - skip };
      }
      if (explain) {
        const records = batchRecords(plan, work);
        const results = withBatchErrors(plan, work, () => (stream ? detector.updateMany(records) : detector.score(records)));
        for (let r = skip; r < results.length; r++) {
          const res = results[r]!;
          if (res.isAnomaly) anomalies++;
          await out.writeRow([...work.rows[r]!, ...resultFields(res, columns, withIf, withRcf)]);
        }
      } else {
        const input = batchColumns(plan, work);
        const res = stream ? detector.updateMatrix(input) : detector.scoreMatrix(input);
        for (let r = skip; r < res.rows; r++) {
          if (res.isAnomaly[r] === 1) anomalies++;
          const extra = [fmt(res.score[r], 6), res.isAnomaly[r] === 1 ? '1' : '0', fmt(res.grade[r], 1)];
          if (withIf) extra.push(fmt(res.iforest[r], 6));
          if (withRcf) extra.push(fmt(res.rcf[r], 6));
          await out.writeRow([...work.rows[r]!, ...extra]);
        }
      }
      if (contextRows > 0) {
        for (let r = 0; r < batch.rows.length; r++) {
          const key = plan.segmentIdx >= 0 ? batch.rows[r]![plan.segmentIdx]! : '';
          let c = context.get(key);
          if (c === undefined) context.set(key, (c = { rows: [], lines: [] }));
          c.rows.push(batch.rows[r]!);
          c.lines.push(batch.lines[r]!);
          if (c.rows.length > contextRows) {
            c.rows.shift();
            c.lines.shift();
          }
        }
      }
      rows += batch.rows.length;
      progress.update(rows, batch.bytesRead, batch.totalBytes);
    }
  } finally {
    progress.done();
    await out.close();
  }
  if (rows === 0) throw new CliError(`${input} has a header but no data rows`);
  const savePath = str(values, 'save-model');
  if (savePath !== undefined) {
    try {
      writeFileSync(savePath, detector.save());
    } catch (e) {
      throw new CliError(`cannot write model file ${savePath}: ${(e as Error).message}`);
    }
  }
  if (outPath !== undefined && outPath !== '-') {
    const secs = progress.seconds;
    writeOut(
      `scored ${rows} rows of ${input} (${stream ? 'streaming' : modelPath ? `model ${modelPath}` : 'fitted on the input'}; ${kind}; fields ${formatFieldSpec(plan.spec)}): ` +
        `${anomalies} anomalous, ${secs.toFixed(2)} s (${Math.round(rows / Math.max(secs, 1e-9))} rows/s) -> ${outPath}\n`,
    );
  }
  return 0;
}
