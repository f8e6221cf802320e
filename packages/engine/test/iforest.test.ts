import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationForest, averagePathLength } from '../src/iforest/index.ts';
import { matrixFrom, type Matrix } from '../src/matrix.ts';
import { Prng } from '../src/random/prng.ts';

/** n points from a standard normal in d dimensions, plus optional extra rows appended. */
function gaussian(n: number, d: number, seed: number, extra: number[][] = []): Matrix {
  const p = new Prng(seed);
  const data = new Float64Array((n + extra.length) * d);
  for (let i = 0; i < n * d; i++) data[i] = p.normal();
  extra.forEach((row, k) => data.set(row, (n + k) * d));
  return matrixFrom(data, n + extra.length, d);
}

test('c(n) matches sklearn _average_path_length', () => {
  assert.equal(averagePathLength(0), 0);
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  // 2 (ln 2 + gamma) - 4/3 and 2 (ln 255 + gamma) - 510/256, as numpy computes them
  assert.ok(Math.abs(averagePathLength(3) - 1.207392357589623) < 1e-12);
  assert.ok(Math.abs(averagePathLength(256) - 10.244770920119917) < 1e-12);
});

test('same seed gives bit-identical scores; another seed differs', () => {
  const X = gaussian(500, 4, 1);
  const a = new IsolationForest({ seed: 7 }).fit(X).scoreSamples(X);
  const b = new IsolationForest({ seed: 7 }).fit(X).scoreSamples(X);
  const c = new IsolationForest({ seed: 8 }).fit(X).scoreSamples(X);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('an obvious outlier scores highest; scores lie in (0, 1]; pathLengths agree with scores', () => {
  const X = gaussian(1000, 3, 2, [[8, -8, 8]]);
  const f = new IsolationForest({ seed: 1 }).fit(X);
  const s = f.scoreSamples(X);
  let arg = 0;
  for (let i = 0; i < s.length; i++) {
    assert.ok(s[i]! > 0 && s[i]! <= 1, `score ${s[i]}`);
    if (s[i]! > s[arg]!) arg = i;
  }
  assert.equal(arg, 1000);
  assert.ok(s[1000]! > 0.7, `outlier score ${s[1000]}`);
  const h = f.pathLengths(X);
  const c = averagePathLength(256);
  for (let i = 0; i < s.length; i += 97) assert.ok(Math.abs(s[i]! - 2 ** (-h[i]! / c)) < 1e-12);
  // Depth limit 8: an isolated point needs at least one split, at most 8 + c(leaf size).
  assert.ok(h[1000]! >= 1 && h[1000]! < 8);
});

test('trees respect psi, the depth limit and the flat layout rules', () => {
  const X = gaussian(300, 5, 3);
  const f = new IsolationForest({ numTrees: 20, sampleSize: 64, seed: 3 }).fit(X);
  const s = f.state;
  assert.equal(s.psi, 64);
  assert.equal(f.depthLimit, 6);
  assert.ok(s.walkDepth <= 6);
  for (let t = 0; t < s.numTrees; t++) {
    const root = s.treeOffsets[t]!;
    assert.equal(s.size[root], 64);
    let leafPoints = 0;
    for (let n = root; n < s.treeOffsets[t + 1]!; n++) {
      if (s.left[n] === n) {
        leafPoints += s.size[n]!;
        assert.equal(s.split[n], Infinity);
      } else {
        assert.equal(s.size[n], s.size[s.left[n]!]! + s.size[s.left[n]! + 1]!);
        assert.ok(s.size[s.left[n]!]! > 0 && s.size[s.left[n]! + 1]! > 0, 'both children non-empty');
      }
    }
    assert.equal(leafPoints, 64);
  }
});

test('fewer rows than sampleSize: psi = rows', () => {
  const X = gaussian(40, 2, 4);
  const f = new IsolationForest({ seed: 1 }).fit(X);
  assert.equal(f.state.psi, 40);
  assert.equal(f.depthLimit, 6);
  const s = f.scoreSamples(X);
  assert.equal(s.length, 40);
  for (const v of s) assert.ok(v > 0 && v <= 1);
});

test('one training row: every score is 0.5', () => {
  const f = new IsolationForest({ seed: 1 }).fit(matrixFrom(Float64Array.of(1, 2, 3), 1, 3));
  const s = f.scoreSamples(matrixFrom(Float64Array.of(1, 2, 3, 100, -5, 0), 2, 3));
  assert.deepEqual(Array.from(s), [0.5, 0.5]);
  assert.equal(f.threshold, 0.5);
});

test('all-constant columns: every score equals 0.5; one varying column still isolates', () => {
  const X = matrixFrom(new Float64Array(50 * 3).fill(4), 50, 3);
  const f = new IsolationForest({ seed: 2 }).fit(X);
  const s = f.scoreSamples(matrixFrom(Float64Array.of(4, 4, 4, 9, -9, 1e6), 2, 3));
  // Every tree is one leaf at depth 0 with c(psi): the score is 2^-(100 c / (100 c)), 0.5 up to rounding.
  assert.equal(s[0], s[1]);
  assert.ok(Math.abs(s[0]! - 0.5) < 1e-12);
  // Column 1 constant, column 0 varying: the constant column is never chosen.
  const Y = gaussian(200, 2, 5);
  for (let i = 0; i < 200; i++) Y.data[i * 2 + 1] = 1;
  const g = new IsolationForest({ seed: 2 }).fit(Y);
  const st = g.state;
  for (let n = 0; n < st.left.length; n++) if (st.left[n] !== n) assert.equal(st.feature[n], 0);
});

test('NaN or Infinity in fit or score input is an error naming row and column', () => {
  const X = gaussian(20, 3, 6);
  X.data[2 * 3 + 1] = NaN;
  assert.throws(() => new IsolationForest().fit(X), /row 2, column 1 is NaN/);
  const f = new IsolationForest().fit(gaussian(20, 3, 6));
  assert.throws(() => f.scoreSamples(matrixFrom(Float64Array.of(0, 0, 0, 0, Infinity, 0), 2, 3)), /row 1, column 1 is Infinity/);
  assert.throws(() => f.scoreSamples(matrixFrom(Float64Array.of(0, 0), 1, 2)), /2 columns, the forest was fitted on 3/);
  assert.throws(() => new IsolationForest().scoreSamples(X), /not fitted/);
});

test('threshold from contamination flags about that share of the training rows', () => {
  const X = gaussian(2000, 3, 7);
  for (const contamination of [0.01, 0.05, 0.2]) {
    const f = new IsolationForest({ seed: 1, contamination }).fit(X);
    const flagged = f.predict(X).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(flagged - contamination * 2000) <= 2, `contamination ${contamination}: ${flagged} flagged`);
  }
  assert.equal(new IsolationForest({ contamination: 'auto' }).fit(X).threshold, 0.5);
  assert.throws(() => new IsolationForest({ contamination: 0.7 }), /contamination/);
  assert.throws(() => new IsolationForest({ numTrees: 0 }), /numTrees/);
});

test('scoreSamples writes into a caller buffer', () => {
  const X = gaussian(30, 2, 8);
  const f = new IsolationForest({ seed: 1 }).fit(X);
  const out = new Float64Array(40).fill(-1);
  const r = f.scoreSamples(X, out);
  assert.equal(r, out);
  assert.deepEqual(out.subarray(0, 30), f.scoreSamples(X));
  assert.equal(out[35], -1);
});
