/**
 * Bit-identity guard for the Random Cut Forest: a fixed seeded stream (with
 * spikes, level shifts and exact duplicates) runs through window and decay
 * forests; every score, DiVector, expected point, batch score and the saved
 * state are hashed (SHA-256 of the exact float64 bits) and compared with
 * test/rcf-golden.json (rcf-golden.browser.test.ts checks Chromium against the
 * same file). Any change of results -- even in the last bit -- fails this test.
 * The run itself is test/support/rcf-golden-run.ts.
 *
 * Re-record (only for an intended change of results):
 *   RCF_GOLDEN_WRITE=1 node --conditions=source --import tsx --test packages/engine/test/rcf-golden.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '../src/random/prng.ts';
import { StreamPrng } from '../src/rcf/stream-prng.ts';
import { nextDown } from '../src/rcf/node-store.ts';
import { setWalkKernelEnabled, walkKernelStatus } from '../src/rcf/kernel/walk-kernel.ts';
import { computeGoldenBytes, type Sink } from './support/rcf-golden-run.ts';

const goldenFile = resolve(dirname(fileURLToPath(import.meta.url)), 'rcf-golden.json');

function sha256(s: Sink): string {
  return createHash('sha256').update(s.bytes()).digest('hex');
}

function compute(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [run, sinks] of Object.entries(computeGoldenBytes())) {
    out[run] = Object.fromEntries(Object.entries(sinks).map(([k, v]) => [k, sha256(v)]));
  }
  return out;
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

test('the WebAssembly walk kernel gives the same bits as the JS walks (every call above, window and decay, 12, 5 and 1 dimensions)', () => {
  assert.deepEqual(walkKernelStatus(), { kernel: 'wasm', reason: '' }, 'Node has WebAssembly SIMD: the kernel must be in use here');
  const withKernel = compute();
  setWalkKernelEnabled(false);
  try {
    assert.equal(walkKernelStatus().kernel, 'js');
    assert.deepEqual(compute(), withKernel);
  } finally {
    setWalkKernelEnabled(true);
  }
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
