/**
 * `cx-anomaly score --threads N` on small generated data: byte-identical output
 * to --threads 1 (several batch sizes, segments and a time field, with a model
 * and fitted on the input), the same error line, exit status and written rows
 * when a batch deep in the file is bad, and clear errors for bad --threads use.
 *
 * The CLI runs in this process (`run(argv, io)`); its workers are real
 * worker_threads started from the .ts sources (through tsx), as in production.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from './support/cli-in-process.ts';

const cli = runCliInProcess;

const FIELDS = 'aht_avg:high,csat_avg:low,transfer_rate:high,volume';
const SMALL = ['--num-trees', '10', '--sample-size', '64'];
let dir = '';
let input = '';
let model = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-cli-threads-'));
  const g = await cli(['generate', '--out', join(dir, 'gen'), '--days', '4', '--seed', '7']);
  assert.equal(g.code, 0, g.stderr);
  input = join(dir, 'gen', 'intervals.csv');
  model = join(dir, 'ens.cxm');
  const t = await cli(['train', '--input', input, '--fields', FIELDS, '--time-field', 'timestamp', '--segment-field', 'queue', ...SMALL, '--out', model]);
  assert.equal(t.code, 0, t.stderr);
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('--threads 2 output is byte-identical to --threads 1 (ensemble, segments, time field, several batch sizes)', async () => {
  for (const batch of ['97', '4096']) {
    const one = await cli(['score', '--input', input, '--model', model, '--batch-rows', batch]);
    const two = await cli(['score', '--input', input, '--model', model, '--batch-rows', batch, '--threads', '2']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stderr, '');
    assert.equal(one.stdout.split('\n').length, 1536 + 2, 'header + 1536 rows + final newline');
    assert.ok(two.stdout === one.stdout, `--batch-rows ${batch}: outputs differ`);
  }
  // Three workers on more batches than workers, --threads 0 (= the cores), and
  // the columnar path.
  const ref = await cli(['score', '--input', input, '--model', model, '--batch-rows', '64', '--no-explain']);
  for (const threads of ['3', '0']) {
    const r = await cli(['score', '--input', input, '--model', model, '--batch-rows', '64', '--no-explain', '--threads', threads]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout === ref.stdout, `--threads ${threads} --no-explain differs`);
  }
});

test('--threads without --model: fitted once on the main thread, the workers score with the same model', async () => {
  const args = ['score', '--input', input, '--fields', FIELDS, '--detector', 'iforest', '--time-field', 'timestamp', '--segment-field', 'queue', ...SMALL, '--batch-rows', '300'];
  const one = await cli([...args, '--out', join(dir, 'fit1.csv')]);
  const two = await cli([...args, '--threads', '2', '--out', join(dir, 'fit2.csv')]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  const a = readFileSync(join(dir, 'fit1.csv'), 'utf8');
  assert.ok(readFileSync(join(dir, 'fit2.csv'), 'utf8') === a, 'outputs differ');
  // The summary line counts the same anomalies.
  const count = (s: string): string => /(\d+) anomalous/.exec(s)![1]!;
  assert.equal(count(two.stdout), count(one.stdout));
});

test('a bad value deep in the file: same error line, exit status and rows written as with one thread, no hang', async () => {
  const lines = readFileSync(input, 'utf8').trimEnd().split('\n');
  const bad = join(dir, 'bad-cell.csv');
  const badLines = lines.slice();
  const row = 200; // a data row in a later batch (at batch size 50)
  const cells = badLines[row]!.split(',');
  cells[3] = '12x'; // aht_avg
  badLines[row] = cells.join(',');
  writeFileSync(bad, badLines.join('\n') + '\n');
  // A ragged row (a reader error on the main thread) after the bad cell, in a later
  // 64 KiB chunk of the file, read while the bad cell's batch may still be in a
  // worker: the bad cell, first in the file, is still the error reported.
  const both = join(dir, 'bad-both.csv');
  const bothLines = badLines.slice();
  bothLines[1500] = 'x,y';
  writeFileSync(both, bothLines.join('\n') + '\n');
  // An iforest model without a time field has no context rows: later batches do
  // not carry the bad row, score fine in other workers, and must not be written.
  const plain = join(dir, 'plain.cxm');
  const t = await cli(['train', '--input', input, '--fields', FIELDS, '--detector', 'iforest', ...SMALL, '--out', plain]);
  assert.equal(t.code, 0, t.stderr);
  for (const [file, threads, m] of [[bad, '2', model], [both, '3', model], [bad, '2', plain]] as const) {
    for (const batch of ['50', '700']) {
      const one = await cli(['score', '--input', file, '--model', m, '--batch-rows', batch]);
      assert.equal(one.code, 2);
      assert.match(one.stderr, /^cx-anomaly: error: .*row 200\b.*aht_avg.*12x/);
      assert.equal(one.stderr.split('\n').length, 2, 'one line');
      const many = await cli(['score', '--input', file, '--model', m, '--batch-rows', batch, '--threads', threads]);
      assert.equal(many.code, one.code);
      assert.equal(many.stderr, one.stderr);
      assert.ok(many.stdout === one.stdout, `rows written before the error differ (--batch-rows ${batch} --threads ${threads})`);
    }
  }
  // Only the reader error: reported the same way too.
  const ragged = join(dir, 'ragged.csv');
  const raggedLines = lines.slice();
  raggedLines[1500] = 'x,y';
  writeFileSync(ragged, raggedLines.join('\n') + '\n');
  const one = await cli(['score', '--input', ragged, '--model', model, '--batch-rows', '100']);
  const two = await cli(['score', '--input', ragged, '--model', model, '--batch-rows', '100', '--threads', '2']);
  assert.equal(one.code, 2);
  assert.equal(two.code, 2);
  assert.equal(two.stderr, one.stderr);
  assert.ok(two.stdout === one.stdout);
});

test('--threads: --stream is single-threaded (an error with --threads > 1); bad values name the option', async () => {
  const s = await cli(['score', '--input', input, '--stream', '--fields', FIELDS, '--threads', '2']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /^cx-anomaly: error: --stream cannot be used with --threads 2: .*one thread/);
  assert.equal(s.stderr.split('\n').length, 2);
  const ok = await cli(['score', '--input', input, '--stream', '--fields', FIELDS, ...SMALL, '--threads', '1', '--out', join(dir, 'st.csv')]);
  assert.equal(ok.code, 0, ok.stderr);
  for (const v of ['-1', 'two', '1.5']) {
    const r = await cli(['score', '--input', input, '--model', model, `--threads=${v}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^cx-anomaly: error: --threads must be an integer in \[0, 256\], got "[^"]+"\n$/);
  }
  const help = await cli(['score', '--help']);
  assert.match(help.stdout, /--threads N/);
});
