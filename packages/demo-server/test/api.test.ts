/**
 * The HTTP API against a real server on a loopback port: every endpoint, auth, CORS,
 * body limit, SSE resume and cap, and every kind of malformed body (400, nothing written).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector } from '@cx-anomaly/engine';
import { readFileSync } from 'node:fs';
import { FIELDS, interval, post, readSse, startServer, type TestServer } from './helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ALLOWED = 'https://dashboard.example.com';

let s: TestServer;
const count = (): number => s.server.ctx.store.count();

before(async () => {
  s = await startServer({ ingestToken: TOKEN, corsOrigins: [ALLOWED], maxSseClients: 2 });
});
after(async () => {
  await s?.close();
});

describe('health, page, widget files, metrics', () => {
  test('GET /health reports the default model', async () => {
    const h = await (await fetch(`${s.url}/health`)).json();
    assert.equal(h.status, 'ok');
    assert.equal(h.model.ready, true);
    assert.equal(h.model.source, 'generated');
    assert.ok(h.model.records > 0);
    assert.equal(h.replay.on, false);
  });

  test('the streaming scorer thread runs at a lower CPU priority (CX_SCORING_NICE, default 10)', { skip: process.platform !== 'linux' && 'per-thread priorities are Linux only' }, async () => {
    const h = await (await fetch(`${s.url}/health`)).json();
    const m = /^nice 10 \(thread (\d+)\)$/.exec(h.model.streamScorerPriority);
    assert.ok(m, `streamScorerPriority: ${h.model.streamScorerPriority}`);
    // The kernel's own record of that thread (field 19 of /proc/<pid>/task/<tid>/stat: nice).
    const stat = readFileSync(`/proc/self/task/${m[1]}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]), 10);
    // This thread (requests, store) keeps the normal priority.
    const own = readFileSync('/proc/thread-self/stat', 'utf8');
    assert.equal(Number(own.slice(own.lastIndexOf(')') + 2).split(' ')[16]), 0);
  });

  test('GET / is the demo page with the widget on /stream, under a CSP', async () => {
    const res = await fetch(`${s.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.match(res.headers.get('content-security-policy')!, /default-src 'self'/);
    const html = await res.text();
    assert.match(html, /<cx-anomaly-widget[^>]* stream="\/stream"/);
    assert.ok(html.includes(`metrics="${FIELDS}"`), 'the default CX_FIELDS, aht_max:high:log included');
    assert.match(html, /src="\/widget\/cx-anomaly-widget\.iife\.js"/);
  });

  test('GET /widget/* serves only plain file names', async () => {
    for (const bad of ['..%2F..%2Fpackage.json', '%2E%2E/src/index.ts', 'x.sh']) {
      assert.equal((await fetch(`${s.url}/widget/${bad}`)).status, 404, bad);
    }
  });

  test('GET /metrics is Prometheus text', async () => {
    const res = await fetch(`${s.url}/metrics`);
    assert.match(res.headers.get('content-type')!, /text\/plain/);
    const text = await res.text();
    for (const name of ['cx_http_requests_total', 'cx_records_ingested_total', 'cx_anomalies_total', 'cx_sse_clients', 'cx_model_age_seconds']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });
});

describe('POST /ingest', () => {
  test('a JSON array is written, acknowledged with seqs, then scored', async () => {
    const before = count();
    const r = await post(`${s.url}/ingest`, [interval(1), interval(2, 'sales')], AUTH);
    assert.equal(r.status, 201);
    assert.equal(r.json.count, 2);
    assert.equal(r.json.written, 2);
    assert.equal(r.json.seqs.length, 2);
    assert.ok(r.json.seqs[1] > r.json.seqs[0]);
    assert.equal(count(), before + 2);
    await s.server.ctx.pipeline.idle();
    const rec = await (await fetch(`${s.url}/records?since=${r.json.seqs[0] - 1}&limit=2`)).json();
    assert.deepEqual(rec.records.map((x: { seq: number }) => x.seq), r.json.seqs);
    assert.equal(rec.records[1].record.queue, 'sales');
    assert.equal(typeof rec.records[0].result.score, 'number');
    assert.equal(rec.records[0].result.segment, 'billing');
  });

  test('a record that leaves metric fields out, sent alone, is scored (it was stored as "could not be scored")', async () => {
    const r = await post(`${s.url}/ingest`, [{ timestamp: '2026-01-20T11:00:00Z', queue: 'billing', volume: 40 }], AUTH);
    assert.equal(r.status, 201);
    await s.server.ctx.pipeline.idle();
    const rec = await (await fetch(`${s.url}/records?since=${r.json.seqs[0] - 1}&limit=1`)).json();
    assert.equal(typeof rec.records[0].result.score, 'number', JSON.stringify(rec.records[0].result));
    assert.ok(rec.records[0].result.imputed.includes('aht_avg'));
  });

  test('NDJSON and CSV bodies', async () => {
    const nd = [interval(3), interval(4)].map((x) => JSON.stringify(x)).join('\n') + '\n';
    const a = await post(`${s.url}/ingest`, nd, { ...AUTH, 'content-type': 'application/x-ndjson' });
    assert.equal(a.status, 201, JSON.stringify(a.json));
    assert.equal(a.json.written, 2);
    const csv = 'timestamp,queue,volume,aht_avg,transfer_rate,csat_avg,aht_max\n2026-01-06T10:00:00Z,billing,40,331.5,0.07,,7260\n2026-01-06T10:15:00Z,billing,41,329,0.06,4.3,\n';
    const b = await post(`${s.url}/ingest`, csv, { ...AUTH, 'content-type': 'text/csv' });
    assert.equal(b.status, 201, JSON.stringify(b.json));
    const rows = await (await fetch(`${s.url}/records?since=${b.json.seqs[0] - 1}&limit=2`)).json();
    assert.equal(rows.records[0].record.aht_avg, 331.5);
    assert.equal(rows.records[0].record.csat_avg, null);
    assert.equal(rows.records[1].record.csat_avg, 4.3);
    // aht_max is a metric of the default fields: a number, or null when empty.
    assert.equal(rows.records[0].record.aht_max, 7260);
    assert.equal(rows.records[1].record.aht_max, null);
  });

  test('client ids make retries idempotent: no duplicates, the original seqs come back', async () => {
    const batch = [interval(10, 'billing', { id: 'c-1' }), interval(11, 'billing', { id: 'c-2' })];
    const first = await post(`${s.url}/ingest`, batch, AUTH);
    assert.equal(first.json.written, 2);
    const n = count();
    const again = await post(`${s.url}/ingest`, [...batch, interval(12, 'billing', { id: 'c-3' }), interval(12, 'billing', { id: 'c-3' })], AUTH);
    assert.equal(again.status, 201);
    assert.equal(again.json.written, 1);
    assert.equal(again.json.duplicates, 3);
    assert.deepEqual(again.json.seqs.slice(0, 2), first.json.seqs);
    assert.equal(again.json.seqs[3], again.json.seqs[2]);
    assert.equal(count(), n + 1);
  });

  test('auth: a missing or wrong bearer token is 401, nothing written', async () => {
    const n = count();
    const none = await post(`${s.url}/ingest`, [interval(1)]);
    assert.equal(none.status, 401);
    assert.match(none.json.message, /Authorization: Bearer/);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="cx-anomaly"');
    const wrong = await post(`${s.url}/ingest`, [interval(1)], { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal((await post(`${s.url}/train`, {}, { authorization: `Bearer ${TOKEN}x` })).status, 401);
    assert.equal(count(), n);
  });
});

describe('malformed bodies: 400 saying what and where, nothing written', () => {
  const cases: [string, string, string, RegExp][] = [
    ['broken JSON', 'application/json', '[{"timestamp": "2026-01-05T00:00:00Z", "aht_avg": 3,}]', /invalid JSON body: .*line 1, column/],
    ['a string in a numeric field', 'application/json', JSON.stringify([interval(1), interval(2, 'billing', { aht_avg: '12' })]), /body\/1\/aht_avg must be number,null/],
    ['a string in aht_max', 'application/json', JSON.stringify([interval(1), interval(2, 'billing', { aht_max: '7200' })]), /body\/1\/aht_max must be number,null/],
    ['a negative value of a log-scale metric', 'application/json', JSON.stringify([interval(1), interval(2, 'billing', { aht_max: -5 })]), /record 1 \(body\/1\/aht_max\): -5 is negative, and CX_FIELDS models aht_max on a log scale/],
    ['NaN as text', 'application/json', JSON.stringify([interval(1, 'billing', { volume: 'NaN' })]), /body\/0\/volume must be number,null/],
    ['a number too large for a double (Infinity)', 'application/json', '[{"timestamp":"2026-01-05T00:00:00Z","aht_avg":1e999}]', /body\/0\/aht_avg must be number,null/],
    ['the time field missing', 'application/json', JSON.stringify([interval(1), { queue: 'billing', aht_avg: 300 }]), /body\/1 must have required property 'timestamp'/],
    ['an unreadable time', 'application/json', JSON.stringify([interval(1, 'billing', { timestamp: 'yesterday' })]), /record 0 \(body\/0\/timestamp\): cannot read time "yesterday"/],
    ['no metric at all', 'application/json', JSON.stringify([{ timestamp: '2026-01-05T00:00:00Z', queue: 'billing' }]), /has none of the metric fields/],
    ['10,000 fields', 'application/json', JSON.stringify([Object.fromEntries([['timestamp', '2026-01-05T00:00:00Z'], ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i])])]), /body\/0 must NOT have more than 64 properties/],
    ['deep nesting', 'application/json', `[{"timestamp":"2026-01-05T00:00:00Z","aht_avg":1,"x":${'['.repeat(5000)}${']'.repeat(5000)}}]`, /body\/0\/x must be string,number,boolean,null/],
    ['an object instead of an array', 'application/json', JSON.stringify(interval(1)), /body must be array/],
    ['an empty array', 'application/json', '[]', /body must NOT have fewer than 1 items/],
    ['an empty body', 'application/json', '', /body must be array/],
    ['NDJSON with a broken line', 'application/x-ndjson', `${JSON.stringify(interval(1))}\n{"timestamp": oops}\n`, /invalid NDJSON at line 2/],
    ['NDJSON with an array line', 'application/x-ndjson', `${JSON.stringify(interval(1))}\n[1,2]\n`, /line 2: expected one JSON object per line/],
    ['CSV with a ragged row', 'text/csv', 'timestamp,queue,aht_avg\n2026-01-05T00:00:00Z,billing,300\n2026-01-05T00:15:00Z,billing\n', /line 3: row has 2 fields, expected 3/],
    ['CSV with NaN in a metric', 'text/csv', 'timestamp,queue,aht_avg\n2026-01-05T00:00:00Z,billing,300\n2026-01-05T00:15:00Z,billing,NaN\n', /line 3, column "aht_avg": "NaN" is not a number/],
    ['CSV with text in a metric', 'text/csv', 'timestamp,queue,aht_avg\n2026-01-05T00:00:00Z,billing,12x\n', /line 2, column "aht_avg": "12x" is not a number/],
  ];
  for (const [name, type, body, message] of cases) {
    test(name, async () => {
      const n = count();
      const r = await post(`${s.url}/ingest`, body, { ...AUTH, 'content-type': type });
      assert.equal(r.status, 400, JSON.stringify(r.json).slice(0, 300));
      assert.match(r.json.message, message);
      assert.equal(count(), n, 'nothing written');
      // /score validates the same way.
      const sc = await post(`${s.url}/score`, body, { 'content-type': type });
      assert.equal(sc.status, 400);
    });
  }

  test('a bad record at the end of a batch rejects the whole batch', async () => {
    const n = count();
    const batch = [...Array.from({ length: 50 }, (_, i) => interval(i)), interval(51, 'billing', { transfer_rate: true })];
    const r = await post(`${s.url}/ingest`, batch, AUTH);
    assert.equal(r.status, 400);
    assert.match(r.json.message, /body\/50\/transfer_rate/);
    assert.equal(count(), n);
  });

  test('an unsupported content-type is 415', async () => {
    const r = await post(`${s.url}/ingest`, '<x/>', { ...AUTH, 'content-type': 'application/xml' });
    assert.equal(r.status, 415);
    assert.match(r.json.message, /application\/json, application\/x-ndjson or text\/csv/);
  });

  test('a body over CX_BODY_LIMIT is 413', async () => {
    const big = JSON.stringify(Array.from({ length: 9000 }, (_, i) => interval(i, 'billing', { note: 'x'.repeat(80) })));
    assert.ok(big.length > 1024 * 1024);
    const r = await post(`${s.url}/ingest`, big, AUTH);
    assert.equal(r.status, 413);
    assert.match(r.json.message, /limit of 1048576 bytes \(CX_BODY_LIMIT\)/);
  });
});

describe('POST /score', () => {
  test('scores an array or {records} in request order and stores nothing', async () => {
    const n = count();
    // Daytime slots (11:00 UTC): the default model's hourly baseline knows ~40 contacts there (at 05:00 it expects ~5, so a volume of 46 is itself unusual).
    const batch = [interval(44), interval(45, 'sales'), interval(46, 'billing', { aht_avg: 2400, transfer_rate: 0.6, csat_avg: 1.5 })];
    const a = await post(`${s.url}/score`, batch);
    assert.equal(a.status, 200);
    assert.equal(a.json.results.length, 3);
    assert.deepEqual(a.json.results.map((r: { index: number }) => r.index), [0, 1, 2]);
    assert.deepEqual(a.json.results.map((r: { segment: string }) => r.segment), ['billing', 'sales', 'billing']);
    for (const r of a.json.results) {
      assert.ok(r.score >= 0 && r.score <= 1);
      assert.equal(typeof r.isAnomaly, 'boolean');
      assert.ok(r.attribution.aht_avg);
    }
    assert.ok(a.json.results[2].score > a.json.results[0].score, 'the extreme record scores higher');
    const b = await post(`${s.url}/score`, { records: batch });
    assert.deepEqual(b.json.results.map((r: { score: number }) => r.score), a.json.results.map((r: { score: number }) => r.score));
    assert.equal(count(), n);
  });

  test('a record that leaves metric fields out is scored with them imputed, alone or among complete ones', async () => {
    // Validation lets an interval record leave metric fields out (missing, as null is). Alone, such a
    // record was refused by the engine ("fields ... not found in the records"): /score answered 500.
    const partial = { timestamp: '2026-03-02T11:00:00Z', queue: 'billing', volume: 44 };
    const alone = await post(`${s.url}/score`, [partial]);
    assert.equal(alone.status, 200, JSON.stringify(alone.json));
    assert.deepEqual([...alone.json.results[0].imputed].sort(), ['aht_avg', 'aht_max', 'csat_avg', 'transfer_rate']);
    const mixed = await post(`${s.url}/score`, [partial, interval(45, 'sales')]);
    assert.equal(mixed.json.results[0].score, alone.json.results[0].score, 'the same score however it is batched');
  });

  test('up to 10,000 records; more is refused with a message', async () => {
    const rec = (i: number): Record<string, unknown> => ({ timestamp: 1767571200 + i * 900, aht_avg: 300 });
    const over = await post(`${s.url}/score`, Array.from({ length: 10_001 }, (_, i) => rec(i)));
    assert.equal(over.status, 400);
    assert.match(over.json.message, /body must NOT have more than 10000 items/);
  });

  test('needs no token', async () => {
    assert.equal((await post(`${s.url}/score`, [interval(1)])).status, 200);
  });
});

describe('CORS', () => {
  test('an allowed origin gets CORS headers, others none', async () => {
    const pre = await fetch(`${s.url}/score`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), ALLOWED);
    const ok = await fetch(`${s.url}/health`, { headers: { origin: ALLOWED } });
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    const other = await fetch(`${s.url}/health`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('GET /records, /model, POST /train', () => {
  test('paging: since, limit, offset; bad parameters are 400', async () => {
    const all = await (await fetch(`${s.url}/records?limit=1000`)).json();
    assert.ok(all.records.length >= 4);
    const seqs: number[] = all.records.map((r: { seq: number }) => r.seq);
    assert.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'oldest first');
    const page = await (await fetch(`${s.url}/records?since=${seqs[0]}&limit=2&offset=1`)).json();
    assert.deepEqual(page.records.map((r: { seq: number }) => r.seq), seqs.slice(2, 4));
    assert.equal(page.next, seqs[3]);
    for (const q of ['limit=0', 'limit=5000', 'since=-1', 'offset=abc']) {
      const r = await fetch(`${s.url}/records?${q}`);
      assert.equal(r.status, 400, q);
      assert.match((await r.json()).message, /query parameter/);
    }
  });

  test('GET /model is a model file the engine loads', async () => {
    const res = await fetch(`${s.url}/model`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const det = AnomalyDetector.load(bytes);
    assert.equal(det.score([interval(5)]).length, 1);
  });

  test('POST /train retrains from the store in a worker and swaps the model', async () => {
    const batch = Array.from({ length: 120 }, (_, i) => interval(100 + i, i % 2 ? 'billing' : 'sales'));
    assert.equal((await post(`${s.url}/ingest`, batch, AUTH)).status, 201);
    await s.server.ctx.pipeline.idle();
    const started = await post(`${s.url}/train`, '', AUTH);
    assert.equal(started.status, 202);
    // Requests are answered while the worker trains.
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    const r = await post(`${s.url}/train?wait=1`, '', AUTH);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.model.source, 'store');
    assert.ok(r.json.model.records >= 120);
    const h = await (await fetch(`${s.url}/health`)).json();
    assert.equal(h.model.source, 'store');
    assert.equal((await post(`${s.url}/score`, [interval(1)])).status, 200);
  });
});

describe('GET /stream', () => {
  test('Last-Event-ID resumes from the store, then live events follow, in seq order', async () => {
    const first = await post(`${s.url}/ingest`, [interval(300), interval(301), interval(302)], AUTH);
    await s.server.ctx.pipeline.idle();
    const from = first.json.seqs[0];
    const liveWanted = first.json.seqs[2] + 2;
    const pending = readSse(`${s.url}/stream`, (ev) => ev.some((e) => e.id === String(liveWanted)), { headers: { 'last-event-id': String(from) } });
    setTimeout(() => void post(`${s.url}/ingest`, [interval(303), interval(304)], AUTH), 300);
    const events = (await pending).filter((e) => e.event === 'scored');
    const ids = events.map((e) => Number(e.id));
    assert.deepEqual(ids, [from + 1, from + 2, from + 3, from + 4]);
    const d = JSON.parse(events[0]!.data);
    assert.equal(d.seq, from + 1);
    assert.equal(d.record.timestamp, interval(301).timestamp);
    assert.equal(typeof d.result.score, 'number');
  });

  test('an anomaly gets its own event', async () => {
    const pending = readSse(`${s.url}/stream?backlog=0`, (ev) => ev.some((e) => e.event === 'anomaly'), { timeoutMs: 8000 });
    await new Promise((r) => setTimeout(r, 200));
    const wild = Array.from({ length: 6 }, (_, i) => interval(400 + i, 'billing', { aht_avg: 5000 + i * 100, transfer_rate: 0.9, csat_avg: 1, volume: 400 }));
    await post(`${s.url}/ingest`, wild, AUTH);
    const events = await pending;
    const anomaly = events.find((e) => e.event === 'anomaly');
    assert.ok(anomaly, 'an anomaly event arrived');
    assert.equal(JSON.parse(anomaly!.data).result.isAnomaly, true);
  });

  test('a bad Last-Event-ID is 400; clients beyond CX_MAX_SSE_CLIENTS get 503', async () => {
    assert.equal((await fetch(`${s.url}/stream`, { headers: { 'last-event-id': 'abc' } })).status, 400);
    const acs = [new AbortController(), new AbortController()];
    const open = await Promise.all(acs.map((ac) => fetch(`${s.url}/stream?backlog=0`, { signal: ac.signal })));
    assert.deepEqual(open.map((r) => r.status), [200, 200]);
    const third = await fetch(`${s.url}/stream`);
    assert.equal(third.status, 503);
    assert.match((await third.json()).message, /CX_MAX_SSE_CLIENTS=2/);
    for (const ac of acs) ac.abort();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.server.ctx.hub.size, 0);
  });
});
