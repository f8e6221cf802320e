/**
 * The one result shape: every consumer (CLI, worker, server, widget) receives
 * exactly this for each scored record. Modelled on AWS Random Cut Forest's
 * result descriptor (score, grade, expected values, attribution high/low).
 */
export interface MetricAttribution {
  /** Part of the score due to the metric being higher than normal. */
  readonly high: number;
  /** Part of the score due to the metric being lower than normal. */
  readonly low: number;
}

export interface Result {
  /** Position of the record in its input (0-based, in arrival order). */
  readonly index: number;
  /** Epoch milliseconds of the record's time field, when it has one. */
  readonly timestamp?: number;
  /** Value of the segment field (e.g. queue), when segmenting. */
  readonly segment?: string;
  /** Ensemble score, calibrated to [0, 1]. */
  readonly score: number;
  /** Severity 0..100: critical >= 75, major >= 50, minor >= 25, warning >= 3. */
  readonly grade: number;
  /** The decision after thresholds, direction rules, minimum duration and cool-down. */
  readonly isAnomaly: boolean;
  /**
   * Each detector's own calibrated score. `baseline`: the per-metric robust z member
   * (pipeline/zscore.ts), present only where it scores (ensemble with a seasonal baseline).
   */
  readonly scores: { readonly iforest?: number; readonly rcf?: number; readonly baseline?: number };
  /** Per metric: how much of the score each direction explains. */
  readonly attribution: Readonly<Record<string, MetricAttribution>>;
  /**
   * Per metric: the value that would have been normal. For anomalies, the forest's
   * expected value (RRCF imputation of the newest shingle entry); for other points by
   * default the baseline centre (the segment's median for that hour, or the global
   * median): cheap and honest. The engine's `expected: 'all'` job option gives the
   * forest's value for every point.
   */
  readonly expected: Readonly<Record<string, number>>;
  /** Metrics whose value was missing and imputed. */
  readonly imputed: readonly string[];
}

export type Severity = 'critical' | 'major' | 'minor' | 'warning' | 'normal';

/** Severity bucket of a grade (AWS RCF / common alerting buckets). */
export function severityOf(grade: number): Severity {
  if (grade >= 75) return 'critical';
  if (grade >= 50) return 'major';
  if (grade >= 25) return 'minor';
  if (grade >= 3) return 'warning';
  return 'normal';
}
