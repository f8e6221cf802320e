/** Group commit: concurrent /ingest requests share one transaction, and each still gets its own, exact answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interval, post, startServer } from './helpers.ts';

test('concurrent /ingest requests are written together, each answered with its own seqs, ids deduplicated across them', async () => {
  const s = await startServer();
  try {
    let groups = 0;
    let total = 0;
    for (let round = 0; round < 5 && groups === 0; round++) {
      const bodies = Array.from({ length: 24 }, (_, r) => Array.from({ length: 5 }, (_, k) => interval(round * 1000 + r * 5 + k, 'billing', { id: `g${round}-${r}-${k}` })));
      // Two requests of the round carry the same id: exactly one of them writes it.
      bodies[7]![0]!.id = 'shared-' + round;
      bodies[8]![0]!.id = 'shared-' + round;
      const answers = await Promise.all(bodies.map((b) => post(`${s.url}/ingest`, b)));
      const seen = new Set<number>();
      let dup = 0;
      for (const a of answers) {
        assert.equal(a.status, 201, JSON.stringify(a.json));
        assert.equal(a.json.count, 5);
        dup += a.json.duplicates;
        const seqs: number[] = a.json.seqs;
        // A request's new records are written in its order (the duplicate may point at an earlier seq).
        for (let k = 2; k < seqs.length; k++) assert.ok(seqs[k]! > seqs[k - 1]!);
        for (const q of seqs) seen.add(q);
      }
      assert.equal(dup, 1, 'the shared id is written once');
      assert.equal(seen.size, 24 * 5 - 1, 'distinct seqs, the duplicate pointing at the stored one');
      assert.equal(answers[7]!.json.seqs[0], answers[8]!.json.seqs[0]);
      total += 24 * 5 - 1;
      const m = await (await fetch(`${s.url}/metrics`)).text();
      groups = Number(/^cx_ingest_group_commits_total (\d+)/m.exec(m)![1]);
      assert.match(m, /^cx_stage_seconds_total\{stage="write"\} [0-9.e-]+$/m);
    }
    assert.ok(groups > 0, 'at least one transaction wrote several requests');
    const health = await (await fetch(`${s.url}/health`)).json();
    assert.equal(health.store.records, total);
    await s.server.ctx.pipeline.idle();
    const rec = await (await fetch(`${s.url}/records?limit=1000`)).json();
    assert.equal(rec.count, total);
    assert.ok(rec.records.every((r: { result: unknown }) => r.result !== null), 'all scored');
  } finally {
    await s.close();
  }
});

test('concurrent single-contact requests (a helpdesk webhook) are grouped, and every contact is rolled up exactly once', async () => {
  const s = await startServer({ intervalGraceSeconds: 3600 });
  try {
    const t0 = Date.UTC(2026, 0, 5);
    const contact = (k: number, minute: number) => [{ timestamp: new Date(t0 + minute * 60_000).toISOString(), interaction_id: `w-${k}`, queue: k % 2 ? 'sales' : 'billing', aht_seconds: 100 + k, transfers: k % 3 === 0 ? 1 : 0 }];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, k) => post(`${s.url}/ingest`, contact(k, 1 + (k % 29)))));
    for (const a of answers) assert.deepEqual(a.json.interactions, { count: 1, written: 1, duplicates: 0, late: 0, intervalsClosed: 0 }, JSON.stringify(a.json));
    // Retries of the same contacts, concurrently again: all duplicates.
    const again = await Promise.all(Array.from({ length: 40 }, (_, k) => post(`${s.url}/ingest`, contact(k, 1 + (k % 29)))));
    assert.equal(again.reduce((n, a) => n + a.json.interactions.duplicates, 0), 40);
    const close = await post(`${s.url}/ingest`, contact(99, 200));
    // The clock (3:20) less the grace (1 h) closes slots 0-8 of both queues: 0 and 1 with contacts, 2-8 silent (volume 0).
    assert.equal(close.json.interactions.intervalsClosed, 18);
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.ok(Number(/^cx_ingest_group_commits_total (\d+)/m.exec(m)![1]) > 0, 'some requests were grouped');
    await s.server.ctx.pipeline.idle();
    const rec = await (await fetch(`${s.url}/records`)).json();
    const volumes = rec.records.map((r: { record: { volume: number } }) => r.record.volume);
    assert.equal(volumes.reduce((a: number, b: number) => a + b, 0), 40);
    const health = await (await fetch(`${s.url}/health`)).json();
    assert.equal(health.rollup.interactions, 41);
  } finally {
    await s.close();
  }
});
