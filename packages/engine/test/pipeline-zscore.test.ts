import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector } from '../src/pipeline/anomaly-detector.ts';
import { combineFittedSurprises } from '../src/pipeline/ensemble.ts';
import { Z_CLIP, zscoreAttribution, zscoreRow } from '../src/pipeline/zscore.ts';
import { Prng } from '../src/random/prng.ts';

const DIRS = ['high', 'low', 'both'] as const;
const win = (k: number, d: number): Float64Array => new Float64Array(k * d).fill(NaN);

test('zscoreRow: direction rules from the field spec, imputed values ignored', () => {
  const per = new Float64Array(3);
  // high metric far BELOW normal, low metric far ABOVE: neither is an incident.
  assert.equal(zscoreRow([-8, 8, 0], 0, null, 0, DIRS, win(1, 3), per), 0);
  // high up, low down, both either way: each scores its own deviation.
  assert.equal(zscoreRow([5, 0, 0], 0, null, 0, DIRS, win(1, 3), per), 5);
  assert.equal(zscoreRow([0, -4, 0], 0, null, 0, DIRS, win(1, 3), per), 4);
  assert.equal(zscoreRow([0, 0, -3], 0, null, 0, DIRS, win(1, 3), per), 3);
  // An imputed value is no evidence, however far out it is, and does not enter the window.
  const w = win(2, 3);
  assert.equal(zscoreRow([9, 0, 0], 0, Uint8Array.of(1, 0, 0), 0, DIRS, w, per), 0);
  assert.ok(Number.isNaN(per[0]));
  assert.ok(Number.isNaN(w[3]));
});

test('zscoreRow: a sustained moderate shift adds up over the window beyond any single z; one wild value enters clipped', () => {
  const per = new Float64Array(1);
  const w = win(4, 1);
  let raw = 0;
  for (let k = 0; k < 6; k++) raw = zscoreRow([2], 0, null, 0, ['high'], w, per);
  // Four observed z's of 2 in the window: 8 / sqrt(4) = 4.
  assert.equal(raw, 4);
  // Imputed records leave a gap: the sum is over the observed ones only.
  zscoreRow([0], 0, Uint8Array.of(1), 0, ['high'], w, per);
  assert.equal(zscoreRow([2], 0, null, 0, ['high'], w, per), 6 / Math.sqrt(3));
  const fresh = win(4, 1);
  zscoreRow([1000], 0, null, 0, ['high'], fresh, per);
  assert.equal(fresh[3], Z_CLIP);
  assert.equal(per[0], 1000);
});

test('zscoreAttribution: each metric in the direction it moved', () => {
  const per = new Float64Array(3);
  const z = [3, -2, -5];
  zscoreRow(z, 0, null, 0, DIRS, win(1, 3), per);
  const high = new Float64Array(3);
  const low = new Float64Array(3);
  zscoreAttribution(z, 0, DIRS, per, high, low);
  assert.deepEqual(Array.from(high), [3, 0, 0]);
  assert.deepEqual(Array.from(low), [0, 2, 5]);
});

test('combineFittedSurprises: forests by their rule, the baseline member by max; missing members left out', () => {
  assert.equal(combineFittedSurprises(2, 4, 1), 3);
  assert.equal(combineFittedSurprises(2, 4, 7), 7);
  assert.equal(combineFittedSurprises(2, 4, 7, 'max'), 7);
  assert.equal(combineFittedSurprises(2, 4, NaN), 3);
  assert.equal(combineFittedSurprises(NaN, NaN, 5), 5);
  assert.ok(Number.isNaN(combineFittedSurprises(NaN, NaN, NaN)));
});

const T0 = Date.UTC(2026, 0, 5);
const STEP = 15 * 60 * 1000;
const FIELDS = 'aht:high,transfer:high,csat:low,volume';

function intervals(n: number, start: number, seed: number): Record<string, unknown>[] {
  const rng = new Prng(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = start; i < start + n; i++) {
    const day = Math.sin((2 * Math.PI * i) / 96);
    out.push({ t: new Date(T0 + i * STEP).toISOString(), aht: 400 + 60 * day + 20 * rng.normal(), transfer: 0.1 + 0.01 * rng.normal(), csat: 4 + 0.1 * rng.normal(), volume: 60 + 30 * day + 3 * rng.normal() });
  }
  return out;
}

test('pipeline: the baseline member scores with a seasonal baseline, flags a one-metric shift upward only', () => {
  const det = new AnomalyDetector({ fields: FIELDS, timeField: 't', numTrees: 30, sampleSize: 64, seed: 3 });
  det.fit(intervals(3 * 96, 0, 1));
  const live = intervals(96, 3 * 96, 2);
  // Two hours of transfer rate up by ~6 noise units: one metric of four moves.
  for (let k = 40; k < 48; k++) live[k]!['transfer'] = 0.16;
  // Two hours of AHT far DOWN: not an incident for aht:high.
  for (let k = 70; k < 78; k++) live[k]!['aht'] = 150;
  const rs = det.updateMany(live);
  assert.ok(rs.every((r) => r.scores.baseline !== undefined && r.scores.baseline >= 0 && r.scores.baseline <= 1));
  const shift = rs.slice(40, 48);
  assert.ok(shift.some((r) => r.isAnomaly), 'the transfer surge raises an alert');
  const top = shift.find((r) => r.isAnomaly)!;
  assert.ok(top.attribution['transfer']!.high > 0.5 * top.score, 'attributed to transfer going up');
  assert.ok(rs.slice(70, 78).every((r) => r.scores.baseline! < 0.9), 'an AHT drop is no evidence for the baseline member');
});

test('pipeline: no baseline member without a seasonal baseline (no time order, stream-only)', () => {
  const rows = intervals(300, 0, 5).map(({ t: _t, ...r }) => r);
  const batch = new AnomalyDetector({ fields: FIELDS, numTrees: 20, sampleSize: 64 }).fit(rows);
  assert.ok(batch.score(rows.slice(0, 20)).every((r) => r.scores.baseline === undefined));
  const stream = new AnomalyDetector({ fields: FIELDS, timeField: 't', numTrees: 20, sampleSize: 64 });
  const rs = stream.updateMany(intervals(300, 0, 6));
  assert.ok(rs.every((r) => r.scores.baseline === undefined));
  const cols = stream.updateMatrix({ matrix: { data: new Float64Array(4 * 3).fill(1), rows: 3, cols: 4 } });
  assert.ok(Array.from(cols.baseline).every((v) => Number.isNaN(v)));
});

test('supportFields: a metric whose own count is below minSupportPerMetric is treated as missing; config errors; saved with the model', () => {
  assert.throws(() => new AnomalyDetector({ fields: FIELDS, supportFields: { nps: 'n' } }), /supportFields: "nps" is not a metric of the field spec/);
  assert.throws(() => new AnomalyDetector({ fields: FIELDS, supportFields: { csat: '' } }), /count field of "csat" must be a non-empty field name/);
  assert.throws(() => new AnomalyDetector({ fields: FIELDS, minSupportPerMetric: -1 }), /minSupportPerMetric must be a finite number >= 0/);
  const train = intervals(3 * 96, 0, 7).map((r) => ({ ...r, n: 10 }));
  const det = new AnomalyDetector({ fields: FIELDS, timeField: 't', numTrees: 20, sampleSize: 64, supportFields: { csat: 'n' } }).fit(train);
  const live = intervals(5, 3 * 96, 8);
  // One answer (or none recorded) of 1.0: not evidence of a CSAT drop; ten answers averaging 1.0 are.
  // A record without the count field (a source that does not report it) keeps its CSAT.
  const rs = det.updateMany([
    { ...live[0], csat: 1, n: 1 },
    { ...live[1], csat: 1, n: '' },
    { ...live[2], csat: 1, n: '10' },
    { ...live[3], csat: 4, n: 2 },
    { ...live[4], csat: 4.2 },
  ]);
  assert.deepEqual(rs.map((r) => r.imputed.includes('csat')), [true, true, false, true, false]);
  assert.ok(rs[2]!.scores.baseline! > 0.99, 'ten answers averaging 1.0 are far out');
  const again = AnomalyDetector.load(det.save());
  assert.deepEqual(again.config.metricSupport, det.config.metricSupport);
  assert.equal(again.config.minSupportPerMetric, 3);
});
