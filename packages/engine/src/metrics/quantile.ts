/**
 * The q-quantile of `values` with linear interpolation between order
 * statistics (NumPy's default `percentile` method): position q * (n - 1) in
 * the sorted values. Does not modify `values`.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  if (Number.isNaN(sorted[n - 1]!)) throw new RangeError('quantile: values contain NaN');
  const p = q * (n - 1);
  const lo = Math.floor(p);
  const hi = Math.min(lo + 1, n - 1);
  const frac = p - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return frac === 0 ? a : a + (b - a) * frac;
}
