/**
 * Stream-only detectors: members calibrated against the noise reference (reference.ts),
 * the stream ensemble rule (ensemble.ts), and the single-metric defaults (config.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector } from '../src/pipeline/anomaly-detector.ts';
import { combineStreamSurprises, STREAM_IF_WEIGHT } from '../src/pipeline/ensemble.ts';
import { rcfReference } from '../src/pipeline/reference.ts';
import { resolveConfig } from '../src/pipeline/config.ts';
import { Prng } from '../src/random/prng.ts';

const SMALL = { numTrees: 30, sampleSize: 64, lazyFitAfter: 64 } as const;

function series(n: number, seed: number, spikeAt = -1): { matrix: { data: Float64Array; rows: number; cols: number }; times: Float64Array } {
  const r = new Prng(seed);
  const data = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 20) + r.normal() + (i === spikeAt ? 25 : 0));
  return { matrix: { data, rows: n, cols: 1 }, times: Float64Array.from({ length: n }, (_, i) => i * 300_000) };
}

test('single metric: shingle 1 and long-memory decay sampling by default; several metrics: shingle 4 and decay at AWS\'s 1/(10 sampleSize)', () => {
  const one = resolveConfig({ fields: 'value' });
  assert.equal(one.sampling, 'decay');
  assert.equal(one.timeDecay, 1e-5);
  const many = resolveConfig({ fields: 'a,b' });
  assert.equal(many.sampling, 'decay');
  assert.equal(many.timeDecay, 1 / 2560);
  assert.equal(resolveConfig({ fields: 'a,b', sampling: 'window' }).sampling, 'window');
  const det = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  det.updateMatrix(series(40, 1));
  assert.equal(det.shingle, 1);
  const det2 = new AnomalyDetector({ fields: 'a,b', timeField: 't', ...SMALL });
  det2.updateMatrix({ matrix: { data: new Float64Array(80).map((_, i) => i % 7), rows: 40, cols: 2 }, times: Float64Array.from({ length: 40 }, (_, i) => i) });
  assert.equal(det2.shingle, 4);
  // Explicit options still win.
  assert.equal(resolveConfig({ fields: 'value', sampling: 'window' }).sampling, 'window');
});

test('stream-only scores are on one scale across series: a quiet series stays under the threshold, a spike does not', () => {
  const quiet = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  const rq = quiet.updateMatrix(series(1500, 2));
  const spiky = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  const rs = spiky.updateMatrix(series(1500, 3, 1200));
  const t = quiet.threshold;
  let above = 0;
  for (let i = 0; i < rq.rows; i++) if (rq.score[i]! >= t) above++;
  // A per-series rank would put ~contamination of every series above it; against the noise
  // reference, a smooth seasonal series with small noise is quieter than that.
  assert.ok(above / rq.rows < 0.02, `quiet series: ${above} of ${rq.rows} points above the threshold`);
  assert.ok(rs.score[1200]! >= t, `spike scored ${rs.score[1200]} under the threshold ${t}`);
  let maxQuiet = 0;
  for (let i = 0; i < rq.rows; i++) maxQuiet = Math.max(maxQuiet, rq.surprise[i]!);
  assert.ok(rs.surprise[1200]! > maxQuiet, `spike ${rs.surprise[1200]} vs the quiet series' largest ${maxQuiet}`);
});

test('stream-only calibrators do not slide, and save/load resumes identically', () => {
  const s = series(900, 4, 700);
  const a = new AnomalyDetector({ fields: 'value', timeField: 't', ...SMALL });
  const first = a.updateMatrix({ matrix: { data: s.matrix.data.subarray(0, 500), rows: 500, cols: 1 }, times: s.times.subarray(0, 500) });
  assert.ok(first.rows === 500);
  const b = AnomalyDetector.load(a.save());
  const rest = { matrix: { data: s.matrix.data.subarray(500), rows: 400, cols: 1 }, times: s.times.subarray(500) };
  const ra = a.updateMatrix(rest);
  const rb = b.updateMatrix(rest);
  assert.deepEqual(Array.from(rb.surprise), Array.from(ra.surprise));
  assert.ok(ra.score[200]! >= a.threshold, 'the spike at row 700 is above the threshold');
});

test('the noise reference is computed once per configuration and is deterministic', () => {
  const o = { metrics: 1, shingleSize: 1, numTrees: 20, sampleSize: 32, sampling: 'decay' as const, timeDecay: 1e-5, seed: 1, window: 200 };
  const a = rcfReference(o);
  assert.equal(rcfReference(o), a);
  assert.equal(a.count, 200);
  const b = rcfReference({ ...o, seed: 2 });
  assert.notEqual(b, a);
  // Ordinary scores are unsurprising, scores far in the tail very surprising.
  assert.ok(a.surprise(1) < 2.5, `surprise of score 1: ${a.surprise(1)}`);
  assert.ok(a.surprise(10) > 5, `surprise of score 10: ${a.surprise(10)}`);
});

test('stream ensemble rule: RRCF surprise plus a small weight of the IF surprise; missing members left out', () => {
  assert.equal(combineStreamSurprises(2, 3), 3 + STREAM_IF_WEIGHT * 2);
  assert.equal(combineStreamSurprises(NaN, 3), 3);
  assert.equal(combineStreamSurprises(2, NaN), STREAM_IF_WEIGHT * 2);
  assert.ok(Number.isNaN(combineStreamSurprises(NaN, NaN)));
  // Monotone in each member.
  assert.ok(combineStreamSurprises(2.5, 3) > combineStreamSurprises(2, 3));
  assert.ok(combineStreamSurprises(2, 3.5) > combineStreamSurprises(2, 3));
});
