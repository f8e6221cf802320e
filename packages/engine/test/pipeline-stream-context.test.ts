/**
 * The single-metric stream-only IF's context features (stream-context.ts), their noise
 * reference (reference.ts), the 'max' stream rule (ensemble.ts) and how the detector
 * uses them (anomaly-detector.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector } from '../src/pipeline/anomaly-detector.ts';
import { combineStreamSurprises } from '../src/pipeline/ensemble.ts';
import { contextIfReference, REFERENCE_POINTS } from '../src/pipeline/reference.ts';
import {
  CONTEXT_FEATURES,
  CONTEXT_LEVEL_RATE,
  CONTEXT_VOLATILITY_RATE,
  VOLATILITY_FLOOR,
  contextRow,
  contextRows,
  newContextState,
} from '../src/pipeline/stream-context.ts';
import { Prng } from '../src/random/prng.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test('context row: level, step, deviation from the recent level, log volatility, by hand', () => {
  const st = newContextState();
  const row = new Float64Array(CONTEXT_FEATURES);
  contextRow(2, st, row);
  assert.deepEqual(Array.from(row), [2, 0, 0, Math.log(VOLATILITY_FLOOR)]);
  contextRow(5, st, row);
  // Step 3, deviation from the level 2; the volatility starts at the first |step|.
  close(row[0]!, 5, 'level');
  close(row[1]!, 3, 'step');
  close(row[2]!, 3, 'deviation');
  close(row[3]!, Math.log(VOLATILITY_FLOOR + 3), 'volatility');
  contextRow(4, st, row);
  const level = 2 + CONTEXT_LEVEL_RATE * 3;
  close(row[1]!, -1, 'step');
  close(row[2]!, 4 - level, 'deviation from the EWMA before this value');
  close(row[3]!, Math.log(VOLATILITY_FLOOR + 3 + CONTEXT_VOLATILITY_RATE * (1 - 3)), 'EWMA of |step|');
});

test('context row: a value never observed reads as "nothing moved" and leaves the state as it was', () => {
  const st = newContextState();
  const row = new Float64Array(CONTEXT_FEATURES);
  contextRow(NaN, st, row);
  assert.ok(row.every(Number.isFinite), `first row ${Array.from(row)}`);
  contextRow(1, st, row);
  contextRow(3, st, row);
  const before = Float64Array.from(st);
  contextRow(NaN, st, row);
  assert.deepEqual(Array.from(st), Array.from(before));
  assert.ok(row.every(Number.isFinite));
  assert.equal(row[0], 3);
  assert.equal(row[1], 0);
  assert.throws(() => contextRow(1, new Float64Array(2), row), /state must hold 4 numbers, got 2/);
});

test('context rows: a jump inside the usual range and a flat spell stand out; steps and deviations scale with the series', () => {
  const n = 400;
  const r = new Prng(3);
  const z = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 15) + 0.05 * r.normal());
  z[212] = -z[211]!; // at a peak, a jump to the trough: a value the series takes every cycle
  for (let i = 300; i < 340; i++) z[i] = z[299]!; // goes flat
  const rows = contextRows(z);
  let maxStep = 0;
  // (Row 340 leaves the flat spell with a step of its own.)
  for (let i = 1; i < n; i++) if (i !== 212 && i !== 213 && i !== 340) maxStep = Math.max(maxStep, Math.abs(rows[i * 4 + 1]!));
  assert.ok(Math.abs(rows[212 * 4 + 1]!) > 5 * maxStep, `jump step ${rows[212 * 4 + 1]} vs ${maxStep} elsewhere`);
  assert.ok(rows[339 * 4 + 3]! < rows[299 * 4 + 3]! - 2, `volatility after 40 flat points ${rows[339 * 4 + 3]} vs before ${rows[299 * 4 + 3]}`);
  // Affine: a*z + b has a times the steps and deviations, the same volatility shifted by ln a (floor aside).
  const scaled = contextRows(Float64Array.from(z, (v) => 7 * v + 100));
  for (const i of [50, 212, 250]) {
    close(scaled[i * 4 + 1]!, 7 * rows[i * 4 + 1]!, `step ${i}`);
    assert.ok(Math.abs(scaled[i * 4 + 2]! - 7 * rows[i * 4 + 2]!) < 1e-9, `deviation ${i}`);
    assert.ok(Math.abs(scaled[i * 4 + 3]! - rows[i * 4 + 3]! - Math.log(7)) < 0.05, `volatility ${i}`);
  }
});

test('context reference: noise through the same features, cached per configuration, deterministic', () => {
  const o = { trainRows: 128, numTrees: 20, sampleSize: 32, seed: 5, window: 300 };
  const a = contextIfReference(o);
  assert.equal(contextIfReference(o), a);
  assert.equal(a.count, Math.min(300, REFERENCE_POINTS));
  const b = contextIfReference({ ...o, seed: 6 });
  assert.notEqual(b, a);
  // IF scores near 0.5 are ordinary on noise; near 1 very rare.
  assert.ok(a.surprise(0.45) < 1.5, `surprise of 0.45: ${a.surprise(0.45)}`);
  assert.ok(a.surprise(0.85) > 5, `surprise of 0.85: ${a.surprise(0.85)}`);
});

test("stream rule 'max': the larger surprise, a missing member left out; 'weighted' unchanged", () => {
  assert.equal(combineStreamSurprises(2, 3, 'max'), 3);
  assert.equal(combineStreamSurprises(4, 3, 'max'), 4);
  assert.equal(combineStreamSurprises(NaN, 3, 'max'), 3);
  assert.equal(combineStreamSurprises(2, NaN, 'max'), 2);
  assert.ok(Number.isNaN(combineStreamSurprises(NaN, NaN, 'max')));
  assert.equal(combineStreamSurprises(2, 3), combineStreamSurprises(2, 3, 'weighted'));
});

const SMALL = { numTrees: 30, sampleSize: 64, lazyFitAfter: 64 } as const;

function seasonal(n: number, seed: number): { matrix: { data: Float64Array; rows: number; cols: number }; times: Float64Array } {
  const r = new Prng(seed);
  const data = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 20) + 0.3 * r.normal());
  return { matrix: { data, rows: n, cols: 1 }, times: Float64Array.from({ length: n }, (_, i) => i * 300_000) };
}

test('single-metric stream-only IF: a jump inside the usual range is its most surprising point', () => {
  const n = 1200;
  const at = 911; // sin(at / 20) ~ 1: the series is at its peak
  const r = new Prng(7);
  // From `at` on, the series runs half a period ahead: it jumps from its peak to its trough,
  // values it has taken every cycle before.
  const d = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin((i >= at ? i + 20 * Math.PI : i) / 20) + 0.3 * r.normal());
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < at; i++) {
    lo = Math.min(lo, d[i]!);
    hi = Math.max(hi, d[i]!);
  }
  assert.ok(d[at]! > lo && d[at]! < hi, `row ${at} (${d[at]}) inside [${lo}, ${hi}]`);
  const det = new AnomalyDetector({ fields: 'value', timeField: 't', detector: 'iforest', ...SMALL });
  const res = det.updateMatrix({ matrix: { data: d, rows: n, cols: 1 }, times: Float64Array.from({ length: n }, (_, i) => i * 300_000) });
  let best = -1;
  for (let i = 0; i < n; i++) {
    const l = res.iforestSurprise[i]!;
    if (l === l && (best < 0 || l > res.iforestSurprise[best]!)) best = i;
  }
  assert.equal(best, at, `most surprising row ${best} (${res.iforestSurprise[best]}), the jump's ${res.iforestSurprise[at]}`);
});

test('single-metric stream-only: score() leaves the context state alone, save/load carries it, the ensemble is the max of its members', () => {
  const s = seasonal(700, 8);
  const head = { matrix: { data: s.matrix.data.subarray(0, 500), rows: 500, cols: 1 }, times: s.times.subarray(0, 500) };
  const tail = { matrix: { data: s.matrix.data.subarray(500), rows: 200, cols: 1 }, times: s.times.subarray(500) };
  const a = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  const b = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  a.updateMatrix(head);
  b.updateMatrix(head);
  // Scoring without learning (twice) must not move the segment's context.
  const s1 = b.scoreMatrix(tail);
  const s2 = b.scoreMatrix(tail);
  assert.deepEqual(Array.from(s2.iforestSurprise), Array.from(s1.iforestSurprise));
  const c = AnomalyDetector.load(b.save());
  const ra = a.updateMatrix(tail);
  const rb = b.updateMatrix(tail);
  const rc = c.updateMatrix(tail);
  assert.deepEqual(Array.from(rb.iforestSurprise), Array.from(ra.iforestSurprise));
  assert.deepEqual(Array.from(rc.iforestSurprise), Array.from(ra.iforestSurprise));
  assert.deepEqual(Array.from(rc.surprise), Array.from(ra.surprise));
  let fromIf = 0;
  for (let i = 0; i < ra.rows; i++) {
    const li = ra.iforestSurprise[i]!;
    const lr = ra.rcfSurprise[i]!;
    close(ra.surprise[i]!, Math.max(li, lr), `row ${i}`);
    if (li > lr) fromIf++;
  }
  // Both members lead somewhere (the IF is not a shadow of the RRCF).
  assert.ok(fromIf > 0 && fromIf < ra.rows, `IF leads on ${fromIf} of ${ra.rows} rows`);
});
