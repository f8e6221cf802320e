/**
 * NAB adapters over the engine's forest and pipeline: one score in [0, 1] per
 * row, streaming (a prefix of the series scores exactly as the whole series
 * does on those rows), seeded, and a spike scores above ordinary rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forestDetector, pipelineDetector } from '../src/nab/adapters.ts';
import { createNabDetector, nabDetectorHelp, nabDetectorNames } from '../src/nab/registry.ts';

const n = 500;
const timestamps = new Float64Array(n).map((_, i) => Date.UTC(2015, 0, 1) + i * 300_000);
const values = new Float64Array(n).map((_, i) => 10 + Math.sin((2 * Math.PI * i) / 48) + (i === 400 ? 12 : 0));
const series = { name: 'synthetic/spike.csv', timestamps, values };
const prefix = { name: 'synthetic/spike.csv', timestamps: timestamps.subarray(0, 300), values: values.subarray(0, 300) };

for (const [label, detector] of [
  ['forestDetector shingle 4', forestDetector({ shingleSize: 4, numTrees: 30, sampleSize: 64, seed: 3 })],
  ['forestDetector AWS setup', forestDetector({ shingleSize: 1, numTrees: 30, sampleSize: 64, sampling: 'decay', timeDecay: 1e-5, normalize: 'log2', seed: 3 })],
  ['pipelineDetector ensemble', pipelineDetector({ detector: 'ensemble', numTrees: 30, sampleSize: 64, seed: 3 })],
] as const) {
  test(`${label}: streaming scores in [0, 1], seeded, spike stands out`, () => {
    const a = Float64Array.from(detector(series));
    assert.equal(a.length, n);
    for (const v of a) assert.ok(v >= 0 && v <= 1, `score ${v}`);
    assert.deepEqual(Array.from(detector(series)), Array.from(a), 'same seed, same scores');
    const p = detector(prefix);
    for (let i = 0; i < 300; i++) assert.equal(p[i], a[i], `row ${i} must not depend on later rows`);
    const ordinary = [...a.subarray(200, 390)].sort((x, y) => x - y);
    assert.ok(a[400]! > ordinary[Math.floor(0.99 * ordinary.length)]!, `spike ${a[400]} vs p99 ${ordinary[Math.floor(0.99 * ordinary.length)]}`);
  });
}

test('registry: names, variants, errors', async () => {
  await import('../src/nab/adapters.ts');
  for (const name of ['gaussian', 'rrcf', 'rcf-aws', 'ensemble', 'rcf', 'iforest']) assert.ok(nabDetectorNames().includes(name), name);
  assert.match(nabDetectorHelp(), /\+nms/);
  const d = createNabDetector('rrcf+rank+nms', { numTrees: 10, sampleSize: 32, seed: 1 });
  const out = d(series);
  assert.equal(out.length, n);
  assert.throws(() => createNabDetector('rrcf+zz'), /unknown post-processing "\+zz" in "rrcf\+zz"/);
  assert.throws(() => createNabDetector('forest'), /unknown NAB detector "forest"; known: gaussian/);
});
