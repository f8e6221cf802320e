/**
 * Grade, direction rules and attribution mixing.
 *
 * Everything works on the SURPRISE of a calibrated score, L = -ln(1 - s) = -ln P(tail):
 * it is additive-friendly and keeps resolution where s rounds to 1.
 *
 * Grade (0..100): with L_t the surprise of the threshold,
 * - below the threshold: 3 * L / L_t (so under 3, "normal");
 * - above it: z = (L - L_t) / ln 10, the orders of magnitude by which the point is
 *   rarer than the threshold, and grade = 3 + 97 * (1 - exp(-z / 1.5)).
 *   10x rarer than the threshold -> ~50 (major), 100x -> ~74, 1000x -> ~87 (critical).
 */
import type { Direction } from '../features/field-spec.ts';

const LN10 = Math.log(10);
const GRADE_SCALE = 1.5;

export function gradeOf(surprise: number, thresholdSurprise: number): number {
  if (!(thresholdSurprise > 0)) return surprise > 0 ? 100 : 0;
  if (surprise < thresholdSurprise) return Math.max(0, (3 * surprise) / thresholdSurprise);
  const z = (surprise - thresholdSurprise) / LN10;
  return 3 + 97 * -Math.expm1(-z / GRADE_SCALE);
}

/**
 * Share of an attribution (per metric high/low, any scale) lying in the directions
 * the field spec allows: `high` metrics count only their high part, `low` metrics
 * only their low part, `both` metrics all of it. 1 when the attribution is all zero
 * (nothing says the point is wrong-way).
 */
export function allowedShare(high: Float64Array, low: Float64Array, directions: readonly Direction[]): number {
  let total = 0;
  let allowed = 0;
  for (let m = 0; m < directions.length; m++) {
    const h = high[m]!;
    const l = low[m]!;
    total += h + l;
    const d = directions[m];
    allowed += d === 'high' ? h : d === 'low' ? l : h + l;
  }
  return total > 0 ? allowed / total : 1;
}

/**
 * Sums a shingled DiVector (dimension index = position * metrics + metric) over the
 * shingle, per metric, into `outHigh`/`outLow` (length `metrics`).
 */
export function sumOverShingle(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  metrics: number,
  outHigh: Float64Array,
  outLow: Float64Array,
): void {
  outHigh.fill(0);
  outLow.fill(0);
  for (let d = 0; d < high.length; d++) {
    const m = d % metrics;
    outHigh[m] = outHigh[m]! + high[d]!;
    outLow[m] = outLow[m]! + low[d]!;
  }
}

/**
 * Direction attribution for the Isolation Forest, which has no DiVector: each
 * metric's signed robust deviation from its training median, d = (x - median) / scale,
 * contributes d^2 to `high` when positive and to `low` when negative.
 */
export function deviationAttribution(
  row: ArrayLike<number>,
  center: Float64Array,
  scale: Float64Array,
  outHigh: Float64Array,
  outLow: Float64Array,
): void {
  for (let m = 0; m < center.length; m++) {
    const d = (row[m]! - center[m]!) / scale[m]!;
    const v = d * d;
    outHigh[m] = d > 0 ? v : 0;
    outLow[m] = d < 0 ? v : 0;
  }
}

/** Scales an attribution in place so that all its parts sum to `total`. */
export function normalizeTo(high: Float64Array, low: Float64Array, total: number): void {
  let sum = 0;
  for (let m = 0; m < high.length; m++) sum += high[m]! + low[m]!;
  if (sum > 0) {
    const k = total / sum;
    for (let m = 0; m < high.length; m++) {
      high[m] = high[m]! * k;
      low[m] = low[m]! * k;
    }
  } else {
    // No information: spread evenly so the relation "parts sum to the score" holds.
    const each = total / (2 * high.length);
    high.fill(each);
    low.fill(each);
  }
}
