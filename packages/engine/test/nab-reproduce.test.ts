/**
 * PROOF of the NAB scorer: re-score the published per-series outputs of
 * numenta, randomCutForest and null (shared/data/nab/results) and reproduce
 * (1) their published normalised scores (final_results.json) within 0.5 with
 *     our own threshold optimisation, and
 * (2) every row of NAB's published per-file score tables exactly (1e-6) at
 *     the thresholds those tables record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNabDataset, parseCsv, readFinalResults, readNabResults, resolveNabDataDir } from '../src/nab/io.ts';
import { NAB_PROFILE_NAMES, scoreNab, type NabCorpus } from '../src/nab/scorer.ts';

const dataDir = resolveNabDataDir();
const have = existsSync(join(dataDir, 'results', 'final_results.json'));
const DETECTORS = ['numenta', 'randomCutForest', 'null'] as const;

test('published NAB scores are reproduced from published outputs', { skip: have ? false : `no NAB data at ${dataDir}` }, () => {
  const dataset = loadNabDataset(dataDir);
  assert.equal(dataset.files.length, 58);
  const published = readFinalResults(dataDir);
  const corpora = new Map<string, NabCorpus>(DETECTORS.map((d) => [d, readNabResults(join(dataDir, 'results'), d, dataset)]));

  const lines = ['detector         profile              reproduced  published   diff   threshold', '-'.repeat(82)];
  for (const d of DETECTORS) {
    for (const p of NAB_PROFILE_NAMES) {
      const r = scoreNab(corpora.get(d)!, p);
      const want = published[d]![p];
      const diff = r.normalizedScore - want;
      lines.push(`${d.padEnd(16)} ${p.padEnd(20)} ${r.normalizedScore.toFixed(3).padStart(10)} ${want.toFixed(3).padStart(10)} ${diff.toFixed(3).padStart(7)}   ${r.threshold}`);
      assert.ok(Math.abs(diff) < 0.5, `${d} ${p}: reproduced ${r.normalizedScore}, published ${want}`);
    }
  }
  console.log(lines.join('\n'));
  // The headline numbers, to three decimals.
  const rcf = corpora.get('randomCutForest')!;
  assert.equal(scoreNab(rcf, 'standard').normalizedScore.toFixed(3), '51.717');
  assert.equal(scoreNab(rcf, 'reward_low_FP_rate').normalizedScore.toFixed(3), '38.361');
  assert.equal(scoreNab(rcf, 'reward_low_FN_rate').normalizedScore.toFixed(3), '59.749');
  assert.equal(scoreNab(corpora.get('numenta')!, 'standard').normalizedScore.toFixed(3), '70.101');

  // (2) NAB's per-file tables, row by row, at their recorded thresholds.
  for (const d of DETECTORS) {
    for (const p of NAB_PROFILE_NAMES) {
      const path = join(dataDir, 'results', d, `${d}_${p}_scores.csv`);
      const { header, rows } = parseCsv(readFileSync(path, 'utf8'), path);
      assert.deepEqual(header.slice(2, 9), ['File', 'Threshold', 'Score', 'TP', 'TN', 'FP', 'FN']);
      const threshold = Number(rows[0]![3]);
      const r = scoreNab(corpora.get(d)!, p, { threshold });
      const bySeries = new Map(r.perSeries.map((s) => [s.name, s]));
      for (const row of rows) {
        const [file, score, tp, tn, fp, fn] = [row[2]!, Number(row[4]), Number(row[5]), Number(row[6]), Number(row[7]), Number(row[8])];
        const got = row[0] === 'Totals' ? { score: r.rawScore, tp: r.tp, tn: r.tn, fp: r.fp, fn: r.fn } : bySeries.get(file);
        assert.ok(got, `${path}: no series ${file}`);
        assert.ok(Math.abs(got.score - score) < 1e-6, `${path} ${row[0] === 'Totals' ? 'Totals' : file}: score ${got.score}, published ${score}`);
        assert.deepEqual([got.tp, got.tn, got.fp, got.fn], [tp, tn, fp, fn], `${path} ${file}: counts`);
      }
      const normalised = published[d]![p];
      assert.ok(Math.abs(r.normalizedScore - normalised) < 1e-4, `${d} ${p} at the published threshold: ${r.normalizedScore} vs ${normalised}`);
    }
  }
});
