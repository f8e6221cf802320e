/**
 * Worker pools (CX_SCORE_WORKERS, CX_STREAM_WORKERS): results do not depend on how many
 * workers there are. /score: every batch worker holds the same model (also after POST /train)
 * and answers the same JSON. Streaming: the segments split over several stream workers give
 * the same stored results, text for text (index and alertId renumbered as one stream), in
 * seq order, as one worker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renumberResult, StreamNumbering } from '../src/stream-numbering.ts';
import { SKEW_RECORDS } from '../src/model.ts';
import type { CxRecord } from '../src/engine.ts';
import { interval, post, startServer, type TestServer } from './helpers.ts';

describe('renumberResult', () => {
  const text = JSON.stringify({ index: 7, segment: 'a', score: 0.5, expected: { alertId: 3 }, imputed: [], alertId: 3, alertStart: true });

  test('splices index and alertId, the rest unchanged', () => {
    const out = renumberResult(text, 7, 12, 3, 9);
    assert.deepEqual(JSON.parse(out), { ...JSON.parse(text), index: 12, alertId: 9 });
    // The metric named alertId inside `expected` is not touched.
    assert.equal(JSON.parse(out).expected.alertId, 3);
  });

  test('same numbers: the same text', () => {
    assert.equal(renumberResult(text, 7, 7, 3, 3), text);
  });

  test('a text of another shape is parsed and written again', () => {
    const other = JSON.stringify({ score: 1, index: 4, alertStart: false, alertId: 2, extra: 1 });
    assert.deepEqual(JSON.parse(renumberResult(other, 4, 5, 2, 6)), { score: 1, index: 5, alertStart: false, alertId: 6, extra: 1 });
  });
});

describe('StreamNumbering', () => {
  test('one worker: every number unchanged', () => {
    const n = new StreamNumbering();
    const seen = [
      ['a', 40, 0, false],
      ['a', 41, 5, true],
      ['b', 42, 2, false], // alert opened before the install: kept
      ['a', 43, 5, false],
      ['b', 44, 6, true],
    ] as const;
    for (const [seg, i, id, start] of seen) assert.deepEqual(n.next(seg, i, id, start), { index: i, alertId: id });
  });

  test('two workers: positions and alert starts numbered in stream order', () => {
    const n = new StreamNumbering();
    // Worker 0 has a, worker 1 has b; both started at index 40, next alert id 5.
    assert.deepEqual(n.next('a', 40, 0, false), { index: 40, alertId: 0 });
    assert.deepEqual(n.next('b', 40, 5, true), { index: 41, alertId: 5 });
    assert.deepEqual(n.next('a', 41, 5, true), { index: 42, alertId: 6 });
    assert.deepEqual(n.next('b', 41, 5, false), { index: 43, alertId: 5 });
    assert.deepEqual(n.next('a', 42, 5, false), { index: 44, alertId: 6 });
    assert.deepEqual(n.next('a', 43, 2, false), { index: 45, alertId: 2 });
  });
});

const QUEUES = ['billing', 'sales', 'tech_support', 'retention', 'claims'];

/** Interval records of 5 queues in time order, with incidents (AHT spike, volume collapse) on two of them. */
function stream(from: number, slots: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < from + slots; i++) {
    for (const q of QUEUES) {
      const over: Record<string, unknown> = {};
      if (q === 'sales' && i % 40 >= 20 && i % 40 < 26) over.aht_avg = 2400;
      if (q === 'claims' && i % 40 >= 30 && i % 40 < 34) over.volume = 400;
      out.push(interval(i, q, over));
    }
  }
  return out;
}

async function ingestAll(s: TestServer, records: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < records.length; i += 45) {
    const r = await post(`${s.url}/ingest`, records.slice(i, i + 45));
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  await s.server.ctx.pipeline.idle();
}

async function storedResults(s: TestServer): Promise<{ seq: number; result: string }[]> {
  const out: { seq: number; result: string }[] = [];
  let since = 0;
  for (;;) {
    const page = await (await fetch(`${s.url}/records?since=${since}&limit=1000`)).json();
    for (const r of page.records) out.push({ seq: r.seq, result: JSON.stringify(r.result) });
    if (page.records.length < 1000) return out;
    since = page.next;
  }
}

describe('worker pools give the results of one worker', () => {
  let one: TestServer;
  let many: TestServer;
  before(async () => {
    [one, many] = await Promise.all([startServer({ scoreWorkers: 1, streamWorkers: 1 }), startServer({ scoreWorkers: 3, streamWorkers: 3 })]);
  });
  after(async () => {
    await Promise.all([one?.close(), many?.close()]);
  });

  test('/health says how many workers', async () => {
    const h = await (await fetch(`${many.url}/health`)).json();
    assert.equal(h.model.scoreWorkers, 3);
    assert.equal(h.model.streamWorkers, 3);
    assert.deepEqual(h.model.scoreInFlight, [0, 0, 0]);
  });

  test('/score: requests spread over the batch workers, each answering what one worker answers', async () => {
    const body = stream(500, 8);
    const want = await (await fetch(`${one.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).text();
    const m = many.server.ctx.model;
    const calls = [m.score(body as CxRecord[]), m.score(body.slice(0, 5) as CxRecord[]), m.score(body as CxRecord[])];
    // Least busy first: three calls at once went to three workers.
    assert.deepEqual(m.scoreInFlight, [40, 5, 40]);
    const got = await Promise.all(calls);
    assert.equal(`{"results":${got[0]}}`, want);
    assert.equal(got[2], got[0]);
    assert.deepEqual(JSON.parse(got[1]!), JSON.parse(got[0]!).slice(0, 5));
    assert.deepEqual(m.scoreInFlight, [0, 0, 0]);
    // Over HTTP, concurrent requests: all the same text.
    const texts = await Promise.all(
      Array.from({ length: 6 }, async () => (await fetch(`${many.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).text()),
    );
    for (const t of texts) assert.equal(t, want);
    // The JSON body goes to the worker as the text it came as; `{records}` and NDJSON bodies answer the same.
    const texts2: (string | undefined)[] = [];
    const score = m.score.bind(m);
    m.score = (records, text) => {
      texts2.push(text);
      return score(records, text);
    };
    await post(`${many.url}/score`, body);
    m.score = score;
    assert.equal(texts2[0], JSON.stringify(body));
    const wrapped = await post(`${many.url}/score`, { records: body });
    assert.equal(JSON.stringify(wrapped.json), want);
    const nd = await fetch(`${many.url}/score`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: body.map((r) => JSON.stringify(r)).join('\n') });
    assert.equal(await nd.text(), want);
  });

  test('/score: a large request is split by segment, each segment to its own worker, and answers what one worker answers', async () => {
    // 200 records of 5 queues, alerts on two of them (so the alert numbering is merged across parts).
    const body = stream(520, 40);
    const want = await (await fetch(`${one.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).text();
    const results = JSON.parse(want).results as { segment: string; alertId: number; alertStart: boolean }[];
    const starts = results.filter((r) => r.alertStart);
    assert.ok(new Set(starts.map((r) => r.segment)).size >= 2 && starts.length >= 3, `alerts on several queues in the sample (${starts.length})`);
    const m = many.server.ctx.model;
    const call = m.score(body as CxRecord[]);
    // Segments are placed at first sight, the fewest segments a worker (5 queues of 40 records: 80 / 80 / 40).
    const placed = [...m.scoreInFlight];
    assert.deepEqual([...placed].sort((a, b) => a - b), [40, 80, 80]);
    assert.equal(`{"results":${await call}}`, want);
    // Busy workers still take their segments' parts: with small requests in flight on all three
    // (least busy first: 5, 6, 7 records), the large one adds the same parts to each.
    const small = [m.score(body.slice(0, 5) as CxRecord[]), m.score(body.slice(0, 6) as CxRecord[]), m.score(body.slice(0, 7) as CxRecord[])];
    const big = m.score(body as CxRecord[]);
    assert.deepEqual(m.scoreInFlight, placed.map((n, k) => n + 5 + k));
    await Promise.all(small);
    assert.equal(`{"results":${await big}}`, want);
    // A worker far busier than another (SKEW_RECORDS more in flight) hands its parts to the least busy one.
    const hot = Array.from({ length: SKEW_RECORDS + 100 }, (_, i) => interval(1000 + i, 'billing', {}));
    const busy = m.score(hot as CxRecord[]);
    const loaded = m.scoreInFlight.indexOf(hot.length);
    assert.notEqual(loaded, -1, 'the single-segment request went whole to one worker');
    const again = m.score(body as CxRecord[]);
    const least = placed.map((_, k) => (k === loaded ? Infinity : k)).reduce((a, b) => (a < b ? a : b));
    const want2 = placed.map((n, k) => (k === loaded ? hot.length : k === least ? n + placed[loaded]! : n));
    assert.deepEqual(m.scoreInFlight, want2);
    await busy;
    assert.equal(`{"results":${await again}}`, want);
    // Over HTTP, one request at a time (split) and several at once: the same text.
    const texts = await Promise.all(
      Array.from({ length: 4 }, async () => (await fetch(`${many.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).text()),
    );
    for (const t of texts) assert.equal(t, want);
  });

  test('/score: a part that fails sends the request whole to one worker, so the error names the record as unsplit', async () => {
    // Past the HTTP validation (called on the model directly): record 157 (a claims row, one part) has text for a metric.
    const body = stream(600, 40);
    body[157] = { ...body[157], aht_avg: 'n/a' };
    const failure = async (p: Promise<string>): Promise<string> => p.then(() => 'resolved', (e: Error) => e.message);
    const want = await failure(one.server.ctx.model.score(body as CxRecord[]));
    assert.match(want, /row 158/);
    const m = many.server.ctx.model;
    const calls: string[] = [];
    const workers = (m as unknown as { batches: { call: (op: string, p: unknown) => Promise<unknown> }[] }).batches;
    const calls0 = workers.map((w) => w.call.bind(w));
    workers.forEach((w, k) => (w.call = (op, p) => (calls.push(op), calls0[k]!(op, p))));
    try {
      assert.equal(await failure(m.score(body as CxRecord[])), want);
    } finally {
      workers.forEach((w, k) => (w.call = calls0[k]!));
    }
    // Three parts tried (split), then the whole request once.
    assert.deepEqual(calls, ['scoreEach', 'scoreEach', 'scoreEach', 'score']);
    assert.deepEqual(m.scoreInFlight, [0, 0, 0]);
  });

  test('streaming: segments split over 3 workers store the same results, text for text, as 1 worker', async () => {
    const records = stream(0, 90);
    await Promise.all([ingestAll(one, records), ingestAll(many, records)]);
    const a = await storedResults(one);
    const b = await storedResults(many);
    assert.equal(a.length, records.length);
    assert.deepEqual(b, a);
    const results = a.map((r) => JSON.parse(r.result));
    // The data had alerts in two segments, numbered as one stream: distinct ids, increasing.
    const starts = results.filter((r) => r.alertStart);
    assert.ok(new Set(starts.map((r) => r.segment)).size >= 2, `alert starts in ${JSON.stringify(starts.map((r) => r.segment))}`);
    const ids = starts.map((r) => r.alertId);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    assert.equal(new Set(ids).size, ids.length);
    // Indexes are stream positions.
    for (let i = 1; i < results.length; i++) assert.equal(results[i].index, results[i - 1].index + 1);
  });

  test('after POST /train (the new model in every worker), still the same results', async () => {
    const [ta, tb] = await Promise.all([post(`${one.url}/train?wait=1`, ''), post(`${many.url}/train?wait=1`, '')]);
    assert.equal(ta.status, 200, JSON.stringify(ta.json));
    assert.equal(tb.status, 200, JSON.stringify(tb.json));
    const records = stream(90, 30);
    await Promise.all([ingestAll(one, records), ingestAll(many, records)]);
    assert.deepEqual(await storedResults(many), await storedResults(one));
    // Every batch worker scores with the new model: three at once, three workers, one answer.
    const body = stream(600, 4) as CxRecord[];
    const want = await one.server.ctx.model.score(body);
    const m = many.server.ctx.model;
    const got = await Promise.all([m.score(body), m.score(body), m.score(body)]);
    for (const g of got) assert.equal(g, want);
  });

  test('a record that cannot be scored costs only itself, with one worker or three', async () => {
    const rows = [interval(700, 'billing'), interval(700, 'sales'), { ...interval(700, 'claims'), queue: undefined }, interval(701, 'billing')].map((r) => ({
      record: JSON.stringify(r),
    }));
    const [a, b] = await Promise.all([one.server.ctx.model.update(rows), many.server.ctx.model.update(rows)]);
    for (const out of [a, b]) {
      assert.equal(out.json[2], null);
      assert.match(out.error[2]!, /no segment field "queue"/);
      for (const i of [0, 1, 3]) {
        assert.equal(out.error[i], null);
        assert.equal(typeof JSON.parse(out.json[i]!).score, 'number');
      }
    }
    assert.deepEqual(b, a);
  });

  test('overlapping update calls (the pipeline keeps two chunks in flight) give what one call after the other gives, a bad record included', async () => {
    const rows = (t0: number) =>
      [0, 1, 2].flatMap((dt) => QUEUES.map((q) => interval(t0 + dt, q))).map((r) => ({ record: JSON.stringify(r) }));
    const first = rows(800);
    // A record the detector refuses: its call falls back to record by record while the next call is already queued behind it.
    first.splice(5, 0, { record: JSON.stringify({ ...interval(800, 'claims'), queue: undefined }) });
    const second = rows(803);
    const a1 = await one.server.ctx.model.update(first);
    const a2 = await one.server.ctx.model.update(second);
    const [b1, b2] = await Promise.all([many.server.ctx.model.update(first), many.server.ctx.model.update(second)]);
    assert.match(b1.error[5]!, /no segment field "queue"/);
    assert.deepEqual(b1, a1);
    assert.deepEqual(b2, a2);
  });
});

describe('a stream worker that dies mid-part', () => {
  let s: TestServer;
  let single: TestServer;
  before(async () => {
    [s, single] = await Promise.all([startServer({ scoreWorkers: 1, streamWorkers: 2 }), startServer({ scoreWorkers: 1, streamWorkers: 1 })]);
  });
  after(async () => {
    await Promise.all([s?.close(), single?.close()]);
  });

  /** Stops stream worker k's thread right after it is sent its first part (as a crash would: not through WorkerRpc.terminate). */
  function killOnFirstPart(server: TestServer, k: number): { killed: () => boolean; victim: unknown } {
    const m = server.server.ctx.model as unknown as { streams: ({ call: (op: string, p: unknown) => Promise<unknown>; worker: { terminate(): Promise<number> } } | null)[] };
    const victim = m.streams[k]!;
    const call = victim.call.bind(victim);
    let killed = false;
    victim.call = (op, p) => {
      const answer = call(op, p);
      if (op === 'update' && !killed) {
        killed = true;
        void victim.worker.terminate();
      }
      return answer;
    };
    return { killed: () => killed, victim };
  }

  test('one stream worker: after its restart the Result indices continue the stream (consecutive, none repeated)', async () => {
    // Some records scored first, so the restarted worker (back at the model's numbers) is behind the stream.
    await ingestAll(single, stream(700, 30));
    const { killed } = killOnFirstPart(single, 0);
    await ingestAll(single, stream(730, 10));
    assert.ok(killed());
    const stored = await storedResults(single);
    assert.equal(stored.length, 40 * QUEUES.length);
    const index = stored.map((r) => (JSON.parse(r.result) as { index: number }).index);
    for (let i = 1; i < index.length; i++) assert.equal(index[i], index[0]! + i, `seq ${stored[i]!.seq}`);
  });

  test('its part is scored by the replacement worker: every record gets a result, none "could not be scored"', async () => {
    const m = s.server.ctx.model as unknown as { streams: unknown[] };
    const { killed, victim } = killOnFirstPart(s, 0);
    await ingestAll(s, stream(700, 30));
    assert.ok(killed(), 'the worker was stopped during a part');
    assert.notEqual(m.streams[0], victim, 'a replacement worker was started');
    const stored = await storedResults(s);
    assert.equal(stored.length, 30 * QUEUES.length);
    for (const r of stored) assert.doesNotMatch(r.result, /could not be scored/, `seq ${r.seq}`);
    for (const r of stored) assert.match(r.result, /^\{"index":\d+,/);
  });
});
