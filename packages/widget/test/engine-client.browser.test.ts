// Starting the engine: every worker mode, and the in-process fallback when workers cannot start.
import { expect } from '@open-wc/testing';
import { Prng, type CxRecord, type DetectorConfig } from '@cx-anomaly/engine';
import { createEngineClient, type EngineClient, type EngineMode } from '../src/engine-client/index.ts';
import { workerUrl as devWorkerUrl } from 'cx:engine-worker';

const CONFIG: DetectorConfig = {
  fields: 'aht_avg:high,csat_avg:low,transfer_rate:high,volume',
  timeField: 'interval_start',
  segmentField: 'queue',
  numTrees: 30,
  sampleSize: 64,
  seed: 7,
};

/** Synthetic interval records: two queues, CSAT mostly missing, a planted AHT spike at `spikeAt`. */
export function makeRecords(n: number, seed = 1, spikeAt = -1): CxRecord[] {
  const rng = new Prng(seed);
  const out: CxRecord[] = [];
  for (let i = 0; i < n; i++) {
    const spike = i === spikeAt || i === spikeAt + 2;
    out.push({
      interval_start: new Date(Date.UTC(2026, 0, 5) + Math.floor(i / 2) * 900_000).toISOString(),
      queue: i % 2 === 0 ? 'billing' : 'tech',
      aht_avg: (spike ? 900 : 300) + 20 * rng.normal(),
      csat_avg: i % 5 === 0 ? 4.2 + 0.2 * rng.normal() : null,
      transfer_rate: 0.1 + 0.01 * rng.normal(),
      volume: 50 + 4 * rng.normal(),
    });
  }
  return out;
}

const warnings: [string, string][] = [];
const onWarning = (m: string, c: string): void => {
  warnings.push([c, m]);
};

async function roundTrip(client: EngineClient): Promise<number[]> {
  const train = makeRecords(400, 1);
  const summary = await client.train(train, CONFIG);
  expect(summary.records).to.equal(400);
  const results = await client.score(makeRecords(60, 2, 30));
  expect(results).to.have.length(60);
  expect(results[0]!.attribution).to.have.keys(['aht_avg', 'csat_avg', 'transfer_rate', 'volume']);
  // The planted spike outranks every normal point before it (shingles carry it into the next few points).
  expect(results[30]!.score).to.be.greaterThan(Math.max(...results.slice(0, 30).map((r) => r.score)));
  return results.map((r) => r.score);
}

describe('createEngineClient: worker modes', function () {
  this.timeout(60000);
  let inProcessScores: number[] = [];
  const clients: EngineClient[] = [];
  afterEach(() => {
    while (clients.length) clients.pop()!.dispose();
  });
  beforeEach(() => {
    warnings.length = 0;
  });

  it('falls back to in-process when `new Worker` throws (Lightning Web Security), with a warning', async () => {
    class ThrowingWorker {
      constructor() {
        throw new DOMException('Worker is not allowed', 'SecurityError');
      }
    }
    const client = await createEngineClient({ onWarning, cache: false }, { Worker: ThrowingWorker as unknown as typeof Worker });
    clients.push(client);
    expect(client.mode).to.equal('in-process');
    const w = warnings.find(([c]) => c === 'worker-unavailable');
    expect(w, 'worker-unavailable warning').to.not.equal(undefined);
    expect(w![1]).to.contain('SecurityError');
    inProcessScores = await roundTrip(client);
  });

  it("starts a module worker from the build's worker URL and scores exactly as in-process", async () => {
    const client = await createEngineClient({ onWarning, cache: false });
    clients.push(client);
    expect(client.mode).to.equal<EngineMode>('module-worker');
    expect(await roundTrip(client)).to.deep.equal(inProcessScores);
    expect(warnings).to.deep.equal([]);
  });

  it('starts a module worker from the host-given worker URL first', async () => {
    const client = await createEngineClient({ onWarning, cache: false, workerUrl: devWorkerUrl! });
    clients.push(client);
    expect(client.mode).to.equal('url-worker');
    expect(await roundTrip(client)).to.deep.equal(inProcessScores);
  });

  it('starts a classic worker from a Blob URL when the build only has the inlined source', async () => {
    const source = await (await fetch(`${devWorkerUrl}&format=iife`)).text();
    const client = await createEngineClient({ onWarning, cache: false }, { workerUrl: null, inlineWorkerSource: source });
    clients.push(client);
    expect(client.mode).to.equal('blob-worker');
    expect(await roundTrip(client)).to.deep.equal(inProcessScores);
  });

  it('skips a host worker URL that fails to load (error event) and uses the next mode', async () => {
    const client = await createEngineClient({ onWarning, cache: false, workerUrl: '/no/such/engine.worker.js' });
    clients.push(client);
    expect(client.mode).to.equal('module-worker');
  });

  it('falls back to in-process when a worker never answers the handshake', async () => {
    const silent = URL.createObjectURL(new Blob(['/* a worker that never talks */'], { type: 'text/javascript' }));
    const client2 = await createEngineClient({ onWarning, cache: false, startTimeoutMs: 500, workerUrl: silent }, { workerUrl: null, inlineWorkerSource: null });
    clients.push(client2);
    expect(client2.mode).to.equal('in-process');
    expect(warnings.some(([c, m]) => c === 'worker-unavailable' && m.includes('no handshake within 500 ms'))).to.equal(true);
  });

  it('falls back to in-process in a page whose CSP forbids blob: workers', async () => {
    const source = await (await fetch(`${devWorkerUrl}&format=iife`)).text();
    const frame = document.createElement('iframe');
    const done = new Promise<{ mode: string; warnings: string[]; scored: number }>((resolve) => {
      window.addEventListener('message', function onMsg(ev: MessageEvent) {
        if (ev.data?.cspTest) {
          window.removeEventListener('message', onMsg);
          resolve(ev.data.cspTest);
        }
      });
    });
    (window as unknown as { __cxWorkerSource: string }).__cxWorkerSource = source;
    const clientModule = new URL('../src/engine-client/index.ts', import.meta.url).href;
    frame.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="worker-src 'self'">
<script type="module">
  window.addEventListener('error', (e) => parent.postMessage({ cspTest: { mode: 'error: ' + e.message, warnings: [], scored: 0 } }, '*'));
  window.addEventListener('unhandledrejection', (e) => parent.postMessage({ cspTest: { mode: 'error: ' + (e.reason && e.reason.message), warnings: [], scored: 0 } }, '*'));
  const { createEngineClient } = await import(${JSON.stringify(clientModule)});
  const warnings = [];
  const client = await createEngineClient(
    { cache: false, onWarning: (m, c) => warnings.push(c + ': ' + m) },
    { workerUrl: null, inlineWorkerSource: parent.__cxWorkerSource },
  );
  const recs = Array.from({ length: 50 }, (_, i) => ({ a: i % 7, b: (i * 13) % 11 }));
  await client.train(recs, { fields: 'a,b', numTrees: 10, sampleSize: 32 });
  const scored = (await client.score(recs)).length;
  parent.postMessage({ cspTest: { mode: client.mode, warnings, scored } }, '*');
  client.dispose();
</script>`;
    document.body.appendChild(frame);
    try {
      const r = await done;
      expect(r.mode).to.not.match(/^error/);
      expect(r.mode).to.equal('in-process');
      expect(r.scored).to.equal(50);
      expect(r.warnings.some((w) => w.startsWith('worker-unavailable') && w.includes('blob-worker'))).to.equal(true);
    } finally {
      frame.remove();
    }
  });
});
