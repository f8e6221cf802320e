/** The accelerated replay: slot mapping, resume after a restart, injected incidents raise anomalies. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Replay, applyIncident } from '../src/replay.ts';
import { post, readSse, startServer } from './helpers.ts';

const day0 = Date.UTC(2026, 0, 5);
const iso = (slot: number): string => new Date(day0 + slot * 15 * 60_000).toISOString();
/** Two queues, 2 days of slots; aht_avg encodes the slot so the mapping is visible. */
const intervals = Array.from({ length: 2 * 96 }, (_, s) => [
  { timestamp: iso(s), queue: 'a', volume: 10, aht_avg: s, transfer_rate: 0.1, csat_avg: 4 },
  { timestamp: iso(s), queue: 'b', volume: 10, aht_avg: 1000 + s, transfer_rate: 0.1, csat_avg: 4 },
]).flat();

function replay(resumeAfter: number | null, emitted: Record<string, unknown>[][] = []): Replay {
  return new Replay({ intervals, speed: 900, timeField: 'timestamp', segmentField: 'queue', resumeAfter, backfillSlots: 0, emit: (r) => emitted.push(r) });
}

describe('Replay', () => {
  test('plays slots in order, then wraps around with times running on', () => {
    const r = replay(null);
    const first = r.nextSlot();
    assert.deepEqual(first.map((x) => [x.timestamp, x.queue, x.aht_avg]), [['2026-01-05T00:00:00Z', 'a', 0], ['2026-01-05T00:00:00Z', 'b', 1000]]);
    for (let i = 1; i < 192; i++) r.nextSlot();
    const wrapped = r.nextSlot();
    assert.equal(wrapped[0]!.timestamp, '2026-01-07T00:00:00Z');
    assert.equal(wrapped[0]!.aht_avg, 0, 'the same time of day as slot 0');
  });

  test('resumes after the newest stored time, with the values of that time of day', () => {
    const r = replay(Date.parse('2026-01-09T10:00:00Z'));
    const s = r.nextSlot();
    assert.equal(s[0]!.timestamp, '2026-01-09T10:15:00Z');
    // 4 days + 41 slots after the start; modulo the 2-day span: slot 41.
    assert.equal(s[0]!.aht_avg, 41);
  });

  test('an injected incident changes the next slots of its queue only', () => {
    const r = replay(null);
    const inj = r.inject('outage', 'b', 2);
    assert.equal(inj.remaining, 2);
    const s1 = r.nextSlot();
    assert.equal(s1[0]!.aht_avg, 0);
    assert.equal(s1[1]!.aht_avg, Math.round(1000 * 2.2 * 10) / 10);
    assert.equal(s1[1]!.injected, 'outage');
    assert.equal(s1[1]!.csat_avg, 2.2);
    r.nextSlot();
    assert.equal(r.nextSlot()[1]!.injected, undefined, 'over after 2 slots');
    assert.throws(() => r.inject('outage', 'zzz', 1), /unknown queue "zzz"; replayed queues: a, b/);
  });

  test('an injected AHT spike or outage lengthens the longest contact too (aht_max, whole seconds)', () => {
    const rec: Record<string, unknown> = { aht_avg: 330.4, aht_max: 1201, volume: 40 };
    applyIncident(rec, 'aht_spike');
    assert.deepEqual(rec, { aht_avg: 859, aht_max: 3123, volume: 40, injected: 'aht_spike' });
    const out: Record<string, unknown> = { aht_avg: 330, aht_max: 1000, transfer_rate: 0.07, csat_avg: 4.2, volume: 40 };
    applyIncident(out, 'outage');
    assert.equal(out.aht_max, 2200);
    const quiet: Record<string, unknown> = { aht_avg: null, aht_max: null, volume: 0 };
    applyIncident(quiet, 'outage');
    assert.equal(quiet.aht_max, null);
  });

  test('applyIncident leaves missing values missing', () => {
    const rec: Record<string, unknown> = { aht_avg: null, csat_avg: null, transfer_rate: 0.1, volume: 50 };
    applyIncident(rec, 'volume_collapse');
    assert.deepEqual(rec, { aht_avg: null, csat_avg: null, transfer_rate: 0.1, volume: 2, injected: 'volume_collapse' });
  });
});

describe('replay in the server', () => {
  test('replayed records stream live, and an injected incident raises an anomaly within seconds', { timeout: 90_000 }, async () => {
    const s = await startServer({ replay: true, replaySpeed: 3600 });
    try {
      const h = await (await fetch(`${s.url}/health`)).json();
      assert.equal(h.replay.on, true);
      assert.deepEqual(h.replay.queues, ['billing', 'tech_support', 'sales', 'retention']);
      await s.server.ctx.pipeline.idle();
      // Wait for the backfill to be scored, then inject and watch the live stream.
      const t0 = Date.now();
      const watching = readSse(
        `${s.url}/stream?backlog=0`,
        (ev) => ev.some((e) => e.event === 'anomaly' && JSON.parse(e.data).record.injected === 'outage'),
        { timeoutMs: 45_000 },
      );
      const inj = await post(`${s.url}/replay/incident`, { kind: 'outage', queue: 'tech_support', slots: 12 });
      assert.equal(inj.status, 202, JSON.stringify(inj.json));
      assert.equal(inj.json.queue, 'tech_support');
      const events = await watching;
      const scored = events.filter((e) => e.event === 'scored').map((e) => JSON.parse(e.data));
      assert.ok(scored.length >= 1, 'replayed records arrive live');
      assert.ok(scored.every((d) => d.source === 'replay'));
      const anomaly = events.find((e) => e.event === 'anomaly' && JSON.parse(e.data).record.injected === 'outage');
      assert.ok(anomaly, `an anomaly on the injected queue within ${Date.now() - t0} ms`);
      assert.equal(JSON.parse(anomaly!.data).record.queue, 'tech_support');
      assert.ok(Date.now() - t0 < 45_000); // seconds when the machine is quiet; room for a loaded one
      const bad = await post(`${s.url}/replay/incident`, { kind: 'meteor' });
      assert.equal(bad.status, 400);
    } finally {
      await s.close();
    }
  });
});
