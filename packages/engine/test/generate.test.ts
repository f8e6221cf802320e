import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCxData, cxDataFiles, INCIDENT_KINDS, DEFAULT_QUEUES } from '../src/generate/cx-data.ts';
import { parseCsv } from '../src/io/csv-parser.ts';

const DAYS = 7;
const data = generateCxData({ days: DAYS, seed: 3 });

function col(table: { header: string[]; rows: string[][] }, name: string): string[] {
  const i = table.header.indexOf(name);
  assert.ok(i >= 0, `column ${name}`);
  return table.rows.map((r) => r[i]!);
}

test('same seed gives identical files, another seed different ones', () => {
  const a = cxDataFiles(generateCxData({ days: 3, seed: 11 }));
  const b = cxDataFiles(generateCxData({ days: 3, seed: 11 }));
  const c = cxDataFiles(generateCxData({ days: 3, seed: 12 }));
  assert.deepEqual(a, b);
  for (const name of Object.keys(a)) {
    if (name === 'incidents.json' || name.endsWith('labels.csv')) continue;
    assert.notEqual(a[name], c[name], name);
  }
});

test('the files parse back with the documented columns', () => {
  const files = cxDataFiles(data);
  assert.deepEqual(parseCsv(files['interactions.csv']!).header, ['timestamp', 'interaction_id', 'queue', 'channel', 'agent_id', 'aht_seconds', 'transfers', 'csat']);
  assert.deepEqual(parseCsv(files['intervals.csv']!).header, ['timestamp', 'queue', 'volume', 'aht_avg', 'transfer_rate', 'csat_avg', 'csat_responses', 'aht_max']);
  assert.equal(parseCsv(files['interactions.csv']!).rows.length, data.interactions.rows.length);
  assert.equal(JSON.parse(files['incidents.json']!).length, data.incidents.length);
});

test('interactions: sorted times, valid values, about 75% without CSAT', () => {
  const times = col(data.interactions, 'timestamp').map((t) => Date.parse(t));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `row ${i} out of order`);
  const csat = col(data.interactions, 'csat');
  const emptyShare = csat.filter((c) => c === '').length / csat.length;
  assert.ok(emptyShare > 0.71 && emptyShare < 0.79, `CSAT empty share ${emptyShare}`);
  for (const c of csat) if (c !== '') assert.ok(['1', '2', '3', '4', '5'].includes(c), c);
  for (const a of col(data.interactions, 'aht_seconds')) assert.ok(Number(a) >= 15 && Number.isInteger(Number(a)));
  for (const t of col(data.interactions, 'transfers')) assert.ok(Number.isInteger(Number(t)) && Number(t) >= 0);
  const ids = col(data.interactions, 'interaction_id');
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(data.interactions.rows.length > 10_000 && data.interactions.rows.length < 60_000, `${data.interactions.rows.length} rows for ${DAYS} days`);
});

test('intervals agree with the interactions', () => {
  const byKey = new Map<string, { n: number; aht: number; tr: number; cs: number; cn: number; max: number }>();
  const [ti, qi, ai, xi, ci] = ['timestamp', 'queue', 'aht_seconds', 'transfers', 'csat'].map((c) => data.interactions.header.indexOf(c));
  for (const r of data.interactions.rows) {
    const t = Date.parse(r[ti!]!);
    const slot = new Date(t - (t % 900_000)).toISOString().replace('.000Z', 'Z');
    const k = `${slot}|${r[qi!]}`;
    const e = byKey.get(k) ?? { n: 0, aht: 0, tr: 0, cs: 0, cn: 0, max: 0 };
    e.n++;
    e.aht += Number(r[ai!]);
    e.max = Math.max(e.max, Number(r[ai!]));
    if (Number(r[xi!]) > 0) e.tr++;
    if (r[ci!] !== '') {
      e.cs += Number(r[ci!]);
      e.cn++;
    }
    byKey.set(k, e);
  }
  assert.equal(data.intervals.rows.length, DAYS * 96 * DEFAULT_QUEUES.length);
  for (const [ts, q, vol, aht, tr, cs, cn, max] of data.intervals.rows) {
    const e = byKey.get(`${ts}|${q}`) ?? { n: 0, aht: 0, tr: 0, cs: 0, cn: 0, max: 0 };
    assert.equal(Number(vol), e.n);
    assert.equal(Number(cn), e.cn);
    // aht_max: the longest contact of the interval, exactly (integer seconds).
    assert.equal(max, e.n === 0 ? '' : String(e.max));
    if (e.n === 0) assert.equal(aht, '');
    else {
      assert.ok(Math.abs(Number(aht) - e.aht / e.n) <= 0.05 + 1e-9);
      assert.ok(Math.abs(Number(tr) - e.tr / e.n) <= 0.00005 + 1e-9);
    }
    if (e.cn === 0) assert.equal(cs, '');
    else assert.ok(Math.abs(Number(cs) - e.cs / e.cn) <= 0.005 + 1e-9);
  }
});

test('daily and weekly seasonality: busy afternoons, quiet nights and weekends', () => {
  const perHour = new Float64Array(24);
  const perWeekday = new Float64Array(7);
  const labels = col(data.intervalLabels, 'label');
  data.intervals.rows.forEach((r, i) => {
    if (labels[i] === '1') return;
    const d = new Date(r[0]!);
    perHour[d.getUTCHours()]! += Number(r[2]);
    perWeekday[(d.getUTCDay() + 6) % 7]! += Number(r[2]);
  });
  assert.ok(perHour[10]! > 8 * perHour[3]!, `10h ${perHour[10]} vs 3h ${perHour[3]}`);
  assert.ok(perHour[15]! > 5 * perHour[23]!);
  const weekday = (perWeekday[0]! + perWeekday[1]! + perWeekday[2]!) / 3;
  const weekend = (perWeekday[5]! + perWeekday[6]!) / 2;
  assert.ok(weekend < 0.6 * weekday, `weekend ${weekend} vs weekday ${weekday}`);
});

test('incidents: every kind present, none in the first two days, labels match the incident windows', () => {
  const kinds = new Set(data.incidents.map((i) => i.kind));
  for (const k of INCIDENT_KINDS) assert.ok(kinds.has(k), `missing kind ${k}`);
  const start = Date.UTC(2026, 0, 5);
  for (const inc of data.incidents) {
    assert.ok(Date.parse(inc.start) >= start + 2 * 86_400_000, `${inc.id} starts in the warm-up`);
    assert.ok(Date.parse(inc.end) > Date.parse(inc.start));
    assert.ok(inc.description.length > 10);
  }
  const labelled = new Set(data.intervalLabels.rows.filter((r) => r[2] === '1').map((r) => r[3]));
  for (const inc of data.incidents) assert.ok(labelled.has(inc.id), `${inc.id} has no labelled interval`);
  // Interval labels are 1 exactly inside an incident window of that queue.
  data.intervalLabels.rows.forEach(([ts, q, label, id]) => {
    const t = Date.parse(ts!);
    const inc = data.incidents.find((i) => i.queue === q && Date.parse(i.start) <= t && t < Date.parse(i.end));
    assert.equal(label, inc ? '1' : '0', `${ts} ${q}`);
    if (inc) assert.equal(id, inc.id);
  });
  // Each single-interaction incident names a labelled interaction with an absurd AHT.
  const ahtById = new Map(data.interactions.rows.map((r) => [r[1]!, Number(r[5])]));
  const labelById = new Map(data.interactionLabels.rows.map((r) => [r[0]!, r]));
  for (const inc of data.incidents.filter((i) => i.kind === 'single_interaction')) {
    assert.ok(inc.interactionId);
    assert.ok(ahtById.get(inc.interactionId)! >= 7200);
    assert.deepEqual(labelById.get(inc.interactionId)!.slice(1), ['1', inc.id, 'single_interaction']);
  }
});

test('incidents are visible in the interval metrics', () => {
  const h = data.intervals.header;
  const idx = (c: string): number => h.indexOf(c);
  const labels = data.intervalLabels.rows;
  const mean = (kind: string | null, queue: string, c: string, hours: [number, number]): number => {
    let s = 0;
    let n = 0;
    data.intervals.rows.forEach((r, i) => {
      const hr = new Date(r[0]!).getUTCHours();
      if (r[1] !== queue || hr < hours[0] || hr >= hours[1] || r[idx(c)] === '') return;
      const lab = labels[i]!;
      if (kind === null ? lab[2] !== '0' : lab[4] !== kind) return;
      s += Number(r[idx(c)]);
      n++;
    });
    return s / n;
  };
  const check = (kind: string, metric: string, cmp: (inc: number, base: number) => boolean): void => {
    for (const inc of data.incidents.filter((i) => i.kind === kind)) {
      const v = mean(kind, inc.queue, metric, [9, 18]);
      const base = mean(null, inc.queue, metric, [9, 18]);
      assert.ok(cmp(v, base), `${inc.id} ${kind} on ${inc.queue}: ${metric} ${v.toFixed(3)} vs normal ${base.toFixed(3)}`);
    }
  };
  check('outage', 'aht_avg', (v, b) => v > 1.5 * b);
  check('aht_spike', 'aht_avg', (v, b) => v > 1.6 * b);
  check('transfer_surge', 'transfer_rate', (v, b) => v > 2.5 * b);
  check('csat_drop', 'csat_avg', (v, b) => v < b - 1);
  check('volume_collapse', 'volume', (v, b) => v < 0.6 * b);
});
