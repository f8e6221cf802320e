/**
 * The `cx-anomaly` CLI on small generated data: generate, train -> score round
 * trip, score without a model, streaming, and bad input (each: exit status 2
 * and exactly one `cx-anomaly: error:` line on stderr).
 *
 * The real program runs as a subprocess for the main paths and a few error
 * cases; the many other error cases call the same `run(argv)` in this process
 * (with stdout/stderr captured), because every subprocess pays ~1 s of tsx
 * start-up on this 2-core machine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '../src/io/csv-parser.ts';
import { runCliInProcess, type CliRun as Run } from './support/cli-in-process.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = 'packages/engine/src/cli/main.ts';

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', MAIN, ...args],
      { cwd: root, env: { ...process.env, CX_DEBUG: '', ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

const inProcess = runCliInProcess;

let dir = '';
let data = '';
const FIELDS = 'aht_avg:high,csat_avg:low,transfer_rate:high,volume';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-cli-'));
  data = join(dir, 'gen');
  const r = await cli(['generate', '--out', data, '--days', '4', '--seed', '5']);
  assert.equal(r.code, 0, r.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('generate: same seed -> identical files, another seed -> different; data properties', async () => {
  const again = join(dir, 'again');
  const other = join(dir, 'other');
  const a = await inProcess(['generate', '--out', again, '--days', '4', '--seed', '5']);
  const b = await inProcess(['generate', '--out', other, '--days', '4', '--seed', '6']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(a.stdout, /interactions, .* intervals, .* incidents/);
  const files = readdirSync(data).sort();
  assert.deepEqual(files, ['incidents.json', 'interaction_labels.csv', 'interactions.csv', 'interval_labels.csv', 'intervals.csv']);
  for (const f of files) assert.equal(readFileSync(join(again, f), 'utf8'), readFileSync(join(data, f), 'utf8'), f);
  assert.notEqual(readFileSync(join(other, 'interactions.csv'), 'utf8'), readFileSync(join(data, 'interactions.csv'), 'utf8'));

  const interactions = parseCsv(readFileSync(join(data, 'interactions.csv'), 'utf8'));
  const csat = interactions.header.indexOf('csat');
  const empty = interactions.rows.filter((r) => r[csat] === '').length / interactions.rows.length;
  assert.ok(empty > 0.7 && empty < 0.8, `CSAT empty share ${empty}`);
  const incidents = JSON.parse(readFileSync(join(data, 'incidents.json'), 'utf8')) as { kind: string; id: string }[];
  const labels = parseCsv(readFileSync(join(data, 'interval_labels.csv'), 'utf8'));
  const kinds = new Set(labels.rows.filter((r) => r[2] === '1').map((r) => r[4]));
  for (const k of ['outage', 'csat_drop', 'transfer_surge', 'aht_spike', 'volume_collapse', 'level_shift', 'single_interaction']) {
    assert.ok(kinds.has(k), `no labelled interval of kind ${k}`);
    assert.ok(incidents.some((i) => i.kind === k), `no incident of kind ${k}`);
  }
  // Seasonality: afternoon volume well above night volume.
  const intervals = parseCsv(readFileSync(join(data, 'intervals.csv'), 'utf8'));
  const byHour = new Float64Array(24);
  for (const r of intervals.rows) byHour[Number(r[0]!.slice(11, 13))]! += Number(r[2]);
  assert.ok(byHour[14]! > 5 * byHour[3]!, `14h ${byHour[14]} vs 3h ${byHour[3]}`);
});

test('train then score: one output row per input row, valid columns, deterministic, equal to score without a model', async () => {
  const input = join(data, 'intervals.csv');
  const model = join(dir, 'if.cxm');
  const t = await cli(['train', '--input', input, '--fields', FIELDS, '--detector', 'iforest', '--seed', '3', '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /trained iforest on 1536 rows/);
  const s1 = await cli(['score', '--input', input, '--model', model, '--out', join(dir, 's1.csv')]);
  const s2 = await inProcess(['score', '--input', input, '--model', model]);
  const s3 = await inProcess(['score', '--input', input, '--fields', FIELDS, '--detector', 'iforest', '--seed', '3', '--out', join(dir, 's3.csv')]);
  for (const r of [s1, s2, s3]) assert.equal(r.code, 0, r.stderr);
  assert.equal(s2.stderr, '');
  const out = readFileSync(join(dir, 's1.csv'), 'utf8');
  assert.equal(s2.stdout, out, 'stdout and --out give the same CSV');
  assert.equal(readFileSync(join(dir, 's3.csv'), 'utf8'), out, 'score without --model fits the same model on the same rows');
  const inCsv = parseCsv(readFileSync(input, 'utf8'));
  const got = parseCsv(out);
  assert.deepEqual(got.header.slice(0, inCsv.header.length), inCsv.header);
  assert.deepEqual(got.header.slice(inCsv.header.length), [
    'score', 'is_anomaly', 'grade', 'if_score', 'top_metric', 'top_direction',
    'expected_aht_avg', 'expected_csat_avg', 'expected_transfer_rate', 'expected_volume', 'imputed',
  ]);
  assert.equal(got.rows.length, inCsv.rows.length);
  const col = (n: string): number => got.header.indexOf(n);
  let anomalies = 0;
  got.rows.forEach((r, i) => {
    assert.deepEqual(r.slice(0, inCsv.header.length), inCsv.rows[i], `row ${i + 1} keeps its input columns`);
    const score = Number(r[col('score')]);
    assert.ok(score >= 0 && score <= 1, `score ${score}`);
    assert.ok(r[col('is_anomaly')] === '0' || r[col('is_anomaly')] === '1');
    if (r[col('is_anomaly')] === '1') anomalies++;
    // Rows without a CSAT value list it as imputed.
    if (inCsv.rows[i]![5] === '') assert.match(r[col('imputed')]!, /csat_avg/);
  });
  assert.ok(anomalies > 0 && anomalies < got.rows.length * 0.1, `${anomalies} anomalies`);
});

test('score --fit-rows samples a large file; --exclude infers the numeric columns', async () => {
  const input = join(data, 'intervals.csv');
  const r = await inProcess(['score', '--input', input, '--exclude', 'csat_responses', '--detector', 'iforest', '--fit-rows', '500', '--out', join(dir, 'fr.csv')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /fields volume:both,aht_avg:both,transfer_rate:both,csat_avg:both/);
  const got = parseCsv(readFileSync(join(dir, 'fr.csv'), 'utf8'));
  assert.equal(got.rows.length, 1536);
  assert.ok(got.header.includes('expected_volume') && !got.header.includes('expected_csat_responses') && !got.header.includes('expected_queue'));
});

test('score --stream with time and segment fields (ensemble, small forests)', async () => {
  const input = join(data, 'intervals.csv');
  const out = join(dir, 'stream.csv');
  const r = await inProcess([
    'score', '--input', input, '--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS,
    '--num-trees', '10', '--sample-size', '64', '--shingle-size', '2', '--out', out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const got = parseCsv(readFileSync(out, 'utf8'));
  assert.equal(got.rows.length, 1536);
  assert.ok(got.header.includes('if_score') && got.header.includes('rcf_score'));
  const s = got.header.indexOf('score');
  for (const row of got.rows) assert.ok(Number(row[s]) >= 0 && Number(row[s]) <= 1);
});

test('score --stream --save-model saves what the stream learned; scoring on from it continues the stream', async () => {
  const input = join(data, 'intervals.csv');
  const text = readFileSync(input, 'utf8');
  const lines = text.trimEnd().split('\n');
  const half = 1 + Math.floor((lines.length - 1) / 2);
  const first = join(dir, 'first.csv');
  const second = join(dir, 'second.csv');
  writeFileSync(first, lines.slice(0, half).join('\n') + '\n');
  writeFileSync(second, [lines[0], ...lines.slice(half)].join('\n') + '\n');
  const opts = ['--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS, '--num-trees', '10', '--sample-size', '64'];
  const saved = join(dir, 'streamed.cxm');
  const whole = await inProcess(['score', '--input', input, '--stream', ...opts]);
  const a = await inProcess(['score', '--input', first, '--stream', ...opts, '--save-model', saved]);
  const b = await inProcess(['score', '--input', second, '--stream', '--model', saved]);
  for (const r of [whole, a, b]) assert.equal(r.code, 0, r.stderr);
  const joined = parseCsv(a.stdout).rows.concat(parseCsv(b.stdout).rows);
  assert.deepEqual(joined, parseCsv(whole.stdout).rows, 'stream in two runs = stream in one');
});

test('scores do not depend on --batch-rows (batch with time and segments, and streaming)', async () => {
  const input = join(data, 'intervals.csv');
  const model = join(dir, 'ens.cxm');
  const small = ['--num-trees', '10', '--sample-size', '64'];
  const t = await inProcess(['train', '--input', input, '--fields', FIELDS, '--time-field', 'timestamp', '--segment-field', 'queue', ...small, '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  const runs: string[] = [];
  for (const args of [
    ['--model', model],
    ['--model', model, '--batch-rows', '97'],
    ['--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS, ...small],
    ['--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS, ...small, '--batch-rows', '97'],
  ]) {
    const r = await inProcess(['score', '--input', input, ...args]);
    assert.equal(r.code, 0, r.stderr);
    runs.push(r.stdout);
  }
  assert.equal(runs[1], runs[0], 'batch scoring joins batches seamlessly');
  assert.equal(runs[3], runs[2], 'streaming carries its state across batches');
  assert.notEqual(runs[2], runs[0]);
  // --no-explain (columnar path): the same scores, without the explanation columns.
  for (const [args, full] of [
    [['--model', model, '--batch-rows', '97'], runs[0]!],
    [['--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS, ...small, '--batch-rows', '97'], runs[2]!],
  ] as const) {
    const r = await inProcess(['score', '--input', input, '--no-explain', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const fast = parseCsv(r.stdout);
    const slow = parseCsv(full);
    const keep = fast.header.length;
    assert.deepEqual(fast.header, slow.header.slice(0, keep));
    assert.equal(fast.header[keep - 1], 'rcf_score');
    assert.deepEqual(fast.rows, slow.rows.map((row) => row.slice(0, keep)));
  }
});

test('bad input: exit 2 and one clear line on stderr, never a stack trace', async () => {
  const input = join(data, 'intervals.csv');
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'timestamp,queue,aht_avg\n2026-01-05T00:00:00Z,billing,300\n2026-01-05T00:15:00Z,billing,12x\n');
  const ragged = join(dir, 'ragged.csv');
  writeFileSync(ragged, 'a,b\n1,2\n3\n');
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, '');
  const headerOnly = join(dir, 'header-only.csv');
  writeFileSync(headerOnly, 'a,b\n');
  const badTime = join(dir, 'bad-time.csv');
  writeFileSync(badTime, 't,v\n2026-01-05T00:00:00Z,1\nyesterday,2\n');
  const model = join(dir, 'ok.cxm');
  const t = await inProcess(['train', '--input', input, '--fields', FIELDS, '--detector', 'iforest', '--num-trees', '5', '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  const bytes = readFileSync(model);
  const truncated = join(dir, 'truncated.cxm');
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  const garbage = join(dir, 'garbage.cxm');
  writeFileSync(garbage, 'this is not a model\n');
  const newer = join(dir, 'newer.cxm');
  const text = bytes.toString('latin1');
  assert.ok(text.includes('"formatVersion":1'), 'model header holds formatVersion');
  writeFileSync(newer, Buffer.from(text.replace('"formatVersion":1', '"formatVersion":9'), 'latin1'));

  const cases: [string, string[], RegExp][] = [
    ['missing file', ['score', '--input', join(dir, 'nope.csv')], /input file not found: .*nope\.csv/],
    ['bad field spec', ['score', '--input', input, '--fields', 'aht_avg:sideways'], /field "aht_avg" has direction "sideways"/],
    ['absent column', ['train', '--input', input, '--fields', 'aht_avg,handle_time', '--out', join(dir, 'x.cxm')], /"handle_time" not found in .*; columns present: timestamp, queue, volume, aht_avg/],
    ['non-numeric value', ['score', '--input', bad, '--fields', 'aht_avg'], /bad\.csv: row 2 \(line 3\), field "aht_avg": "12x" is not a number/],
    ['bad time', ['score', '--input', badTime, '--fields', 'v', '--time-field', 't', '--stream'], /row 2 \(line 3\), field "t": cannot read time "yesterday"/],
    ['ragged row', ['score', '--input', ragged], /line 3: row has 1 field, expected 2/],
    ['empty file', ['score', '--input', empty], /empty/],
    ['header only', ['score', '--input', headerOnly, '--fields', 'a'], /no data rows/],
    ['truncated model', ['score', '--input', input, '--model', truncated], /model file .*truncated\.cxm cannot be used: .*truncated/],
    ['not a model', ['score', '--input', input, '--model', garbage], /cannot be used: not a model file/],
    ['newer model', ['score', '--input', input, '--model', newer], /format version 9 .*upgrade the engine/],
    ['missing model', ['score', '--input', input, '--model', join(dir, 'none.cxm')], /model file not found/],
    ['unknown option', ['score', '--input', input, '--colour'], /unknown option --colour for "score"/],
    ['unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['fields with model', ['score', '--input', input, '--model', model, '--fields', 'volume'], /--fields cannot be used with --model/],
    ['bad number', ['train', '--input', input, '--num-trees', 'many', '--out', join(dir, 'y.cxm')], /--num-trees must be an integer/],
    // Was "generate: Option '--seed' argument is ambiguous." (parseArgs' hint, on its next line, dropped).
    ['value starting with a dash', ['generate', '--out', join(dir, 'neg'), '--seed', '-1'], /generate: the value after --seed starts with "-" \("-1"\): write it as --seed=-1/],
    ['bad detector', ['train', '--input', input, '--detector', 'svm', '--out', join(dir, 'y.cxm')], /--detector must be one of iforest, rcf, ensemble/],
    ['missing --out', ['train', '--input', input], /--out is required/],
    ['fields and exclude', ['score', '--input', input, '--fields', 'volume', '--exclude', 'queue'], /either --fields or --exclude/],
    ['bad exclude', ['score', '--input', input, '--exclude', 'qeueu'], /excluded column "qeueu" not found; columns present/],
    ['absent segment field', ['score', '--input', input, '--fields', 'volume', '--segment-field', 'team'], /segment field "team" not found/],
  ];
  // Three as real processes (exit status, stderr), all in this process too.
  const SUBPROCESS = new Set(['missing file', 'non-numeric value', 'truncated model']);
  const results: Run[] = [];
  const sub = await Promise.all(cases.filter(([name]) => SUBPROCESS.has(name)).map(([, args]) => cli(args)));
  for (const [, args] of cases) results.push(await inProcess(args));
  const all: [string, RegExp, Run][] = cases.map(([name, , pattern], i) => [name, pattern, results[i]!]);
  cases.filter(([name]) => SUBPROCESS.has(name)).forEach(([name, , pattern], i) => all.push([`${name} (subprocess)`, pattern, sub[i]!]));
  for (const [name, pattern, r] of all) {
    assert.equal(r.code, 2, `${name}: exit ${r.code}, stderr ${r.stderr}`);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `${name}: stderr has ${lines.length} lines: ${r.stderr}`);
    assert.match(lines[0]!, /^cx-anomaly: error: /, name);
    assert.match(lines[0]!, pattern, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: stack trace`);
  }
});

test('score --out: the input itself may be the output; a failed run leaves no file and an earlier one intact; an unwritable path is one clear line', async () => {
  const input = join(data, 'intervals.csv');
  const opts = ['--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', 'aht_avg:high', '--num-trees', '5', '--sample-size', '32'];
  // --out naming the input: it used to be truncated before its first row was read (exit 2, "the input is empty", the data gone).
  const copy = join(dir, 'in-place.csv');
  writeFileSync(copy, readFileSync(input));
  const inPlace = await inProcess(['score', '--input', copy, ...opts, '--out', copy]);
  assert.equal(inPlace.code, 0, inPlace.stderr);
  const expected = await inProcess(['score', '--input', input, ...opts]);
  assert.equal(readFileSync(copy, 'utf8'), expected.stdout, 'the scored input replaces it');

  // A run that fails part-way: the earlier output stays, nothing half-written appears.
  const out = join(dir, 'kept.csv');
  writeFileSync(out, 'an,earlier,result\n');
  const bad = join(dir, 'bad-late.csv');
  writeFileSync(bad, 'timestamp,queue,aht_avg\n2026-01-05T00:00:00Z,billing,300\n2026-01-05T00:15:00Z,billing,12x\n');
  const failed = await inProcess(['score', '--input', bad, ...opts, '--out', out]);
  assert.equal(failed.code, 2);
  assert.equal(readFileSync(out, 'utf8'), 'an,earlier,result\n');
  const headerOnly = join(dir, 'header-only-out.csv');
  writeFileSync(headerOnly, 'timestamp,queue,aht_avg\n');
  const fresh = join(dir, 'never-written.csv');
  assert.equal((await inProcess(['score', '--input', headerOnly, ...opts, '--out', fresh])).code, 2);
  assert.equal(existsSync(fresh), false, 'no header-only file for a failed run');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.partial')), [], 'no temporary file left');

  // An unwritable destination: a crash with an unhandled 'error' event before (a real process: that is what crashed).
  const r = await cli(['score', '--input', input, ...opts, '--out', join(dir, 'no-such-folder', 'o.csv')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^cx-anomaly: error: cannot write .*o\.csv: folder .*no-such-folder does not exist\n$/);
});

test('score --out interrupted (SIGINT, as Ctrl-C): no temporary file is left, the earlier output stays, the exit says SIGINT', async () => {
  const out = join(dir, 'interrupted.csv');
  writeFileSync(out, 'an,earlier,result\n');
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', MAIN, 'score', '--input', join(data, 'intervals.csv'), '--stream', '--time-field', 'timestamp', '--segment-field', 'queue', '--fields', FIELDS, '--num-trees', '300', '--out', out],
    { cwd: root, env: { ...process.env, CX_DEBUG: '' }, stdio: 'ignore' },
  );
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const partial = (): string[] => readdirSync(dir).filter((f) => f.startsWith('.interrupted.csv.') && f.endsWith('.partial'));
  // The temporary file appears when the output is opened, before the (slow: 300 trees) scoring.
  const t0 = Date.now();
  while (partial().length === 0 && child.exitCode === null && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(partial().length, 1, 'the run got as far as opening its output');
  child.kill('SIGINT');
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGINT', `exit code ${code}`);
  assert.deepEqual(partial(), [], 'the temporary file is removed');
  assert.equal(readFileSync(out, 'utf8'), 'an,earlier,result\n');
});

test('--help for each command', async () => {
  const runs: Run[] = [];
  for (const a of [['--help'], ['train', '--help'], ['score', '--help'], ['generate', '--help'], ['eval', '--help']]) runs.push(await inProcess(a));
  for (const r of runs) {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: cx-anomaly/);
  }
  assert.match(runs[2]!.stdout, /--stream/);
});

test('eval odds on one small data set writes the Markdown report; eval nab --help delegates', async (t) => {
  const dataDir = process.env['CX_DATA_DIR'] ?? resolve(root, '..', 'shared', 'data');
  if (!existsSync(join(dataDir, 'odds', 'wbc.csv'))) {
    t.skip(`no ODDS data in ${dataDir}`);
    return;
  }
  const out = join(dir, 'odds.md');
  const r = await inProcess(['eval', 'odds', '--data', dataDir, '--datasets', 'wbc', '--seeds', '0', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\| wbc \| \d+ \| \d+ \|/);
  assert.match(readFileSync(out, 'utf8'), /^# ODDS evaluation\n[\s\S]*\| wbc \|/);
  const bad = await inProcess(['eval', 'odds', '--data', dataDir, '--datasets', 'nosuch', '--out', '-']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^cx-anomaly: error: eval odds: data set\(s\) nosuch not found/);
  const nab = await cli(['eval', 'nab', '--help']);
  assert.equal(nab.code, 0, nab.stderr);
  assert.match(nab.stdout, /Usage: cx-anomaly eval nab/);
});

