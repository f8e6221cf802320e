// AnomalyDetector.scoreWith: batch scoring with the Isolation Forest member's scores
// computed outside the detector (the widget worker passes a WebGL/WebGPU tree-path
// kernel). Here the outside scorer is the JS path-length loop behind the same
// accelerator interface (scoreSamplesAccelerated), so the results must equal score()'s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector, jsPathLengthSums, scoreSamplesAccelerated } from '../src/index.ts';
import { cxPipelineStream, PIPELINE_CONFIG } from '../bench/pipeline.ts';

const jsAccelerator = {
  kind: 'js',
  pathLengthSums: async (state: Parameters<typeof jsPathLengthSums>[0], data: Float64Array, rows: number, cols: number) => jsPathLengthSums(state, data, rows, cols),
};

test('scoreWith equals score() when the IF scores come from an accelerator, and passes the imputed, standardised matrix', async () => {
  const det = new AnomalyDetector({ ...PIPELINE_CONFIG, numTrees: 30 }).fit(cxPipelineStream(1200, 3));
  const batch = cxPipelineStream(400, 3, 1200);
  batch[7] = { ...batch[7]!, aht_avg: undefined }; // a missing value: imputed before the IF sees it
  const expected = det.score(batch);
  let seen: { rows: number; cols: number; finite: boolean } | null = null;
  const got = await det.scoreWith(batch, {
    ifScores: (forest, X) => {
      seen = { rows: X.rows, cols: X.cols, finite: X.data.every(Number.isFinite) };
      return scoreSamplesAccelerated(forest, X, jsAccelerator as never);
    },
  });
  assert.deepEqual(seen, { rows: 400, cols: 3, finite: true });
  assert.deepEqual(got, expected);
  // The detector is unchanged: scoring again without the hook gives the same.
  assert.deepEqual(det.score(batch), expected);
});

test('scoreWith: a scorer returning the wrong shape is a clear error, and later scoring is unaffected', async () => {
  const det = new AnomalyDetector({ ...PIPELINE_CONFIG, numTrees: 20 }).fit(cxPipelineStream(800, 4));
  const batch = cxPipelineStream(50, 4, 800);
  await assert.rejects(det.scoreWith(batch, { ifScores: async () => new Float64Array(3) }), /ifScores returned 3 scores, expected a Float64Array of 50/);
  await assert.rejects(det.scoreWith(batch, { ifScores: async () => { throw new Error('GPU lost'); } }), /GPU lost/);
  const a = det.score(batch);
  const b = await det.scoreWith(batch, { ifScores: async (f, X) => f.scoreSamples(X) });
  assert.deepEqual(b, a);
});
