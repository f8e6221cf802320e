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
  /** x of the first and last point (with a value) of each column: a line breaks across a gap in time. */
  readonly firstX: Float64Array;
  readonly lastX: Float64Array;
  /** 1 where a point with a missing value (NaN) fell in the column: a line breaks there. */
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
    firstX: new Float64Array(w),
    lastX: new Float64Array(w),
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
  const { min, max, first, last, firstX, lastX, missing, width } = out;
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
      firstX[col] = xs[i]!;
    } else {
      if (y < m) min[col] = y;
      if (y > max[col]!) max[col] = y;
    }
    last[col] = y;
    lastX[col] = xs[i]!;
  }
  return end - start;
}

/** A line breaks where consecutive points are more than this many typical steps apart in x. */
export const GAP_STEPS = 4;

/**
 * The data's typical x step: the median of the positive differences between consecutive x's
 * (the last 2,048 at most; several segments at one time give differences of 0, left out).
 * NaN with fewer than two distinct x's.
 */
export function typicalStep(xs: ArrayLike<number>, count = xs.length): number {
  const from = Math.max(1, count - 2048);
  const diffs: number[] = [];
  for (let i = from; i < count; i++) {
    const d = xs[i]! - xs[i - 1]!;
    if (d > 0) diffs.push(d);
  }
  if (diffs.length === 0) return NaN;
  diffs.sort((a, b) => a - b);
  return diffs[diffs.length >> 1]!;
}

/** What traceColumns draws with: a new run starts at a column, a run goes on to a column, a value stands alone. */
export interface ColumnSink {
  move(c: number): void;
  line(c: number): void;
  /** A column that starts a run and ends it (one value, no neighbour on the line): give it a dot. */
  lone(c: number): void;
}

/**
 * Walks the filled columns of `cols` as a line. The line breaks at a missing value and across a
 * gap in x wider than `maxGap` (a stream that was down; Infinity: never); columns without any
 * point (zoomed in to fewer points than columns) are bridged. Before this, lines broke at every
 * empty column, so a view of a day drew every series as dashes, and a lone value (a CSAT answer
 * between intervals without one) drew nothing.
 */
export function traceColumns(cols: ColumnBuffers, maxGap: number, sink: ColumnSink): void {
  let open = false;
  let lone = -1;
  let lastX = NaN;
  const brk = (): void => {
    if (lone >= 0) sink.lone(lone);
    lone = -1;
    open = false;
  };
  for (let c = 0; c < cols.width; c++) {
    const mn = cols.min[c]!;
    if (mn !== mn) {
      if (cols.missing[c] === 1) brk();
      continue;
    }
    // A missing value inside the column, next to its values, or a gap in time: break before them.
    if (open && (cols.missing[c] === 1 || cols.firstX[c]! - lastX > maxGap)) brk();
    if (open) {
      sink.line(c);
      lone = -1;
    } else {
      sink.move(c);
      lone = cols.max[c]! > mn ? -1 : c;
      open = true;
    }
    lastX = cols.lastX[c]!;
  }
  brk();
}
