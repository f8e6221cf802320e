/**
 * Min/max downsampling per pixel column: the fastest faithful way to draw a long series on a
 * canvas. Each column keeps the lowest and highest value of the points that fall in it, so a
 * one-point spike survives at any zoom level (averaging would erase it) and drawing costs one
 * vertical line per column whatever the number of points.
 *
 * Buffers are reused between calls (the timeline redraws on every zoom/pan frame): no
 * allocation in the loop.
 */

export interface ColumnBuffers {
  /** Columns the buffers hold. */
  readonly width: number;
  /** Lowest value per column (NaN when the column has no point). */
  readonly min: Float32Array;
  /** Highest value per column. */
  readonly max: Float32Array;
  /** Value of the first and last point of each column, to join neighbouring columns. */
  readonly first: Float32Array;
  readonly last: Float32Array;
  /**
   * 1 where a point with a missing value (NaN) fell in the column. A line breaks there, and only
   * there: a column with no point at all (zoomed in, fewer points than columns) is bridged.
   */
  readonly missing: Uint8Array;
}

export function createColumns(width: number): ColumnBuffers {
  const w = Math.max(1, Math.ceil(width));
  return {
    width: w,
    min: new Float32Array(w),
    max: new Float32Array(w),
    first: new Float32Array(w),
    last: new Float32Array(w),
    missing: new Uint8Array(w),
  };
}

/** First index i with xs[i] >= x (xs ascending), in [lo, hi]. */
export function lowerBound(xs: ArrayLike<number>, x: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with xs[i] > x (xs ascending), in [lo, hi]. */
export function upperBound(xs: ArrayLike<number>, x: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Fills `out` with the min/max of `ys` per column for the points whose x lies in [x0, x1].
 * `xs` must be ascending; NaN values of y are skipped (missing metric values) and mark their
 * column in `missing`.
 * Returns the number of points visited.
 */
export function minMaxColumns(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  x0: number,
  x1: number,
  out: ColumnBuffers,
  count = xs.length,
): number {
  const { min, max, first, last, missing, width } = out;
  min.fill(NaN);
  max.fill(NaN);
  first.fill(NaN);
  last.fill(NaN);
  missing.fill(0);
  if (!(x1 > x0) || count === 0) return 0;
  const start = lowerBound(xs, x0, 0, count);
  // Points at x1 itself count. (An epsilon x1 + (x1 - x0) * 1e-12 did this before, and vanished
  // below the spacing of doubles at epoch milliseconds: 1.8e12 + 8.6e-5 is 1.8e12. Any view of a
  // day or less then dropped its newest point, the one a live dashboard is about.)
  const end = upperBound(xs, x1, start, count);
  const scale = width / (x1 - x0);
  const lastCol = width - 1;
  for (let i = start; i < end; i++) {
    const y = ys[i]!;
    let col = ((xs[i]! - x0) * scale) | 0;
    if (col > lastCol) col = lastCol;
    if (y !== y) {
      // NaN: a missing value (no survey answer, an imputed metric): the line breaks here.
      missing[col] = 1;
      continue;
    }
    const m = min[col]!;
    if (m !== m) {
      min[col] = y;
      max[col] = y;
      first[col] = y;
    } else {
      if (y < m) min[col] = y;
      if (y > max[col]!) max[col] = y;
    }
    last[col] = y;
  }
  return end - start;
}
