/** Per-client rate limit (429), and the store's own guarantees (transactions, paging, pruning). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../src/store.ts';
import { interval, post, startServer, tempDir } from './helpers.ts';
import { RECOVER_PAGE } from '../src/pipeline.ts';

describe('rate limit', () => {
  test('beyond CX_RATE_LIMIT requests a minute a client gets 429 with a message; /health is exempt', async () => {
    const s = await startServer({ rateLimit: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post(`${s.url}/score`, [interval(i)])).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const r = await post(`${s.url}/score`, [interval(1)]);
      assert.match(r.json.message, /rate limit of 5 requests a minute per client exceeded \(CX_RATE_LIMIT\)/);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      for (let i = 0; i < 8; i++) assert.equal((await fetch(`${s.url}/health`)).status, 200);
    } finally {
      await s.close();
    }
  });
});

describe('Store', () => {
  const rec = (i: number, id: string | null = null) => ({ clientId: id, ts: i, segment: 'q', json: JSON.stringify(interval(i)) });

  test('a batch is one transaction: a failure writes nothing', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    store.ingest('ingest', [rec(1), rec(2)]);
    const bad = { clientId: null, ts: 3, segment: 'q', json: null as unknown as string }; // NOT NULL violation
    assert.throws(() => store.ingest('ingest', [rec(3), rec(4), bad]));
    assert.equal(store.count(), 2);
    store.close();
  });

  test('seqs only grow, even after pruning; since/latest page oldest first', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    const out = store.ingest('ingest', Array.from({ length: 10 }, (_, i) => rec(i)));
    assert.deepEqual(out.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(store.since(3, 3).map((r) => r.seq), [4, 5, 6]);
    assert.deepEqual(store.since(3, 3, 2).map((r) => r.seq), [6, 7, 8]);
    assert.deepEqual(store.since(3, 10, 0, 5).map((r) => r.seq), [4, 5]);
    assert.deepEqual(store.latest(3).map((r) => r.seq), [8, 9, 10]);
    assert.equal(store.prune(4), 6);
    assert.deepEqual(store.since(0, 100).map((r) => r.seq), [7, 8, 9, 10]);
    store.ingest('ingest', [rec(11)]);
    assert.equal(store.lastSeq(), 11);
    store.close();
  });

  test('lastTimestamp: the latest time per source, kept across restarts, also for a store written before it was kept', () => {
    const file = join(tempDir(), 's.sqlite');
    let store = new Store(file);
    store.ingest('replay', [rec(5), rec(9), rec(7)]);
    store.ingest('ingest', [rec(20)]);
    store.ingest('replay', [rec(8)]);
    assert.equal(store.lastTimestamp('replay'), 9);
    assert.equal(store.lastTimestamp('ingest'), 20);
    assert.equal(store.lastTimestamp('rollup'), null);
    store.close();
    // An older store: no meta key (removed here by hand), the time is found by a scan, then kept.
    const raw = new Database(file);
    raw.prepare("DELETE FROM meta WHERE key LIKE 'last_ts:%'").run();
    raw.close();
    store = new Store(file);
    assert.equal(store.lastTimestamp('replay'), 9);
    store.ingest('replay', [rec(3)]);
    assert.equal(store.lastTimestamp('replay'), 9, 'an older record does not move it back');
    store.close();
  });

  test('results are set later; unscored rows are found (crash recovery)', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    store.ingest('ingest', [rec(1), rec(2), rec(3)]);
    store.setResults([{ seq: 1, result: '{"score":0.1}' }]);
    assert.deepEqual(store.unscored(0, 10).map((r) => r.seq), [2, 3]);
    assert.equal(store.since(0, 1)[0]!.result, '{"score":0.1}');
    store.close();
  });

  test('unscored records are read page by page, after a given seq', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    store.ingest('ingest', [1, 2, 3, 4, 5, 6].map((i) => rec(i)));
    store.setResults([2, 5].map((seq) => ({ seq, result: '{"score":0.1}' })));
    assert.deepEqual(store.unscored(0, 2).map((r) => r.seq), [1, 3]);
    assert.deepEqual(store.unscored(3, 2).map((r) => r.seq), [4, 6]);
    assert.deepEqual(store.unscored(6, 2), []);
    store.close();
  });

  test('models: the newest is loaded, only the last 3 kept', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    for (let i = 1; i <= 5; i++) store.saveModel(new Uint8Array([i, i, i]), 'store', i * 10, i);
    const m = store.latestModel()!;
    assert.deepEqual([...m.bytes], [5, 5, 5]);
    assert.equal(m.throughSeq, 5);
    store.close();
  });
});

describe('recovery', () => {
  test('a start-up after a crash scores every stored record that had no result, beyond the first page of them', { timeout: 120_000 }, async () => {
    // Before: recover() read the first page again and again (its rows are still unscored while
    // it reads), stopped after one page, and the rest stayed unscored for good.
    const dir = tempDir();
    const n = RECOVER_PAGE * 2 + 37;
    const queues = ['billing', 'sales'];
    const store = new Store(join(dir, 'cx.sqlite'));
    const rows = Array.from({ length: n }, (_, i) => {
      const q = queues[i % 2]!;
      return { clientId: null, ts: i, segment: q, json: JSON.stringify(interval(Math.floor(i / 2), q)) };
    });
    for (let i = 0; i < n; i += 5000) store.ingest('ingest', rows.slice(i, i + 5000));
    store.close();
    const s = await startServer({}, { dir });
    try {
      await s.server.ctx.pipeline.idle();
      assert.equal(s.server.ctx.pipeline.scoredThrough, n);
    } finally {
      await s.close();
    }
    const after = new Store(join(dir, 'cx.sqlite'));
    assert.deepEqual(after.unscored(0, 5), []);
    assert.equal(after.since(0, 1)[0]!.result !== null, true);
    after.close();
  });

  test('records ingested while the start-up model trains are scored after the recovered ones, in seq order', { timeout: 120_000 }, async () => {
    // Before: recover() ran once the model was ready, after /ingest (which does not wait for the
    // model) had queued newer records: those were learnt first, then queued again by recover()
    // (still unscored then) and learnt a second time after the older ones.
    const dir = tempDir();
    const store = new Store(join(dir, 'cx.sqlite'));
    store.ingest('ingest', Array.from({ length: 40 }, (_, i) => ({ clientId: null, ts: i, segment: 'billing', json: JSON.stringify(interval(i)) })));
    store.close();
    const s = await startServer({}, { dir, waitReady: false });
    try {
      assert.equal(s.server.ctx.model.isReady, false, 'the model is still training');
      const r = await post(`${s.url}/ingest`, Array.from({ length: 10 }, (_, i) => interval(40 + i)));
      assert.equal(r.status, 201);
      await s.server.started;
      await s.server.ctx.pipeline.idle();
      const rows = s.server.ctx.store.since(0, 100);
      assert.equal(rows.length, 50);
      const index = rows.map((row) => (JSON.parse(row.result!) as { index: number }).index);
      for (let i = 1; i < index.length; i++) assert.equal(index[i], index[i - 1]! + 1, `seq ${rows[i]!.seq} learnt out of order: ${index.join(',')}`);
      // Each record learnt once (before, the new ones were queued twice: recover() found them still unscored).
      assert.equal(s.server.ctx.metrics.scored, 50);
    } finally {
      await s.close();
    }
  });
});
