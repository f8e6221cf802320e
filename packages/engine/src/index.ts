// Public API of @cx-anomaly/engine (isomorphic: nothing here may import Node built-ins).
export { ENGINE_VERSION } from './version.ts';
export { Prng } from './random/prng.ts';
export type { Matrix } from './matrix.ts';
export { createMatrix, matrixFrom } from './matrix.ts';
export type { Direction, FieldDef, FieldSpec } from './features/field-spec.ts';
export { parseFieldSpec, formatFieldSpec, checkFieldsPresent, FieldSpecError } from './features/field-spec.ts';
export type { Result, MetricAttribution, Severity } from './result.ts';
export { severityOf } from './result.ts';
export type { CxRecord, DetectorConfig, DetectorKind, SamplingMode, Progress, JobOptions } from './pipeline/types.ts';
