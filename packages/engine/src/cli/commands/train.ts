/** `cx-anomaly train`: fit a detector on a CSV file and save the model. */
import { writeFileSync } from 'node:fs';
import { formatFieldSpec } from '../../features/field-spec.ts';
import { vectorize } from '../../features/vectorize.ts';
import { AnomalyDetector } from '../../pipeline/anomaly-detector.ts';
import { listOpt, parseCommandArgs, required, str } from '../args.ts';
import { DETECTOR_HELP, DETECTOR_OPTIONS, detectorConfig, fitRowsOf, seedOf } from '../detector-options.ts';
import { CliError } from '../errors.ts';
import { planInput, trainingSample } from '../input.ts';
import { writeOut } from '../io.ts';

export const TRAIN_HELP = `Usage: cx-anomaly train --input data.csv --out model.cxm [options]

Fits a detector (Isolation Forest, Robust Random Cut Forest, or their calibrated
ensemble) on the rows of a CSV file and writes one model file (.cxm) holding the
field spec, imputation medians, forests, calibration and threshold.

Options:
  --input FILE          CSV file with a header row
  --out FILE            model file to write
${DETECTOR_HELP}
  -h, --help            this help

Missing values (empty cells) are imputed with the column's training median.`;

export async function runTrain(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs('train', argv, DETECTOR_OPTIONS);
  if (values['help']) {
    writeOut(TRAIN_HELP + '\n');
    return 0;
  }
  const input = required(values, 'input', 'train');
  const out = required(values, 'out', 'train');
  const plan = await planInput(input, {
    fields: str(values, 'fields'),
    exclude: listOpt(values, 'exclude'),
    timeField: str(values, 'time-field'),
    segmentField: str(values, 'segment-field'),
  });
  const config = detectorConfig(values, plan);
  const detector = new AnomalyDetector(config); // validates the config before the file is read
  const t0 = performance.now();
  const sample = await trainingSample(plan, fitRowsOf(values), seedOf(values), (records) => {
    vectorize(records, plan.spec);
  });
  detector.fit(sample.records);
  const bytes = detector.save();
  try {
    writeFileSync(out, bytes);
  } catch (e) {
    throw new CliError(`cannot write model file ${out}: ${(e as Error).message}`);
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  const rows = sample.sampled ? `${sample.records.length} of ${sample.totalRows} rows (uniform sample)` : `${sample.totalRows} rows`;
  const skipped = plan.skipped.length > 0 ? `; skipped non-numeric ${plan.skipped.map((s) => s.name).join(', ')}` : '';
  writeOut(
    `trained ${detector.config.detector} on ${rows} of ${input}: fields ${formatFieldSpec(plan.spec)}${skipped}; threshold ${detector.threshold.toFixed(4)}; ${secs} s -> ${out} (${bytes.length} bytes)\n`,
  );
  return 0;
}
