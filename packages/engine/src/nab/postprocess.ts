/**
 * Causal score post-processing for NAB experiments, as detector wrappers.
 * Every output at row i depends on rows <= i only. These are proposals
 * measured on NAB, not part of the product's detectors.
 */
import type { NabDetector, NabSeriesInput } from './detector.ts';

/** erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), enough for ranking scores. */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** Gaussian upper tail Q(z) = P(Z > z). */
export function gaussianTail(z: number): number {
  return 0.5 * (1 - erf(z / Math.SQRT2));
}

/**
 * Baseline: two-sided Gaussian surprise of each value against the mean and
 * standard deviation of the previous `window` values (erf(|z| / sqrt 2)).
 * A floor to compare the forests with (NAB's windowedGaussian idea).
 */
export function rollingGaussianDetector(window = 1000): NabDetector {
  return ({ values }: NabSeriesInput) => {
    const n = values.length;
    const out = new Float64Array(n);
    if (n === 0) return out;
    // Shift by the first value so sums of squares do not cancel on large levels.
    const shift = values[0]!;
    let sum = 0;
    let sq = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]! - shift;
      if (count >= 2) {
        const mean = sum / count;
        const variance = Math.max(sq / count - mean * mean, 0);
        const sd = Math.sqrt(variance);
        const z = sd > 0 ? Math.abs(v - mean) / sd : v === mean ? 0 : 50;
        out[i] = erf(z / Math.SQRT2);
      }
      sum += v;
      sq += v * v;
      count++;
      if (count > window) {
        const old = values[i - window]! - shift;
        sum -= old;
        sq -= old * old;
        count--;
      }
    }
    return out;
  };
}

/**
 * Rank of each score among the detector's own previous `window` scores (the
 * share strictly below it): a causal, distribution-free calibration that makes
 * scores comparable across series, which matters because NAB uses one
 * threshold for the whole corpus. The first `warmup` rows get 0.
 */
export function calibrateByPastRank(detector: NabDetector, window = 2000, warmup = 50): NabDetector {
  return (series) => {
    const raw = detector(series);
    const n = raw.length;
    const out = new Float64Array(n);
    // Sorted copy of the last `window` scores, kept by binary insertion / removal.
    const sorted = new Float64Array(Math.min(window, n));
    let size = 0;
    const lowerBound = (v: number): number => {
      let lo = 0;
      let hi = size;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (let i = 0; i < n; i++) {
      const v = raw[i]!;
      out[i] = size >= warmup ? lowerBound(v) / size : 0;
      if (size === sorted.length) {
        const k = lowerBound(raw[i - window]!);
        sorted.copyWithin(k, k + 1, size);
        size--;
      }
      const k = lowerBound(v);
      sorted.copyWithin(k + 1, k, size);
      sorted[k] = v;
      size++;
    }
    return out;
  };
}

/**
 * Numenta-style anomaly likelihood on top of any raw score: the mean of the
 * last `shortWindow` raw scores, compared with a Gaussian fitted to the
 * previous `historicWindow` raw scores; output is NAB's log-scaled likelihood
 * log(1.0000000001 - L) / log(1e-10), L = 1 - Q(z). The first `warmup` rows get 0.
 */
export function anomalyLikelihood(detector: NabDetector, historicWindow = 8640, shortWindow = 10, warmup = 300): NabDetector {
  return (series) => {
    const raw = detector(series);
    const n = raw.length;
    const out = new Float64Array(n);
    let hSum = 0;
    let hSq = 0;
    let hCount = 0;
    let sSum = 0;
    const denom = Math.log(1e-10);
    for (let i = 0; i < n; i++) {
      const v = raw[i]!;
      sSum += v;
      if (i >= shortWindow) sSum -= raw[i - shortWindow]!;
      const shortMean = sSum / Math.min(i + 1, shortWindow);
      if (hCount >= warmup) {
        const mean = hSum / hCount;
        // NAB's likelihood floors the deviation so a flat history does not alert on noise.
        const sd = Math.max(Math.sqrt(Math.max(hSq / hCount - mean * mean, 0)), 1e-6 + 0.03 * Math.abs(mean));
        const likelihood = 1 - gaussianTail((shortMean - mean) / sd);
        out[i] = Math.min(1, Math.max(0, Math.log(1.0000000001 - likelihood) / denom));
      }
      hSum += v;
      hSq += v * v;
      hCount++;
      if (hCount > historicWindow) {
        const old = raw[i - historicWindow]!;
        hSum -= old;
        hSq -= old * old;
        hCount--;
      }
    }
    return out;
  };
}

/**
 * Causal non-maximum suppression: a score is kept only when it exceeds every
 * score of the previous `rows` rows; otherwise it is multiplied by `damp`.
 * Whatever the threshold, a burst then raises one alert at its onset instead
 * of a run of them (NAB counts the first detection in a window and charges
 * every later one outside it). `rows` defaults to the NAB probation length
 * scale: 2% of the rows seen so far, at least `minRows`.
 */
export function suppressRepeats(detector: NabDetector, options: { rows?: number; fraction?: number; minRows?: number; damp?: number } = {}): NabDetector {
  const { fraction = 0.02, minRows = 10, damp = 0 } = options;
  return (series) => {
    const raw = detector(series);
    const n = raw.length;
    const out = new Float64Array(n);
    // Monotone deque of indices holding the running maximum of the look-back window.
    const deque = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      const span = options.rows ?? Math.max(minRows, Math.floor(fraction * i));
      while (head < tail && deque[head]! < i - span) head++;
      const prevMax = head < tail ? raw[deque[head]!]! : -Infinity;
      const v = raw[i]!;
      out[i] = v > prevMax ? v : v * damp;
      while (head < tail && raw[deque[tail - 1]!]! <= v) tail--;
      deque[tail++] = i;
    }
    return out;
  };
}
