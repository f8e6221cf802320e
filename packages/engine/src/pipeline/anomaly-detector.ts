/**
 * AnomalyDetector: the one facade of the detection pipeline (CLI, worker, server,
 * widget). Records -> vectors (+ imputation) -> Isolation Forest and Robust Random
 * Cut Forest -> per-detector calibration -> ensemble -> direction rules -> grade ->
 * alert decision -> Result. The method is documented in docs/pipeline.md.
 *
 *     const det = new AnomalyDetector({ fields: 'aht_avg:high,csat_avg:low,volume', timeField: 'interval_start', segmentField: 'queue' });
 *     det.fit(history);                  // batch: IF fit, RRCF warm-up per queue, calibration
 *     const r = det.update(record);      // streaming: score, then learn
 *     const rs = det.score(batch);       // batch scoring, no state change
 *     const bytes = det.save();          // one model file; AnomalyDetector.load(bytes) resumes
 *
 * Modes.
 * - fit + score: the IF is fitted on the (imputed) matrix; each segment's RRCF is
 *   warmed up on its training rows in time order (score, then insert, like a stream);
 *   the calibrators are fitted on those training scores; the threshold is the
 *   (1 - contamination) quantile of the training ensemble scores. `score` changes nothing.
 * - update (streaming): score the record against its segment's state, then learn it
 *   (RRCF insert, calibrator windows slide, imputer remembers last values, alert state).
 * - update without fit ("stream-only"): the RRCF warms up from the first point (its
 *   score counts once the segment has `STREAM_WARMUP` points); the IF is trained
 *   lazily on the first `lazyFitAfter` rows (all segments) and omitted before; the
 *   threshold is the calibrated score 1 - contamination.
 *
 * Members: Isolation Forest, RRCF and, for the ensemble of a detector fitted on timed
 * records (seasonal baseline), the baseline member (zscore.ts: per-metric robust z against
 * the segment's hourly baseline, direction rules, window sum), combined by
 * combineFittedSurprises; each member's calibrated score is in Result.scores.
 *
 * Shingle size: `shingleSize` when given; else 1 for a single metric; else 4 when there
 * is an order to shingle (a `timeField`, or stream-only use), else 1 (batch data without
 * time, e.g. ODDS). Stream-only detectors calibrate their members against a noise
 * reference (reference.ts) and combine them with combineStreamSurprises (ensemble.ts).
 */
import { vectorize, type VectorizeInput } from '../features/vectorize.ts';
import { Imputer, imputedMetrics } from '../features/imputer.ts';
import { parseTime } from '../features/time.ts';
import { formatFieldSpec, fromModelScale, type Direction, type Transform } from '../features/field-spec.ts';
import { IsolationForest } from '../iforest/isolation-forest.ts';
import type { Matrix } from '../matrix.ts';
import type { MetricAttribution, Result } from '../result.ts';
import { quantile } from '../metrics/quantile.ts';
import { ScoreCalibrator, scoreFromSurprise } from './calibration.ts';
import { ConfigError, resolveConfig, type ResolvedConfig } from './config.ts';
import { decide, newDecisionState, type DecisionConfig, type DecisionStateData } from './decision.ts';
import { allowedShare, deviationAttribution, gradeOf, normalizeTo, sumOverShingle } from './grade.ts';
import { LruMap, segmentSeed } from './segments.ts';
import { createForest, expectedNewest, restoreForest, STREAM_WARMUP, type StreamForest } from './rcf-adapter.ts';
import { createDiVector, type DiVector } from '../rcf/index.ts';

export { STREAM_WARMUP };
import { combineFittedSurprises, combineStreamSurprises } from './ensemble.ts';
import { contextIfReference, ifReference, rcfReference } from './reference.ts';
import { CONTEXT_FEATURES, CONTEXT_STATE, contextRow, newContextState } from './stream-context.ts';
import type { CxRecord, DetectorConfig, JobOptions } from './types.ts';
import { readBundle, writeBundle } from './bundle.ts';
import { Baseline } from './baseline.ts';
import { zscoreAttribution, zscoreRow } from './zscore.ts';

/** A Result plus the alert identity (see decision.ts): count alerts with `alertStart`. */
export interface DetectorResult extends Result {
  /** Id of the alert this point belongs to; 0 when none. Unique per detector (and across segments). */
  readonly alertId: number;
  /** True on the point that opened the alert. */
  readonly alertStart: boolean;
}

/** Columnar output of a batch: typed arrays, one entry per input row. */
export interface ColumnarResult {
  readonly rows: number;
  /** Ensemble score, calibrated [0, 1], after direction rules. */
  readonly score: Float64Array;
  readonly grade: Float64Array;
  readonly isAnomaly: Uint8Array;
  /** Each member's calibrated score (NaN where the member did not score). */
  readonly iforest: Float64Array;
  readonly rcf: Float64Array;
  readonly alertId: Int32Array;
  readonly alertStart: Uint8Array;
  /** -ln(1 - score): orders points far in the tail where `score` rounds to 1. */
  readonly surprise: Float64Array;
  /** Each member's surprise (NaN where it did not score). */
  readonly iforestSurprise: Float64Array;
  readonly rcfSurprise: Float64Array;
  /** The baseline (robust z) member's calibrated score and surprise (NaN where it did not score: see zscore.ts). */
  readonly baseline: Float64Array;
  readonly baselineSurprise: Float64Array;
}

/** Rows for the columnar path: the matrix (NaN = missing) plus optional per-row segment keys and times. */
export interface MatrixInput {
  readonly matrix: Matrix;
  /** 1 where missing (NaN in the matrix is read as missing too). */
  readonly missing?: Uint8Array;
  readonly segments?: readonly string[];
  /** Epoch ms per row (NaN when unknown). */
  readonly times?: Float64Array;
}

/** Scores a calibrator holds before its output is used. */
const MIN_CALIBRATION = 32;
/** Training scores a segment needs to get its own calibrators (else the global ones). */
const MIN_SEGMENT_CALIBRATION = 64;

interface SegmentState {
  readonly key: string;
  forest: StreamForest | null;
  /** Shingle, oldest position first: value of metric m at position p is [p * d + m]. */
  readonly shingle: Float64Array;
  filled: number;
  calIf: ScoreCalibrator;
  calRcf: ScoreCalibrator;
  calEns: ScoreCalibrator;
  /** The baseline member's calibrator and window of recent z's (zscore.ts; shingleSize x d, NaN = not observed). */
  calZ: ScoreCalibrator;
  readonly zWin: Float64Array;
  /** Single-metric stream-only: the context features' state (stream-context.ts). */
  readonly ctx: Float64Array;
  decision: DecisionStateData;
  /** Points seen (stream + training). */
  seen: number;
}

/** Scratch of one point's processing, reused (no allocation per point on the columnar path). */
interface PointScratch {
  point: Float64Array;
  ifHigh: Float64Array;
  ifLow: Float64Array;
  rcfHigh: Float64Array;
  rcfLow: Float64Array;
  high: Float64Array;
  low: Float64Array;
  one: Float64Array;
  oneOut: Float64Array;
  attr: DiVector;
  expected: Float64Array;
  raw: Float64Array;
  /** The current row's missing flags (raw's companion). */
  rawMissing: Uint8Array;
  /** A 1-row Matrix over `one`, for the IF. */
  oneRow: Matrix;
  /** The baseline member's per-metric scores and attribution. */
  zPer: Float64Array;
  zHigh: Float64Array;
  zLow: Float64Array;
  /** The context IF's input row (single-metric stream-only). */
  ctxRow: Matrix;
}

interface PointOutcome {
  score: number;
  surprise: number;
  lIf: number;
  lRcf: number;
  lZ: number;
  sZ: number;
  grade: number;
  sIf: number;
  sRcf: number;
  isAnomaly: boolean;
  alertId: number;
  alertStart: boolean;
}

/**
 * Batch scoring: the RRCF member's result for every row, computed before the per-record
 * pass (see precomputeRcf). `ok[i]` = 1 where it was (the row's segment has a ready forest).
 */
interface PreRcf {
  readonly ok: Uint8Array;
  readonly score: Float64Array;
  /** Per row, the DiVector over the shingled point (shingleSize x d values), when attribution was wanted. */
  readonly high: Float64Array | null;
  readonly low: Float64Array | null;
}

/**
 * Appends row `offset` of `src` to a shingle (oldest position first; d metrics x `size`
 * positions) that has `filled` positions; returns the new count. The first value fills
 * every position, so a segment scores from its first point.
 */
function advanceShingle(sh: Float64Array, filled: number, size: number, d: number, src: Float64Array, offset: number): number {
  if (filled === 0) {
    for (let p = 0; p < size; p++) for (let m = 0; m < d; m++) sh[p * d + m] = src[offset + m]!;
    return 1;
  }
  sh.copyWithin(0, d);
  const last = sh.length - d;
  for (let m = 0; m < d; m++) sh[last + m] = src[offset + m]!;
  return filled < size ? filled + 1 : filled;
}

/** A batch's rows as the detectors see them (see prepareBatch). */
interface PreparedBatch {
  readonly X: Matrix;
  readonly missing: Uint8Array;
}

export class AnomalyDetector {
  readonly config: ResolvedConfig;
  readonly columns: readonly string[];
  private readonly directions: readonly Direction[];
  /** Per metric, the field spec's transform (vectorize applies it; results undo it). */
  private readonly transforms: readonly (Transform | undefined)[];
  private readonly d: number;
  private readonly needsDirection: boolean;
  private shingleSize = 0; // 0 until resolved
  private fitted = false;
  private iforest: IsolationForest | null = null;
  /** scoreWith(): the Isolation Forest scores of the batch, computed outside (e.g. on a GPU); null otherwise. */
  private preIf: Float64Array | null = null;
  /** Batch scoring: the RRCF results of the batch being scored (precomputeRcf), or null. */
  private preRcf: PreRcf | null = null;
  private imputer: Imputer;
  /** Standardisation of each metric (global, or per segment and hour of day): see baseline.ts. */
  private baseline: Baseline;
  private readonly zeros: Float64Array;
  private readonly ones: Float64Array;
  private prior: { calIf: ScoreCalibrator; calRcf: ScoreCalibrator; calEns: ScoreCalibrator; calZ: ScoreCalibrator };
  /** Surprise of the threshold: -ln(1 - threshold). */
  private thresholdSurprise: number;
  private segments: LruMap<SegmentState>;
  private nextAlert = 1;
  private batchAlert = 1;
  private streamIndex = 0;
  /** Fitted without time order (no timeField, shingle 1): each RRCF is a batch forest (fit from subsamples) that scores but does not learn. */
  private batchRcf = false;
  /** The standardisation (center/scale) is known: after fit, or after STREAM_WARMUP stream-only rows. */
  private statsReady = false;
  /** Stream-only: imputed rows kept for the lazy IF fit, and the latest observed value of each metric (any segment). */
  private lazyRows: number[] = [];
  private lazyMissing: number[] = [];
  /** Stream-only: the latest standardised rows (the lazy IF's training points). */
  private lazyShingles: number[] = [];
  /** Trained lazily (no fit): the IF is refitted every 4 x lazyFitAfter points on the latest 4 x lazyFitAfter rows, so it follows drift like the RRCF. */
  private streamOnly = false;
  /** Inside fitMatrix's calibration (not reference mode even before `fitted` is set). */
  private fitting = false;
  /** Stream-only: the priors were set to the reference calibrators. */
  private referenceReady = false;
  private sinceRefit = 0;
  private globalLast: Float64Array;
  private readonly scratch: PointScratch;
  private readonly decisionCfg: DecisionConfig;
  /** Alert id sources for decide(), made once (not a closure per point). */
  private readonly newStreamAlert = (): number => this.nextAlert++;
  private readonly newBatchAlert = (): number => this.batchAlert++;

  constructor(config: DetectorConfig) {
    this.config = resolveConfig(config);
    this.columns = this.config.spec.fields.map((f) => f.name);
    this.directions = this.config.spec.fields.map((f) => f.direction);
    this.transforms = this.config.spec.fields.map((f) => f.transform);
    this.d = this.columns.length;
    this.needsDirection = this.directions.some((x) => x !== 'both');
    this.imputer = new Imputer(this.columns);
    this.baseline = new Baseline(this.d, this.config.supportIndex);
    this.zeros = new Float64Array(this.d);
    this.ones = new Float64Array(this.d).fill(1);
    this.globalLast = new Float64Array(this.d).fill(NaN);
    const w = this.config.calibrationWindow;
    this.prior = { calIf: new ScoreCalibrator(w), calRcf: new ScoreCalibrator(w), calEns: new ScoreCalibrator(w), calZ: new ScoreCalibrator(w) };
    this.thresholdSurprise = -Math.log(this.config.contamination);
    this.segments = new LruMap<SegmentState>(this.config.maxSegments, (key) => this.forgetSegment(key));
    this.decisionCfg = { minDuration: this.config.minDuration, cooldown: this.config.cooldown, maxAlertsPerDay: this.config.maxAlertsPerDay };
    const d = this.d;
    const one = new Float64Array(d);
    this.scratch = {
      point: new Float64Array(0),
      ifHigh: new Float64Array(d),
      ifLow: new Float64Array(d),
      rcfHigh: new Float64Array(d),
      rcfLow: new Float64Array(d),
      high: new Float64Array(d),
      low: new Float64Array(d),
      one,
      oneOut: new Float64Array(1),
      attr: createDiVector(0),
      expected: new Float64Array(d),
      raw: new Float64Array(d),
      rawMissing: new Uint8Array(d),
      oneRow: { data: one, rows: 1, cols: d },
      zPer: new Float64Array(d),
      zHigh: new Float64Array(d),
      zLow: new Float64Array(d),
      ctxRow: { data: new Float64Array(CONTEXT_FEATURES), rows: 1, cols: CONTEXT_FEATURES },
    };
  }

  /** True after `fit` (or after a stream-only detector trained its IF lazily). */
  get isFitted(): boolean {
    return this.fitted;
  }

  /** The calibrated-score threshold: points above it (after direction rules) are candidates for an alert. */
  get threshold(): number {
    return scoreFromSurprise(this.thresholdSurprise);
  }

  /** Shingle size in use (0 before the first fit/update when not configured). */
  get shingle(): number {
    return this.shingleSize || this.config.shingleSize || 0;
  }

  /** Segment keys held now, least recently used first. */
  get segmentKeys(): string[] {
    return this.segments.keys();
  }

  private get useIf(): boolean {
    return this.config.detector !== 'rcf';
  }

  private get useRcf(): boolean {
    return this.config.detector !== 'iforest';
  }

  /** The baseline member (zscore.ts): ensemble only, and only with a seasonal (fitted hourly) baseline. */
  private get useZ(): boolean {
    return this.config.detector === 'ensemble' && this.baseline.seasonal;
  }

  /**
   * Stream-only (never batch-fitted): members are calibrated against a fixed reference
   * (reference.ts: their scores on standard normal noise), not against the series' own
   * recent scores, and the calibrators do not slide. See docs/pipeline.md, "Calibration".
   */
  private get referenceMode(): boolean {
    return !this.fitting && (this.streamOnly || !this.fitted);
  }

  /**
   * Single-metric stream-only: the IF isolates context rows (level, step, deviation
   * from the recent level, volatility: stream-context.ts) instead of the bare value, and
   * joins the RRCF by max (ensemble.ts). See docs/pipeline.md, "Ensemble".
   */
  private get contextIf(): boolean {
    return this.d === 1 && this.referenceMode;
  }

  /** Stream-only: the priors every new segment starts from are the references (once). */
  private useReferencePriors(): void {
    if (this.referenceReady) return;
    this.referenceReady = true;
    const c = this.config;
    const w = c.calibrationWindow;
    if (this.useRcf) {
      this.prior.calRcf = rcfReference({ metrics: this.d, shingleSize: this.shingleSize, numTrees: c.numTrees, sampleSize: c.sampleSize, sampling: c.sampling, timeDecay: c.timeDecay, seed: c.seed, window: w }).clone();
    }
    if (this.useIf) this.prior.calIf = this.ifReferenceFor(c.lazyFitAfter);
  }

  private ifReferenceFor(trainRows: number): ScoreCalibrator {
    const c = this.config;
    if (this.contextIf) return contextIfReference({ trainRows, numTrees: c.numTrees, sampleSize: c.sampleSize, seed: c.seed, window: c.calibrationWindow }).clone();
    return ifReference({ metrics: this.d, trainRows, numTrees: c.numTrees, sampleSize: c.sampleSize, seed: c.seed, window: c.calibrationWindow }).clone();
  }

  private resolveShingle(streamOnly: boolean): void {
    if (this.shingleSize > 0) return;
    // One metric: shingle 1 (its context is its own long history, kept by the forest's sample;
    // measured on NAB, shingle 4 cost ~17 points). Several metrics with a time order: 4.
    this.shingleSize = this.config.shingleSize ?? (this.d > 1 && (this.config.timeField !== undefined || streamOnly) ? 4 : 1);
    this.scratch.point = new Float64Array(this.shingleSize * this.d);
    this.scratch.attr = createDiVector(this.shingleSize * this.d);
  }

  // ---------------------------------------------------------------- input

  private vectorizeRecords(records: VectorizeInput, what: string): { matrix: Matrix; missing: Uint8Array; segments?: string[]; times?: Float64Array } {
    if (!Array.isArray(records) && (records === null || typeof records !== 'object')) {
      throw new TypeError(`${what}: expected an array of records, got ${records === null ? 'null' : typeof records}`);
    }
    const { matrix, missing } = vectorize(records, this.config.spec);
    const out: { matrix: Matrix; missing: Uint8Array; segments?: string[]; times?: Float64Array } = { matrix, missing };
    if (Array.isArray(records)) {
      const recs = records as readonly CxRecord[];
      // supportFields: a metric whose own count is below minSupportPerMetric (or empty) counts as missing;
      // a record without the count field at all (a source that does not report it) keeps the metric.
      const ms = this.config.metricSupport;
      if (ms.length > 0) {
        const d = this.d;
        const min = this.config.minSupportPerMetric;
        for (let i = 0; i < recs.length; i++) {
          for (const [m, field] of ms) {
            const raw = recs[i]![field];
            if (raw === undefined) continue;
            const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
            if (!(n >= min)) missing[i * d + m] = 1;
          }
        }
      }
      if (this.config.segmentField !== undefined) out.segments = recs.map((r, i) => this.segmentOf(r, i, what));
      if (this.config.timeField !== undefined) out.times = Float64Array.from(recs, (r, i) => this.timeOf(r, i, what));
    } else if (this.config.segmentField !== undefined || this.config.timeField !== undefined) {
      throw new TypeError(`${what}: segmentField/timeField need records as objects; use scoreMatrix() with segments/times for tables`);
    }
    return out;
  }

  private segmentOf(r: CxRecord, i: number, what: string): string {
    const f = this.config.segmentField!;
    const v = r[f];
    if (v === undefined || v === null || v === '') {
      throw new TypeError(`${what}: record ${i + 1} has no segment field "${f}"`);
    }
    return String(v);
  }

  private timeOf(r: CxRecord, i: number, what: string): number {
    const f = this.config.timeField!;
    const v = r[f];
    if (v === undefined || v === null || v === '') throw new TypeError(`${what}: record ${i + 1} has no time field "${f}"`);
    try {
      return parseTime(v);
    } catch (e) {
      throw new TypeError(`${what}: record ${i + 1}, field "${f}": ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- segments

  private newSegment(key: string, fromPrior: boolean): SegmentState {
    const w = this.config.calibrationWindow;
    return {
      key,
      forest: this.useRcf
        ? createForest({
            dimensions: this.shingleSize * this.d,
            numTrees: this.config.numTrees,
            sampleSize: this.config.sampleSize,
            sampling: this.config.sampling,
            timeDecay: this.config.timeDecay,
            seed: segmentSeed(this.config.seed, key),
          })
        : null,
      shingle: new Float64Array(this.shingleSize * this.d),
      filled: 0,
      calIf: fromPrior ? this.prior.calIf.clone() : new ScoreCalibrator(w),
      calRcf: fromPrior ? this.prior.calRcf.clone() : new ScoreCalibrator(w),
      calEns: fromPrior ? this.prior.calEns.clone() : new ScoreCalibrator(w),
      calZ: fromPrior ? this.prior.calZ.clone() : new ScoreCalibrator(w),
      zWin: new Float64Array(this.shingleSize * this.d).fill(NaN),
      ctx: newContextState(),
      decision: newDecisionState(),
      seen: 0,
    };
  }

  private segmentFor(key: string): SegmentState {
    let s = this.segments.get(key);
    if (s === undefined) {
      if (this.referenceMode) this.useReferencePriors();
      s = this.newSegment(key, this.fitted || this.referenceMode);
      this.segments.set(key, s);
    }
    return s;
  }

  // ---------------------------------------------------------------- fit

  /** Batch training (see the class comment). Replaces any previous model and stream state. */
  fit(records: readonly CxRecord[] | VectorizeInput, opts: JobOptions = {}): this {
    const input = this.vectorizeRecords(records, 'fit');
    return this.fitMatrix(input, opts);
  }

  /** `fit` on a matrix (NaN = missing), with optional per-row segments and times. */
  fitMatrix(input: MatrixInput, opts: JobOptions = {}): this {
    const { matrix } = input;
    const n = matrix.rows;
    if (n === 0) throw new RangeError('fit: no records to train on');
    if (matrix.cols !== this.d) throw new RangeError(`fit: matrix has ${matrix.cols} columns, the field spec has ${this.d} (${this.columns.join(', ')})`);
    checkRows(input, n, 'fit');
    const missing = this.applySupport(matrix, input.missing ?? nanMask(matrix));
    opts.signal?.throwIfAborted();
    this.resolveShingle(false);
    const d = this.d;
    this.batchRcf = this.config.timeField === undefined && this.shingleSize === 1;
    // Fresh state.
    this.segments = new LruMap<SegmentState>(this.config.maxSegments, (key) => this.forgetSegment(key));
    this.imputer = new Imputer(this.columns).fit(matrix, missing);
    const X: Matrix = { data: Float64Array.from(matrix.data), rows: n, cols: d };
    this.imputer.apply(X, missing);
    this.baseline = new Baseline(d, this.config.supportIndex);
    this.baseline.fitGlobal(matrix, missing);
    if (this.config.seasonality === 'hourly' && input.times) this.baseline.fitHourly(matrix, missing, input.segments, input.times, timeOrder(n, input.times));
    this.statsReady = true;
    // Everything downstream (IF, RRCF, attribution) works on standardised rows.
    this.standardizeRows(X, input.segments, input.times);
    this.nextAlert = 1;
    this.streamIndex = 0;
    this.lazyRows = [];
    this.lazyMissing = [];
    this.lazyShingles = [];
    this.streamOnly = false;
    this.sinceRefit = 0;

    const rawIf = new Float64Array(n).fill(NaN);
    // The IF scores the standardised row (measured: on the shingle it did worse in the
    // ensemble on NAB and on the CX incidents, see docs/results/ensemble.md).
    const sd = d;
    const shingles = this.useIf ? new Float64Array(n * sd) : null;
    opts.onProgress?.({ done: 0, total: n, phase: 'fit' });

    // Time order per segment.
    const order = timeOrder(n, input.times);
    const keys = input.segments;
    const byKey = new Map<string, number[]>();
    for (const i of order) {
      const k = keys ? keys[i]! : '';
      let list = byKey.get(k);
      if (list === undefined) byKey.set(k, (list = []));
      list.push(i);
    }
    // The most recently seen segments are kept when there are more than maxSegments.
    const segOrder = [...byKey.entries()].sort((a, b) => lastTime(a[1], input.times) - lastTime(b[1], input.times));
    const rawRcf = new Float64Array(n).fill(NaN);
    const rawZ = new Float64Array(n).fill(NaN);
    const useZ = this.useZ;
    const w = this.config.calibrationWindow;
    let done = 0;
    const segStates: [SegmentState, number[]][] = [];
    for (const [key, rows] of segOrder) {
      opts.signal?.throwIfAborted();
      const seg = this.newSegment(key, false);
      if (seg.forest && this.batchRcf) {
        // No order to learn from: trees from random subsamples (rrcf's batch recipe).
        const sub: Matrix = { data: pick(X.data, rows, d), rows: rows.length, cols: d };
        seg.forest.fit(sub);
        const s = seg.forest.scoreSamples(sub);
        rows.forEach((i, k) => (rawRcf[i] = s[k]!));
        for (const i of rows) {
          this.pushShingle(seg, X.data, i * d);
          shingles?.set(X.data.subarray(i * d, i * d + d), i * sd);
          seg.seen++;
        }
      } else if (seg.forest) {
        const point = this.scratch.point;
        for (const i of rows) {
          this.pushShingle(seg, X.data, i * d);
          shingles?.set(X.data.subarray(i * d, i * d + d), i * sd);
          point.set(seg.shingle);
          const ready = seg.forest.isReady;
          const r = seg.forest.update(point);
          if (ready) rawRcf[i] = r;
          seg.seen++;
        }
      } else {
        for (const i of rows) {
          this.pushShingle(seg, X.data, i * d);
          shingles?.set(X.data.subarray(i * d, i * d + d), i * sd);
          seg.seen++;
        }
      }
      // The baseline member, in time order (its window carries into streaming).
      if (useZ) for (const i of rows) rawZ[i] = zscoreRow(X.data, i * d, missing, i * d, this.directions, seg.zWin, this.scratch.zPer);
      // Streaming memory of the imputer: the last observed value of each metric.
      const last: (number | null)[] = new Array(d).fill(null);
      for (const i of rows) for (let c = 0; c < d; c++) if (missing[i * d + c] === 0 && matrix.data[i * d + c] === matrix.data[i * d + c]) last[c] = matrix.data[i * d + c]!;
      this.imputer.setSegmentState(key, last);
      segStates.push([seg, rows]);
      done += rows.length;
      opts.onProgress?.({ done, total: n, phase: 'fit' });
    }

    if (shingles) {
      const S: Matrix = { data: shingles, rows: n, cols: sd };
      this.iforest = new IsolationForest({ numTrees: this.config.numTrees, sampleSize: this.config.sampleSize, contamination: this.config.contamination, seed: this.config.seed }).fit(S);
      this.iforest.scoreSamples(S, rawIf);
    } else this.iforest = null;

    // Calibration: global priors on all training scores; segments with enough rows get their own.
    this.fitting = true;
    this.prior.calIf = new ScoreCalibrator(w).fit(rawIf);
    this.prior.calRcf = new ScoreCalibrator(w).fit(rawRcf);
    this.prior.calZ = new ScoreCalibrator(w).fit(rawZ);
    const ensRaw = new Float64Array(n).fill(NaN);
    for (const [seg, rows] of segStates) {
      const own = rows.length >= MIN_SEGMENT_CALIBRATION;
      seg.calIf = own ? new ScoreCalibrator(w).fit(pick(rawIf, rows)) : this.prior.calIf.clone();
      seg.calRcf = own ? new ScoreCalibrator(w).fit(pick(rawRcf, rows)) : this.prior.calRcf.clone();
      seg.calZ = own ? new ScoreCalibrator(w).fit(pick(rawZ, rows)) : this.prior.calZ.clone();
      for (const i of rows) ensRaw[i] = this.ensembleRaw(seg, rawIf[i]!, rawRcf[i]!, rawZ[i]!).raw;
    }
    this.prior.calEns = new ScoreCalibrator(w).fit(ensRaw);
    const ensSurprise = new Float64Array(n);
    for (const [seg, rows] of segStates) {
      seg.calEns = rows.length >= MIN_SEGMENT_CALIBRATION ? new ScoreCalibrator(w).fit(pick(ensRaw, rows)) : this.prior.calEns.clone();
      for (const i of rows) ensSurprise[i] = this.finalSurpriseOf(seg, ensRaw[i]!, rawIf[i]!, rawRcf[i]!);
    }
    // Threshold: the (1 - contamination) quantile of the training scores (before direction rules).
    const q = quantile(ensSurprise, 1 - this.config.contamination);
    this.thresholdSurprise = q > 0 ? q : -Math.log(this.config.contamination);
    for (const [seg] of segStates) this.segments.set(seg.key, seg);
    this.fitted = true;
    this.fitting = false;
    return this;
  }

  /** supportField rule (see DetectorConfig.supportField): a copy of the mask with the other metrics of low-support rows marked missing. */
  private applySupport(matrix: Matrix, missing: Uint8Array): Uint8Array {
    const si = this.config.supportIndex;
    if (si < 0) return missing;
    const out = Uint8Array.from(missing);
    const d = this.d;
    const min = this.config.minSupport;
    for (let r = 0; r < matrix.rows; r++) {
      const v = matrix.data[r * d + si]!;
      if (missing[r * d + si] === 0 && v === v && v < min) for (let c = 0; c < d; c++) if (c !== si) out[r * d + c] = 1;
    }
    return out;
  }

  /** Standardises every row of X in place (per its segment and time). */
  private standardizeRows(X: Matrix, keys: readonly string[] | undefined, times: Float64Array | undefined): void {
    const d = this.d;
    for (let i = 0; i < X.rows; i++) this.baseline.standardize(X.data, i * d, keys ? keys[i]! : '', times ? times[i]! : NaN, X.data, i * d);
  }

  private forgetSegment(key: string): void {
    this.imputer.forgetSegment(key);
    this.baseline.forget(key);
  }

  // ---------------------------------------------------------------- scoring core

  /** Appends a standardised row to the segment's shingle (oldest position first). */
  private pushShingle(seg: SegmentState, src: Float64Array, offset: number): void {
    seg.filled = advanceShingle(seg.shingle, seg.filled, this.shingleSize, this.d, src, offset);
  }

  /**
   * Batch scoring (no state change): every row's RRCF score, and its DiVector when
   * `withAttribution`, computed per segment tree-major before the per-record pass
   * (RandomCutForest.scoreSamples / scoreSamplesWithAttribution). The forests do not
   * change while a batch is scored, so the points (each segment's shingle advanced row
   * by row, as processPoint will) can all be walked tree by tree: a tree's nodes and
   * boxes are fetched once per batch and segment instead of once per record. The same
   * walks as scoring record by record, with the same sums per row, so processPoint's
   * results are bit-identical. Segments without a ready forest are left to processPoint.
   */
  private precomputeRcf(X: Matrix, keys: readonly string[] | undefined, withAttribution: boolean): PreRcf | null {
    if (!this.useRcf) return null;
    const n = X.rows;
    const d = this.d;
    const sd = this.shingleSize * d;
    const groups = new Map<string, { forest: StreamForest; shingle: Float64Array; filled: number; rows: number[] } | null>();
    for (let i = 0; i < n; i++) {
      const key = keys ? keys[i]! : '';
      let g = groups.get(key);
      if (g === undefined) {
        const base = this.segments.peek(key);
        g = base && base.forest && base.forest.isReady ? { forest: base.forest, shingle: Float64Array.from(base.shingle), filled: base.filled, rows: [] } : null;
        groups.set(key, g);
      }
      if (g) g.rows.push(i);
    }
    const ok = new Uint8Array(n);
    const score = new Float64Array(n);
    const high = withAttribution ? new Float64Array(n * sd) : null;
    const low = withAttribution ? new Float64Array(n * sd) : null;
    for (const g of groups.values()) {
      if (g === null) continue;
      const m = g.rows.length;
      const P: Matrix = { data: new Float64Array(m * sd), rows: m, cols: sd };
      for (let k = 0; k < m; k++) {
        g.filled = advanceShingle(g.shingle, g.filled, this.shingleSize, d, X.data, g.rows[k]! * d);
        P.data.set(g.shingle, k * sd);
      }
      const sub = { high: new Float64Array(m * sd), low: new Float64Array(m * sd) };
      const s = withAttribution ? g.forest.scoreSamplesWithAttribution(P, sub) : g.forest.scoreSamples(P);
      for (let k = 0; k < m; k++) {
        const i = g.rows[k]!;
        ok[i] = 1;
        score[i] = s[k]!;
        if (high && low) {
          high.set(sub.high.subarray(k * sd, (k + 1) * sd), i * sd);
          low.set(sub.low.subarray(k * sd, (k + 1) * sd), i * sd);
        }
      }
    }
    return { ok, score, high, low };
  }

  /** Each member's surprise against the segment's calibrators, and the ensemble's raw score. */
  private ensembleRaw(seg: SegmentState, rawIf: number, rawRcf: number, rawZ: number): { lIf: number; lRcf: number; lZ: number; raw: number } {
    const lIf = rawIf === rawIf && seg.calIf.count >= MIN_CALIBRATION ? seg.calIf.surprise(rawIf) : NaN;
    const lRcf = rawRcf === rawRcf && seg.calRcf.count >= MIN_CALIBRATION ? seg.calRcf.surprise(rawRcf) : NaN;
    const lZ = rawZ === rawZ && seg.calZ.count >= MIN_CALIBRATION ? seg.calZ.surprise(rawZ) : NaN;
    if (this.referenceMode) return { lIf, lRcf, lZ, raw: combineStreamSurprises(lIf, lRcf, this.contextIf ? 'max' : 'weighted') };
    return { lIf, lRcf, lZ, raw: combineFittedSurprises(lIf, lRcf, lZ, this.config.ensembleRule) };
  }

  /** The detector's calibrated surprise before direction rules. */
  private finalSurpriseOf(seg: SegmentState, ensRaw: number, rawIf: number, rawRcf: number): number {
    if (this.config.detector === 'iforest') return rawIf === rawIf && seg.calIf.count >= MIN_CALIBRATION ? seg.calIf.surprise(rawIf) : 0;
    if (this.config.detector === 'rcf') return rawRcf === rawRcf && seg.calRcf.count >= MIN_CALIBRATION ? seg.calRcf.surprise(rawRcf) : 0;
    // Stream-only: the members' surprises are already on the reference scale (no second, per-series calibration).
    if (this.referenceMode) return ensRaw === ensRaw ? ensRaw : 0;
    // With the baseline member (seasonal fit): the members' surprises are already calibrated per segment, and
    // the combined surprise is thresholded as it is. A second calibration, fitted on a short training set
    // (two days = 192 intervals per queue), re-fits the exponential tail to its top ~19 values and compressed
    // the strongest evidence (a volume collapse with member surprises 5.1 / 6.8 / 7.7 came out at 4.3);
    // measured on the CX incidents at equal false alarms: docs/results/cx-incidents.md.
    if (this.useZ) return ensRaw === ensRaw ? ensRaw : 0;
    return ensRaw === ensRaw && seg.calEns.count >= MIN_CALIBRATION ? seg.calEns.surprise(ensRaw) : 0;
  }

  /**
   * Scores one imputed row (at `offset` of `src`) in `seg`. With `learn`, the segment
   * learns it (RRCF insert, calibrators slide) and the alert state advances; without,
   * nothing in `seg` but its shingle and decision (the caller passes copies) changes.
   * Leaves the per-metric attribution (fractions summing to the score) in scratch.high/low.
   */
  private processPoint(seg: SegmentState, src: Float64Array, offset: number, missing: Uint8Array, time: number, learn: boolean, wantAttribution: boolean, out: PointOutcome): void {
    const sc = this.scratch;
    const d = this.d;
    this.pushShingle(seg, src, offset);
    const point = sc.point;
    point.set(seg.shingle);
    let rawIf = NaN;
    const row = sc.one;
    for (let m = 0; m < d; m++) row[m] = src[offset + m]!;
    // The IF's input: the row, or (single-metric stream-only) its context row, which
    // advances the segment's context state (batch views hold a copy of it).
    const ctx = this.useIf && this.contextIf;
    const ifIn = ctx ? sc.ctxRow : sc.oneRow;
    if (ctx) contextRow(row[0]!, seg.ctx, ifIn.data);
    if (this.iforest) {
      // scoreWith's precomputed scores are of the plain rows (fitted detectors only).
      if (this.preIf && !ctx) rawIf = this.preIf[offset / d]!;
      else {
        this.iforest.scoreSamples(ifIn, sc.oneOut);
        rawIf = sc.oneOut[0]!;
      }
    }
    if (learn && this.useIf && (!this.fitted || this.streamOnly)) {
      const w = ifIn.cols;
      for (let k = 0; k < w; k++) this.lazyShingles.push(ifIn.data[k]!);
      this.sinceRefit++;
      // Keep at most 4 x lazyFitAfter rows (trimmed in batches: splice is O(n)).
      const cap = 4 * this.config.lazyFitAfter * w;
      if (this.lazyShingles.length >= 2 * cap) this.lazyShingles.splice(0, this.lazyShingles.length - cap);
    }
    let rawRcf = NaN;
    let haveRcfAttr = false;
    const forest = seg.forest;
    if (forest) {
      const ready = forest.isReady;
      const wantAttr = this.needsDirection || wantAttribution;
      const stream = learn && !this.batchRcf;
      let r: number;
      const pre = this.preRcf;
      const row = offset / d;
      if (pre !== null && pre.ok[row] === 1) {
        // Batch: walked tree-major before this pass (precomputeRcf), with the same sums.
        r = pre.score[row]!;
        if (wantAttr && pre.high && pre.low) {
          const sd = point.length;
          sumOverShingle(pre.high.subarray(row * sd, (row + 1) * sd), pre.low.subarray(row * sd, (row + 1) * sd), d, sc.rcfHigh, sc.rcfLow);
          haveRcfAttr = true;
        }
      } else if (wantAttr && ready) {
        // Batch: score and DiVector in one walk per tree (score() then attribution() walked twice).
        r = stream ? forest.updateWithDetails(point, sc.attr) : forest.scoreWithAttribution(point, sc.attr);
        sumOverShingle(sc.attr.high, sc.attr.low, d, sc.rcfHigh, sc.rcfLow);
        haveRcfAttr = true;
      } else r = stream ? forest.update(point) : forest.score(point);
      if (ready) rawRcf = r;
    }
    if (learn) seg.seen++;
    // The window always advances: batch scoring runs on a view whose state is a copy (scoreCore).
    const rawZ = this.useZ ? zscoreRow(src, offset, missing, offset, this.directions, seg.zWin, sc.zPer) : NaN;
    const { lIf, lRcf, lZ, raw } = this.ensembleRaw(seg, rawIf, rawRcf, rawZ);
    const base = this.finalSurpriseOf(seg, raw, rawIf, rawRcf);
    if (learn && !this.referenceMode) {
      seg.calIf.push(rawIf);
      seg.calRcf.push(rawRcf);
      if (rawZ === rawZ) seg.calZ.push(rawZ);
      if (this.config.detector === 'ensemble') seg.calEns.push(raw);
    }
    // Attribution: each member's direction split, weighted by that member's surprise.
    const wIf = this.useIf && lIf === lIf ? Math.max(lIf, 1e-9) : 0;
    const wRcf = this.useRcf && haveRcfAttr && lRcf === lRcf ? Math.max(lRcf, 1e-9) : 0;
    const high = sc.high;
    const low = sc.low;
    high.fill(0);
    low.fill(0);
    if (wIf > 0 && (this.needsDirection || wantAttribution)) {
      deviationAttribution(row, this.zeros, this.ones, sc.ifHigh, sc.ifLow);
      normalizeTo(sc.ifHigh, sc.ifLow, wIf);
      for (let m = 0; m < d; m++) {
        high[m] = high[m]! + sc.ifHigh[m]!;
        low[m] = low[m]! + sc.ifLow[m]!;
      }
    }
    if (wRcf > 0) {
      normalizeTo(sc.rcfHigh, sc.rcfLow, wRcf);
      for (let m = 0; m < d; m++) {
        high[m] = high[m]! + sc.rcfHigh[m]!;
        low[m] = low[m]! + sc.rcfLow[m]!;
      }
    }
    // The baseline member's parts (already direction-filtered, see zscore.ts), weighted like the others.
    const wZ = lZ === lZ ? Math.max(lZ, 1e-9) : 0;
    if (wZ > 0) {
      zscoreAttribution(src, offset, this.directions, sc.zPer, sc.zHigh, sc.zLow);
      normalizeTo(sc.zHigh, sc.zLow, wZ);
      for (let m = 0; m < d; m++) {
        high[m] = high[m]! + sc.zHigh[m]!;
        low[m] = low[m]! + sc.zLow[m]!;
      }
    }
    const share = this.needsDirection ? allowedShare(high, low, this.directions) : 1;
    const surprise = base * share;
    const score = scoreFromSurprise(surprise);
    normalizeTo(high, low, score);
    const above = surprise >= this.thresholdSurprise && surprise > 0;
    // Batch scoring numbers its alerts on its own, so that score() leaves the detector untouched.
    const dec = decide(seg.decision, above, time, this.decisionCfg, learn ? this.newStreamAlert : this.newBatchAlert);
    out.score = score;
    out.surprise = surprise;
    out.lIf = lIf;
    out.lRcf = lRcf;
    out.grade = gradeOf(surprise, this.thresholdSurprise);
    out.sIf = lIf === lIf ? scoreFromSurprise(lIf) : NaN;
    out.sRcf = lRcf === lRcf ? scoreFromSurprise(lRcf) : NaN;
    out.lZ = lZ;
    out.sZ = lZ === lZ ? scoreFromSurprise(lZ) : NaN;
    out.isAnomaly = dec.isAnomaly;
    out.alertId = dec.alertId;
    out.alertStart = dec.alertStart;
  }

  /** `allExpected`: the forest's expected values for every point; else only for anomalies (others get the baseline centre, see JobOptions.expected). */
  private buildResult(index: number, seg: SegmentState, o: PointOutcome, time: number, imputed: string[], allExpected: boolean): DetectorResult {
    const attribution: Record<string, MetricAttribution> = {};
    const expected: Record<string, number> = {};
    const sc = this.scratch;
    for (let m = 0; m < this.d; m++) attribution[this.columns[m]!] = { high: sc.high[m]!, low: sc.low[m]! };
    const exp = seg.forest && seg.forest.isReady && (o.isAnomaly || allExpected) ? expectedNewest(seg.forest, sc.point, this.d, this.shingleSize, sc.expected) : null;
    // The forest works in standardised units: back to the metric's own (and off its model scale: field-spec transform).
    const transforms = this.transforms;
    for (let m = 0; m < this.d; m++) expected[this.columns[m]!] = fromModelScale(transforms[m], this.baseline.unstandardize(m, exp ? exp[m]! : 0, seg.key, time));
    const scores: { iforest?: number; rcf?: number; baseline?: number } = {};
    if (o.sIf === o.sIf) scores.iforest = o.sIf;
    if (o.sRcf === o.sRcf) scores.rcf = o.sRcf;
    if (o.sZ === o.sZ) scores.baseline = o.sZ;
    const r: DetectorResult = {
      index,
      ...(time === time ? { timestamp: time } : {}),
      ...(this.config.segmentField !== undefined ? { segment: seg.key } : {}),
      score: o.score,
      grade: o.grade,
      isAnomaly: o.isAnomaly,
      scores,
      attribution,
      expected,
      imputed,
      alertId: o.alertId,
      alertStart: o.alertStart,
    };
    return r;
  }

  // ---------------------------------------------------------------- batch scoring

  /** Batch scoring without state change: each segment continues from its current shingle, with a fresh alert state. */
  score(records: readonly CxRecord[] | VectorizeInput, opts: JobOptions = {}): DetectorResult[] {
    const input = this.vectorizeRecords(records, 'score');
    const results: DetectorResult[] = [];
    this.scoreCore(input, opts, false, results);
    return results;
  }

  /** Columnar fast path: typed arrays out, no Result objects (no state change). */
  scoreMatrix(input: MatrixInput, opts: JobOptions = {}): ColumnarResult {
    return this.scoreCore(input, opts, false, null);
  }

  /**
   * score(), with the Isolation Forest member's scores of the whole batch computed
   * by `ifScores` -- e.g. a WebGL/WebGPU tree-path kernel (accel/), which must give
   * what `forest.scoreSamples(X)` gives (scoreSamplesAccelerated does, exactly).
   * X is the matrix the member scores: imputed and standardised, one row a record.
   * Everything else (RRCF, baseline, calibration, decisions) runs as in score(),
   * so the results are identical to score()'s.
   */
  async scoreWith(
    records: readonly CxRecord[] | VectorizeInput,
    opts: JobOptions & { readonly ifScores: (forest: IsolationForest, X: Matrix) => Promise<Float64Array> },
  ): Promise<DetectorResult[]> {
    const input = this.vectorizeRecords(records, 'score');
    const n = input.matrix.rows;
    let pre: Float64Array | null = null;
    let prepared: PreparedBatch | null = null;
    if (this.iforest && this.fitted && n > 0) {
      this.checkColumns(input.matrix);
      // Prepared once: the scorer reads X, and scoreCore scores the same rows.
      prepared = this.prepareBatch(input);
      pre = await opts.ifScores(this.iforest, prepared.X);
      if (!(pre instanceof Float64Array) || pre.length < n) throw new Error(`scoreWith: ifScores returned ${pre instanceof Float64Array ? `${pre.length} scores` : typeof pre}, expected a Float64Array of ${n}`);
    }
    const results: DetectorResult[] = [];
    this.preIf = pre;
    try {
      this.scoreCore(input, opts, false, results, prepared);
    } finally {
      this.preIf = null;
    }
    return results;
  }

  /**
   * A batch as the detectors see it: the missing-value mask (support rule applied) and a
   * copy of the rows with training medians for missing values, standardised.
   */
  private prepareBatch(input: MatrixInput): PreparedBatch {
    const { matrix } = input;
    const missing = this.applySupport(matrix, input.missing ?? nanMask(matrix));
    const X: Matrix = { data: Float64Array.from(matrix.data), rows: matrix.rows, cols: this.d };
    this.imputer.apply(X, missing);
    this.standardizeRows(X, input.segments, input.times);
    return { X, missing };
  }

  private checkColumns(matrix: Matrix): void {
    if (matrix.cols !== this.d) throw new RangeError(`matrix has ${matrix.cols} columns, the field spec has ${this.d} (${this.columns.join(', ')})`);
  }

  /** Columnar batch from records (vectorized once, typed arrays out). */
  scoreColumnar(records: readonly CxRecord[] | VectorizeInput, opts: JobOptions = {}): ColumnarResult {
    return this.scoreCore(this.vectorizeRecords(records, 'score'), opts, false, null);
  }

  // ---------------------------------------------------------------- streaming

  /** Streaming: scores the record against its segment's state, then learns it. */
  update(record: CxRecord, opts: JobOptions = {}): DetectorResult {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new TypeError(`update: expected a record object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`);
    }
    return this.updateMany([record], opts)[0]!;
  }

  /** Streaming over many records, in order. */
  updateMany(records: readonly CxRecord[], opts: JobOptions = {}): DetectorResult[] {
    const results: DetectorResult[] = [];
    if (records.length === 0) return results;
    const input = this.vectorizeRecords(records, 'update');
    this.scoreCore(input, opts, true, results);
    return results;
  }

  /** Streaming, columnar: learns every row, in order. */
  updateMatrix(input: MatrixInput, opts: JobOptions = {}): ColumnarResult {
    return this.scoreCore(input, opts, true, null);
  }

  /** `prepared`: the batch's prepareBatch(input), when the caller already made it (scoreWith). */
  private scoreCore(input: MatrixInput, opts: JobOptions, learn: boolean, results: DetectorResult[] | null, prepared: PreparedBatch | null = null): ColumnarResult {
    const { matrix } = input;
    const n = matrix.rows;
    const d = this.d;
    this.checkColumns(matrix);
    checkRows(input, n, learn ? 'update' : 'score');
    const out: ColumnarResult = {
      rows: n,
      score: new Float64Array(n),
      grade: new Float64Array(n),
      isAnomaly: new Uint8Array(n),
      iforest: new Float64Array(n),
      rcf: new Float64Array(n),
      alertId: new Int32Array(n),
      alertStart: new Uint8Array(n),
      surprise: new Float64Array(n),
      iforestSurprise: new Float64Array(n),
      rcfSurprise: new Float64Array(n),
      baseline: new Float64Array(n),
      baselineSurprise: new Float64Array(n),
    };
    if (n === 0) return out;
    if (!this.fitted && !learn) throw new Error('score: the detector is not fitted; call fit() first, or update() to stream');
    this.batchAlert = 1;
    this.resolveShingle(!this.fitted);
    const keys = input.segments;
    // Batch: impute with training medians and standardise every row up front; streaming
    // does both record by record, with the state as it is at that record.
    let X: Matrix;
    let missing: Uint8Array;
    if (learn) {
      missing = this.applySupport(matrix, input.missing ?? nanMask(matrix));
      X = { data: Float64Array.from(matrix.data), rows: n, cols: d };
    } else ({ X, missing } = prepared ?? this.prepareBatch(input));
    this.preRcf = learn ? null : this.precomputeRcf(X, keys, this.needsDirection || results !== null);
    try {
      this.scoreRows(input, X, missing, out, opts, learn, results);
    } finally {
      this.preRcf = null;
    }
    return out;
  }

  /** scoreCore's per-record pass over the prepared rows. */
  private scoreRows(input: MatrixInput, X: Matrix, missing: Uint8Array, out: ColumnarResult, opts: JobOptions, learn: boolean, results: DetectorResult[] | null): void {
    const n = X.rows;
    const d = this.d;
    const keys = input.segments;
    const times = input.times;
    // Batch views: per segment, a copy of the shingle and a fresh alert state.
    const views = new Map<string, SegmentState>();
    const outcome: PointOutcome = { score: 0, surprise: 0, lIf: NaN, lRcf: NaN, lZ: NaN, sZ: NaN, grade: 0, sIf: NaN, sRcf: NaN, isAnomaly: false, alertId: 0, alertStart: false };
    const sc = this.scratch;
    const allExpected = opts.expected === 'all';
    const every = Math.max(1, Math.min(10000, Math.ceil(n / 100)));
    for (let i = 0; i < n; i++) {
      if (i % every === 0) {
        opts.signal?.throwIfAborted();
        if (i > 0) opts.onProgress?.({ done: i, total: n, phase: learn ? 'update' : 'score' });
      }
      const key = keys ? keys[i]! : '';
      const time = times ? times[i]! : NaN;
      let seg: SegmentState;
      if (learn) {
        seg = this.segmentFor(key);
        this.imputeStreaming(X.data, missing, i * d, key);
        if (!this.statsReady) {
          // Stream-only, first points: nothing to standardise with yet; they only feed the statistics.
          this.collectLazy(X.data, missing, i * d);
          this.writeEmpty(out, i);
          sc.high.fill(0);
          sc.low.fill(0);
          if (results) results.push(this.buildResult(this.streamIndex, seg, EMPTY_OUTCOME, time, imputedMetrics(missing, this.columns, i), allExpected));
          this.streamIndex++;
          continue;
        }
        if (!this.fitted) this.collectLazy(X.data, missing, i * d);
        // Standardise with the baseline as it was, then let the observed values join it.
        for (let m = 0; m < d; m++) {
          sc.raw[m] = X.data[i * d + m]!;
          sc.rawMissing[m] = missing[i * d + m]!;
        }
        this.baseline.standardize(X.data, i * d, key, time, X.data, i * d);
        this.baseline.update(sc.raw, 0, sc.rawMissing, key, time);
      } else {
        let v = views.get(key);
        if (v === undefined) {
          const base = this.segments.peek(key) ?? this.newSegment(key, true);
          v = { ...base, shingle: Float64Array.from(base.shingle), zWin: Float64Array.from(base.zWin), ctx: Float64Array.from(base.ctx), decision: newDecisionState() };
          views.set(key, v);
        }
        seg = v;
      }
      this.processPoint(seg, X.data, i * d, missing, time, learn, results !== null, outcome);
      out.score[i] = outcome.score;
      out.grade[i] = outcome.grade;
      out.isAnomaly[i] = outcome.isAnomaly ? 1 : 0;
      out.iforest[i] = outcome.sIf;
      out.rcf[i] = outcome.sRcf;
      out.alertId[i] = outcome.alertId;
      out.alertStart[i] = outcome.alertStart ? 1 : 0;
      out.surprise[i] = outcome.surprise;
      out.iforestSurprise[i] = outcome.lIf;
      out.rcfSurprise[i] = outcome.lRcf;
      out.baseline[i] = outcome.sZ;
      out.baselineSurprise[i] = outcome.lZ;
      if (results) {
        const index = learn ? this.streamIndex : i;
        results.push(this.buildResult(index, seg, outcome, time, imputedMetrics(missing, this.columns, i), allExpected));
      }
      if (learn) {
        this.streamIndex++;
        if (this.streamOnly && this.sinceRefit >= 4 * this.config.lazyFitAfter) this.refitLazyIf();
      }
    }
    opts.onProgress?.({ done: n, total: n, phase: learn ? 'update' : 'score' });
  }

  /** Streaming imputation: the segment's last observed value, else the training median (stream-only: the last value seen in any segment, since there is no median yet). */
  private imputeStreaming(data: Float64Array, missing: Uint8Array, offset: number, key: string): void {
    const d = this.d;
    const segLast = this.fitted ? undefined : this.imputer.segmentState(key);
    this.imputer.applyStreaming(data, missing, key, offset);
    if (this.fitted) return;
    for (let c = 0; c < d; c++) {
      const k = offset + c;
      if (missing[k] === 1) {
        if ((segLast === undefined || segLast[c] === null) && this.globalLast[c] === this.globalLast[c]) data[k] = this.globalLast[c]!;
      } else this.globalLast[c] = data[k]!;
    }
  }

  /** Stream-only: (re)fits the IF on the kept rows and restarts every segment's IF calibration from its scores. */
  private refitLazyIf(): void {
    this.sinceRefit = 0;
    // Width of the IF's rows: the context rows' for a single metric (stream-context.ts).
    const sd = this.contextIf ? CONTEXT_FEATURES : this.d;
    const cap = 4 * this.config.lazyFitAfter * sd;
    if (this.lazyShingles.length > cap) this.lazyShingles.splice(0, this.lazyShingles.length - cap);
    if (!this.useIf || this.lazyShingles.length < 2 * sd) return;
    const S: Matrix = { data: Float64Array.from(this.lazyShingles), rows: this.lazyShingles.length / sd, cols: sd };
    this.iforest = new IsolationForest({ numTrees: this.config.numTrees, sampleSize: this.config.sampleSize, contamination: this.config.contamination, seed: this.config.seed }).fit(S);
    // Calibrated against the reference: the IF's scores on noise for a forest trained on as many rows.
    this.prior.calIf = this.ifReferenceFor(S.rows);
    for (const [, seg] of this.segments.entries()) seg.calIf = this.prior.calIf.clone();
  }

  private writeEmpty(out: ColumnarResult, i: number): void {
    out.score[i] = 0;
    out.grade[i] = 0;
    out.isAnomaly[i] = 0;
    out.iforest[i] = NaN;
    out.rcf[i] = NaN;
    out.alertId[i] = 0;
    out.alertStart[i] = 0;
    out.surprise[i] = 0;
    out.iforestSurprise[i] = NaN;
    out.rcfSurprise[i] = NaN;
    out.baseline[i] = NaN;
    out.baselineSurprise[i] = NaN;
  }

  /**
   * Stream-only: keeps the first rows. After STREAM_WARMUP rows the standardisation
   * (median, robust scale) is fixed from them; after `lazyFitAfter` rows the imputer's
   * medians and the Isolation Forest (not for detector 'rcf') are fitted on them.
   */
  private collectLazy(data: Float64Array, missing: Uint8Array, offset: number): void {
    const d = this.d;
    for (let c = 0; c < d; c++) {
      this.lazyRows.push(data[offset + c]!);
      this.lazyMissing.push(missing[offset + c]!);
    }
    const rows = this.lazyRows.length / d;
    const mask = Uint8Array.from(this.lazyMissing);
    if (!this.statsReady && rows >= STREAM_WARMUP) {
      this.baseline.fitGlobal({ data: Float64Array.from(this.lazyRows), rows, cols: d }, mask);
      this.statsReady = true;
    }
    if (rows < this.config.lazyFitAfter) return;
    const X: Matrix = { data: Float64Array.from(this.lazyRows), rows, cols: d };
    const raw: Matrix = { data: Float64Array.from(this.lazyRows, (v, k) => (this.lazyMissing[k] === 1 ? NaN : v)), rows, cols: d };
    this.standardizeRows(X, undefined, undefined);
    // Keep each segment's streaming memory across the refit of the medians.
    const memory = this.segments.keys().map((k) => [k, this.imputer.segmentState(k)] as const);
    this.imputer = new Imputer(this.columns).fit(raw, mask);
    for (const [k, m] of memory) if (m) this.imputer.setSegmentState(k, m);
    this.refitLazyIf();
    this.lazyRows = [];
    this.lazyMissing = [];
    this.fitted = true;
    this.streamOnly = true;
  }

  // ---------------------------------------------------------------- model bundle

  /** One model file with every part: config, field spec, IF, imputer, calibration, threshold and each segment's stream state. */
  save(): Uint8Array {
    return writeBundle(this.exportState());
  }

  static load(bytes: Uint8Array): AnomalyDetector {
    const state = readBundle(bytes);
    return AnomalyDetector.importState(state);
  }

  /** @internal State for the bundle. */
  exportState(): import('./bundle.ts').DetectorBundle {
    const c = this.config;
    const config: Record<string, unknown> = {
      fields: formatFieldSpec(c.spec),
      detector: c.detector,
      maxSegments: c.maxSegments,
      numTrees: c.numTrees,
      sampleSize: c.sampleSize,
      contamination: c.contamination,
      minDuration: c.minDuration,
      cooldown: c.cooldown,
      sampling: c.sampling,
      timeDecay: c.timeDecay,
      seed: c.seed,
      seasonality: c.seasonality,
      ensembleRule: c.ensembleRule,
      minSupport: c.minSupport,
      calibrationWindow: c.calibrationWindow,
      lazyFitAfter: c.lazyFitAfter,
    };
    if (c.timeField !== undefined) config['timeField'] = c.timeField;
    if (c.segmentField !== undefined) config['segmentField'] = c.segmentField;
    if (c.maxAlertsPerDay !== undefined) config['maxAlertsPerDay'] = c.maxAlertsPerDay;
    if (c.supportIndex >= 0) config['supportField'] = this.columns[c.supportIndex];
    if (c.metricSupport.length > 0) {
      config['supportFields'] = Object.fromEntries(c.metricSupport.map(([m, f]) => [this.columns[m]!, f]));
      config['minSupportPerMetric'] = c.minSupportPerMetric;
    }
    if (this.shingleSize > 0 || c.shingleSize !== undefined) config['shingleSize'] = this.shingleSize || c.shingleSize;
    return {
      config,
      fitted: this.fitted,
      batchRcf: this.batchRcf,
      statsReady: this.statsReady,
      streamOnly: this.streamOnly,
      sinceRefit: this.sinceRefit,
      thresholdSurprise: this.thresholdSurprise,
      nextAlert: this.nextAlert,
      streamIndex: this.streamIndex,
      baseline: this.baseline.toState(),
      globalLast: this.globalLast,
      imputer: this.imputer.toState(),
      iforest: this.iforest ? this.iforest.toModelParts() : null,
      prior: { calIf: this.prior.calIf.toState(), calRcf: this.prior.calRcf.toState(), calEns: this.prior.calEns.toState(), calZ: this.prior.calZ.toState() },
      lazy: { rows: Float64Array.from(this.lazyRows), missing: Uint8Array.from(this.lazyMissing), shingles: Float64Array.from(this.lazyShingles) },
      segments: [...this.segments.entries()].map(([key, s]) => ({
        key,
        forest: s.forest ? s.forest.toState() : null,
        shingle: s.shingle,
        filled: s.filled,
        seen: s.seen,
        decision: s.decision,
        calIf: s.calIf.toState(),
        calRcf: s.calRcf.toState(),
        calEns: s.calEns.toState(),
        calZ: s.calZ.toState(),
        zWin: s.zWin,
        ctx: s.ctx,
        imputerLast: this.imputer.segmentState(key) ?? null,
      })),
    };
  }

  /** @internal */
  static importState(b: import('./bundle.ts').DetectorBundle): AnomalyDetector {
    const det = new AnomalyDetector(b.config as unknown as DetectorConfig);
    if (typeof b.config['shingleSize'] === 'number') det.resolveShingle(false);
    det.fitted = b.fitted;
    det.batchRcf = b.batchRcf;
    det.statsReady = b.statsReady;
    det.streamOnly = b.streamOnly;
    // Stream-only: the saved priors are the references (and the IF's follows its latest refit); keep them.
    det.referenceReady = b.segments.length > 0 || b.fitted;
    det.sinceRefit = b.sinceRefit;
    det.thresholdSurprise = b.thresholdSurprise;
    det.nextAlert = b.nextAlert;
    det.streamIndex = b.streamIndex;
    det.baseline = Baseline.fromState(det.d, b.baseline, det.config.supportIndex);
    det.globalLast = Float64Array.from(b.globalLast);
    det.imputer = Imputer.fromState(b.imputer);
    det.iforest = b.iforest ? IsolationForest.fromModelParts(b.iforest.header, b.iforest.arrays as unknown as Record<string, ArrayBufferView>) : null;
    det.prior = {
      calIf: ScoreCalibrator.fromState(b.prior.calIf),
      calRcf: ScoreCalibrator.fromState(b.prior.calRcf),
      calEns: ScoreCalibrator.fromState(b.prior.calEns),
      calZ: ScoreCalibrator.fromState(b.prior.calZ),
    };
    det.lazyRows = Array.from(b.lazy.rows);
    det.lazyMissing = Array.from(b.lazy.missing);
    det.lazyShingles = Array.from(b.lazy.shingles);
    for (const s of b.segments) {
      if (s.shingle.length !== det.shingleSize * det.d) {
        throw new ConfigError(`model: segment "${s.key}" has a shingle of ${s.shingle.length} values, expected ${det.shingleSize * det.d}`);
      }
      const seg: SegmentState = {
        key: s.key,
        forest: s.forest ? restoreForest(s.forest) : null,
        shingle: Float64Array.from(s.shingle),
        filled: s.filled,
        seen: s.seen,
        decision: { ...s.decision, alertTimes: [...s.decision.alertTimes] },
        calIf: ScoreCalibrator.fromState(s.calIf),
        calRcf: ScoreCalibrator.fromState(s.calRcf),
        calEns: ScoreCalibrator.fromState(s.calEns),
        calZ: ScoreCalibrator.fromState(s.calZ),
        zWin: s.zWin.length === det.shingleSize * det.d ? Float64Array.from(s.zWin) : new Float64Array(det.shingleSize * det.d).fill(NaN),
        // Models saved before the context features: a fresh state (it settles within ~10 points).
        ctx: s.ctx.length === CONTEXT_STATE ? Float64Array.from(s.ctx) : newContextState(),
      };
      det.segments.set(s.key, seg);
      if (s.imputerLast) det.imputer.setSegmentState(s.key, s.imputerLast);
    }
    return det;
  }
}

// ---------------------------------------------------------------- helpers

const EMPTY_OUTCOME: PointOutcome = { score: 0, surprise: 0, lIf: NaN, lRcf: NaN, lZ: NaN, sZ: NaN, grade: 0, sIf: NaN, sRcf: NaN, isAnomaly: false, alertId: 0, alertStart: false };

function nanMask(m: Matrix): Uint8Array {
  const mask = new Uint8Array(m.data.length);
  for (let k = 0; k < m.data.length; k++) if (m.data[k] !== m.data[k]) mask[k] = 1;
  return mask;
}

function checkRows(input: MatrixInput, n: number, what: string): void {
  if (input.segments && input.segments.length !== n) throw new RangeError(`${what}: ${input.segments.length} segment keys for ${n} rows`);
  if (input.times && input.times.length !== n) throw new RangeError(`${what}: ${input.times.length} times for ${n} rows`);
  if (input.missing && input.missing.length !== input.matrix.data.length) {
    throw new RangeError(`${what}: missing mask has ${input.missing.length} entries for ${input.matrix.data.length} values`);
  }
}

function timeOrder(n: number, times: Float64Array | undefined): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (times) idx.sort((a, b) => times[a]! - times[b]! || a - b);
  return idx;
}

function lastTime(rows: number[], times: Float64Array | undefined): number {
  const last = rows[rows.length - 1]!;
  return times ? times[last]! : last;
}

function pick(values: Float64Array, rows: number[], width = 1): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let k = 0; k < rows.length; k++) for (let j = 0; j < width; j++) out[k * width + j] = values[rows[k]! * width + j]!;
  return out;
}
