/**
 * Pipeline benchmark section: throughput of the AnomalyDetector facade (default
 * ensemble: Isolation Forest + RRCF, 100 trees, sampleSize 256, shingle 4, 3 metrics,
 * 4 segments, hourly baseline) on a seeded CX-like stream, per entry point:
 * - update (one record at a time, Result objects), updateMany, updateMatrix (columnar),
 * - score (records -> Results), scoreMatrix (columnar) after fit.
 * Next to it, for scale: the raw RRCF (update + score, same dimensions) and the IF batch
 * path on the same rows. Rates are points per CPU second (medians).
 *
 * Run alone: node --conditions=source --import tsx packages/engine/bench/pipeline.ts [--points 3000] [--runs 3]
 * (`npm run bench` calls benchPipeline() as the `pipeline` section; `-- --only pipeline`).
 */
import { fileURLToPath } from 'node:url';
import { AnomalyDetector, type MatrixInput } from '../src/pipeline/anomaly-detector.ts';
import type { CxRecord } from '../src/pipeline/types.ts';
import { RandomCutForest } from '../src/rcf/index.ts';
import { IsolationForest } from '../src/iforest/index.ts';
import { Prng } from '../src/random/prng.ts';
import type { BenchSection } from './harness.ts';
import { fmtRate, median } from './harness.ts';

export interface PipelineBenchOptions {
  /** Streamed / scored points per run (default 3000). */
  readonly points?: number;
  /** Training rows for fit (default 2000). */
  readonly train?: number;
  /** Runs per entry point; the median is reported (default 3). */
  readonly runs?: number;
}

const QUEUES = ['billing', 'support', 'sales', 'retention'];
const INTERVAL_MS = 15 * 60_000;
const T0 = Date.UTC(2026, 0, 5);

/**
 * A seeded CX-like stream: 4 queues interleaved, one record per queue per 15 minutes,
 * AHT / transfer rate / volume with a daily cycle, some missing values and a few
 * injected incidents (AHT spikes, volume drops). Deterministic for a seed.
 */
export function cxPipelineStream(n: number, seed = 7, start = 0): CxRecord[] {
  const r = new Prng(seed + start * 7919);
  const out: CxRecord[] = [];
  for (let k = start; k < start + n; k++) {
    const q = k % QUEUES.length;
    const step = Math.floor(k / QUEUES.length);
    const day = Math.sin((2 * Math.PI * step) / 96);
    let aht = 300 + 20 * q + 40 * day + r.normal() * 15;
    let transfer = 0.12 + 0.01 * q + r.normal() * 0.02;
    let volume = 80 + 10 * q + 30 * day + r.normal() * 8;
    if (step % 331 === 200 + q) aht += 400;
    if (step % 577 === 300) volume *= 0.2;
    if (step % 419 === 100 && q === 1) transfer += 0.3;
    out.push({
      interval_start: new Date(T0 + step * INTERVAL_MS).toISOString(),
      queue: QUEUES[q]!,
      aht_avg: aht,
      transfer_rate: r.uniform(0, 1) < 0.03 ? null : transfer,
      volume,
    });
  }
  return out;
}

export const PIPELINE_CONFIG = {
  fields: 'aht_avg:high,transfer_rate:high,volume:both',
  timeField: 'interval_start',
  segmentField: 'queue',
  shingleSize: 4,
} as const;

/** The records as a MatrixInput (NaN = missing), with segments and times. */
export function toMatrixInput(records: readonly CxRecord[]): MatrixInput {
  const n = records.length;
  const data = new Float64Array(n * 3);
  const times = new Float64Array(n);
  const segments: string[] = [];
  records.forEach((rec, i) => {
    data[i * 3] = rec['aht_avg'] as number;
    data[i * 3 + 1] = rec['transfer_rate'] === null ? NaN : (rec['transfer_rate'] as number);
    data[i * 3 + 2] = rec['volume'] as number;
    times[i] = Date.parse(rec['interval_start'] as string);
    segments.push(rec['queue'] as string);
  });
  return { matrix: { data, rows: n, cols: 3 }, segments, times };
}

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** Median CPU ms of `runs` runs of `fn(fresh())`, where `fresh` (untimed) prepares a new detector. */
function measure<T>(runs: number, fresh: () => T, fn: (x: T) => void): number {
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const x = fresh();
    ms.push(cpuMs(() => fn(x)));
  }
  return median(ms);
}

export async function benchPipeline(o: PipelineBenchOptions = {}, log: (l: string) => void = () => {}): Promise<BenchSection> {
  const points = o.points ?? 3000;
  const trainN = o.train ?? 2000;
  const runs = o.runs ?? 3;
  const train = cxPipelineStream(trainN, 7, 0);
  const stream = cxPipelineStream(points, 7, trainN);
  const trainM = toMatrixInput(train);
  const streamM = toMatrixInput(stream);
  const fitted = (): AnomalyDetector => new AnomalyDetector(PIPELINE_CONFIG).fitMatrix(trainM);
  const rows: [string, number][] = [];
  const rate = (name: string, ms: number): void => {
    rows.push([name, (points / ms) * 1000]);
    log(`pipeline: ${name}: ${((points / ms) * 1000).toFixed(0)} points/s (CPU)`);
  };
  // Warm-up (JIT) on a short stream.
  fitted().updateMatrix(toMatrixInput(stream.slice(0, 500)));
  rate('update (one record per call, Results)', measure(runs, fitted, (det) => { for (const rec of stream) det.update(rec); }));
  rate('updateMany (Results)', measure(runs, fitted, (det) => void det.updateMany(stream)));
  rate('updateMatrix (columnar)', measure(runs, fitted, (det) => void det.updateMatrix(streamM)));
  const det = fitted();
  rate('score (records -> Results)', measure(runs, () => det, (x) => void x.score(stream)));
  rate('scoreMatrix (columnar)', measure(runs, () => det, (x) => void x.scoreMatrix(streamM)));
  // For scale: the raw RRCF (one forest, same 12 dimensions) and the IF batch path.
  const sh = new Float64Array(points * 12);
  for (let i = 0; i < points; i++) for (let j = 0; j < 12; j++) sh[i * 12 + j] = streamM.matrix.data[Math.max(0, i - 3 + Math.floor(j / 3)) * 3 + (j % 3)]! || 0;
  rate('raw RRCF update + score (1 forest, 12 dims)', measure(runs, () => new RandomCutForest({ dimensions: 12, numTrees: 100, sampleSize: 256, seed: 1 }), (f) => {
    for (let i = 0; i < points; i++) f.update(sh.subarray(i * 12, i * 12 + 12));
  }));
  const X = { data: sh, rows: points, cols: 12 };
  const iforest = new IsolationForest({ numTrees: 100, sampleSize: 256, seed: 1 }).fit(X);
  rate('IF batch scoreSamples (12 dims)', measure(runs, () => iforest, (f) => void f.scoreSamples(X)));
  const markdown =
    `Default ensemble (IF + RRCF, 100 trees, sampleSize 256), shingle 4, 3 metrics, 4 queues, hourly baseline; ` +
    `fit on ${trainN} rows, then ${points} points per run; points per CPU second, median of ${runs} runs.\n\n` +
    `| Entry point | points/s (CPU) |\n|---|---:|\n` +
    rows.map(([n, r]) => `| ${n} | ${fmtRate(r)} |`).join('\n') +
    `\n`;
  return { title: 'Pipeline streaming ensemble throughput', markdown };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (n: string): number | undefined => {
    const i = args.indexOf(n);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const s = await benchPipeline({ points: opt('--points'), runs: opt('--runs') }, (l) => console.error(l));
  console.log(`## ${s.title}\n\n${s.markdown}`);
}
