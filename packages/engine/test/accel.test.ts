// Rank-encoded tree walks (what the GPU kernels compute) equal the float64 JS loop exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IsolationForest, Prng, createAccelerator, jsPathLengthSums, scoreSamplesAccelerated, type Matrix } from '@cx-anomaly/engine';
import { binRows, leavesJs, rankForest, sumLeafPathLengths, LEAF_RANK } from '../src/accel/index.ts';

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new Prng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 10 + (i % cols);
  return { data, rows, cols };
}

/** Points that sit on, and one float64 ulp either side of, every split: where float32 rounding would flip branches. */
function adversarial(forest: IsolationForest, base: Matrix): Matrix {
  const s = forest.state;
  const rows: number[] = [];
  const d = s.numFeatures;
  for (let n = 0; n < s.feature.length && rows.length < 3000 * d; n++) {
    if (s.left[n] === n) continue;
    const split = s.split[n]!;
    const f = s.feature[n]!;
    const ulp = Math.abs(split) * Number.EPSILON || Number.MIN_VALUE;
    for (const v of [split, split + ulp, split - ulp, split + 1e-7 * Math.abs(split)]) {
      const r = base.data.slice(0, d);
      r[f] = v;
      rows.push(...r);
    }
  }
  return { data: Float64Array.from(rows), rows: rows.length / d, cols: d };
}

const train = randomMatrix(2000, 5, 1);
const forest = new IsolationForest({ numTrees: 60, sampleSize: 256, seed: 4 }).fit(train);

test('rank encoding: splits become integer ranks, leaves LEAF_RANK, bins count the splits below', () => {
  const rf = rankForest(forest.state);
  const s = forest.state;
  for (let n = 0; n < s.feature.length; n++) {
    if (s.left[n] === n) assert.equal(rf.rank[n], Math.fround(LEAF_RANK));
    else {
      const sorted = rf.splits[s.feature[n]!]!;
      assert.equal(sorted[rf.rank[n]!], s.split[n]);
      assert.ok(Number.isInteger(rf.rank[n]!) && rf.rank[n]! < 2 ** 24);
    }
  }
  const bins = binRows(rf, train.data, train.cols, 0, 10);
  for (let i = 0; i < 10; i++) {
    for (let f = 0; f < train.cols; f++) {
      const x = train.data[i * train.cols + f]!;
      assert.equal(bins[i * train.cols + f], rf.splits[f]!.filter((v) => v < x).length);
    }
  }
});

for (const [name, X] of [
  ['random data', randomMatrix(3000, 5, 2)],
  ['values on and one ulp beside every split', adversarial(forest, randomMatrix(1, 5, 3))],
] as const) {
  test(`rank-encoded walk = float64 JS loop, bit for bit (${name})`, () => {
    const rf = rankForest(forest.state);
    const bins = binRows(rf, X.data, X.cols, 0, X.rows);
    const leaves = leavesJs(rf, bins, X.rows);
    const sums = new Float64Array(X.rows);
    sumLeafPathLengths(rf, leaves, X.rows, sums, 0);
    assert.deepEqual(sums, jsPathLengthSums(forest.state, X.data, X.rows, X.cols));
  });
}

test('why ranks: comparing float32-rounded values would take other branches on the adversarial points', () => {
  const s = forest.state;
  const X = adversarial(forest, randomMatrix(1, 5, 3));
  let flips = 0;
  for (let i = 0; i < X.rows; i++) {
    for (let n = 0; n < s.feature.length; n++) {
      if (s.left[n] === n) continue;
      const x = X.data[i * X.cols + s.feature[n]!]!;
      if (x > s.split[n]! !== Math.fround(x) > Math.fround(s.split[n]!)) flips++;
    }
    if (flips > 0) break;
  }
  assert.ok(flips > 0, 'naive float32 comparisons differ from float64 somewhere');
});

test('tfjs gather formulation (cpu backend) equals the JS loop, chunked, and scores equal scoreSamples', async () => {
  const X = randomMatrix(1500, 5, 9);
  const accel = await createAccelerator('gather', { gatherBackend: 'cpu', chunkRows: 700 });
  const sums = await accel.pathLengthSums(forest.state, X.data, X.rows, X.cols);
  assert.deepEqual(sums, jsPathLengthSums(forest.state, X.data, X.rows, X.cols));
  assert.deepEqual(await scoreSamplesAccelerated(forest, X, accel), forest.scoreSamples(X));
});
