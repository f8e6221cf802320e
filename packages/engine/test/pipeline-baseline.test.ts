import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';
import { anscombe, anscombeInverse, Baseline } from '../src/pipeline/baseline.ts';
import { Prng } from '../src/random/prng.ts';
import { AnomalyDetector } from '../src/pipeline/anomaly-detector.ts';

const T0 = Date.UTC(2026, 0, 5); // a Monday
const STEP = 15 * 60 * 1000;
const PER_DAY = 96;

/** Fits global + hourly stats on rows (time order), one segment. */
function fitted(rows: number[][], times: number[], countIndex: number): Baseline {
  const d = rows[0]!.length;
  const X = { data: Float64Array.from(rows.flat()), rows: rows.length, cols: d };
  const b = new Baseline(d, countIndex);
  b.fitGlobal(X);
  b.fitHourly(X, undefined, undefined, Float64Array.from(times), rows.map((_, i) => i));
  return b;
}

function z(b: Baseline, row: number[], time: number): number[] {
  const out = new Float64Array(row.length);
  b.standardize(row, 0, '', time, out, 0);
  return Array.from(out);
}

test('anscombe: Poisson counts get a level-free scale, and the inverse undoes it', () => {
  assert.equal(anscombe(0), 2 * Math.sqrt(0.375));
  for (const x of [0, 1, 3, 16, 250]) assert.ok(Math.abs(anscombeInverse(anscombe(x)) - x) < 1e-9);
  assert.equal(anscombeInverse(0), 0);
  // Poisson: SD of the transform ~1 at a low and a high mean.
  const rng = new Prng(5);
  for (const mu of [4, 100]) {
    const v: number[] = [];
    for (let i = 0; i < 20000; i++) {
      // Knuth's sampler (fine for these means).
      let k = 0;
      let p = rng.next();
      const l = Math.exp(-Math.min(mu, 700));
      if (mu < 30) {
        while (p > l) {
          k++;
          p *= rng.next();
        }
      } else k = Math.max(0, Math.round(mu + Math.sqrt(mu) * rng.normal()));
      v.push(anscombe(k));
    }
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    assert.ok(Math.abs(sd - 1) < 0.08, `mean ${mu}: SD on Anscombe's scale ${sd}`);
  }
});

test('baseline: the count metric is scaled as a count, a low-count collapse reads far out, a rise less so', () => {
  // Three weekdays of a count around 16 (SD ~3.7 on the raw scale) beside a metric that is no count.
  const counts = [12, 14, 16, 18, 20, 16, 13, 19];
  const rows: number[][] = [];
  const times: number[] = [];
  for (let i = 0; i < 3 * PER_DAY; i++) {
    rows.push([400 + (i % 5) * 10, counts[i % counts.length]!]);
    times.push(T0 + i * STEP);
  }
  const t = T0 + (3 * PER_DAY + 40) * STEP; // Thursday 10:00
  const asCount = fitted(rows, times, 1);
  const plain = fitted(rows, times, -1);
  const [, dropCount] = z(asCount, [420, 3], t);
  const [, dropPlain] = z(plain, [420, 3], t);
  // A drop to 3 contacts: beyond -4 as a count (a Poisson count near 0 is nearly noiseless), about -3.5 on the raw scale.
  assert.ok(dropCount < -4, `count z ${dropCount}`);
  assert.ok(dropPlain > -3.6, `raw-scale z ${dropPlain}`);
  // A rise to 29 is less surprising than the drop as a count (Poisson noise grows with the level).
  const [, riseCount] = z(asCount, [420, 29], t);
  assert.ok(riseCount > 0 && riseCount < -dropCount - 1.5, `count z of a rise ${riseCount}`);
  // The expected count at z = 0 is the bin's median count.
  assert.ok(Math.abs(asCount.unstandardize(1, 0, '', t) - 16) < 0.6);
  // The other metric at its typical count is measured as without a count metric.
  const a = z(asCount, [450, 16], t)[0]!;
  const b = z(plain, [450, 16], t)[0]!;
  assert.ok(Math.abs(a - b) < 1e-6 * Math.abs(b), `${a} vs ${b}`);
});

test('baseline: an average over few contacts is no less noisy than one contact over sqrt(count) (support floor)', () => {
  // Night (00:00-07:59): 5 contacts per interval, a transfer rate of 0 except 1 of 5 now and then;
  // day: 60 contacts, a rate of ~0.1 with binomial-like noise (0.04).
  const rng = new Prng(9);
  const rows: number[][] = [];
  const times: number[] = [];
  for (let i = 0; i < 3 * PER_DAY; i++) {
    const night = i % PER_DAY < 32;
    rows.push(night ? [i % 8 === 3 ? 0.2 : 0, 5] : [0.1 + 0.04 * rng.normal(), 60 + Math.round(4 * rng.normal())]);
    times.push(T0 + i * STEP);
  }
  const night = T0 + (3 * PER_DAY + 12) * STEP; // Thursday 03:00
  const day = T0 + (3 * PER_DAY + 48) * STEP; // Thursday 12:00
  const asCount = fitted(rows, times, 1);
  const plain = fitted(rows, times, -1);
  // One transferred call of five at night: the night bins' MAD is ~0, so it reads as ~5 deviations
  // without the floor; with it, as ~1.4 (0.2 against one contact's noise ~0.31 / sqrt(5)).
  const zPlain = z(plain, [0.2, 5], night)[0]!;
  const zCount = z(asCount, [0.2, 5], night)[0]!;
  assert.ok(zPlain > 4.5, `without the floor ${zPlain}`);
  assert.ok(zCount > 0.5 && zCount < 3, `with the floor ${zCount}`);
  // A real surge at night (4 of 5) still reads far out.
  assert.ok(z(asCount, [0.8, 5], night)[0]! > 4.5);
  // By day, at the usual count, the floor does not bind: the bins' own scale measures the rate.
  const dPlain = z(plain, [0.3, 60], day)[0]!;
  const dCount = z(asCount, [0.3, 60], day)[0]!;
  assert.ok(Math.abs(dCount - dPlain) < 0.05 * dPlain, `${dCount} vs ${dPlain}`);
});

test('baseline: a thin day type takes its centre from its own values, the scale from the other day type', () => {
  // Weekday-only training at level 100; the first Saturday runs at 40.
  const rng = new Prng(3);
  const rows: number[][] = [];
  const times: number[] = [];
  for (let i = 0; i < 3 * PER_DAY; i++) {
    rows.push([100 + 5 * rng.normal()]);
    times.push(T0 + i * STEP);
  }
  const b = fitted(rows, times, -1);
  const sat = T0 + 5 * 86_400_000;
  // Saturday 10:00 with no weekend values yet: the weekday bins measure it (as before).
  assert.ok(z(b, [40], sat + 40 * STEP)[0]! < -6);
  // After one hour of Saturday values (09:00-09:45), 10:00 is measured against them: ordinary.
  for (let k = 36; k < 40; k++) b.update([40 + (k % 2)], 0, [0], '', sat + k * STEP);
  const zs = z(b, [40], sat + 40 * STEP)[0]!;
  assert.ok(Math.abs(zs) < 1, `first Saturday, one hour in: z ${zs}`);
  // The scale is still the weekday bins' (noise ~5), so a real drop still reads far out.
  assert.ok(z(b, [10], sat + 40 * STEP)[0]! < -4);
});

test('pipeline: with a supportField the count scale survives save/load (the same Results after loading)', () => {
  const rng = new Prng(21);
  const recs = (from: number, n: number): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    for (let i = from; i < from + n; i++) {
      const day = Math.max(0, Math.sin((2 * Math.PI * (i % PER_DAY)) / PER_DAY - 1));
      const volume = Math.max(0, Math.round(4 + 40 * day + Math.sqrt(4 + 40 * day) * rng.normal()));
      out.push({ t: new Date(T0 + i * STEP).toISOString(), aht: 400 + 30 * rng.normal(), transfer: volume > 0 ? Math.round(volume * 0.1 + rng.normal()) / Math.max(volume, 1) : 0, volume });
    }
    return out;
  };
  const det = new AnomalyDetector({ fields: 'aht:high,transfer:high,volume', timeField: 't', supportField: 'volume', numTrees: 20, sampleSize: 64, seed: 4 });
  det.fit(recs(0, 3 * PER_DAY));
  det.updateMany(recs(3 * PER_DAY, 40));
  const copy = AnomalyDetector.load(det.save());
  const live = recs(3 * PER_DAY + 40, 60);
  const a = det.updateMany(live);
  const b = copy.updateMany(live);
  assert.deepEqual(b.map((r) => [r.score, r.grade, r.scores.baseline, r.expected]), a.map((r) => [r.score, r.grade, r.scores.baseline, r.expected]));
  // The count is standardised as a count: the expected volume at night is the bin's few contacts, not a negative number.
  assert.ok(a.every((r) => r.expected['volume']! >= 0));
});

test('the hourly baseline gives the same z whichever class-field semantics compile it (a bundler with standard class fields: useDefineForClassFields)', async () => {
  // The repo compiles with useDefineForClassFields false; a consumer bundling the TS sources (the
  // `source` export condition) may not. Field initialisers that read a constructor parameter
  // property (`this.d`) then ran before it was assigned: empty arrays, no support floor, no pools.
  const src = readFileSync(new URL('../src/pipeline/baseline.ts', import.meta.url), 'utf8');
  const { code } = await transform(src, { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } } });
  const dir = mkdtempSync(join(tmpdir(), 'cx-baseline-'));
  try {
    const file = join(dir, 'baseline.mjs');
    writeFileSync(file, code);
    const std = (await import(pathToFileURL(file).href)) as { Baseline: typeof Baseline };
    const rng = new Prng(5);
    const d = 3;
    const n = 6 * PER_DAY;
    // Column 1 is the count (support) metric: the unit-noise floor and the pools all take part.
    const rows = Array.from({ length: n }, () => [300 + 40 * rng.normal(), Math.max(0, Math.round(20 + 5 * rng.normal())), 0.1 + 0.02 * rng.normal()]);
    const times = rows.map((_, i) => T0 + i * STEP);
    const mk = (B: typeof Baseline): Baseline => {
      const train = rows.slice(0, 2 * PER_DAY);
      const X = { data: Float64Array.from(train.flat()), rows: train.length, cols: d };
      const b = new B(d, 1);
      b.fitGlobal(X);
      b.fitHourly(X, undefined, undefined, Float64Array.from(times.slice(0, train.length)), train.map((_, i) => i));
      return b;
    };
    const ours = mk(Baseline);
    const theirs = mk(std.Baseline);
    const observed = new Uint8Array(d);
    for (let i = 2 * PER_DAY; i < n; i++) {
      assert.deepEqual(z(theirs, rows[i]!, times[i]!), z(ours, rows[i]!, times[i]!), `row ${i}`);
      ours.update(rows[i]!, 0, observed, '', times[i]!);
      theirs.update(rows[i]!, 0, observed, '', times[i]!);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
