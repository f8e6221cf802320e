/**
 * The public contract of the detection pipeline: one configuration, one
 * detector facade, used by the CLI, the worker, the server and the widget.
 * (Implementation: `pipeline/anomaly-detector.ts`.)
 */
import type { Result } from '../result.ts';
import type { FieldSpec } from '../features/field-spec.ts';

/** A record as it arrives: CSV row, JSON object, SSE event, host push. */
export type CxRecord = Readonly<Record<string, unknown>>;

export type DetectorKind = 'iforest' | 'rcf' | 'ensemble';

/** How each RRCF tree samples the stream. */
export type SamplingMode = 'window' | 'decay';

export interface DetectorConfig {
  /** Field spec text (`aht_avg:high,csat_avg:low,volume`) or a parsed spec. */
  readonly fields: string | FieldSpec;
  /** Default `ensemble`. */
  readonly detector?: DetectorKind;
  /** Field holding the record time (ISO text or epoch ms). */
  readonly timeField?: string;
  /** Field whose value keeps a separate streaming state (e.g. `queue`). */
  readonly segmentField?: string;
  /** Most segments kept; the least recently seen is dropped beyond it. Default 64. */
  readonly maxSegments?: number;
  /** Trees per forest. Default 100. */
  readonly numTrees?: number;
  /** Points per tree. Default 256. */
  readonly sampleSize?: number;
  /** Consecutive values of each metric that make one RRCF point. Default 1 (batch) / 4 (stream). */
  readonly shingleSize?: number;
  /** Expected share of anomalies; sets the fitted threshold. Default 0.01. */
  readonly contamination?: number;
  /** Alert budget instead of contamination: at most this many alerts a day (per segment). */
  readonly maxAlertsPerDay?: number;
  /** Consecutive points above threshold before an alert opens. Default 1. */
  readonly minDuration?: number;
  /** Points after an alert during which no new alert opens. Default 0. */
  readonly cooldown?: number;
  /** RRCF sampling of the stream: time-decayed (AWS's rule) or the last sampleSize points. Default `decay`. */
  readonly sampling?: SamplingMode;
  /** Time-decay for `decay` sampling (AWS RCF's timeDecay). Default 1/(10*sampleSize). */
  readonly timeDecay?: number;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number;
  /**
   * Field counting the contacts behind each record's averages (e.g. `volume`); must be a
   * metric of the spec. Where it is below `minSupport`, the OTHER metrics of the record are
   * treated as missing (imputed, listed in `imputed`): an average of one or two contacts
   * says little, and night intervals would otherwise dominate the alerts. With an hourly
   * baseline the field is also taken as a count (Poisson-scaled) and the other metrics'
   * noise as shrinking with it (pipeline/baseline.ts).
   */
  readonly supportField?: string;
  /** Smallest support for the other metrics to count. Default 5. */
  readonly minSupport?: number;
  /**
   * Per metric, the field counting what that metric's value averages, e.g.
   * `{ csat_avg: 'csat_responses' }`: where the count is below `minSupportPerMetric` (or empty:
   * null, ''), that metric alone is treated as missing (imputed, listed in `imputed`). A record
   * without the count field at all keeps the metric (its source does not report counts). A CSAT average of one
   * or two survey answers jumps by whole points and would otherwise read as a CSAT drop. Record
   * inputs only (fit/score/update with objects); the matrix paths ignore it.
   */
  readonly supportFields?: Readonly<Record<string, string>>;
  /** Smallest per-metric count for `supportFields`. Default 3. */
  readonly minSupportPerMetric?: number;
  /**
   * Baseline each metric is standardised against before the detectors: 'hourly' (default):
   * per segment and hour of day, learned by `fit` from timed records spanning >= 20 h (else
   * global); 'none': one global median/scale per metric.
   */
  readonly seasonality?: 'hourly' | 'none';
  /** How calibrated IF and RRCF scores combine (pipeline/ensemble.ts). Default 'mean' (of surprises). */
  readonly ensembleRule?: 'mean' | 'max' | 'score-mean';
  /** Raw scores each calibrator keeps (its rolling window). Default 1000. */
  readonly calibrationWindow?: number;
  /** Stream-only use (no `fit`): the Isolation Forest is trained on the first this-many points. Default 256. */
  readonly lazyFitAfter?: number;
}

/** Progress of a long job, for terminals and progress bars. */
export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly phase: 'fit' | 'score' | 'update';
}

export interface JobOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  /**
   * Which Results carry the forest's expected values (`Result.expected`): 'anomalies'
   * (default) computes them only for points that are anomalies (an imputation by the
   * RRCF costs about as much as an update); every other Result gets the baseline
   * centre (the segment's median for that hour, or the global median) instead.
   * 'all': the forest's expected value for every point that the RRCF scores.
   */
  readonly expected?: 'anomalies' | 'all';
}

export type { Result };
