/**
 * NAB adapters over the engine's detectors: each runs a fresh detector per
 * series, streaming the rows in time order (score, then learn), and returns
 * one score in [0, 1] per row. Registered by name for `eval nab`.
 */
import { RandomCutForest } from '../rcf/forest.ts';
import { Shingler } from '../rcf/shingler.ts';
import { AnomalyDetector } from '../pipeline/anomaly-detector.ts';
import type { DetectorConfig, DetectorKind } from '../pipeline/types.ts';
import type { NabDetector } from './detector.ts';
import { registerNabDetector, type NabDetectorOptions } from './registry.ts';

export interface ForestDetectorOptions {
  readonly shingleSize?: number;
  readonly numTrees?: number;
  readonly sampleSize?: number;
  readonly sampling?: 'window' | 'decay';
  readonly timeDecay?: number;
  readonly seed?: number;
  /**
   * How the forest's anomaly score s (about 1 for ordinary points) becomes [0, 1]:
   * `exp2` = RandomCutForest.normalizeScore, 2^(-1/s); `log2` = s / log2(sampleSize),
   * clipped, as NAB's AWS Kinesis RANDOM_CUT_FOREST entry did (score / 8 for 256).
   */
  readonly normalize?: 'exp2' | 'log2';
}

/**
 * Plain Robust Random Cut Forest on the series value, shingled: what the raw
 * forest gets before any calibration, ensemble or decision logic.
 */
export function forestDetector(options: ForestDetectorOptions = {}): NabDetector {
  const { shingleSize = 4, numTrees = 100, sampleSize = 256, sampling = 'window', timeDecay, seed = 1, normalize = 'exp2' } = options;
  const scale = 1 / Math.log2(sampleSize);
  return ({ values }) => {
    const n = values.length;
    const out = new Float64Array(n);
    const forest = new RandomCutForest({ dimensions: shingleSize, numTrees, sampleSize, sampling, timeDecay, seed });
    const shingler = new Shingler(1, shingleSize);
    const one = new Float64Array(1);
    for (let i = 0; i < n; i++) {
      one[0] = values[i]!;
      if (!shingler.push(one)) continue;
      const s = forest.update(shingler.point);
      out[i] = normalize === 'exp2' ? RandomCutForest.normalizeScore(s) : Math.min(1, Math.max(0, s * scale));
    }
    return out;
  };
}

export interface PipelineDetectorOptions extends Omit<DetectorConfig, 'fields' | 'timeField'> {
  /** Which member's score to report: the ensemble score (default) or one calibrated member. */
  readonly output?: 'score' | 'rcf' | 'iforest';
}

/**
 * The product's AnomalyDetector on a NAB series: field `value` (direction
 * both), time field `timestamp`, a fresh detector per series, stream-only
 * (`updateMatrix` = `update` on every row in order, without fit).
 */
export function pipelineDetector(options: PipelineDetectorOptions = {}): NabDetector {
  const { output = 'score', ...config } = options;
  return ({ timestamps, values }) => {
    const detector = new AnomalyDetector({ ...config, fields: 'value:both', timeField: 'timestamp' });
    const r = detector.updateMatrix({ matrix: { data: Float64Array.from(values), rows: values.length, cols: 1 }, times: timestamps });
    // The surprise L (score = 1 - e^-L), as L / (1 + L): the same order as the score, but
    // without float saturation (1 - e^-L == 1 for L > ~37 would tie the most extreme points).
    const surprise = output === 'score' ? r.surprise : output === 'rcf' ? r.rcfSurprise : r.iforestSurprise;
    const out = new Float64Array(surprise.length);
    // Members report NaN where they did not score yet (warm-up): no evidence of an anomaly.
    for (let i = 0; i < out.length; i++) {
      const l = surprise[i]!;
      out[i] = l === l && l > 0 ? l / (1 + l) : 0;
    }
    return out;
  };
}

const forestOpts = (o: NabDetectorOptions) => ({ numTrees: o.numTrees, sampleSize: o.sampleSize, seed: o.seed });
const pipelineOpts = (o: NabDetectorOptions, detector: DetectorKind) => ({ detector, ...forestOpts(o), shingleSize: o.shingleSize });

registerNabDetector('rrcf', {
  describe: 'src/rcf forest alone: shingle 4 (--shingle), 100 trees x 256, window sampling, 2^(-1/score)',
  create: (o) => forestDetector({ ...forestOpts(o), shingleSize: o.shingleSize ?? 4 }),
});
registerNabDetector('rcf-aws', {
  describe: "src/rcf set up as NAB's AWS entry: shingle 1, 100 trees x 256, time decay 1e-5, score / log2(256)",
  create: (o) => forestDetector({ ...forestOpts(o), shingleSize: o.shingleSize ?? 1, sampling: 'decay', timeDecay: 1e-5, normalize: 'log2' }),
});
registerNabDetector('ensemble', {
  describe: 'AnomalyDetector (IF + RRCF ensemble), product defaults for one metric, stream-only (noise-reference calibration)',
  create: (o) => pipelineDetector(pipelineOpts(o, 'ensemble')),
});
registerNabDetector('rcf', {
  describe: "AnomalyDetector with detector 'rcf', calibrated score",
  create: (o) => pipelineDetector(pipelineOpts(o, 'rcf')),
});
registerNabDetector('iforest', {
  describe: "AnomalyDetector with detector 'iforest', calibrated score",
  create: (o) => pipelineDetector(pipelineOpts(o, 'iforest')),
});
