// The IndexedDB cache: hits, misses, damaged entries, quota and blocked databases, feedback.
import { expect } from '@open-wc/testing';
import { createStore, get as idbGet, set as idbSet, type UseStore } from 'idb-keyval';
import { Prng, type CxRecord, type DetectorConfig } from '@cx-anomaly/engine';
import { FeedbackStore, KvStore, MODEL_DB, MODEL_STORE, ModelCache, modelCacheKey, type CacheEntry } from '../src/cache/index.ts';
import { packRecords } from '../src/worker/columns.ts';
import { createEngineClient } from '../src/engine-client/index.ts';

function makeRecords(n: number, seed = 1): CxRecord[] {
  const rng = new Prng(seed);
  return Array.from({ length: n }, (_, i) => ({
    queue: i % 2 ? 'tech' : 'billing',
    aht_avg: 300 + 20 * rng.normal(),
    csat_avg: i % 4 === 0 ? 4 + 0.3 * rng.normal() : null,
    volume: 50 + 4 * rng.normal(),
  }));
}

let dbCounter = 0;
const freshDb = (): string => `cx-test-${Date.now()}-${++dbCounter}`;

function quotaExceeded(real: UseStore): UseStore {
  return (mode, callback) => {
    if (mode === 'readwrite') return Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    return real(mode, callback);
  };
}

describe('cache keys', () => {
  it('depend on config, field spec and every training value, not on option order', async () => {
    const recs = makeRecords(50);
    const fields = ['aht_avg', 'csat_avg', 'volume'];
    const b1 = await packRecords(recs, fields);
    const cfg: DetectorConfig = { fields: 'aht_avg:high,csat_avg:low,volume', numTrees: 20, seed: 1 };
    const k = modelCacheKey(cfg, b1);
    expect(modelCacheKey({ seed: 1, numTrees: 20, fields: 'aht_avg:high, csat_avg:low, volume' }, b1)).to.equal(k);
    expect(modelCacheKey({ ...cfg, seed: 2 }, b1)).to.not.equal(k);
    expect(modelCacheKey({ ...cfg, fields: 'aht_avg:high,csat_avg:both,volume' }, b1)).to.not.equal(k);
    const changed = recs.map((r) => ({ ...r }));
    changed[37] = { ...changed[37], volume: (changed[37]!['volume'] as number) + 1e-9 };
    expect(modelCacheKey(cfg, await packRecords(changed, fields))).to.not.equal(k);
  });
});

describe('ModelCache', () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) & 255);

  it('round-trips a model (hit) and misses an absent key', async () => {
    const cache = new ModelCache(new KvStore({ dbName: freshDb() }));
    expect(await cache.get('m-x')).to.deep.equal({ hit: false, reason: 'absent' });
    await cache.put('m-x', bytes);
    const r = await cache.get('m-x');
    expect(r.hit).to.equal(true);
    expect(Array.from((r as { bytes: Uint8Array }).bytes)).to.deep.equal(Array.from(bytes));
  });

  for (const [what, damage, reason] of [
    ['a flipped byte', (e: CacheEntry) => ({ ...e, bytes: Uint8Array.from(e.bytes, (b, i) => (i === 500 ? b ^ 1 : b)) }), 'corrupt'],
    ['truncated bytes', (e: CacheEntry) => ({ ...e, bytes: e.bytes.slice(0, 600) }), 'corrupt'],
    ['an older entry format', (e: CacheEntry) => ({ ...e, format: 0 }), 'stale'],
    ['another engine version', (e: CacheEntry) => ({ ...e, engineVersion: '0.0.1' }), 'stale'],
    ['not an entry at all', () => 'garbage', 'stale'],
  ] as const) {
    it(`drops an entry with ${what} (${reason})`, async () => {
      const db = freshDb();
      const cache = new ModelCache(new KvStore({ dbName: db }));
      await cache.put('m-y', bytes);
      const raw = createStore(db, 'kv');
      await idbSet('m-y', damage((await idbGet<CacheEntry>('m-y', raw))!), raw);
      expect(await cache.get('m-y')).to.deep.equal({ hit: false, reason });
      expect(await idbGet('m-y', raw)).to.equal(undefined);
    });
  }
});

describe('KvStore fallbacks', () => {
  it('works from memory after a QuotaExceededError, warning once', async () => {
    const warnings: string[] = [];
    const db = freshDb();
    const store = new KvStore({ useStore: quotaExceeded(createStore(db, 'kv')), onWarning: (m, c) => warnings.push(`${c}: ${m}`) });
    await store.set('a', 1);
    await store.set('b', 2);
    expect(store.persistent).to.equal(false);
    expect(await store.get('a')).to.equal(1);
    expect(await store.get('b')).to.equal(2);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^cache-unavailable: .*quota/);
  });

  it('gives up on an IndexedDB that never answers (blocked) and works from memory', async () => {
    const warnings: string[] = [];
    const blocked: UseStore = () => new Promise(() => undefined);
    const store = new KvStore({ useStore: blocked, timeoutMs: 100, onWarning: (m, c) => warnings.push(`${c}: ${m}`) });
    await store.set('k', 'v');
    expect(await store.get('k')).to.equal('v');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain('did not answer within 100 ms');
  });

  it('works from memory when asked to', async () => {
    const store = new KvStore({ memoryOnly: true });
    await store.set('k', new Float64Array([1, 2]));
    expect(Array.from((await store.get<Float64Array>('k'))!)).to.deep.equal([1, 2]);
  });
});

describe('FeedbackStore', () => {
  it('adds, replaces, lists and clears feedback, persisting across instances', async () => {
    const db = freshDb();
    const fb = new FeedbackStore('queue-a', { dbName: db });
    await Promise.all([fb.add({ index: 3, verdict: 'confirm' }), fb.add({ index: 9, verdict: 'dismiss', note: 'planned outage' })]);
    await fb.add({ index: 3, verdict: 'dismiss' });
    const again = new FeedbackStore('queue-a', { dbName: db });
    const list = await again.list();
    expect(list.map((f) => [f.index, f.verdict]).sort()).to.deep.equal([
      [3, 'dismiss'],
      [9, 'dismiss'],
    ]);
    expect(list.every((f) => typeof f.at === 'number')).to.equal(true);
    expect(await new FeedbackStore('queue-b', { dbName: db }).list()).to.deep.equal([]);
    await again.clear();
    expect(await fb.list()).to.deep.equal([]);
  });

  it('falls back to memory when IndexedDB refuses writes', async () => {
    const warnings: string[] = [];
    const fb = new FeedbackStore('s', { useStore: quotaExceeded(createStore(freshDb(), 'feedback')), onWarning: (_m, c) => warnings.push(c) });
    await fb.add({ index: 1, verdict: 'confirm' });
    expect((await fb.list()).map((f) => f.index)).to.deep.equal([1]);
    expect(warnings).to.deep.equal(['cache-unavailable']);
  });

  it('rejects malformed feedback with a message naming the value', async () => {
    const fb = new FeedbackStore('s', { memoryOnly: true });
    expect(() => fb.add({ index: 1, verdict: 'maybe' as 'confirm' })).to.throw(/verdict must be 'confirm' or 'dismiss', got "maybe"/);
  });
});

describe('engine client + cache', function () {
  this.timeout(120000);
  const config: DetectorConfig = { fields: 'aht_avg:high,csat_avg:low,volume', segmentField: 'queue', numTrees: 40, sampleSize: 128, seed: Date.now() % 100000 };
  const train = makeRecords(3000, 5);
  const probe = makeRecords(40, 6);

  it('reuses the cached model on a reload with the same data and config (fromCache), and retrains after corruption', async () => {
    const warnings: string[] = [];
    const onWarning = (_m: string, c: string): void => {
      warnings.push(c);
    };
    const a = await createEngineClient({ onWarning });
    const miss = await a.train(train, config);
    const scoresA = (await a.score(probe)).map((r) => r.score);
    a.dispose();
    expect(miss.fromCache).to.equal(false);

    // "Reload": a new client (new worker) with the same data and config.
    const b = await createEngineClient({ onWarning });
    const hit = await b.train(train, config);
    expect(hit.fromCache).to.equal(true);
    expect(hit.key).to.equal(miss.key);
    expect((await b.score(probe)).map((r) => r.score)).to.deep.equal(scoresA);
    b.dispose();
    console.log(`train ${train.length} records: ${miss.millis.toFixed(0)} ms; from cache: ${hit.millis.toFixed(0)} ms (saved ${(miss.millis - hit.millis).toFixed(0)} ms)`);
    expect(hit.millis).to.be.lessThan(miss.millis);
    expect(warnings).to.deep.equal([]);

    // Damage the stored model: the next train drops it, warns, retrains to the same model.
    const raw = createStore(MODEL_DB, MODEL_STORE);
    const entry = (await idbGet<CacheEntry>(miss.key, raw))!;
    await idbSet(miss.key, { ...entry, bytes: entry.bytes.slice(0, entry.bytes.length >> 1) }, raw);
    const c = await createEngineClient({ onWarning });
    const retrained = await c.train(train, config);
    expect(retrained.fromCache).to.equal(false);
    expect(warnings).to.deep.equal(['cache-corrupt']);
    expect((await c.score(probe)).map((r) => r.score)).to.deep.equal(scoresA);
    c.dispose();
  });
});
