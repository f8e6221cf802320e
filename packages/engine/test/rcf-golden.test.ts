/**
 * Bit-identity guard for the Random Cut Forest: a fixed seeded stream (with
 * spikes, level shifts and exact duplicates) runs through window and decay
 * forests; every score, DiVector, expected point, batch score and the saved
 * state are hashed (SHA-256 of the exact float64 bits) and compared with
 * test/rcf-golden.json, recorded before the performance work. Any change of
 * results -- even in the last bit -- fails this test.
 *
 * Re-record (only for an intended change of results):
 *   RCF_GOLDEN_WRITE=1 node --conditions=source --import tsx --test packages/engine/test/rcf-golden.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomCutForest, Shingler, createDiVector, type SamplingMode } from '../src/rcf/index.ts';
import { Prng } from '../src/random/prng.ts';
import { matrixFrom } from '../src/matrix.ts';
import { StreamPrng } from '../src/rcf/stream-prng.ts';
import { nextDown } from '../src/rcf/node-store.ts';

const goldenFile = resolve(dirname(fileURLToPath(import.meta.url)), 'rcf-golden.json');

function feed(h: Hash, xs: ArrayLike<number>): void {
  const b = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) b[i] = xs[i]!;
  h.update(new Uint8Array(b.buffer));
}

/** 3 metrics x shingle 4 with daily cycle, spikes, a level shift, and runs of exact repeats. */
function stream(n: number, seed: number): Float64Array[] {
  const r = new Prng(seed);
  const sh = new Shingler(3, 4);
  const v = new Float64Array(3);
  const out: Float64Array[] = [];
  for (let i = 0; out.length < n; i++) {
    const cyc = Math.round(1000 * Math.sin((2 * Math.PI * i) / 48)) / 1000;
    v[0] = 300 + 40 * cyc + Math.round(r.normal() * 15);
    v[1] = 0.12 + Math.round(r.normal() * 20) / 1000;
    v[2] = 80 + 30 * cyc + Math.round(r.normal() * 8);
    if (i % 211 === 100) v[0] += 500;
    if (i % 337 === 200) v[2] -= 70;
    if (i > n / 2) v[1] += 0.05;
    if (i % 50 >= 45) { v[0] = 300; v[1] = 0.12; v[2] = 80; } // repeats -> duplicate leaves
    if (sh.push(v)) out.push(sh.point.slice());
  }
  return out;
}

function runStreaming(sampling: SamplingMode, numTrees: number, sampleSize: number, n: number): Record<string, string> {
  const pts = stream(n, sampling === 'window' ? 11 : 12);
  const f = new RandomCutForest({ dimensions: 12, numTrees, sampleSize, sampling, seed: 5, timeDecay: sampling === 'decay' ? 1 / (4 * sampleSize) : undefined });
  const hs = createHash('sha256');
  const hd = createHash('sha256');
  const hq = createHash('sha256');
  const dv = createDiVector(12);
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) scores.push(f.update(pts[i]!));
    else {
      scores.push(f.updateWithDetails(pts[i]!, dv));
      feed(hd, dv.high);
      feed(hd, dv.low);
    }
    if (i % 97 === 0 && i > 0) {
      const probe = pts[(i * 7) % n]!;
      const a = f.attribution(probe);
      feed(hq, [f.score(probe)]);
      feed(hq, a.high);
      feed(hq, a.low);
      feed(hq, f.expectedPoint(probe));
      feed(hq, f.expectedPoint(probe, [0, 4, 8]));
    }
  }
  feed(hs, scores);
  const hst = createHash('sha256');
  const st = f.toState();
  hst.update(JSON.stringify(st.params));
  for (const k of Object.keys(st.arrays).sort()) {
    hst.update(k);
    const a = st.arrays[k]!;
    hst.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return { scores: hs.digest('hex'), divectors: hd.digest('hex'), queries: hq.digest('hex'), state: hst.digest('hex') };
}

function runBatch(): Record<string, string> {
  const pts = stream(1500, 13);
  const data = new Float64Array(pts.length * 12);
  pts.forEach((p, i) => data.set(p, i * 12));
  const X = matrixFrom(data, pts.length, 12);
  const f = new RandomCutForest({ dimensions: 12, numTrees: 30, sampleSize: 128, seed: 3 }).fit(X);
  const h = createHash('sha256');
  feed(h, f.scoreSamples(X));
  feed(h, f.codispSamples());
  return { batch: h.digest('hex') };
}

function compute(): Record<string, Record<string, string>> {
  return {
    window_100x256: runStreaming('window', 100, 256, 1200),
    window_40x64: runStreaming('window', 40, 64, 3000),
    decay_100x256: runStreaming('decay', 100, 256, 1200),
    decay_40x64: runStreaming('decay', 40, 64, 3000),
    batch: runBatch(),
  };
}

test('golden: scores, DiVectors, expected points, batch scores and state are bit-identical to the recorded run', () => {
  const got = compute();
  if (process.env['RCF_GOLDEN_WRITE'] === '1') {
    writeFileSync(goldenFile, JSON.stringify(got, null, 2) + '\n');
    return;
  }
  const want = JSON.parse(readFileSync(goldenFile, 'utf8')) as Record<string, Record<string, string>>;
  assert.deepEqual(got, want);
});

test('StreamPrng gives exactly the seeded Prng sequence (next, nextUint32, nextInt) and round-trips its state', () => {
  for (const seed of [0, 1, 7, 123456789, -5, 2 ** 40 + 3]) {
    const a = new Prng(seed);
    const b = new StreamPrng(seed);
    for (let i = 0; i < 20000; i++) {
      assert.equal(b.next(), a.next(), `seed ${seed}, next #${i}`);
      assert.equal(b.nextUint32(), a.nextUint32(), `seed ${seed}, nextUint32 #${i}`);
      const n = 1 + ((i * 7919) % 100000);
      assert.equal(b.nextInt(n), a.nextInt(n), `seed ${seed}, nextInt(${n}) #${i}`);
    }
    assert.deepEqual(b.getState(), a.getState());
    const c = new StreamPrng(99);
    c.setState(a.getState());
    assert.equal(c.next(), a.next());
  }
  assert.throws(() => new StreamPrng(1).nextInt(0), /n must be in/);
});

test('nextDown (no BigInt) steps to the adjacent lower double, across exponent and sign boundaries', () => {
  const view = new DataView(new ArrayBuffer(8));
  const ref = (x: number): number => {
    view.setFloat64(0, x);
    const bits = view.getBigUint64(0);
    view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
    return view.getFloat64(0);
  };
  const r = new Prng(3);
  const xs = [1, -1, 2, -2, 0.5, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** -1022, -(2 ** -1022), 1e-300, 4294967296, -4294967296, 300.25, 0.12];
  for (let i = 0; i < 2000; i++) xs.push((r.next() - 0.5) * 10 ** Math.floor(r.next() * 40 - 20));
  for (const x of xs) {
    const y = nextDown(x);
    assert.equal(y, ref(x), `nextDown(${x})`);
    assert.ok(y < x, `nextDown(${x}) = ${y} is not below`);
  }
  assert.equal(nextDown(0), -Number.MIN_VALUE);
});
