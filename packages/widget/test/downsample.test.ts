// Min/max downsampling per pixel column (node:test: pure typed-array code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createColumns, lowerBound, minMaxColumns, traceColumns, typicalStep } from '../src/internal/downsample.ts';

test('a one-point spike survives downsampling at any width', () => {
  const n = 100_000;
  const xs = new Float64Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = i;
    ys[i] = 0.5;
  }
  ys[54_321] = 0.999;
  for (const width of [50, 333, 1000]) {
    const cols = createColumns(width);
    const visited = minMaxColumns(xs, ys, 0, n - 1, cols);
    assert.equal(visited, n);
    let peak = -Infinity;
    for (let c = 0; c < cols.width; c++) peak = Math.max(peak, cols.max[c]!);
    assert.equal(Math.fround(peak), Math.fround(0.999));
    const col = Math.floor((54_321 / (n - 1)) * width);
    assert.equal(Math.fround(cols.max[Math.min(col, width - 1)]!), Math.fround(0.999));
  }
});

test('columns keep first/last values, skip NaN and leave empty columns NaN', () => {
  const xs = Float64Array.from([0, 1, 2, 3, 10]);
  const ys = Float32Array.from([1, 5, NaN, 2, 7]);
  const cols = createColumns(5); // 2 x-units per column over [0, 10]
  minMaxColumns(xs, ys, 0, 10, cols);
  assert.deepEqual([cols.min[0], cols.max[0], cols.first[0], cols.last[0]], [1, 5, 1, 5]);
  assert.deepEqual([cols.min[1], cols.max[1]], [2, 2]); // x=2 is NaN, x=3 is 2
  assert.ok(Number.isNaN(cols.min[2]!) && Number.isNaN(cols.min[3]!));
  assert.equal(cols.max[4], 7); // x = x1 lands in the last column
  // A missing value marks its column (a line breaks there); an empty column is not marked (bridged).
  assert.deepEqual([...cols.missing], [0, 1, 0, 0, 0]);
  minMaxColumns(xs, Float32Array.from([1, 5, 3, 2, 7]), 0, 10, cols);
  assert.deepEqual([...cols.missing], [0, 0, 0, 0, 0], 'reset on every call');
});

test('only points inside [x0, x1] count (binary search on sorted x)', () => {
  const xs = Float64Array.from({ length: 1000 }, (_, i) => i * 2);
  const ys = Float32Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(lowerBound(xs, 11), 6);
  const cols = createColumns(10);
  const visited = minMaxColumns(xs, ys, 100, 200, cols);
  assert.equal(visited, 51);
  assert.equal(cols.min[0], 50);
  assert.equal(cols.max[9], 100);
});

test('a point at x1 counts at epoch-millisecond x over a short view (the newest point of a live chart)', () => {
  // 15-minute intervals; views of 12 h and 1 h ending on the newest point.
  const t0 = Date.UTC(2026, 0, 5);
  const xs = Float64Array.from({ length: 300 }, (_, i) => t0 + i * 900_000);
  const ys = Float32Array.from({ length: 300 }, (_, i) => (i === 299 ? 9 : 1));
  for (const hours of [12, 1]) {
    const x1 = xs[299]!;
    const cols = createColumns(100);
    const visited = minMaxColumns(xs, ys, x1 - hours * 3_600_000, x1, cols);
    // Before: x1 + (x1 - x0) * 1e-12 rounded to x1, and the newest point was left out.
    assert.equal(visited, hours * 4 + 1, `${hours} h`);
    assert.equal(cols.max[99], 9);
  }
});

test('traceColumns: bridges empty columns, breaks at missing values and at gaps in time, reports lone values', () => {
  const trace = (xs: number[], ys: number[], width: number, maxGap: number): string => {
    const cols = createColumns(width);
    minMaxColumns(Float64Array.from(xs), Float32Array.from(ys), xs[0]!, xs[xs.length - 1]!, cols);
    let out = '';
    traceColumns(cols, maxGap, { move: (c) => (out += ` M${c}`), line: (c) => (out += ` L${c}`), lone: (c) => (out += ` dot${c}`) });
    return out.trim();
  };
  // Five points, step 1, over 20 columns: one line over the empty columns between them.
  assert.equal(trace([0, 1, 2, 3, 4], [1, 2, 3, 2, 1], 20, 4), 'M0 L5 L10 L15 L19');
  // A missing value breaks it; the value between two missing ones is a dot.
  assert.equal(trace([0, 1, 2, 3, 4], [1, NaN, 3, NaN, 1], 20, 4), 'M0 dot0 M10 dot10 M19 dot19');
  // A gap in time wider than maxGap breaks it (x 2 -> 9 with a step of 1).
  assert.equal(trace([0, 1, 2, 9, 10], [1, 2, 3, 2, 1], 20, 4), 'M0 L2 L4 M18 L19');
  assert.equal(trace([0, 1, 2, 9, 10], [1, 2, 3, 2, 1], 20, Infinity), 'M0 L2 L4 L18 L19');
});

test('typicalStep: the median positive step (several segments at one time give steps of 0)', () => {
  assert.equal(typicalStep([0, 0, 900, 900, 1800, 1800, 2700, 9000]), 900);
  assert.ok(Number.isNaN(typicalStep([5, 5])));
});
