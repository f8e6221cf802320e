/**
 * Golden test of the pipeline's decisions: a fixed seeded CX stream with injected
 * incidents through the default ensemble (fit + update/updateMatrix/score/scoreMatrix,
 * and stream-only update). Performance work must not change these results.
 *
 * What is hashed: every columnar output, every Result field (score, grade, isAnomaly,
 * member scores, attribution, imputed, alert ids) and `expected` for the points that
 * are anomalies (elsewhere `expected` is the baseline centre, see Result.expected).
 * Values are hashed at 12 significant digits.
 *
 * When a deliberate change of the method changes the results, regenerate with
 *   UPDATE_GOLDEN=1 node --conditions=source --import tsx --test packages/engine/test/pipeline-golden.test.ts
 * and say so in the change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnomalyDetector, type ColumnarResult, type DetectorResult } from '../src/pipeline/anomaly-detector.ts';
import type { CxRecord } from '../src/pipeline/types.ts';
import { Prng } from '../src/random/prng.ts';
import { toMatrixInput } from '../bench/pipeline.ts';

const GOLDEN = resolve(dirname(fileURLToPath(import.meta.url)), 'pipeline-golden.json');
const QUEUES = ['billing', 'support', 'sales', 'retention'];
const CONFIG = { fields: 'aht_avg:high,transfer_rate:high,volume:both', timeField: 'interval_start', segmentField: 'queue' } as const;

function stream(n: number, start: number): CxRecord[] {
  const r = new Prng(11 + start);
  const out: CxRecord[] = [];
  for (let k = start; k < start + n; k++) {
    const q = k % 4;
    const step = Math.floor(k / 4);
    const day = Math.sin((2 * Math.PI * step) / 96);
    let aht = 300 + 20 * q + 40 * day + r.normal() * 15;
    let transfer = 0.12 + 0.01 * q + r.normal() * 0.02;
    let volume = 80 + 10 * q + 30 * day + r.normal() * 8;
    if (step % 97 === 60 + q) aht += 300 + 50 * q;
    if (step % 131 === 90) volume *= 0.25;
    if (step % 113 === 40 && q === 1) transfer += 0.3;
    out.push({
      interval_start: new Date(Date.UTC(2026, 0, 5) + step * 900_000).toISOString(),
      queue: QUEUES[q]!,
      aht_avg: aht,
      transfer_rate: r.uniform(0, 1) < 0.05 ? null : transfer,
      volume,
    });
  }
  return out;
}

const asMatrix = toMatrixInput;

const f = (v: number | undefined): string => (v === undefined ? 'u' : Number.isNaN(v) ? 'NaN' : Number(v.toPrecision(12)).toString());

function hashColumnar(c: ColumnarResult): string {
  const h = createHash('sha256');
  const cols = ['score', 'grade', 'isAnomaly', 'iforest', 'rcf', 'alertId', 'alertStart', 'surprise', 'iforestSurprise', 'rcfSurprise'] as const;
  for (const k of cols) h.update(`${k}:${Array.from(c[k] as ArrayLike<number>, f).join(',')};`);
  return h.digest('hex').slice(0, 16);
}

function hashResults(rs: readonly DetectorResult[]): string {
  const h = createHash('sha256');
  for (const r of rs) {
    const attr = Object.entries(r.attribution).map(([k, a]) => `${k}=${f(a.high)}/${f(a.low)}`).join(' ');
    const exp = r.isAnomaly ? Object.entries(r.expected).map(([k, v]) => `${k}=${f(v)}`).join(' ') : '-';
    h.update(`${r.index}|${f(r.timestamp)}|${r.segment}|${f(r.score)}|${f(r.grade)}|${r.isAnomaly}|${f(r.scores.iforest)}|${f(r.scores.rcf)}|${attr}|${exp}|${r.imputed.join('+')}|${r.alertId}|${r.alertStart}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

function run(): Record<string, string | number> {
  const train = stream(1200, 0);
  const live = stream(800, 1200);
  const out: Record<string, string | number> = {};
  // fit, then stream: Results and columnar must agree with each other and with the golden.
  const a = new AnomalyDetector(CONFIG).fit(train);
  const b = new AnomalyDetector(CONFIG).fit(train);
  out['score'] = hashResults(a.score(live));
  out['scoreMatrix'] = hashColumnar(a.scoreMatrix(asMatrix(live)));
  const ra = live.map((rec) => a.update(rec));
  out['update'] = hashResults(ra);
  out['updateMatrix'] = hashColumnar(b.updateMatrix(asMatrix(live)));
  out['anomalies'] = ra.filter((r) => r.isAnomaly).length;
  out['alerts'] = ra.filter((r) => r.alertStart).length;
  // After streaming, batch scoring continues from the streamed state.
  out['scoreAfterUpdate'] = hashResults(a.score(stream(200, 2000)));
  // Stream-only (no fit): warm-up, lazy IF fit and refit.
  const s = new AnomalyDetector(CONFIG);
  const all = stream(1400, 0);
  out['streamOnlyUpdateMany'] = hashResults(s.updateMany(all.slice(0, 700)));
  out['streamOnlyUpdateMatrix'] = hashColumnar(s.updateMatrix(asMatrix(all.slice(700))));
  return out;
}

test('pipeline golden: default ensemble decisions on a fixed seeded stream are unchanged', () => {
  const got = run();
  assert.ok((got['anomalies'] as number) > 0, 'the stream should raise anomalies');
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) {
    writeFileSync(GOLDEN, JSON.stringify(got, null, 2) + '\n');
    return;
  }
  const want = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string | number>;
  assert.deepEqual(got, want);
});

test("Result.expected: the forest's value for anomalies (or every point with expected: 'all'), else the baseline centre", () => {
  const train = stream(1200, 0);
  const live = stream(400, 1200);
  const det = new AnomalyDetector({ ...CONFIG, seasonality: 'none' }).fit(train);
  const lazy = det.score(live);
  const all = det.score(live, { expected: 'all' });
  assert.ok(lazy.some((r) => r.isAnomaly), 'the stream should raise anomalies');
  // Global median of the training AHT: the baseline centre without seasonality.
  const aht = train.map((r) => r['aht_avg'] as number).sort((a, b) => a - b);
  const med = (aht[599]! + aht[600]!) / 2;
  let differ = 0;
  for (let i = 0; i < live.length; i++) {
    const a = lazy[i]!;
    const b = all[i]!;
    assert.deepEqual({ ...a, expected: null }, { ...b, expected: null }, `row ${i}: only expected may differ`);
    if (a.isAnomaly) assert.deepEqual(a.expected, b.expected, `row ${i}: anomalies get the forest's expected value`);
    else {
      assert.ok(Math.abs(a.expected['aht_avg']! - med) < 1e-9, `row ${i}: expected ${a.expected['aht_avg']} vs median ${med}`);
      if (Math.abs(b.expected['aht_avg']! - med) > 1e-6) differ++;
    }
  }
  assert.ok(differ > live.length / 2, `expected: 'all' should give the forest's values (${differ} differ from the median)`);
});

test('Baseline median / MAD (fast path) equals the sort-both-arrays definition, ties and MAD = 0 included', async () => {
  const { Baseline } = await import('../src/pipeline/baseline.ts');
  const reference = (xs: number[]): [number, number] => {
    const v = Float64Array.from(xs).sort();
    const med = (a: Float64Array): number => (a.length % 2 ? a[a.length >> 1]! : (a[(a.length >> 1) - 1]! + a[a.length >> 1]!) / 2);
    const m = med(v);
    const dev = Float64Array.from(v, (x) => Math.abs(x - m));
    let sum = 0;
    for (const x of dev) sum += x;
    let s = 1.4826 * med(dev.sort());
    if (!(s > 0)) s = (1.2533 * sum) / v.length;
    return [m, s > 0 ? s : 1];
  };
  const r = new Prng(5);
  for (let trial = 0; trial < 400; trial++) {
    const n = 1 + r.nextInt(120);
    const kind = trial % 4;
    const xs = Array.from({ length: n }, () =>
      kind === 0 ? r.normal() * 100 : kind === 1 ? Math.round(r.normal() * 2) : kind === 2 ? (r.uniform(0, 1) < 0.7 ? 5 : r.normal()) : r.uniform(-1e-3, 1e6),
    );
    const b = new Baseline(1);
    b.fitGlobal({ data: Float64Array.from(xs), rows: n, cols: 1 });
    assert.deepEqual([b.center[0], b.scale[0]], reference(xs), `trial ${trial}: ${xs.join(',')}`);
  }
});

test('Baseline hourly bins: streaming estimates (sorted copies, merged) equal the median / MAD of the pooled ring contents', async () => {
  const { Baseline } = await import('../src/pipeline/baseline.ts');
  const r = new Prng(9);
  const H = 3_600_000;
  const t0 = Date.UTC(2026, 0, 5);
  const n = 600;
  // Ties, repeated zeros and -0: the cases where an incremental order could differ from a sort.
  const value = (): number => (r.uniform(0, 1) < 0.2 ? (r.uniform(0, 1) < 0.5 ? -0 : 0) : Math.round(r.normal() * 4) / 2);
  const data = Float64Array.from({ length: n }, value);
  const times = Float64Array.from({ length: n }, (_, i) => t0 + i * 15 * 60_000);
  const b = new Baseline(1);
  // A tiny global scale, so that the 5% floor never binds and the hourly scale is the pooled MAD itself.
  b.fitGlobal({ data: Float64Array.from([0, 1e-9, 2e-9]), rows: 3, cols: 1 });
  b.fitHourly({ data, rows: n, cols: 1 }, undefined, undefined, times, Array.from({ length: n }, (_, i) => i));
  const one = new Float64Array(1);
  const out = new Float64Array(1);
  let checked = 0;
  for (let i = 0; i < 4000; i++) {
    const t = t0 + (n + i) * 15 * 60_000;
    one[0] = value();
    b.update(one, 0, new Uint8Array(1), '', t);
    if (i % 7 !== 0) continue;
    const hv = b.toState().hourlyValues; // per hour: the ring, oldest first, NaN-padded
    const h = Math.floor((t % 86_400_000) / H);
    // Weekday bins first, then weekend bins (UTC Saturday, Sunday).
    const wd = new Date(t).getUTCDay();
    const block = wd === 0 || wd === 6 ? 24 * 32 : 0;
    const pooled: number[] = [];
    for (const hh of [(h + 23) % 24, h, (h + 1) % 24]) for (let k = 0; k < 32; k++) if (hv[block + hh * 32 + k] === hv[block + hh * 32 + k]) pooled.push(hv[block + hh * 32 + k]!);
    const ref = new Baseline(1);
    ref.fitGlobal({ data: Float64Array.from(pooled), rows: pooled.length, cols: 1 });
    if (!(ref.scale[0]! > 1e-6) || pooled.length < 6) continue;
    b.standardize([1.25], 0, '', t, out, 0);
    assert.equal(out[0], (1.25 - ref.center[0]!) / ref.scale[0]!, `point ${i}, hour ${h}: ${pooled.length} pooled values`);
    checked++;
  }
  assert.ok(checked > 300, `only ${checked} points checked`);
});

test('ScoreCalibrator sliding window (one move per push when full) ranks like a window rebuilt from its values', async () => {
  const { ScoreCalibrator } = await import('../src/pipeline/calibration.ts');
  const r = new Prng(21);
  for (const w of [16, 17, 100]) {
    const cal = new ScoreCalibrator(w);
    for (let i = 0; i < 3000; i++) {
      // Ties (rounded values) and runs of one value exercise equal-value removal.
      cal.push(i % 500 < 50 ? 0.5 : Math.round(r.normal() * 8) / 4);
      if (i % 13 !== 0 || cal.count < w) continue;
      const rebuilt = new ScoreCalibrator(w);
      for (const v of cal.toState().values) rebuilt.push(v); // never slides: the plain insert path
      for (const q of [-3, -1, -0.25, 0, 0.5, 0.75, 1, 2.5, 4, 9]) {
        assert.equal(cal.tailProbability(q), rebuilt.tailProbability(q), `window ${w}, push ${i}, score ${q}`);
      }
    }
  }
});
