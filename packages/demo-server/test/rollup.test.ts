/** Interaction records rolled up into interval records: the bookkeeping (Rollup) and /ingest end to end. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCxData, parseTime } from '@cx-anomaly/engine';
import { Rollup, IDLE_FILL_MS, ROLLUP_METRICS, type Interaction, type RollupPlan } from '../src/rollup.ts';
import { join } from 'node:path';
import { Store } from '../src/store.ts';
import { post, readSse, startServer, tempDir } from './helpers.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5);

function ix(ts: number, segment: string | null, aht: number, transferred = false, csat: number | null = null): Interaction {
  return { ts, segment, aht, transferred, csat };
}

/** Feeds interactions in batches as if each arrived at wall-clock `now` (no wall-clock advance). */
function feed(r: Rollup, items: readonly Interaction[], batch: number, now = 1_000): RollupPlan['intervals'] {
  const out: RollupPlan['intervals'] = [];
  for (let i = 0; i < items.length; i += batch) {
    const added = items.slice(i, i + batch).filter((it) => !r.isLate(it.ts));
    const p = r.plan(added, now);
    r.apply(p);
    out.push(...p.intervals);
  }
  return out;
}

describe('Rollup', () => {
  test('rolling up the generator\'s interactions gives its intervals.csv, row for row', () => {
    const data = generateCxData({ days: 2, seed: 5 });
    const h = data.interactions.header;
    const col = (n: string) => h.indexOf(n);
    const items = data.interactions.rows.map((row) =>
      ix(parseTime(row[col('timestamp')]!), row[col('queue')]!, Number(row[col('aht_seconds')]), Number(row[col('transfers')]) > 0, row[col('csat')] === '' ? null : Number(row[col('csat')])),
    );
    const r = new Rollup(15 * MIN, 0, 'timestamp', 'queue');
    const got = feed(r, items, 97);
    // The generator writes every queue every slot; the roll-up starts a queue at its first contact.
    const firstSlot = new Map<string, number>();
    for (const it of items) if (!firstSlot.has(it.segment!)) firstSlot.set(it.segment!, r.slotOf(it.ts));
    const closed = r.closedBefore!;
    const want = data.intervals.rows
      .filter((row) => {
        const t = parseTime(row[0]!);
        return t < closed && t >= firstSlot.get(row[1]!)!;
      })
      .map((row) => row.join(','));
    // The roll-up writes exactly the generator's columns, in its order (aht_max last).
    assert.deepEqual(data.intervals.header, ['timestamp', 'queue', ...ROLLUP_METRICS]);
    const asRow = (iv: RollupPlan['intervals'][number]) => data.intervals.header.map((k) => (iv.record[k] === null ? '' : String(iv.record[k]))).join(',');
    const gotRows = got.map(asRow);
    assert.ok(want.length > 300, `compared ${want.length} intervals`);
    assert.deepEqual([...gotRows].sort(), [...want].sort());
    // Time order, then segment order.
    for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.start <= got[i]!.start);
  });

  test('a slot closes when the clock passes its end plus the grace; later contacts of it are late', () => {
    const r = new Rollup(15 * MIN, 60_000, 'ts', 'q');
    let p = r.plan([ix(T0 + 1 * MIN, 'a', 100, true, 5), ix(T0 + 2 * MIN, 'a', 300, false, null), ix(T0 + 3 * MIN, 'b', 50)], 0);
    r.apply(p);
    assert.equal(p.intervals.length, 0);
    // 15:30 is past the end of slot 0 but inside the grace.
    p = r.plan([ix(T0 + 15.5 * MIN, 'a', 10)], 0);
    r.apply(p);
    assert.equal(p.intervals.length, 0);
    assert.equal(r.isLate(T0 + 14 * MIN), false);
    p = r.plan([ix(T0 + 16 * MIN, 'b', 20)], 0);
    r.apply(p);
    assert.deepEqual(
      p.intervals.map((iv) => iv.record),
      [
        { ts: '2026-01-05T00:00:00Z', q: 'a', volume: 2, aht_avg: 200, transfer_rate: 0.5, csat_avg: 5, csat_responses: 1, aht_max: 300 },
        { ts: '2026-01-05T00:00:00Z', q: 'b', volume: 1, aht_avg: 50, transfer_rate: 0, csat_avg: null, csat_responses: 0, aht_max: 50 },
      ],
    );
    assert.equal(r.isLate(T0 + 14 * MIN), true);
    assert.equal(r.isLate(T0 + 15 * MIN), false);
    assert.equal(r.openSlots, 2);
  });

  test('the clock runs on with the wall clock: a quiet feed still closes its interval', () => {
    const r = new Rollup(15 * MIN, 0, 'ts', 'q');
    r.apply(r.plan([ix(T0 + 14 * MIN, 'a', 100)], 1_000_000));
    assert.equal(r.plan([], 1_000_000 + 59_000).intervals.length, 0);
    const p = r.plan([], 1_000_000 + 60_000);
    assert.equal(p.intervals.length, 1);
    assert.equal(p.closedBefore, T0 + 15 * MIN);
    // An older contact does not move the watermark back.
    r.apply(p);
    const q = r.plan([ix(T0 + 16 * MIN, 'a', 1)], 1_000_000 + 60_000);
    assert.equal(q.watermark, T0 + 16 * MIN);
    assert.equal(r.plan([], 1_000_000 + 60_000).watermark, T0 + 14 * MIN, 'plan changes nothing');
  });

  test('silent slots of a known segment are zero-volume intervals, for at most a day', () => {
    const r = new Rollup(15 * MIN, 0, 'ts', 'q');
    r.apply(r.plan([ix(T0, 'a', 100), ix(T0 + 1 * MIN, 'b', 100)], 0));
    // b goes silent; a's contacts jump 3 days ahead.
    const p = r.plan([ix(T0 + 3 * 24 * 60 * MIN, 'a', 100)], 0);
    r.apply(p);
    const a = p.intervals.filter((iv) => iv.segment === 'a');
    const b = p.intervals.filter((iv) => iv.segment === 'b');
    const fill = IDLE_FILL_MS / (15 * MIN);
    assert.equal(b.length, 1 + fill, 'b: its slot, then one day of zero-volume slots');
    assert.equal(a.length, 1 + fill);
    assert.deepEqual(b[1]!.record, { ts: '2026-01-05T00:15:00Z', q: 'b', volume: 0, aht_avg: null, transfer_rate: null, csat_avg: null, csat_responses: 0, aht_max: null });
    assert.equal(b[b.length - 1]!.start, T0 + IDLE_FILL_MS);
    // A gap shorter than a day is filled completely.
    const q = r.plan([ix(T0 + 3 * 24 * 60 * MIN + 60 * MIN, 'a', 100)], 0);
    assert.deepEqual(
      q.intervals.map((iv) => [iv.segment, iv.record.volume]),
      [['a', 1], ['a', 0], ['a', 0], ['a', 0]],
    );
  });

  test('aht_max is the slot\'s longest contact (a stuck call the mean hides), null for a zero-volume slot', () => {
    const r = new Rollup(15 * MIN, 0, 'ts', 'q');
    // Slot 0: 19 ordinary contacts and one stuck for 3 hours; slot 1: quiet; slot 2: a fractional aht is kept as given.
    const slot0 = [...Array.from({ length: 19 }, (_, i) => ix(T0 + (i % 14) * MIN, 'a', 300 + i * 5)), ix(T0 + 7 * MIN, 'a', 10_800)];
    r.apply(r.plan(slot0, 0));
    const p = r.plan([ix(T0 + 31 * MIN, 'a', 412.5), ix(T0 + 32 * MIN, 'a', 200), ix(T0 + 46 * MIN, 'a', 1)], 0);
    r.apply(p);
    const [busy, quiet, last] = p.intervals.map((iv) => iv.record);
    assert.equal(busy!.aht_max, 10_800);
    // The mean of the ordinary contacts is 345 s: the 3 h call lifts it to 867.8, the max is the call itself.
    assert.equal(busy!.aht_avg, 867.8);
    assert.deepEqual(quiet, { ts: '2026-01-05T00:15:00Z', q: 'a', volume: 0, aht_avg: null, transfer_rate: null, csat_avg: null, csat_responses: 0, aht_max: null });
    assert.equal(last!.aht_max, 412.5);
    // Key order is part of the stored JSON text: the generator's columns, aht_max last.
    for (const rec of [busy!, quiet!]) assert.deepEqual(Object.keys(rec), ['ts', 'q', 'volume', 'aht_avg', 'transfer_rate', 'csat_avg', 'csat_responses', 'aht_max']);
    // A restarted roll-up (open contacts read back from the store) gets the same max.
    const again = new Rollup(15 * MIN, 0, 'ts', 'q');
    again.restore({ closedBefore: null, watermark: T0 + 14 * MIN, watermarkAt: 0, open: slot0, lastActive: new Map() });
    assert.equal(again.plan([ix(T0 + 16 * MIN, 'a', 1)], 0).intervals[0]!.record.aht_max, 10_800);
  });

  test('restore() resumes the open slots and the closed boundary', () => {
    const r = new Rollup(15 * MIN, 0, 'ts', 'q');
    r.restore({ closedBefore: T0 + 15 * MIN, watermark: T0 + 20 * MIN, watermarkAt: 0, open: [ix(T0 + 16 * MIN, 'a', 10), ix(T0 + 17 * MIN, 'a', 30)], lastActive: new Map([['a', T0]]) });
    assert.equal(r.isLate(T0 + 14 * MIN), true);
    const p = r.plan([ix(T0 + 31 * MIN, 'a', 1)], 0);
    assert.deepEqual(p.intervals.map((iv) => [iv.record.volume, iv.record.aht_avg]), [[2, 20]]);
  });
});

describe('Store: interactions', () => {
  test('written with the intervals they close in one transaction; pruning keeps the open ones', () => {
    const store = new Store(join(tempDir(), 's.sqlite'));
    const r = new Rollup(15 * MIN, 0, 'timestamp', 'queue');
    const send = (items: Interaction[]) => {
      const out = store.ingest(
        'ingest',
        [],
        items.map((it, k) => ({ clientId: `c${it.ts}-${k}`, interaction: it, json: '{}' })),
        { isLate: (ts) => r.isLate(ts), plan: (added) => r.plan(added, 0) },
      );
      r.apply(out.interactions!.plan);
      return out.interactions!;
    };
    send([ix(T0, 'a', 10), ix(T0 + MIN, 'a', 20)]);
    const out = send([ix(T0 + 20 * MIN, 'a', 30), ix(T0 + 40 * MIN, 'a', 40)]);
    assert.equal(out.rolled.length, 2, 'slots 0 and 1 (1 with the 00:20 contact)');
    assert.deepEqual(out.rolled.map((row) => JSON.parse(row.record).volume), [2, 1]);
    const state = store.rollupState((ts) => r.slotOf(ts));
    assert.equal(state.closedBefore, T0 + 30 * MIN);
    assert.equal(state.open.length, 1, 'the 00:40 contact');
    assert.equal(state.lastActive.get('a'), T0 + 15 * MIN);
    // Pruning to 1 record also drops rolled-up interactions beyond 1, never an open one.
    store.prune(1);
    assert.equal(store.interactionCount(), 2);
    assert.equal(store.rollupState((ts) => r.slotOf(ts)).open.length, 1);
    store.close();
  });
});

/** Interactions of queue `q` at minute offsets from T0. */
function contacts(minutes: number[], q = 'billing', over: (i: number) => Record<string, unknown> = () => ({})): Record<string, unknown>[] {
  return minutes.map((m, i) => ({
    timestamp: new Date(T0 + m * MIN).toISOString(),
    interaction_id: `ix-${q}-${m}`,
    queue: q,
    channel: 'phone',
    aht_seconds: 300 + i * 10,
    transfers: i % 2,
    csat: i % 3 === 0 ? 4 : null,
    ...over(i),
  }));
}

describe('POST /ingest with interaction records', () => {
  test('stored as received, rolled up when the interval closes, scored and broadcast', async () => {
    const s = await startServer({ intervalGraceSeconds: 0 });
    try {
      const first = await post(`${s.url}/ingest`, contacts([1, 2, 5, 14]));
      assert.equal(first.status, 201, JSON.stringify(first.json));
      assert.deepEqual(first.json.interactions, { count: 4, written: 4, duplicates: 0, late: 0, intervalsClosed: 0 });
      assert.deepEqual(first.json.seqs, [null, null, null, null]);
      assert.equal(first.json.written, 0);
      // A retry is idempotent (interaction_id), and a contact of the next slot closes the first.
      const sse = readSse(`${s.url}/stream`, (ev) => ev.some((e) => e.event === 'scored' && JSON.parse(e.data).source === 'rollup'), { timeoutMs: 15_000 });
      const second = await post(`${s.url}/ingest`, [...contacts([14]), ...contacts([16])]);
      assert.deepEqual(second.json.interactions, { count: 2, written: 1, duplicates: 1, late: 0, intervalsClosed: 1 });
      const late = await post(`${s.url}/ingest`, contacts([3.5]));
      assert.deepEqual(late.json.interactions, { count: 1, written: 1, duplicates: 0, late: 1, intervalsClosed: 0 });
      await s.server.ctx.pipeline.idle();
      const rec = await (await fetch(`${s.url}/records`)).json();
      assert.equal(rec.count, 1);
      const row = rec.records[0];
      assert.equal(row.source, 'rollup');
      assert.deepEqual(row.record, { timestamp: '2026-01-05T00:00:00Z', queue: 'billing', volume: 4, aht_avg: 315, transfer_rate: 0.5, csat_avg: 4, csat_responses: 2, aht_max: 330 });
      assert.equal(Object.keys(row.record).at(-1), 'aht_max', 'stored after the other columns');
      assert.equal(typeof row.result.score, 'number');
      const events = await sse;
      const ev = events.find((e) => e.event === 'scored')!;
      assert.equal(JSON.parse(ev.data).record.volume, 4);
      const health = await (await fetch(`${s.url}/health`)).json();
      assert.deepEqual(health.rollup, { intervalMinutes: 15, interactions: 6, openIntervals: 1, closedBefore: '2026-01-05T00:15:00.000Z' });
    } finally {
      await s.close();
    }
  });

  test('CSV interactions (the generator\'s columns, empty csat) and mixed batches', async () => {
    const s = await startServer({ intervalGraceSeconds: 0 });
    try {
      const csv = [
        'timestamp,interaction_id,queue,channel,agent_id,aht_seconds,transfers,csat',
        '2026-01-05T00:01:00Z,ix-1,sales,chat,sal-001,200,0,5',
        '2026-01-05T00:02:00Z,ix-2,sales,phone,sal-002,400,2,',
        '2026-01-05T00:20:00Z,ix-3,sales,phone,sal-002,100,0,',
      ].join('\n');
      const r = await fetch(`${s.url}/ingest`, { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
      const body = await r.json();
      assert.equal(r.status, 201, JSON.stringify(body));
      assert.equal(body.interactions.intervalsClosed, 1);
      // Interval and interaction records in one request: both written in one transaction.
      const mixed = await post(`${s.url}/ingest`, [
        { timestamp: '2026-01-05T00:00:00Z', queue: 'billing', volume: 40, aht_avg: 330, transfer_rate: 0.07, csat_avg: 4.2 },
        ...contacts([21], 'sales'),
      ]);
      assert.equal(mixed.status, 201);
      assert.equal(mixed.json.written, 1);
      assert.equal(typeof mixed.json.seqs[0], 'number');
      assert.equal(mixed.json.seqs[1], null);
      assert.equal(mixed.json.interactions.written, 1);
      await s.server.ctx.pipeline.idle();
      const rec = await (await fetch(`${s.url}/records`)).json();
      const rolled = rec.records.find((x: { source: string }) => x.source === 'rollup');
      assert.deepEqual(rolled.record, { timestamp: '2026-01-05T00:00:00Z', queue: 'sales', volume: 2, aht_avg: 300, transfer_rate: 0.5, csat_avg: 5, csat_responses: 1, aht_max: 400 });
    } finally {
      await s.close();
    }
  });

  test('bad interactions are a 400 naming record and field, and nothing is written', async () => {
    const s = await startServer();
    try {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ aht_seconds: -5 }, /record 1 \(body\/1\/aht_seconds\): an interaction's handle time must be a number of seconds >= 0/],
        [{ aht_seconds: '300' }, /record 1 \(body\/1\/aht_seconds\)/],
        [{ transfers: -1 }, /record 1 \(body\/1\/transfers\): must be a count >= 0/],
        [{ transfers: null, transferred: 'yes' }, /record 1 \(body\/1\/transferred\): must be true, false, 1 or 0/],
        [{ csat: 'great' }, /record 1 \(body\/1\/csat\): must be a number, or null/],
        [{ timestamp: '2999-01-01T00:00:00Z' }, /record 1 \(body\/1\/timestamp\): an interaction more than a day in the future/],
      ];
      for (const [over, message] of cases) {
        const r = await post(`${s.url}/ingest`, contacts([1, 2], 'billing', (i) => (i === 1 ? over : {})));
        assert.equal(r.status, 400, JSON.stringify(over));
        assert.match(r.json.message, message);
      }
      const none = await post(`${s.url}/ingest`, [{ timestamp: '2026-01-05T00:00:00Z', queue: 'billing', channel: 'phone' }]);
      assert.equal(none.status, 400);
      assert.match(none.json.message, /has none of the metric fields .* nor aht_seconds \(interaction record\)/);
      const score = await post(`${s.url}/score`, contacts([1]));
      assert.equal(score.status, 400);
      assert.match(score.json.message, /record 0 is an interaction record .* POST \/ingest rolls interactions up into 15-minute intervals/);
      const health = await (await fetch(`${s.url}/health`)).json();
      assert.equal(health.rollup.interactions, 0);
    } finally {
      await s.close();
    }
  });

  test('the timer closes an interval when no further contact comes; open intervals survive a restart', async () => {
    const dir = tempDir();
    let s = await startServer({ intervalGraceSeconds: 0, intervalMinutes: 1 }, { dir });
    try {
      // Contacts in a slot far in the past, then a restart before it closes by contact.
      const base = Date.UTC(2026, 0, 5, 9, 0);
      const at = (ms: number, id: string) => ({ timestamp: new Date(base + ms).toISOString(), interaction_id: id, queue: 'retention', aht_seconds: 600, transfers: 0 });
      const r1 = await post(`${s.url}/ingest`, [at(1_000, 'a'), at(2_000, 'b')]);
      assert.equal(r1.json.interactions.intervalsClosed, 0);
      await s.close();
      s = await startServer({ intervalGraceSeconds: 0, intervalMinutes: 1 }, { dir });
      assert.equal(s.server.ctx.rollup.openSlots, 1, 'the open interval is rebuilt from the store');
      // The last contact is 58.5 s before the slot's end: the clock passes it ~1.5 s later (the timer ticks every second).
      const r2 = await post(`${s.url}/ingest`, [at(58_500, 'c')]);
      assert.equal(r2.json.interactions.intervalsClosed, 0);
      const t0 = Date.now();
      for (;;) {
        const rec = await (await fetch(`${s.url}/records`)).json();
        if (rec.count > 0) {
          assert.deepEqual(rec.records[0].record, { timestamp: '2026-01-05T09:00:00Z', queue: 'retention', volume: 3, aht_avg: 600, transfer_rate: 0, csat_avg: null, csat_responses: 0, aht_max: 600 });
          break;
        }
        assert.ok(Date.now() - t0 < 8000, 'the timer closed the interval');
        await new Promise((r) => setTimeout(r, 200));
      }
      await s.close();
      // After a restart the closed interval stays closed (not written twice).
      s = await startServer({ intervalGraceSeconds: 0, intervalMinutes: 1 }, { dir });
      const again = await post(`${s.url}/ingest`, [at(3_000, 'd')]);
      assert.equal(again.json.interactions.late, 1);
      const rec = await (await fetch(`${s.url}/records`)).json();
      assert.equal(rec.count, 1);
    } finally {
      await s.close();
    }
  });
});
