import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePrecision, quantile, rocAuc } from '../src/metrics/index.ts';
import { Prng } from '../src/random/prng.ts';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('rocAuc: perfect, reversed, and hand-counted pairs', () => {
  close(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  close(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  // sklearn docs example: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] -> 0.75 (3 of 4 pairs ordered)
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
});

test('rocAuc: ties count one half', () => {
  // All equal: every pair tied -> 0.5.
  close(rocAuc([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  // Pairs (pos, neg): pos {0.5, 0.9}, neg {0.5, 0.1}: (0.5,0.5)=.5, (0.5,0.1)=1, (0.9,0.5)=1, (0.9,0.1)=1 -> 3.5/4
  close(rocAuc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0]), 0.875);
});

test('rocAuc equals the brute-force pair count on random data with ties', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = 300;
  const s = Array.from({ length: n }, () => Math.round(rnd() * 20) / 20);
  const y = Array.from({ length: n }, () => (rnd() < 0.3 ? 1 : 0));
  let num = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    if (y[i] === 1 && y[j] === 0) {
      pairs++;
      num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  close(rocAuc(s, y), num / pairs, 1e-12);
});

test('averagePrecision: hand-computed values', () => {
  // sklearn docs example: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] -> 0.8333...
  // thresholds 0.8: P=1, R=.5; 0.4: P=.5, R=.5; 0.35: P=2/3, R=1 -> .5*1 + .5*2/3 = 0.8333
  close(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 5 / 6);
  close(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0]), 1);
  // Ties grouped: all equal -> one threshold, P = share of positives, R = 1.
  close(averagePrecision([2, 2, 2, 2], [1, 0, 0, 0]), 0.25);
  // Tie group {0.7 pos, 0.7 neg} after a top negative: at 0.9: tp 0; at 0.7: tp=1, flagged=3 -> P=1/3, R=1.
  close(averagePrecision([0.9, 0.7, 0.7, 0.1], [0, 1, 0, 0]), 1 / 3);
});

test('metrics reject bad input', () => {
  assert.throws(() => rocAuc([1, 2], [1, 1]), /both classes/);
  assert.throws(() => rocAuc([1, 2], [1]), /2 scores but 1 labels/);
  assert.throws(() => rocAuc([1, 2], [1, 2]), /label 1 is 2/);
  assert.throws(() => averagePrecision([1, 2], [0, 0]), /no positive/);
  assert.throws(() => rocAuc([NaN, 2], [0, 1]), /score 0 is NaN/);
});

test('quantile interpolates linearly like numpy.percentile', () => {
  close(quantile([1, 2, 3, 4], 0.5), 2.5);
  close(quantile([4, 1, 3, 2], 0.75), 3.25);
  close(quantile([5], 0.3), 5);
  close(quantile([1, 2, 3, 4, 5], 1), 5);
  assert.throws(() => quantile([], 0.5), /no values/);
});

test('match scikit-learn 1.2.1 on 5000 tied scores (values computed once with sklearn from the same data)', () => {
  const p = new Prng(9);
  const n = 5000;
  const s = Array.from({ length: n }, () => Math.round(p.next() * 50) / 50);
  const y = s.map((v) => (p.next() < 0.1 + 0.5 * v ? 1 : 0));
  // roc_auc_score -> 0.6921400328637388, average_precision_score -> 0.506324962199904
  close(rocAuc(s, y), 0.6921400328637388, 1e-14);
  close(averagePrecision(s, y), 0.506324962199904, 1e-14);
});
