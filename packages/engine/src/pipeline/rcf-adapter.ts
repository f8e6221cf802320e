/**
 * The pipeline's use of the Random Cut Forest (rcf/forest.ts): construction with
 * the pipeline's warm-up, restore, and the expected value of each metric's newest
 * shingle entry.
 */
import { RandomCutForest, type RcfState, type SamplingMode } from '../rcf/index.ts';

export type StreamForest = RandomCutForest;
export type ForestState = RcfState;

/** Points a segment's RRCF holds before its scores are used (scores of a near-empty forest are noise). */
export const STREAM_WARMUP = 32;

export function createForest(o: { dimensions: number; numTrees: number; sampleSize: number; sampling: SamplingMode; timeDecay: number; seed: number }): RandomCutForest {
  return new RandomCutForest({ ...o, outputAfter: Math.min(STREAM_WARMUP, o.sampleSize) });
}

export function restoreForest(state: ForestState): RandomCutForest {
  return RandomCutForest.fromState(state);
}

/**
 * What the forest finds normal for the newest entry of each metric of a shingled
 * point (AWS imputation of those coordinates given the rest), into `out` (length metrics).
 */
export function expectedNewest(forest: RandomCutForest, point: Float64Array, metrics: number, shingle: number, out: Float64Array): Float64Array {
  const dims = new Int32Array(metrics);
  for (let m = 0; m < metrics; m++) dims[m] = (shingle - 1) * metrics + m;
  const full = forest.expectedPoint(point, dims);
  for (let m = 0; m < metrics; m++) out[m] = full[dims[m]!]!;
  return out;
}
