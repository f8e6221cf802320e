import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordError, vectorize, parseNumericValue } from '../src/features/vectorize.ts';
import { Imputer, columnMedian, imputedMetrics } from '../src/features/imputer.ts';
import { specFromColumns } from '../src/features/infer-spec.ts';
import { parseTime, formatTime, TimeParseError } from '../src/features/time.ts';
import { FieldSpecError, formatFieldSpec, fromModelScale, parseFieldSpec } from '../src/features/field-spec.ts';
import { parseCsv } from '../src/io/csv-parser.ts';

test('vectorize reads numbers and numeric strings; empty/null/undefined/NaN are missing', () => {
  const v = vectorize(
    [
      { aht: 300, csat: '4.5', vol: ' 12 ' },
      { aht: '1e3', csat: '', vol: null },
      { aht: -0.5, vol: '7' }, // csat absent in this record: missing
      { aht: NaN, csat: '  ', vol: 0 },
    ],
    'aht:high,csat:low,vol',
  );
  assert.deepEqual(v.columns, ['aht', 'csat', 'vol']);
  assert.equal(v.matrix.rows, 4);
  assert.equal(v.matrix.cols, 3);
  const d = Array.from(v.matrix.data, (x) => (Number.isNaN(x) ? null : x));
  assert.deepEqual(d, [300, 4.5, 12, 1000, null, null, -0.5, null, 7, null, null, 0]);
  assert.deepEqual(Array.from(v.missing), [0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0]);
});

test('vectorize: non-numeric text, Infinity, hex and booleans are errors naming row, line and field', () => {
  const bad: unknown[] = ['abc', '12x', 'NA', 'null', 'Infinity', '0x1F', true, Infinity, -Infinity, '1.2.3'];
  for (const value of bad) {
    assert.throws(
      () => vectorize([{ a: 1 }, { a: value }], 'a'),
      (e: unknown) => e instanceof RecordError && e.row === 2 && e.field === 'a' && /row 2, field "a"/.test(e.message),
      `value ${String(value)}`,
    );
  }
  const csv = parseCsv('t,aht\nx,1\ny,2\nz,oops\n');
  assert.throws(
    () => vectorize(csv, 'aht', { rowOffset: 100, source: 'data.csv' }),
    (e: unknown) => e instanceof RecordError && e.row === 103 && e.line === 4 && e.message === 'data.csv: row 103 (line 4), field "aht": "oops" is not a number',
  );
});

test('vectorize: missingTokens opt-in reads NA as missing', () => {
  const v = vectorize([{ a: 'NA' }, { a: '2' }], 'a', { missingTokens: ['NA'] });
  assert.deepEqual(Array.from(v.missing), [1, 0]);
});

test('vectorize: row tables and column tables give the same result as records', () => {
  const records = [
    { q: 'billing', aht: '300', csat: '' },
    { q: 'sales', aht: '200', csat: '5' },
  ];
  const fromRecords = vectorize(records, 'csat,aht');
  const fromRows = vectorize({ header: ['q', 'aht', 'csat'], rows: records.map((r) => [r.q, r.aht, r.csat]) }, 'csat,aht');
  const fromCols = vectorize({ columns: { aht: Float64Array.of(300, 200), csat: [null, 5] } }, 'csat,aht');
  for (const v of [fromRows, fromCols]) {
    assert.deepEqual(Array.from(v.missing), Array.from(fromRecords.missing));
    assert.deepEqual(Array.from(v.matrix.data), Array.from(fromRecords.matrix.data));
  }
});

test('vectorize: a field absent from the data lists the columns present', () => {
  assert.throws(() => vectorize({ header: ['a', 'b'], rows: [] }, 'a,zz'), (e: unknown) => e instanceof FieldSpecError && /"zz" not found in input; columns present: a, b/.test(e.message));
  assert.throws(() => vectorize([{ a: 1, b: 2 }], 'a,zz'), /"zz" not found in the records; columns present: a, b/);
  assert.throws(() => vectorize([{ a: 1 }], 'a:sideways'), FieldSpecError);
});

test('field spec: an optional log transform after the direction; canonical text keeps it; errors say what is allowed', () => {
  const spec = parseFieldSpec('aht_avg:high, aht_max:high:log ,spread:LOG');
  assert.deepEqual(spec.fields, [
    { name: 'aht_avg', direction: 'high' },
    { name: 'aht_max', direction: 'high', transform: 'log' },
    { name: 'spread', direction: 'both', transform: 'log' },
  ]);
  assert.equal(formatFieldSpec(spec), 'aht_avg:high,aht_max:high:log,spread:both:log');
  // Specs without a transform keep their canonical text (saved models hash the same).
  assert.equal(formatFieldSpec(parseFieldSpec('a:low,b')), 'a:low,b:both');
  assert.throws(() => parseFieldSpec('a:sqrt'), /field "a" has direction "sqrt", expected one of high, low, both \(then optionally a transform: log\)/);
  assert.throws(() => parseFieldSpec('a:high:log:log'), /direction "log"/);
  assert.throws(() => parseFieldSpec('aht_max:high:sqrt'), /field "aht_max" has transform "sqrt", expected one of log/);
});

test('vectorize: a log field is modelled as ln(1 + value); missing stays missing; a negative value is an error naming row and field', () => {
  const v = vectorize([{ a: 3, m: 0 }, { a: 4, m: Math.E - 1 }, { a: 5, m: null }], 'a,m:high:log');
  assert.deepEqual(Array.from(v.matrix.data.filter((_, i) => i % 2 === 1)).slice(0, 2), [0, 1]);
  assert.equal(v.matrix.data[0], 3);
  assert.ok(Number.isNaN(v.matrix.data[5]!) && v.missing[5] === 1);
  assert.throws(() => vectorize([{ a: 1, m: 2 }, { a: 1, m: -3 }], 'a,m:log'), (e: unknown) => e instanceof RecordError && /row 2/.test(e.message) && /"m"/.test(e.message) && /log scale/.test(e.message));
  assert.ok(Math.abs(fromModelScale('log', Math.log1p(812)) - 812) < 1e-9);
  assert.equal(fromModelScale(undefined, 812), 812);
});

test('parseNumericValue', () => {
  assert.equal(parseNumericValue(' 3 '), 3);
  assert.ok(Number.isNaN(parseNumericValue('')));
  assert.throws(() => parseNumericValue('3 4', 'x'), /field "x": "3 4" is not a number/);
});

test('Imputer batch: column medians of observed values; an all-missing column imputes 0 and is reported', () => {
  const v = vectorize(
    [
      { a: 1, b: '', c: '' },
      { a: 100, b: 4, c: '' },
      { a: '', b: 2, c: '' },
      { a: 3, b: 3, c: '' },
    ],
    'a,b,c',
  );
  const imp = new Imputer(v.columns).fit(v.matrix, v.missing);
  assert.deepEqual(Array.from(imp.imputeValues), [3, 3, 0]);
  assert.deepEqual(imp.emptyColumns, ['c']);
  const filled = imp.apply(v.matrix, v.missing);
  assert.equal(filled, 6);
  assert.deepEqual(Array.from(v.matrix.data), [1, 3, 0, 100, 4, 0, 3, 2, 0, 3, 3, 0]);
  // The mask is untouched: it still says what was imputed.
  assert.deepEqual(imputedMetrics(v.missing, v.columns, 0), ['b', 'c']);
  assert.deepEqual(imputedMetrics(v.missing, v.columns, 3), ['c']);
  // Even count: mean of the middle two.
  assert.equal(columnMedian({ data: Float64Array.of(4, 1, 3, 2), rows: 4, cols: 1 }, undefined, 0), 2.5);
});

test('Imputer streaming: last observed value per segment, else the training median; state round-trips', () => {
  const imp = new Imputer(['aht', 'csat'], { imputeValues: [300, 4], emptyColumns: [] });
  const row = new Float64Array(2);
  const run = (seg: string, aht: number, csat: number): number[] => {
    row[0] = aht;
    row[1] = csat;
    const miss = [Number.isNaN(aht) ? 1 : 0, Number.isNaN(csat) ? 1 : 0];
    imp.applyStreaming(row, miss, seg);
    return Array.from(row);
  };
  assert.deepEqual(run('billing', 200, NaN), [200, 4]); // never seen: median
  assert.deepEqual(run('billing', 210, 2), [210, 2]);
  assert.deepEqual(run('billing', NaN, NaN), [210, 2]); // last observed in billing
  assert.deepEqual(run('sales', NaN, NaN), [300, 4]); // other segment: its own memory
  const saved = imp.segmentState('billing')!;
  assert.deepEqual(saved, [210, 2]);
  const restored = Imputer.fromState(JSON.parse(JSON.stringify(imp.toState())));
  restored.setSegmentState('billing', saved);
  row[0] = NaN;
  row[1] = NaN;
  restored.applyStreaming(row, [1, 1], 'billing');
  assert.deepEqual(Array.from(row), [210, 2]);
  imp.forgetSegment('billing');
  assert.deepEqual(run('billing', NaN, NaN), [300, 4]);
});

test('specFromColumns: numeric columns except the excluded, others reported', () => {
  const { header, rows } = parseCsv(
    'timestamp,queue,interaction_id,aht,csat,transfers,label\n' +
      '2026-01-05T00:00:00Z,billing,ix-1,300,,0,0\n' +
      '2026-01-05T00:01:00Z,sales,ix-2,250,4,1,0\n',
  );
  const r = specFromColumns(header, ['label'], rows);
  assert.equal(formatFieldSpec(r.spec), 'aht:both,csat:both,transfers:both');
  assert.deepEqual(r.skipped.map((s) => s.name), ['timestamp', 'queue', 'interaction_id']);
  assert.match(r.skipped[1]!.reason, /not numeric \(row 1: "billing"\)/);
  assert.throws(() => specFromColumns(header, ['lable'], rows), /excluded column "lable" not found; columns present: timestamp, queue/);
  assert.throws(() => specFromColumns(['a', 'b'], ['a'], [['1', 'x']]), /no numeric column left/);
  // A column with no value at all in the sample is skipped, not guessed.
  const r2 = specFromColumns(['a', 'b'], [], [['1', ''], ['2', '']]);
  assert.deepEqual(r2.skipped, [{ name: 'b', reason: 'no value in the first 2 rows' }]);
});

test('parseTime: ISO with and without zone (UTC), epoch seconds and ms', () => {
  const t = Date.UTC(2026, 0, 5, 8, 15, 30);
  assert.equal(parseTime('2026-01-05T08:15:30Z'), t);
  assert.equal(parseTime('2026-01-05T08:15:30'), t);
  assert.equal(parseTime('2026-01-05 08:15:30.250'), t + 250);
  assert.equal(parseTime('2026-01-05T09:15:30+01:00'), t);
  assert.equal(parseTime('2026-01-05T03:15:30-0500'), t);
  assert.equal(parseTime('2026-01-05T08:15'), t - 30000);
  assert.equal(parseTime('2026-01-05'), Date.UTC(2026, 0, 5));
  assert.equal(parseTime(t), t);
  assert.equal(parseTime(t / 1000), t);
  assert.equal(parseTime(String(t / 1000)), t);
  assert.equal(parseTime(String(t)), t);
  assert.equal(parseTime(new Date(t)), t);
  assert.equal(formatTime(t), '2026-01-05T08:15:30Z');
  assert.equal(parseTime(formatTime(t + 5)), t + 5);
});

test('parseTime: errors name the value', () => {
  for (const bad of ['yesterday', '2026-02-30', '2026-13-01', '2026-01-05T8:15', '2026-01-05T08:15:30Zjunk', '', 'NaN']) {
    assert.throws(() => parseTime(bad), (e: unknown) => e instanceof TimeParseError && e.message.includes(JSON.stringify(bad)), bad);
  }
  assert.throws(() => parseTime(Infinity), TimeParseError);
  assert.throws(() => parseTime({}), TimeParseError);
});
