/** Detector flags shared by `train` and `score`, turned into a DetectorConfig. */
import type { DetectorConfig, DetectorKind } from '../pipeline/types.ts';
import { intOpt, numOpt, str, type OptionSpec, type Values } from './args.ts';
import { CliError } from './errors.ts';
import type { InputPlan } from './input.ts';

export const DETECTOR_OPTIONS: OptionSpec = {
  input: { type: 'string', short: 'i' },
  fields: { type: 'string' },
  exclude: { type: 'string' },
  detector: { type: 'string' },
  contamination: { type: 'string' },
  seed: { type: 'string' },
  'num-trees': { type: 'string' },
  'sample-size': { type: 'string' },
  'shingle-size': { type: 'string' },
  'time-field': { type: 'string' },
  'segment-field': { type: 'string' },
  'fit-rows': { type: 'string' },
  out: { type: 'string', short: 'o' },
};

/** Flags that describe how to build a model (rejected together with --model, which carries them). */
export const MODEL_FLAGS = ['fields', 'exclude', 'detector', 'contamination', 'num-trees', 'sample-size', 'shingle-size', 'time-field', 'segment-field', 'fit-rows'];

export const DETECTOR_HELP = `  --fields SPEC         metrics and directions, e.g. "aht_avg:high,csat_avg:low,transfer_rate:high,volume";
                        a trailing :log models a metric as ln(1 + value), e.g. "aht_max:high:log"
  --exclude COLS        instead of --fields: every numeric column except these (comma-separated);
                        with neither, every numeric column (ids, queues, timestamps are skipped)
  --detector KIND       iforest | rcf | ensemble (default ensemble)
  --contamination X     expected share of anomalies, sets the threshold (default 0.01)
  --seed N              seed of every random choice (default 1)
  --num-trees N         trees per forest (default 100)
  --sample-size N       points per tree (default 256)
  --time-field NAME     column with the record time (ISO 8601 or epoch); orders each segment's stream
  --segment-field NAME  column that splits the data into separately modelled segments (e.g. queue)
  --shingle-size N      consecutive points per RRCF point (default 4 with a time field, else 1)
  --fit-rows N          train on at most N rows: all rows when the file has no more, else a seeded
                        uniform sample of N rows in file order (default 200000)`;

export const DEFAULT_FIT_ROWS = 200_000;

const KINDS: readonly DetectorKind[] = ['iforest', 'rcf', 'ensemble'];

export function detectorKind(values: Values): DetectorKind | undefined {
  const d = str(values, 'detector');
  if (d === undefined) return undefined;
  if (!KINDS.includes(d as DetectorKind)) throw new CliError(`--detector must be one of ${KINDS.join(', ')}, got "${d}"`);
  return d as DetectorKind;
}

export function seedOf(values: Values): number {
  return intOpt(values, 'seed', 0, 0xffffffff) ?? 1;
}

/** The DetectorConfig for a plan and the flags (only the flags given; the pipeline supplies defaults). */
export function detectorConfig(values: Values, plan: InputPlan): DetectorConfig {
  const config: Record<string, unknown> = { fields: plan.spec, seed: seedOf(values) };
  const detector = detectorKind(values);
  if (detector !== undefined) config['detector'] = detector;
  const contamination = numOpt(values, 'contamination', (n) => n > 0 && n <= 0.5, 'a number in (0, 0.5]');
  if (contamination !== undefined) config['contamination'] = contamination;
  const numTrees = intOpt(values, 'num-trees', 1, 10_000);
  if (numTrees !== undefined) config['numTrees'] = numTrees;
  const sampleSize = intOpt(values, 'sample-size', 2, 1_000_000);
  if (sampleSize !== undefined) config['sampleSize'] = sampleSize;
  const shingle = intOpt(values, 'shingle-size', 1, 64);
  if (shingle !== undefined) config['shingleSize'] = shingle;
  if (plan.timeField !== undefined) config['timeField'] = plan.timeField;
  if (plan.segmentField !== undefined) config['segmentField'] = plan.segmentField;
  return config as unknown as DetectorConfig;
}

export function fitRowsOf(values: Values): number {
  return intOpt(values, 'fit-rows', 1, 100_000_000) ?? DEFAULT_FIT_ROWS;
}
