/**
 * Validation and defaults of {@link DetectorConfig}. Every error names the option
 * and the value it got, so a bad CLI flag or widget attribute reads as a message.
 */
import { parseFieldSpec, type Direction, type FieldSpec } from '../features/field-spec.ts';
import { ENSEMBLE_RULES, type EnsembleRule } from './ensemble.ts';
import type { DetectorConfig, DetectorKind, SamplingMode } from './types.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ResolvedConfig {
  readonly spec: FieldSpec;
  readonly detector: DetectorKind;
  readonly timeField: string | undefined;
  readonly segmentField: string | undefined;
  readonly maxSegments: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  /** undefined: chosen at the first fit/update (see AnomalyDetector docs). */
  readonly shingleSize: number | undefined;
  readonly contamination: number;
  readonly maxAlertsPerDay: number | undefined;
  readonly minDuration: number;
  readonly cooldown: number;
  readonly sampling: SamplingMode;
  readonly timeDecay: number;
  readonly seed: number;
  readonly seasonality: 'hourly' | 'none';
  readonly ensembleRule: EnsembleRule;
  /** Column index of the support field in the spec, -1 when none. */
  readonly supportIndex: number;
  readonly minSupport: number;
  /** Per-metric support: [metric column, count field] pairs (supportFields). */
  readonly metricSupport: readonly (readonly [number, string])[];
  readonly minSupportPerMetric: number;
  /** Scores kept by each calibrator. */
  readonly calibrationWindow: number;
  /** Stream-only: points after which the Isolation Forest is trained on what was seen. */
  readonly lazyFitAfter: number;
}

const KINDS: readonly DetectorKind[] = ['iforest', 'rcf', 'ensemble'];
const SAMPLINGS: readonly SamplingMode[] = ['window', 'decay'];
const KNOWN_KEYS = new Set([
  'fields', 'detector', 'timeField', 'segmentField', 'maxSegments', 'numTrees', 'sampleSize', 'shingleSize',
  'contamination', 'maxAlertsPerDay', 'minDuration', 'cooldown', 'sampling', 'timeDecay', 'seed',
  'calibrationWindow', 'lazyFitAfter', 'seasonality', 'supportField', 'minSupport', 'ensembleRule', 'supportFields', 'minSupportPerMetric',
]);


function int(name: string, v: unknown, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function optField(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`${name} must be a non-empty field name, got ${JSON.stringify(v)}`);
  return v;
}

function checkSpec(spec: FieldSpec): FieldSpec {
  if (!spec || !Array.isArray(spec.fields) || spec.fields.length === 0) {
    throw new ConfigError('fields: the field spec has no fields');
  }
  const seen = new Set<string>();
  for (const f of spec.fields) {
    if (typeof f.name !== 'string' || f.name === '') throw new ConfigError('fields: a field has no name');
    if (!['high', 'low', 'both'].includes(f.direction as Direction)) {
      throw new ConfigError(`fields: field "${f.name}" has direction ${JSON.stringify(f.direction)}, expected high, low or both`);
    }
    if (seen.has(f.name)) throw new ConfigError(`fields: field "${f.name}" appears twice`);
    seen.add(f.name);
  }
  return spec;
}

export function resolveConfig(config: DetectorConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError(`config must be an object, got ${JSON.stringify(config)}`);
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`unknown option "${key}"; known options: ${[...KNOWN_KEYS].join(', ')}`);
  }
  if (config.fields === undefined) throw new ConfigError('fields is required, e.g. "aht_avg:high,csat_avg:low,volume"');
  let spec: FieldSpec;
  if (typeof config.fields === 'string') {
    try {
      spec = parseFieldSpec(config.fields);
    } catch (e) {
      throw new ConfigError(`fields: ${(e as Error).message}`);
    }
  } else spec = checkSpec(config.fields);

  const detector = config.detector ?? 'ensemble';
  if (!KINDS.includes(detector)) throw new ConfigError(`unknown detector ${JSON.stringify(detector)}; expected one of ${KINDS.join(', ')}`);
  // Time-decayed sampling by default (AWS Random Cut Forest's rule). One metric: long memory
  // (timeDecay 1e-5 below): a single series' only context is its own history, and forgetting
  // daily/weekly patterns after 256 points cost ~11 NAB points (docs/results/nab.md). Several
  // metrics: AWS's 1/(10 sampleSize). Against the window of the last sampleSize points it found
  // the same CX incidents (docs/results/cx-incidents.md) and streams about twice as fast: a tree
  // takes ~10% of the points instead of deleting and inserting on every one (docs/results/bench.md).
  const singleMetric = spec.fields.length === 1;
  const sampling = config.sampling ?? 'decay';
  if (!SAMPLINGS.includes(sampling)) throw new ConfigError(`sampling must be one of ${SAMPLINGS.join(', ')}, got ${JSON.stringify(sampling)}`);

  const contamination = config.contamination ?? 0.01;
  if (typeof contamination !== 'number' || !(contamination > 0 && contamination <= 0.5)) {
    throw new ConfigError(`contamination must be a number in (0, 0.5], got ${JSON.stringify(config.contamination)}`);
  }
  let maxAlertsPerDay: number | undefined;
  if (config.maxAlertsPerDay !== undefined) {
    const m = config.maxAlertsPerDay;
    if (typeof m !== 'number' || !Number.isFinite(m) || m <= 0) {
      throw new ConfigError(`maxAlertsPerDay must be a positive number, got ${JSON.stringify(m)}`);
    }
    if (config.timeField === undefined) {
      throw new ConfigError('maxAlertsPerDay needs timeField: the budget is counted per day of record time');
    }
    maxAlertsPerDay = m;
  }
  const sampleSize = int('sampleSize', config.sampleSize, 256, 2, 1 << 20);
  const timeDecay = config.timeDecay ?? (singleMetric ? 1e-5 : 1 / (10 * sampleSize));
  if (typeof timeDecay !== 'number' || !(timeDecay >= 0 && timeDecay < 1)) {
    throw new ConfigError(`timeDecay must be a number in [0, 1), got ${JSON.stringify(config.timeDecay)}`);
  }
  const seed = config.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ConfigError(`seed must be a finite number, got ${JSON.stringify(seed)}`);

  const seasonality = config.seasonality ?? 'hourly';
  if (seasonality !== 'hourly' && seasonality !== 'none') {
    throw new ConfigError(`seasonality must be 'hourly' or 'none', got ${JSON.stringify(config.seasonality)}`);
  }
  let supportIndex = -1;
  if (config.supportField !== undefined) {
    supportIndex = spec.fields.findIndex((f) => f.name === config.supportField);
    if (supportIndex < 0) {
      throw new ConfigError(`supportField "${config.supportField}" is not a metric of the field spec (${spec.fields.map((f) => f.name).join(', ')})`);
    }
    // The support rules read it as a count of contacts: it must stay on its own scale.
    if (spec.fields[supportIndex]!.transform) {
      throw new ConfigError(`supportField "${config.supportField}" is a count of contacts: it cannot have a transform (":${spec.fields[supportIndex]!.transform}" in the field spec)`);
    }
  }
  const minSupport = config.minSupport ?? 5;
  if (typeof minSupport !== 'number' || !(minSupport >= 0) || !Number.isFinite(minSupport)) {
    throw new ConfigError(`minSupport must be a finite number >= 0, got ${JSON.stringify(config.minSupport)}`);
  }
  const metricSupport: [number, string][] = [];
  if (config.supportFields !== undefined) {
    const sf = config.supportFields;
    if (sf === null || typeof sf !== 'object' || Array.isArray(sf)) throw new ConfigError(`supportFields must be an object { metric: countField }, got ${JSON.stringify(sf)}`);
    for (const [metric, field] of Object.entries(sf)) {
      const m = spec.fields.findIndex((f) => f.name === metric);
      if (m < 0) throw new ConfigError(`supportFields: "${metric}" is not a metric of the field spec (${spec.fields.map((f) => f.name).join(', ')})`);
      if (typeof field !== 'string' || field === '') throw new ConfigError(`supportFields: the count field of "${metric}" must be a non-empty field name, got ${JSON.stringify(field)}`);
      metricSupport.push([m, field]);
    }
  }
  const minSupportPerMetric = config.minSupportPerMetric ?? 3;
  if (typeof minSupportPerMetric !== 'number' || !(minSupportPerMetric >= 0) || !Number.isFinite(minSupportPerMetric)) {
    throw new ConfigError(`minSupportPerMetric must be a finite number >= 0, got ${JSON.stringify(config.minSupportPerMetric)}`);
  }
  const ensembleRule = config.ensembleRule ?? 'mean';
  if (!ENSEMBLE_RULES.includes(ensembleRule)) throw new ConfigError(`ensembleRule must be one of ${ENSEMBLE_RULES.join(', ')}, got ${JSON.stringify(config.ensembleRule)}`);
  return {
    ensembleRule,
    supportIndex,
    minSupport,
    metricSupport,
    minSupportPerMetric,
    seasonality,
    spec,
    detector,
    timeField: optField('timeField', config.timeField),
    segmentField: optField('segmentField', config.segmentField),
    maxSegments: int('maxSegments', config.maxSegments, 64, 1),
    numTrees: int('numTrees', config.numTrees, 100, 1, 10000),
    sampleSize,
    shingleSize: config.shingleSize === undefined ? undefined : int('shingleSize', config.shingleSize, 1, 1, 1024),
    contamination,
    maxAlertsPerDay,
    minDuration: int('minDuration', config.minDuration, 1, 1),
    cooldown: int('cooldown', config.cooldown, 0, 0),
    sampling,
    timeDecay,
    seed,
    calibrationWindow: int('calibrationWindow', config.calibrationWindow, 1000, 16, 1 << 20),
    lazyFitAfter: int('lazyFitAfter', config.lazyFitAfter, 256, 2),
  };
}
