// The worker runtime: transfer without copy, progress, cancel, crash and recovery, main-thread responsiveness.
import { expect } from '@open-wc/testing';
import { Prng, type CxRecord, type DetectorConfig, type Progress } from '@cx-anomaly/engine';
import { createEngineClient, EngineCrashedError, resultAt, type EngineClient, type RecordBatch } from '../src/engine-client/index.ts';
import type { WorkerEngineClient } from '../src/engine-client/worker-client.ts';
import type { EngineServiceApi } from '../src/worker/protocol.ts';

const IF_CONFIG: DetectorConfig = { fields: 'aht_avg:high,transfer_rate:high,volume', detector: 'iforest', numTrees: 40, sampleSize: 128, seed: 3 };
// Batch scoring with the full ensemble takes many seconds for 100k records: long enough that an abort
// 300 ms in always lands mid-job (the Isolation Forest alone can finish 100k records before it).
const SLOW_CONFIG: DetectorConfig = { fields: 'aht_avg:high,transfer_rate:high,volume', detector: 'ensemble', numTrees: 100, sampleSize: 256, seed: 3 };
const STREAM_CONFIG: DetectorConfig = { fields: 'aht_avg:high,transfer_rate:high,volume', segmentField: 'queue', numTrees: 20, sampleSize: 64, seed: 3 };

function makeRecords(n: number, seed = 1): CxRecord[] {
  const rng = new Prng(seed);
  const out: CxRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = { queue: i % 3 === 0 ? 'tech' : 'billing', aht_avg: 300 + 20 * rng.normal(), transfer_rate: 0.1 + 0.01 * rng.normal(), volume: 50 + 4 * rng.normal() };
  }
  return out;
}

function makeBatch(n: number, seed = 1): RecordBatch {
  const rng = new Prng(seed);
  const aht = new Float64Array(n);
  const tr = new Float64Array(n);
  const vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aht[i] = 300 + 20 * rng.normal();
    tr[i] = 0.1 + 0.01 * rng.normal();
    vol[i] = 50 + 4 * rng.normal();
  }
  return { length: n, columns: { aht_avg: { kind: 'f64', values: aht }, transfer_rate: { kind: 'f64', values: tr }, volume: { kind: 'f64', values: vol } } };
}

function api(client: EngineClient): EngineServiceApi {
  return (client as unknown as { handle: { api: EngineServiceApi } }).handle.api;
}

describe('engine worker runtime', function () {
  this.timeout(120000);
  const warnings: [string, string][] = [];
  let client: WorkerEngineClient;

  beforeEach(async () => {
    warnings.length = 0;
    client = (await createEngineClient({ cache: false, onWarning: (m, c) => warnings.push([c, m]) })) as WorkerEngineClient;
    expect(client.mode).to.equal('module-worker');
  });
  afterEach(() => client.dispose());

  it('moves typed arrays to the worker (the sender buffers are detached) and gets columns back', async () => {
    await client.train(makeRecords(500), IF_CONFIG);
    const batch = makeBatch(1000, 5);
    const aht = (batch.columns['aht_avg'] as { values: Float64Array }).values;
    const copy = aht.slice();
    const cols = await client.scoreColumns(batch);
    // Transferred with the postMessage (moved, not copied): the sender's buffers are detached.
    expect(aht.buffer.byteLength).to.equal(0);
    expect(aht.length).to.equal(0);
    expect(cols.length).to.equal(1000);
    expect(cols.score).to.be.instanceOf(Float64Array);
    // The same rows as records give the same scores.
    const recs = Array.from(copy, (v, i) => ({ aht_avg: v, transfer_rate: (makeBatch(1000, 5).columns['transfer_rate'] as { values: Float64Array }).values[i], volume: (makeBatch(1000, 5).columns['volume'] as { values: Float64Array }).values[i] })).slice(0, 50);
    const viaRecords = await client.score(recs);
    for (let i = 0; i < 50; i++) expect(viaRecords[i]!.score).to.equal(resultAt(cols, i).score);
  });

  it('reports throttled progress and honours a cancel between chunks (worker keeps running)', async () => {
    await client.train(makeRecords(300), STREAM_CONFIG);
    const worker = client.worker;
    const ac = new AbortController();
    const seen: Progress[] = [];
    const job = client.update(makeRecords(40000, 9), {
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.done >= 2000) ac.abort();
      },
    });
    let err: Error | null = null;
    try {
      await job;
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).to.equal('AbortError');
    expect(seen.length).to.be.greaterThan(0);
    expect(seen.every((p) => p.total === 40000 && p.phase === 'update')).to.equal(true);
    expect(seen[seen.length - 1]!.done).to.be.lessThan(40000);
    // Stopped cooperatively: same worker, still usable.
    expect(client.worker === worker).to.equal(true);
    expect(await client.update(makeRecords(10, 4))).to.have.length(10);
  });

  it('stops a long synchronous job by restarting the worker when it does not stop in time', async () => {
    await client.train(makeRecords(500), SLOW_CONFIG);
    const before = (await client.score(makeRecords(20, 8))).map((r) => r.score);
    const worker = client.worker;
    const ac = new AbortController();
    const job = client.scoreColumns(makeBatch(100000, 9), { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    let err: Error | null = null;
    try {
      await job;
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).to.equal('AbortError');
    // The next call gets a new worker with the model restored.
    const after = (await client.score(makeRecords(20, 8))).map((r) => r.score);
    expect(client.worker !== worker, 'a new worker').to.equal(true);
    expect(after).to.deep.equal(before);
  });

  it('fails the running job with EngineCrashedError when the worker is terminated, then recovers', async () => {
    await client.train(makeRecords(500), IF_CONFIG);
    const before = (await client.score(makeRecords(20, 8))).map((r) => r.score);
    const job = client.scoreColumns(makeBatch(60000, 9));
    setTimeout(() => client.worker!.terminate(), 200);
    let err: unknown = null;
    try {
      await job;
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(EngineCrashedError);
    expect((err as Error).message).to.contain('terminated');
    expect((await client.score(makeRecords(20, 8))).map((r) => r.score)).to.deep.equal(before);
    expect(warnings.some(([c]) => c === 'worker-restarted')).to.equal(true);
  });

  it('treats an uncaught error in the worker during a job as a crash and recovers', async () => {
    await client.train(makeRecords(300), STREAM_CONFIG);
    // update yields between chunks, so the crash (a thrown timer callback) lands mid-job.
    const job = client.updateColumns(makeRecords(40000, 9));
    await new Promise((r) => setTimeout(r, 300));
    void api(client).crashForTesting('throw');
    let err: unknown = null;
    try {
      await job;
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(EngineCrashedError);
    expect((err as Error).message).to.contain('uncaught error');
    expect(await client.update(makeRecords(5, 8))).to.have.length(5);
    expect(warnings.some(([c]) => c === 'worker-restarted')).to.equal(true);
  });

  it('detects a worker that closes itself (its Web Lock is released) and recovers', async () => {
    await client.train(makeRecords(500), IF_CONFIG);
    const handle = (client as unknown as { handle: { died: Promise<never> } }).handle;
    void api(client).crashForTesting('close');
    let err: unknown = null;
    await handle.died.catch((e: unknown) => {
      err = e;
    });
    expect(err).to.be.instanceOf(EngineCrashedError);
    expect(client.worker === null, 'no worker').to.equal(true);
    expect(await client.score(makeRecords(5, 8))).to.have.length(5);
  });

  it('keeps the main thread free while 100k records are scored in the worker (no task over 50 ms)', async () => {
    await client.train(makeRecords(2000), IF_CONFIG);
    const records = makeRecords(100000, 11);
    await new Promise((r) => setTimeout(r, 200));
    const longTasks: { start: number; duration: number }[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
    });
    obs.observe({ type: 'longtask' });
    const t0 = performance.now();
    const cols = await client.scoreColumns(records);
    const t1 = performance.now();
    const anomalies: number[] = [];
    for (let i = 0; i < cols.length; i++) if (cols.isAnomaly[i]) anomalies.push(i);
    const t1b = performance.now();
    const built = anomalies.map((i) => resultAt(cols, i));
    const t2 = performance.now();
    await new Promise((r) => setTimeout(r, 200));
    obs.disconnect();
    expect(cols.length).to.equal(100000);
    expect(built.length).to.equal(anomalies.length);
    const longest = Math.max(0, ...longTasks.map((t) => t.duration));
    console.log(
      `100k records scored in the worker in ${(t1 - t0).toFixed(0)} ms (+${(t1b - t1).toFixed(0)} ms scan, ${(t2 - t1b).toFixed(0)} ms building ${built.length} anomaly Results); ` +
        `main-thread long tasks: ${JSON.stringify(longTasks.map((t) => [Math.round(t.start - t0), Math.round(t.duration)]))}`,
    );
    expect(longest, `longest main-thread task ${longest} ms`).to.be.at.most(50);
  });
});
