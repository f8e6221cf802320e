/**
 * Score calibration: one detector's raw score -> [0, 1] against that detector's own
 * recent score distribution.
 *
 * Method (documented in docs/pipeline.md, "Calibration"):
 * - A fixed-size window of the most recent raw scores is kept twice: a ring buffer
 *   (arrival order, to know which value leaves) and a sorted copy (for ranks).
 *   Inserting is a binary search plus one `copyWithin`: O(window) moves, no allocation.
 * - Body: below the tail threshold `u` the calibrated score is the mid-rank empirical
 *   CDF of the window: (#{x < raw} + #{x == raw} / 2) / n.
 * - Tail: the top `tailFraction` of the window (at least `MIN_TAIL` values) is fitted
 *   with an exponential excess distribution (peaks over threshold, a generalised
 *   Pareto with shape 0): P(X > raw) = pTail * exp(-(raw - u) / beta), beta = mean
 *   excess over u, each excess capped at TAIL_WINSOR x the median excess (below).
 *   Scores beyond the largest one seen keep spreading out instead of all being 1.0.
 * - Why the cap: the plain mean excess is not robust. One wild record (an AHT of ten
 *   hours, a volume of 5,000: a unit error upstream) scored a raw value 50-400 times
 *   the tail's usual excess, and that one value multiplied beta by up to 18 for as
 *   long as it stayed in the window (1,000 scores: ~10 days of 15-minute intervals),
 *   so every later incident of that segment read as ordinary: on generated CX data
 *   (10 days, seeds 1-2, a wild record early in each queue) the incidents after it
 *   flagged fell from 17 of 17 to 2 (test: pipeline.test.ts). For a clean exponential
 *   tail the cap changes nothing measurable: an excess beyond 20 median excesses
 *   (13.9 beta) has probability 2^-20. The median excess is the tail's middle value,
 *   which a few wild values cannot move.
 * - The calibrated score is 1 - P(X > raw). Callers that need resolution near 1 use
 *   {@link ScoreCalibrator.surprise} = -ln P(X > raw), which stays finite and ordered
 *   far past the point where 1 - p rounds to 1.
 *
 * Batch fitting (`fit`) loads the window with evenly spaced quantiles of the training
 * scores, so a 100k-row training set calibrates like its full distribution while the
 * state stays `window` numbers. Streaming (`push`) then slides the window.
 */

const MIN_TAIL = 5;
/** Excesses over u count at most this many median excesses in the tail fit (file comment). */
export const TAIL_WINSOR = 20;
/** Smallest tail probability reported: keeps -ln(p) finite (~690). */
const MIN_P = 1e-300;

export interface CalibratorState {
  readonly window: number;
  readonly tailFraction: number;
  /** Values in arrival order, oldest first. */
  readonly values: Float64Array;
}

export class ScoreCalibrator {
  readonly window: number;
  readonly tailFraction: number;
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0; // next write position in ring
  private n = 0;
  // Tail fit cache, refreshed lazily after each change.
  private dirty = true;
  private u = 0;
  private pTail = 0;
  private beta = 0;
  private tailStart = 0;

  constructor(window = 1000, tailFraction = 0.1) {
    if (!Number.isInteger(window) || window < 16) {
      throw new Error(`ScoreCalibrator: window must be an integer >= 16, got ${window}`);
    }
    if (!(tailFraction > 0 && tailFraction < 0.5)) {
      throw new Error(`ScoreCalibrator: tailFraction must be in (0, 0.5), got ${tailFraction}`);
    }
    this.window = window;
    this.tailFraction = tailFraction;
    this.ring = new Float64Array(window);
    this.sorted = new Float64Array(window);
  }

  /** Number of scores in the window. */
  get count(): number {
    return this.n;
  }

  /** Replaces the window with evenly spaced quantiles of `scores` (all of them when they fit). */
  fit(scores: ArrayLike<number>): this {
    this.head = 0;
    this.n = 0;
    this.dirty = true;
    const finite: number[] = [];
    for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i]!)) finite.push(scores[i]!);
    if (finite.length <= this.window) {
      for (const v of finite) this.push(v);
      return this;
    }
    finite.sort((a, b) => a - b);
    // Quantiles at (k + 0.5) / window keep both ends represented; the largest score is
    // kept exactly so the tail fit sees the real extreme.
    const m = finite.length;
    for (let k = 0; k < this.window; k++) {
      const idx = k === this.window - 1 ? m - 1 : Math.min(m - 1, Math.floor(((k + 0.5) / this.window) * m));
      this.push(finite[idx]!);
    }
    return this;
  }

  /** Adds one raw score to the window (the oldest leaves when full). Non-finite scores are ignored. */
  push(raw: number): void {
    if (!Number.isFinite(raw)) return;
    const w = this.window;
    if (this.n === w) {
      // Full: the oldest value leaves and `raw` enters in one move of the values
      // between the two positions (not two shifts of the whole tail).
      const old = this.ring[this.head]!;
      const s = this.sorted;
      const at = lowerBound(s, w, old);
      const pos = upperBound(s, w, raw);
      if (pos > at) {
        s.copyWithin(at, at + 1, pos);
        s[pos - 1] = raw;
      } else {
        s.copyWithin(pos + 1, pos, at);
        s[pos] = raw;
      }
      this.ring[this.head] = raw;
      this.head = (this.head + 1) % w;
      this.dirty = true;
      return;
    }
    const pos = upperBound(this.sorted, this.n, raw);
    this.sorted.copyWithin(pos + 1, pos, this.n);
    this.sorted[pos] = raw;
    this.n++;
    this.ring[this.head] = raw;
    this.head = (this.head + 1) % w;
    this.dirty = true;
  }

  /** P(X > raw) under the window's distribution (body: empirical; tail: exponential fit). 1 when empty. */
  tailProbability(raw: number): number {
    const n = this.n;
    if (n === 0 || Number.isNaN(raw)) return 1;
    if (this.dirty) this.refit();
    if (raw > this.u && this.pTail > 0) {
      const p = this.pTail * Math.exp(-(raw - this.u) / this.beta);
      return p < MIN_P ? MIN_P : p;
    }
    const below = lowerBound(this.sorted, n, raw);
    const notAbove = upperBound(this.sorted, n, raw);
    const cdf = (below + 0.5 * (notAbove - below)) / n;
    // The body never claims more surprise than the tail boundary.
    return Math.max(1 - cdf, this.pTail);
  }

  /** Calibrated score in [0, 1). */
  calibrate(raw: number): number {
    return 1 - this.tailProbability(raw);
  }

  /** -ln P(X > raw): 0 for ordinary scores, growing without saturation in the tail. */
  surprise(raw: number): number {
    return -Math.log(this.tailProbability(raw));
  }

  private refit(): void {
    this.dirty = false;
    const n = this.n;
    const s = this.sorted;
    let nt = Math.max(MIN_TAIL, Math.ceil(this.tailFraction * n));
    if (nt >= n) nt = n - 1;
    if (nt <= 0) {
      this.u = s[0] ?? 0;
      this.pTail = 0;
      this.beta = 1;
      return;
    }
    this.tailStart = n - nt;
    this.u = s[this.tailStart - 1]!;
    // The tail is sorted: its median excess is its middle value(s) less u.
    const mid = this.tailStart + ((nt - 1) >> 1);
    const medianExcess = ((nt & 1) === 1 ? s[mid]! : 0.5 * (s[mid]! + s[mid + 1]!)) - this.u;
    // Ties at u (a median excess of 0) leave nothing to scale the cap by: no cap then.
    const cap = medianExcess > 0 ? TAIL_WINSOR * medianExcess : Infinity;
    let sum = 0;
    for (let i = this.tailStart; i < n; i++) {
      const e = s[i]! - this.u;
      sum += e < cap ? e : cap;
    }
    let beta = sum / nt;
    // A window with (near-)constant scores has no spread to fit: fall back to a small
    // scale relative to the scores' magnitude so any larger score is very surprising.
    // The magnitude is the tail's within the cap: one wild score (1e9) would otherwise set
    // a floor of 1e3 and, again, blind the calibrator.
    const top = cap < Infinity ? Math.min(s[n - 1]!, this.u + cap) : s[n - 1]!;
    const floor = 1e-6 * Math.max(1e-12, Math.abs(this.u), Math.abs(top));
    if (!(beta > floor)) beta = floor;
    this.beta = beta;
    this.pTail = nt / n;
  }

  toState(): CalibratorState {
    const values = new Float64Array(this.n);
    const start = this.n === this.window ? this.head : 0;
    for (let i = 0; i < this.n; i++) values[i] = this.ring[(start + i) % this.window]!;
    return { window: this.window, tailFraction: this.tailFraction, values };
  }

  static fromState(state: CalibratorState): ScoreCalibrator {
    const c = new ScoreCalibrator(state.window, state.tailFraction);
    if (state.values.length > state.window) {
      throw new Error(`ScoreCalibrator.fromState: ${state.values.length} values exceed the window ${state.window}`);
    }
    for (let i = 0; i < state.values.length; i++) c.push(state.values[i]!);
    return c;
  }

  clone(): ScoreCalibrator {
    return ScoreCalibrator.fromState(this.toState());
  }
}

/** First index in sorted[0..n) with sorted[i] >= v. */
function lowerBound(sorted: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in sorted[0..n) with sorted[i] > v. */
function upperBound(sorted: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calibrated score from a surprise value: 1 - exp(-L). */
export function scoreFromSurprise(l: number): number {
  return l <= 0 ? 0 : -Math.expm1(-l);
}

/** Surprise from a calibrated score: -ln(1 - s). */
export function surpriseFromScore(s: number): number {
  return s <= 0 ? 0 : s >= 1 ? -Math.log(MIN_P) : -Math.log1p(-s);
}
