/**
 * NAB scorer on tiny hand-made corpora: each case's expected number is worked
 * out by hand from NAB's rules (nab/sweeper.py at ea702d75).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NAB_PROFILES,
  parseNabTime,
  probationLength,
  scaledSigmoid,
  scoreNab,
  scoreSeriesAtThreshold,
  type NabSeries,
} from '../src/nab/scorer.ts';

const MAX_TP = 2 / (1 + Math.exp(-5)) - 1; // 0.98661...
const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} != ${b}`);

/** 100 rows at t = 0..99 (probation: rows 0..14), window rows 40..49 unless given. */
function series(detections: Record<number, number>, windows: [number, number][] = [[40, 49]], n = 100, name = 's'): NabSeries {
  const scores = new Float64Array(n);
  for (const [i, v] of Object.entries(detections)) scores[Number(i)] = v;
  return { name, timestamps: Array.from({ length: n }, (_, i) => i), scores, windows };
}

test('scaled sigmoid and probation follow NAB', () => {
  close(scaledSigmoid(-1), MAX_TP);
  close(scaledSigmoid(0), 0);
  close(scaledSigmoid(-0.5), 2 / (1 + Math.exp(-2.5)) - 1);
  close(scaledSigmoid(3), 2 / (1 + Math.exp(15)) - 1, 'x = 3 still uses the formula');
  assert.equal(scaledSigmoid(3.0001), -1);
  assert.equal(probationLength(100), 15);
  assert.equal(probationLength(4999), 749);
  assert.equal(probationLength(10_000), 750);
});

test('early detection at the left edge of a window earns the full tpWeight', () => {
  const r = scoreNab({ series: [series({ 40: 0.9 })] }, 'standard');
  assert.equal(r.threshold, 0.9);
  close(r.rawScore, 1);
  assert.equal(r.nullScore, -1);
  assert.equal(r.perfectScore, 1);
  close(r.normalizedScore, 100);
  // rows 15..99 are scored: 10 in the window, 75 outside
  assert.deepEqual([r.tp, r.fp, r.fn, r.tn], [1, 0, 9, 75]);
});

test('late detection on the last row of a window earns sigma(-1/width)/sigma(-1)', () => {
  const r = scoreNab({ series: [series({ 49: 0.7 })] }, 'standard');
  const expected = (2 / (1 + Math.exp(-0.5)) - 1) / MAX_TP; // pos = -(49-49+1)/10
  close(r.rawScore, expected);
  close(r.normalizedScore, (100 * (expected + 1)) / 2);
});

test('only the earliest detection in a window counts', () => {
  const r = scoreNab({ series: [series({ 45: 0.9, 41: 0.9, 48: 0.9 })] }, 'standard');
  close(r.rawScore, scaledSigmoid(-0.9) / MAX_TP);
  assert.equal(r.tp, 3);
});

test('a false positive before any window costs -fpWeight, so the optimiser keeps it below threshold', () => {
  const s = series({ 30: 0.9 });
  const best = scoreNab({ series: [s] }, 'standard');
  assert.equal(best.threshold, 1.1, 'detecting nothing (-1) beats -1.11');
  assert.equal(best.rawScore, -1);
  const fixed = scoreNab({ series: [s] }, 'standard', { threshold: 0.5 });
  close(fixed.rawScore, -1 - 0.11);
  assert.equal(fixed.fp, 1);
  close(scoreNab({ series: [s] }, 'reward_low_FP_rate', { threshold: 0.5 }).rawScore, -1.22);
});

test('a false positive after a window costs fpWeight * sigma(distance / (width - 1))', () => {
  const near = scoreNab({ series: [series({ 40: 0.9, 55: 0.9 })] }, 'standard');
  close(near.rawScore, 1 + 0.11 * (2 / (1 + Math.exp((5 * 6) / 9)) - 1));
  const far = scoreNab({ series: [series({ 40: 0.9, 90: 0.9 })] }, 'standard');
  close(far.rawScore, 1 - 0.11, 'beyond 3 widths the FP costs the full weight');
  // The NAB per-row score just after a window is nearly -fpWeight already, but one row
  // past the right edge is only slightly negative:
  const edge = scoreSeriesAtThreshold(series({ 50: 0.9 }), NAB_PROFILES.standard, 0.9);
  close(edge.score, -1 + 0.11 * (2 / (1 + Math.exp(5 / 9)) - 1));
});

test('a missed window costs -fnWeight, doubled in reward_low_FN_rate', () => {
  const s = series({});
  assert.equal(scoreNab({ series: [s] }, 'standard').rawScore, -1);
  const fn = scoreNab({ series: [s] }, 'reward_low_FN_rate');
  assert.equal(fn.rawScore, -2);
  assert.equal(fn.nullScore, -2);
  assert.equal(fn.normalizedScore, 0);
});

test('probation: rows and windows inside the first 15% are not scored', () => {
  // Window rows 5..10 lie wholly in probation; a detection there and an FP at row 3 count for nothing.
  const s = series({ 3: 0.9, 7: 0.9 }, [[5, 10]]);
  const r = scoreNab({ series: [s] }, 'standard', { threshold: 0.5 });
  assert.equal(r.rawScore, 0);
  assert.equal(r.nullScore, 0, 'the window is neither TP nor FN');
  assert.deepEqual([r.tp, r.fp, r.fn, r.tn], [0, 0, 0, 85]);
  // A window straddling the probation edge counts, with its full width in the sigmoid.
  const straddle = series({ 16: 0.9 }, [[10, 19]]);
  close(scoreNab({ series: [straddle] }, 'standard').rawScore, scaledSigmoid(-(19 - 16 + 1) / 10) / MAX_TP);
});

test('ties between thresholds go to the higher one, as NAB sorts stably', () => {
  // 0.9 detects row 40 (score 1); 0.8 adds row 45 in the same window (still 1).
  const r = scoreNab({ series: [series({ 40: 0.9, 45: 0.8 })] }, 'standard');
  assert.equal(r.threshold, 0.9);
  assert.equal(r.tp, 1);
});

test('one threshold for the whole corpus; per-series rows sum to the raw score', () => {
  const a = series({ 40: 0.9 }, [[40, 49]], 100, 'a');
  const b = series({ 30: 0.95 }, [[60, 69]], 100, 'b');
  const r = scoreNab({ series: [a, b] }, 'standard');
  // 1.1: -2; 0.95: -2.11; 0.9: +1 - 1 - 0.11
  assert.equal(r.threshold, 0.9);
  close(r.rawScore, -0.11);
  assert.equal(r.perSeries.length, 2);
  close(r.perSeries[0]!.score, 1);
  close(r.perSeries[1]!.score, -1.11);
  close(r.normalizedScore, (100 * (-0.11 + 2)) / (2 + 2));
});

test('the null score is what a constant 0.5 detector gets after optimising', () => {
  // Everything detected would be worse than nothing: null = -numWindows * fnWeight.
  const r = scoreNab({ series: [series({ 40: 1 }, [[40, 49], [70, 79]])] }, 'standard');
  assert.equal(r.nullScore, -2);
  assert.equal(r.perfectScore, 2);
});

test('NAB text timestamps: windows are entered on exact row times', () => {
  const ts = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2014, 3, 10, 0, 5 * i)).toISOString().replace('T', ' ').slice(0, 19));
  const scores = new Float64Array(40);
  scores[20] = 1;
  const s: NabSeries = { name: 'txt', timestamps: ts, scores, windows: [[`${ts[20]}.000000`, `${ts[29]}.000000`]] };
  const r = scoreNab({ series: [s] }, 'standard');
  close(r.rawScore, 1);
  assert.equal(parseNabTime('2014-04-10 07:15:00.000000'), Date.UTC(2014, 3, 10, 7, 15));
  assert.throws(() => parseNabTime('10/04/2014'), /not "YYYY-MM-DD/);
  const off: NabSeries = { ...s, windows: [['2014-04-10 00:01:00', ts[29]!]] };
  assert.throws(() => scoreNab({ series: [off] }, 'standard'), /window 0 .* does not start and end on rows/);
});

test('bad input is reported with the series it came from', () => {
  const s = series({});
  assert.throws(() => scoreNab({ series: [{ ...s, scores: new Float64Array(3) }] }, 'standard'), /series s: 3 scores for 100 timestamps/);
  const nan = new Float64Array(100);
  nan[50] = NaN;
  assert.throws(() => scoreNab({ series: [{ ...s, scores: nan }] }, 'standard'), /series s: anomaly score of row 50 is NaN/);
  assert.throws(() => scoreNab({ series: [s, s] }, 'standard'), /appears twice/);
  assert.throws(() => scoreNab({ series: [s] }, 'nope' as 'standard'), /unknown NAB profile nope/);
});
