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
 * The output does not depend on the batch size (see the context rows below),
 * nor on `--threads N`: batch scoring on N worker threads (score-pool.ts), the
 * results written in input order; `--stream` is single-threaded.
 * `--no-explain` takes the pipeline's columnar path (typed arrays, no Result
 * objects): the same scores, without attribution and expected values.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatFieldSpec } from '../../features/field-spec.ts';
import { vectorize } from '../../features/vectorize.ts';
import { AnomalyDetector } from '../../pipeline/anomaly-detector.ts';
import { intOpt, listOpt, parseCommandArgs, required, str, type Values } from '../args.ts';
import { readCsvBatches, fileSize, CsvOutput, type CsvBatch } from '../csv-file.ts';
import { DETECTOR_HELP, DETECTOR_OPTIONS, MODEL_FLAGS, detectorConfig, fitRowsOf, seedOf } from '../detector-options.ts';
import { CliError } from '../errors.ts';
import { planInput, trainingSample, type InputPlan } from '../input.ts';
import { scoreBatch, scoreHeader, type BatchOutput, type ScoreFormat } from '../score-batch.ts';
import { ScorePool, autoThreads } from '../score-pool.ts';
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
  -j, --threads N       batch scoring on N worker threads (default 1; 0 or "auto": one per core).
                        The main thread reads the CSV and writes the results in input order: the
                        output is byte-identical to --threads 1. --stream is single-threaded (each
                        row's score depends on the rows before it): --threads > 1 with --stream is
                        an error
  --save-model FILE     after scoring, save the detector (with what --stream learned, or the model
                        fitted on the input) to FILE
  --no-explain          only score, is_anomaly, grade and the detectors' scores (faster: no
                        per-row attribution or expected values)
${DETECTOR_HELP}
  -h, --help            this help`;

const BATCH_ROWS = 4096;
/** Batches in flight per worker: one being scored, one queued (so a worker never waits on the reader). */
const MAX_IN_FLIGHT_PER_THREAD = 2;

/** --threads N: 1 (default), N workers, or 0 / auto = the available cores. */
function threadsOf(values: Values): number {
  const v = str(values, 'threads');
  if (v === 'auto') return autoThreads();
  const n = intOpt(values, 'threads', 0, 256) ?? 1;
  return n === 0 ? autoThreads() : n;
}

function loadModel(path: string): { detector: AnomalyDetector; bytes: Uint8Array } {
  fileSize(path, 'model file');
  const bytes = new Uint8Array(readFileSync(path));
  try {
    return { detector: AnomalyDetector.load(bytes), bytes };
  } catch (e) {
    // Whatever the model reader rejects, the user's file is at fault: one line, no stack.
    throw new CliError(`model file ${path} cannot be used: ${(e as Error).message}`);
  }
}

export async function runScore(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('score', argv, {
    ...DETECTOR_OPTIONS,
    model: { type: 'string', short: 'm' },
    stream: { type: 'boolean' },
    'batch-rows': { type: 'string' },
    'no-explain': { type: 'boolean' },
    'save-model': { type: 'string' },
    threads: { type: 'string', short: 'j' },
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

  const threads = threadsOf(values);
  if (stream && threads > 1) {
    throw new CliError(`--stream cannot be used with --threads ${str(values, 'threads')}: streaming scores then learns each row in file order, on one thread (use --threads 1, or batch scoring)`);
  }

  let detector: AnomalyDetector;
  let modelBytes: Uint8Array | undefined;
  let plan: InputPlan;
  if (modelPath !== undefined) {
    const clash = MODEL_FLAGS.filter((f) => values[f] !== undefined);
    if (clash.length > 0) throw new CliError(`--${clash[0]} cannot be used with --model: the model carries its own (train a new model to change it)`);
    ({ detector, bytes: modelBytes } = loadModel(modelPath));
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

  const kind = detector.config.detector;
  const format: ScoreFormat = {
    columns: plan.spec.fields.map((f) => f.name),
    explain: values['no-explain'] !== true,
    withIf: kind !== 'rcf',
    withRcf: kind !== 'iforest',
  };

  const batchRows = intOpt(values, 'batch-rows', 1, 10_000_000) ?? BATCH_ROWS;
  // Batch scoring changes no state, so each call starts every segment from the
  // model's saved shingle. The last rows of each segment from the previous batch
  // therefore go first, as context, and their results are dropped: batches join
  // seamlessly (the output does not depend on --batch-rows, nor on which thread
  // scores which batch). Context per segment: the rest of its shingle, and what
  // the alert rules (minimum duration, cool-down) look back on.
  const cfg = detector.config;
  const contextRows = stream ? 0 : Math.max(0, (detector.shingle || cfg.shingleSize || 1) - 1 + (cfg.minDuration - 1) + cfg.cooldown);
  const context = new Map<string, { rows: string[][]; lines: number[] }>();
  // Workers get the model as bytes: the file's, or the model just fitted here.
  const pool = threads > 1 ? new ScorePool(threads, modelBytes ?? detector.save(), plan, format) : undefined;
  // Reorder buffer: batches in input order, each the promise of its output;
  // at most MAX_IN_FLIGHT_PER_THREAD per worker wait, so memory stays flat.
  const inFlight: { out: Promise<BatchOutput>; rows: number; bytesRead: number; totalBytes: number }[] = [];
  const maxInFlight = MAX_IN_FLIGHT_PER_THREAD * threads;
  const out = CsvOutput.open(outPath);
  const batches = readCsvBatches(input, { batchRows });
  const progress = new Progress(stream ? 'streaming' : 'scoring');
  let rows = 0;
  let anomalies = 0;
  const write = async (done: BatchOutput, batchRows: number, bytesRead: number, totalBytes: number): Promise<void> => {
    anomalies += done.anomalies;
    await out.writeText(done.text);
    rows += batchRows;
    progress.update(rows, bytesRead, totalBytes);
  };
  const writeOldest = async (): Promise<void> => {
    const head = inFlight.shift()!;
    await write(await head.out, head.rows, head.bytesRead, head.totalBytes);
  };
  let succeeded = false;
  try {
    await out.writeRow(scoreHeader(plan, format));
    for (;;) {
      let next: IteratorResult<CsvBatch>;
      try {
        next = await batches.next();
      } catch (e) {
        // A read error (e.g. a ragged row) comes after the batches in flight: write
        // them first, so that an error in one of them (earlier in the file) is the
        // one reported, and the same rows are written, as with one thread.
        while (inFlight.length > 0) await writeOldest();
        throw e;
      }
      if (next.done === true) break;
      const batch = next.value;
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
      if (pool === undefined) {
        await write(scoreBatch(detector, plan, work, skip, format, stream), batch.rows.length, batch.bytesRead, batch.totalBytes);
      } else {
        inFlight.push({ out: pool.submit(work, skip), rows: batch.rows.length, bytesRead: batch.bytesRead, totalBytes: batch.totalBytes });
        while (inFlight.length >= maxInFlight) await writeOldest();
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
    }
    while (inFlight.length > 0) await writeOldest();
    if (rows === 0) throw new CliError(`${input} has a header but no data rows`);
    succeeded = true;
  } finally {
    await batches.return(undefined); // closes the file when scoring stopped early
    progress.done();
    await pool?.close();
    // The output replaces --out only when every row was scored (csv-file.ts, CsvOutput).
    if (!succeeded) await out.abort();
  }
  await out.commit();
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
