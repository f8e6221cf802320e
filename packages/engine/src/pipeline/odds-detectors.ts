/**
 * The pipeline's columns for the ODDS evaluation (eval/odds.ts `extraDetectors`):
 * the AnomalyDetector fitted on all rows (batch: no time, so shingle 1 and a batch
 * RRCF from subsamples) and scored on the same rows, 100 trees x 256 samples as the
 * reference. The three columns come from ONE ensemble fit per data set and seed:
 * - `pipeline-iforest`: the calibrated Isolation Forest alone,
 * - `rcf`: the calibrated RRCF alone,
 * - `ensemble`: the calibrated ensemble (ensemble.ts).
 * Every field is 'both' (no direction rules) and contamination does not matter (AUC/AP rank).
 */
import type { Matrix } from '../matrix.ts';
import { combineSurprises, type EnsembleRule } from './ensemble.ts';
import { AnomalyDetector, type ColumnarResult } from './anomaly-detector.ts';

export type OddsColumn = (train: Matrix, seed: number) => Float64Array;

/** One ensemble fit per (matrix, seed), shared by all columns (the members' surprises come with it). */
const cache = new WeakMap<Matrix, Map<number, ColumnarResult>>();

function runEnsemble(X: Matrix, seed: number): ColumnarResult {
  let bySeed = cache.get(X);
  if (bySeed === undefined) cache.set(X, (bySeed = new Map()));
  let out = bySeed.get(seed);
  if (out === undefined) {
    const fields = Array.from({ length: X.cols }, (_, j) => `f${j}`).join(',');
    const det = new AnomalyDetector({ fields, detector: 'ensemble', numTrees: 100, sampleSize: 256, seed });
    det.fitMatrix({ matrix: X });
    out = det.scoreMatrix({ matrix: X });
    bySeed.set(seed, out);
  }
  return out;
}

/**
 * Column `member` ('iforest' | 'rcf'): that member's calibrated score (as surprise);
 * column 'ensemble' with a rule: the rule applied to the members' surprises (the
 * ensemble calibrator is monotone, so the ranking is the rule's). The default rule's
 * column is the detector's own output.
 */
export function pipelineOddsDetector(column: 'iforest' | 'rcf' | 'ensemble', rule?: EnsembleRule): OddsColumn {
  return (X, seed) => {
    const r = runEnsemble(X, seed);
    if (column === 'iforest') return r.iforestSurprise;
    if (column === 'rcf') return r.rcfSurprise;
    if (rule === undefined) return r.surprise;
    return Float64Array.from(r.iforestSurprise, (l, i) => combineSurprises(l, r.rcfSurprise[i]!, rule));
  };
}

export const PIPELINE_ODDS_DETECTORS: Readonly<Record<string, OddsColumn>> = {
  'pipeline-iforest': pipelineOddsDetector('iforest'),
  rcf: pipelineOddsDetector('rcf'),
  ensemble: pipelineOddsDetector('ensemble'),
};
