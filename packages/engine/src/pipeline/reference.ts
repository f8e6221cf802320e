/**
 * Reference calibration for stream-only detectors: each member's raw score is
 * calibrated against what the SAME model configuration scores on standard normal
 * noise, instead of against the series' own recent scores.
 *
 * Why (docs/results/nab.md, finding 4): a per-series rank gives every series the
 * same share of high scores, including the series where nothing happens, so one
 * threshold across many streams (NAB's rule, and an operator watching many queues)
 * alerts on quiet series. The forests' raw scores are already comparable across
 * series (the RRCF's displacement and the IF's path length are scale-free); the
 * reference only maps them to a tail probability with a meaning: P(noise scores
 * above this) — so the contamination threshold reads "as rare as the top 1% of
 * pure noise" on every series alike.
 *
 * The reference depends only on the configuration (dimensions, trees, sample size,
 * sampling), never on the data; it is computed once per configuration and kept.
 */
import { IsolationForest } from '../iforest/isolation-forest.ts';
import { Prng } from '../random/prng.ts';
import type { SamplingMode } from '../rcf/index.ts';
import { ScoreCalibrator } from './calibration.ts';
import { createForest } from './rcf-adapter.ts';
import { CONTEXT_FEATURES, contextRow, newContextState } from './stream-context.ts';

/** Noise points scored for a reference (after the forest's warm-up). */
export const REFERENCE_POINTS = 2048;

export interface RcfReferenceOptions {
  readonly metrics: number;
  readonly shingleSize: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly sampling: SamplingMode;
  readonly timeDecay: number;
  readonly seed: number;
  readonly window: number;
}

export interface IfReferenceOptions {
  readonly metrics: number;
  /** Rows the stream-only IF is trained on. */
  readonly trainRows: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly seed: number;
  readonly window: number;
}

const cache = new Map<string, ScoreCalibrator>();

/** RRCF scores of a shingled standard-normal stream, through a forest configured as the pipeline's. */
export function rcfReference(o: RcfReferenceOptions): ScoreCalibrator {
  const key = `rcf|${o.metrics}|${o.shingleSize}|${o.numTrees}|${o.sampleSize}|${o.sampling}|${o.timeDecay}|${o.seed}|${o.window}`;
  let c = cache.get(key);
  if (c !== undefined) return c;
  const dims = o.metrics * o.shingleSize;
  const forest = createForest({ dimensions: dims, numTrees: o.numTrees, sampleSize: o.sampleSize, sampling: o.sampling, timeDecay: o.timeDecay, seed: o.seed ^ 0x5eed });
  const rng = new Prng(o.seed ^ 0x2ef);
  const point = new Float64Array(dims);
  const scores: number[] = [];
  // Shingle of i.i.d. rows: shift one row out, one new row in.
  for (let i = 0; scores.length < REFERENCE_POINTS; i++) {
    point.copyWithin(0, o.metrics);
    for (let m = dims - o.metrics; m < dims; m++) point[m] = rng.normal();
    if (i < o.shingleSize - 1) continue;
    const ready = forest.isReady;
    const s = forest.update(point);
    if (ready) scores.push(s);
  }
  c = new ScoreCalibrator(o.window).fit(scores);
  cache.set(key, c);
  return c;
}

/** Noise values the context features see before the reference's rows are taken (their EWMAs settle). */
const CONTEXT_WARMUP = 32;

/**
 * The context IF's reference (single-metric stream-only, stream-context.ts): a
 * standard-normal stream through the context features, the forest trained on
 * `trainRows` consecutive context rows and scoring the next 2048. The same meaning as
 * {@link ifReference}, "as rare as this among pure noise", for the IF's actual input
 * (the four features are correlated, so i.i.d. normal rows would be the wrong noise).
 */
export function contextIfReference(o: Omit<IfReferenceOptions, 'metrics'>): ScoreCalibrator {
  const key = `ifctx|${o.trainRows}|${o.numTrees}|${o.sampleSize}|${o.seed}|${o.window}`;
  let c = cache.get(key);
  if (c !== undefined) return c;
  const rng = new Prng(o.seed ^ 0x1f);
  const state = newContextState();
  const scratch = new Float64Array(CONTEXT_FEATURES);
  for (let i = 0; i < CONTEXT_WARMUP; i++) contextRow(rng.normal(), state, scratch);
  const rows = o.trainRows + REFERENCE_POINTS;
  const data = new Float64Array(rows * CONTEXT_FEATURES);
  for (let i = 0; i < rows; i++) contextRow(rng.normal(), state, data, i * CONTEXT_FEATURES);
  const split = o.trainRows * CONTEXT_FEATURES;
  const forest = new IsolationForest({ numTrees: o.numTrees, sampleSize: o.sampleSize, seed: o.seed ^ 0x5eed }).fit({ data: data.subarray(0, split), rows: o.trainRows, cols: CONTEXT_FEATURES });
  c = new ScoreCalibrator(o.window).fit(forest.scoreSamples({ data: data.subarray(split), rows: REFERENCE_POINTS, cols: CONTEXT_FEATURES }));
  cache.set(key, c);
  return c;
}

/** Isolation Forest scores of fresh standard-normal rows, for a forest trained on `trainRows` such rows. */
export function ifReference(o: IfReferenceOptions): ScoreCalibrator {
  const key = `if|${o.metrics}|${o.trainRows}|${o.numTrees}|${o.sampleSize}|${o.seed}|${o.window}`;
  let c = cache.get(key);
  if (c !== undefined) return c;
  const rng = new Prng(o.seed ^ 0x1f);
  const train = new Float64Array(o.trainRows * o.metrics);
  for (let k = 0; k < train.length; k++) train[k] = rng.normal();
  const forest = new IsolationForest({ numTrees: o.numTrees, sampleSize: o.sampleSize, seed: o.seed ^ 0x5eed }).fit({ data: train, rows: o.trainRows, cols: o.metrics });
  const test = new Float64Array(REFERENCE_POINTS * o.metrics);
  for (let k = 0; k < test.length; k++) test[k] = rng.normal();
  c = new ScoreCalibrator(o.window).fit(forest.scoreSamples({ data: test, rows: REFERENCE_POINTS, cols: o.metrics }));
  cache.set(key, c);
  return c;
}
