// Accelerated tree paths in the engine worker (Chromium; WebGL and WebGPU on SwiftShader here):
// every backend that starts returns exactly the JS loop's path-length sums.
import { expect } from '@open-wc/testing';
import { IsolationForest, Prng, jsPathLengthSums, type CxRecord, type DetectorConfig, type Matrix } from '@cx-anomaly/engine';
import { createEngineClient } from '../src/engine-client/index.ts';
import type { WorkerEngineClient } from '../src/engine-client/worker-client.ts';
import { choose, type ProbeResult } from '../src/worker/accel-choice.ts';

function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new Prng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() * 10 + (i % cols);
  return { data, rows, cols };
}

/** Rows with values on, and one float64 ulp beside, the forest's splits (where float32 would flip branches). */
function onSplits(forest: IsolationForest, d: number): Matrix {
  const s = forest.state;
  const out: number[] = [];
  for (let n = 0; n < s.feature.length && out.length < 6000 * d; n++) {
    if (s.left[n] === n) continue;
    const v = s.split[n]!;
    const ulp = Math.abs(v) * Number.EPSILON || Number.MIN_VALUE;
    for (const x of [v, v + ulp, v - ulp]) {
      const row = new Array<number>(d).fill(0.5);
      row[s.feature[n]!] = x;
      out.push(...row);
    }
  }
  return { data: Float64Array.from(out), rows: out.length / d, cols: d };
}

/** CX-like interval records with a time field and a few AHT spikes. */
function cxRecords(n: number, seed: number, start: number): CxRecord[] {
  const rng = new Prng(seed);
  const out: CxRecord[] = [];
  for (let i = 0; i < n; i++) {
    const aht = 300 + 40 * Math.sin((2 * Math.PI * (start + i)) / 96) + 15 * rng.normal() + ((start + i) % 211 === 100 ? 400 : 0);
    out.push({ t: (start + i) * 900_000, aht_avg: aht, transfer_rate: 0.1 + 0.01 * rng.normal(), volume: 50 + 4 * rng.normal() });
  }
  return out;
}

describe('tree-path accelerators in the worker', function () {
  this.timeout(180000);
  let client: WorkerEngineClient;
  const d = 6;
  const forest = new IsolationForest({ numTrees: 50, sampleSize: 256, seed: 2 }).fit(randomMatrix(3000, d, 1));
  const inputs: [string, Matrix][] = [
    ['random points (3 kernel chunks)', randomMatrix(70000 * 2 + 123, d, 4)],
    ['points on and beside every split', onSplits(forest, d)],
  ];

  before(async () => {
    client = (await createEngineClient({ cache: false })) as WorkerEngineClient;
  });
  after(() => client.dispose());

  for (const kind of ['webgl', 'webgpu', 'gather'] as const) {
    for (const [what, X] of inputs) {
      it(`${kind}: path-length sums equal the JS loop bit for bit (${what})`, async function () {
        if (kind === 'gather' && X.rows > 10000) this.skip(); // generic gathers: minutes at this size on a CPU
        const api = await client.service();
        const expected = jsPathLengthSums(forest.state, X.data, X.rows, X.cols);
        const run = await api.pathLengthSums(kind, forest.state, X.data, X.rows, X.cols);
        expect(run.backend).to.equal(kind);
        expect(run.sums.length).to.equal(X.rows);
        let mismatches = 0;
        for (let i = 0; i < X.rows; i++) if (run.sums[i] !== expected[i]) mismatches++;
        expect(mismatches, `${mismatches} of ${X.rows} sums differ`).to.equal(0);
        console.log(`${kind} ${what}: ${X.rows} points in ${run.millis.toFixed(0)} ms`);
      });
    }
  }

  for (const kind of ['webgl', 'webgpu'] as const) {
    it(`${kind}: batch score() runs the Isolation Forest member on the ${kind} kernel and returns the JS results`, async () => {
      const api = await client.service();
      const cfg: DetectorConfig = { fields: 'aht_avg:high,transfer_rate:high,volume', timeField: 't', numTrees: 30, sampleSize: 128, seed: 4 };
      await client.train(cxRecords(1500, 1, 0), cfg);
      const batch = cxRecords(3000, 2, 1500);
      await client.setBackend('js');
      const viaJs = await client.score(batch);
      expect(await api.lastScoreBackendUsed()).to.equal('js');
      await client.setBackend(kind);
      const viaKernel = await client.score(batch);
      expect(await api.lastScoreBackendUsed()).to.equal(kind);
      expect(viaKernel).to.deep.equal(viaJs);
      await client.setBackend('auto');
    });
  }

  it('auto: probes the device once, then picks the fastest backend measured at the nearest size', async () => {
    const api = await client.service();
    const probe = await api.probeAccel(true);
    expect(probe.rates.some((r) => r.backend === 'js')).to.equal(true);
    console.log(`probe: ${JSON.stringify(probe.rates.map((r) => [r.n, r.backend, Math.round(r.pointsPerSec)]))} errors: ${JSON.stringify(probe.errors)}`);
    const X = randomMatrix(9000, d, 8);
    const run = await api.pathLengthSums('auto', forest.state, X.data, X.rows, X.cols);
    expect(run.backend).to.equal(choose(probe, X.rows));
    expect(Array.from(run.sums)).to.deep.equal(Array.from(jsPathLengthSums(forest.state, X.data, X.rows, X.cols)));
    // The probe is cached (IndexedDB): asking again without force returns the same measurement.
    expect(await api.probeAccel(false)).to.deep.equal(probe);
  });

  it('choose() picks the fastest at the nearest probed size, JS without a probe', () => {
    const probe: ProbeResult = {
      version: 1,
      device: 'x',
      errors: {},
      rates: [
        { n: 8192, backend: 'js', pointsPerSec: 100 },
        { n: 8192, backend: 'webgl', pointsPerSec: 50 },
        { n: 65536, backend: 'js', pointsPerSec: 100 },
        { n: 65536, backend: 'webgpu', pointsPerSec: 300 },
      ],
    };
    expect(choose(probe, 5000)).to.equal('js');
    expect(choose(probe, 1_000_000)).to.equal('webgpu');
    expect(choose(null, 1_000_000)).to.equal('js');
  });
});
