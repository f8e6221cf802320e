import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { evalOdds, parseSklearnReference, renderOddsMarkdown } from '../src/eval/odds.ts';
import { parseOddsCsv } from '../src/eval/odds-csv.ts';

const dataDir = process.env['CX_DATA_DIR'] ?? resolve(import.meta.dirname, '../../../../shared/data');
const haveData = existsSync(resolve(dataDir, 'odds/wbc.csv'));

test('ODDS wbc, one seed: our IF AUC is within tolerance of scikit-learn', { skip: haveData ? false : `no data at ${dataDir}` }, async () => {
  const report = await evalOdds({
    dataDir,
    seeds: [0],
    datasets: ['wbc'],
    detectors: ['iforest', 'maxAbs'],
    // An extra column through the extension point: a real (weak) detector, the largest |value| of the row.
    extraDetectors: {
      maxAbs: (X) => {
        const s = new Float64Array(X.rows);
        for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.cols; j++) s[i] = Math.max(s[i]!, Math.abs(X.data[i * X.cols + j]!));
        return s;
      },
    },
  });
  assert.equal(report.rows.length, 1);
  const row = report.rows[0]!;
  assert.equal(row.rows, 378);
  assert.equal(row.dims, 30);
  assert.ok(row.sklearn, 'reference row for wbc');
  const ours = row.results['iforest']!;
  assert.ok(Math.abs(ours.auc.mean - row.sklearn.auc.mean) <= row.tolerance!, `ours ${ours.auc.mean} vs sklearn ${row.sklearn.auc.mean}`);
  assert.equal(row.pass, true);
  assert.ok(ours.ap.mean > 0.3 && ours.ap.mean <= 1);
  assert.ok(row.results['maxAbs']!.auc.mean > 0 && row.results['maxAbs']!.auc.mean < 1);
  const md = renderOddsMarkdown(report);
  assert.match(md, /\| wbc \| 378 \| 30 \|/);
  assert.match(md, /maxAbs AUC/);
  assert.match(md, /1\/1 data sets pass/);
});

test('unknown detector names are refused', async () => {
  await assert.rejects(evalOdds({ dataDir, detectors: ['nope'] }), /unknown detector "nope"; known: iforest/);
});

test('reference parser and ODDS CSV loader', () => {
  const ref = parseSklearnReference('dataset,group,auc_mean,auc_std,ap_mean,ap_std,fit_s_mean,score_s_mean\nwbc,core,0.9,0.01,0.5,0.02,0.1,0.2\n');
  assert.deepEqual(ref.get('wbc'), { auc: { mean: 0.9, std: 0.01 }, ap: { mean: 0.5, std: 0.02 }, fitSeconds: 0.1, scoreSeconds: 0.2 });
  assert.throws(() => parseSklearnReference('dataset,auc_mean\nx,1\n'), /column "auc_std" missing/);
  const d = parseOddsCsv('f0,f1,label\n1,2.5,0\r\n-3e2,4,1\n\n');
  assert.deepEqual(Array.from(d.X.data), [1, 2.5, -300, 4]);
  assert.deepEqual(Array.from(d.labels), [0, 1]);
  assert.throws(() => parseOddsCsv('f0,label\nx,0\n', 'a.csv'), /a\.csv: line 2, column "f0" is not a number/);
  assert.throws(() => parseOddsCsv('f0,label\n1,2\n'), /label must be 0 or 1/);
  assert.throws(() => parseOddsCsv('f0,f1,label\n1,0\n'), /fewer than 3 fields/);
});
