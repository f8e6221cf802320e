/**
 * `eval nab` harness on a 2-series subset: NAB result layout in a temp dir,
 * label column as NAB writes it, scores read back and scored, CLI behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalNab } from '../src/nab/eval.ts';
import { loadNabDataset, parseCsv, readNabResults, resolveNabDataDir } from '../src/nab/io.ts';
import { runNabCli } from '../src/nab/node-cli.ts';
import { rollingGaussianDetector, suppressRepeats, calibrateByPastRank } from '../src/nab/postprocess.ts';
import { scoreNab } from '../src/nab/scorer.ts';

const dataDir = resolveNabDataDir();
const skip = existsSync(join(dataDir, 'labels', 'combined_windows.json')) ? false : `no NAB data at ${dataDir}`;
const FILES = ['artificialWithAnomaly/art_daily_jumpsup.csv', 'realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv'];

test('evalNab writes NAB result files and scores them', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nab-eval-'));
  try {
    const progress: string[] = [];
    const report = await evalNab({
      dataDir,
      resultsDir: dir,
      files: FILES,
      detectors: { gauss: rollingGaussianDetector(500) },
      onProgress: (p) => progress.push(`${p.detector} ${p.done}/${p.total}`),
    });
    assert.deepEqual(progress, ['gauss 1/2', 'gauss 2/2']);
    assert.equal(report.files, 2);
    for (const f of FILES) {
      const [category, name] = f.split('/');
      const path = join(dir, 'gauss', category!, `gauss_${name}`);
      const { header, rows } = parseCsv(readFileSync(path, 'utf8'), path);
      assert.deepEqual(header, ['timestamp', 'value', 'anomaly_score', 'label']);
      // Same rows, values and labels as NAB's own result file of that series.
      const pubPath = join(dataDir, 'results', 'numenta', category!, `numenta_${name}`);
      const pub = parseCsv(readFileSync(pubPath, 'utf8'), pubPath);
      assert.equal(rows.length, pub.rows.length);
      for (let i = 0; i < rows.length; i++) {
        assert.equal(rows[i]![0], pub.rows[i]![0]);
        // Values repeat the data file's text; NAB's pandas rounded some to 12 significant digits.
        const [a, b] = [Number(rows[i]![1]), Number(pub.rows[i]![1])];
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${path} row ${i}: value ${a} vs ${b}`);
        assert.equal(rows[i]![3], pub.rows[i]![3], `${path} row ${i}: label`);
        const s = Number(rows[i]![2]);
        assert.ok(s >= 0 && s <= 1);
      }
      assert.ok(rows.some((r) => r[3] === '1'), 'the window rows are labelled 1');
    }
    // The reported score is the NAB score of what is on disk.
    const dataset = loadNabDataset(dataDir, FILES);
    const again = scoreNab(readNabResults(dir, 'gauss', dataset), 'standard');
    assert.equal(report.detectors['gauss']!.scores.standard.normalizedScore, again.normalizedScore);
    assert.equal(report.detectors['gauss']!.points, dataset.files.reduce((n, f) => n + f.times.length, 0));
    // Table: our row, the re-scored published detectors on the subset, the scoreboard.
    assert.match(report.markdown, /\| gauss \| measured \|/);
    assert.match(report.markdown, /\| randomCutForest \| reproduced \| .* on the 2 files only \|/);
    assert.match(report.markdown, /\| numenta \| published \| 70\.101 \| 63\.117 \| 74\.320 \|/);
    assert.equal(report.reproduced['null']!.standard.normalizedScore, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('evalNab rejects detector output NAB cannot score', { skip }, async () => {
  await assert.rejects(
    evalNab({ dataDir, files: FILES.slice(0, 1), reproducePublished: false, detectors: { short: () => new Float64Array(3) } }),
    /detector short returned 3 scores for artificialWithAnomaly\/art_daily_jumpsup.csv, which has 4032 rows/,
  );
  await assert.rejects(
    evalNab({ dataDir, files: FILES.slice(0, 1), reproducePublished: false, detectors: { big: (s) => new Float64Array(s.values.length).fill(2) } }),
    /detector big gave .* row 0 the score 2; NAB scores must lie in \[0, 1\]/,
  );
  await assert.rejects(evalNab({ dataDir, files: ['nope/x.csv'], detectors: {} }), /NAB has no data file nope\/x.csv/);
  // A bad name is refused before any detector runs.
  let ran = 0;
  const counted = (s: { values: Float64Array }) => (ran++, new Float64Array(s.values.length));
  await assert.rejects(evalNab({ dataDir, files: FILES.slice(0, 1), reproducePublished: false, detectors: { ok: counted, 'bad/name': counted } }), /detector name "bad\/name"/);
  assert.equal(ran, 0);
});

test('post-processing wrappers are causal: row i does not change when later rows do', () => {
  const n = 400;
  const values = new Float64Array(n).map((_, i) => Math.sin(i / 7) + (i === 300 ? 8 : 0));
  const timestamps = new Float64Array(n).map((_, i) => i * 60_000);
  const base = rollingGaussianDetector(100);
  for (const d of [base, suppressRepeats(base, { rows: 20 }), calibrateByPastRank(base, 200, 10)]) {
    const full = d({ name: 'x', timestamps, values });
    const cut = d({ name: 'x', timestamps: timestamps.subarray(0, 250), values: values.subarray(0, 250) });
    for (let i = 0; i < 250; i++) assert.equal(cut[i], full[i], `row ${i}`);
  }
  // Suppression keeps the onset of a burst and damps what follows within the span.
  const burst = suppressRepeats(() => Float64Array.from([0.1, 0.9, 0.8, 0.85, 0.95, 0.2, 0.3]), { rows: 3 });
  assert.deepEqual(Array.from(burst({ name: 'b', timestamps, values })), [0.1, 0.9, 0, 0, 0.95, 0, 0]);
  const rank = calibrateByPastRank(() => Float64Array.from([0.5, 0.1, 0.3, 0.2, 0.9]), 3, 2);
  assert.deepEqual(Array.from(rank({ name: 'r', timestamps, values })), [0, 0, 0.5, 1 / 3, 1]);
});

test('runNabCli: options, output and errors', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nab-cli-'));
  try {
    let out = '';
    let err = '';
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
    const code = await runNabCli(['--detector', 'gaussian+nms', '--files', FILES.join(','), '--results-dir', dir, '--json', '--quiet', '--no-published'], io);
    assert.equal(code, 0, err);
    const summary = JSON.parse(out) as { files: number; detectors: Record<string, { profiles: Record<string, { normalized: number }> }> };
    assert.equal(summary.files, 2);
    assert.ok(Number.isFinite(summary.detectors['gaussian+nms']!.profiles['standard']!.normalized));
    assert.ok(existsSync(join(dir, 'gaussian+nms', 'realAWSCloudwatch', 'gaussian+nms_ec2_cpu_utilization_5f5533.csv')));

    out = '';
    assert.equal(await runNabCli(['--help'], io), 0);
    assert.match(out, /--results-dir DIR/);
    err = '';
    assert.equal(await runNabCli(['--bogus'], io), 2);
    assert.match(err, /eval nab: Unknown option '--bogus'/);
    err = '';
    assert.equal(await runNabCli(['--detector', 'nope', '--quiet'], io), 1);
    assert.match(err, /unknown NAB detector "nope"/);
    err = '';
    assert.equal(await runNabCli(['--trees', '0', '--quiet'], io), 2);
    assert.match(err, /--trees must be a positive integer, got "0"/);
    err = '';
    assert.equal(await runNabCli(['--data', join(dir, 'missing'), '--quiet'], io), 1);
    assert.match(err, /is not a NAB data directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
