/**
 * @cx-anomaly/engine public API. Isomorphic: nothing here imports a Node built-in
 * (the Node-only entry points live under src/cli/, src/node/ and the file-reading
 * parts of src/eval/ and src/nab/, which are not exported from here).
 */
export { ENGINE_VERSION } from './version.ts';

// Pipeline facade
export { AnomalyDetector } from './pipeline/anomaly-detector.ts';
export type { DetectorResult, ColumnarResult, MatrixInput } from './pipeline/anomaly-detector.ts';
export { STREAM_WARMUP } from './pipeline/rcf-adapter.ts';
export type { CxRecord, DetectorConfig, DetectorKind, JobOptions, Progress, SamplingMode } from './pipeline/types.ts';
export { ConfigError, resolveConfig } from './pipeline/config.ts';
export type { ResolvedConfig } from './pipeline/config.ts';
export { ScoreCalibrator, scoreFromSurprise, surpriseFromScore } from './pipeline/calibration.ts';
export type { CalibratorState } from './pipeline/calibration.ts';
export { combineSurprises, ENSEMBLE_RULES } from './pipeline/ensemble.ts';
export { PIPELINE_ODDS_DETECTORS, pipelineOddsDetector } from './pipeline/odds-detectors.ts';
export type { EnsembleRule } from './pipeline/ensemble.ts';
export { gradeOf } from './pipeline/grade.ts';
export { BUNDLE_DETECTOR } from './pipeline/bundle.ts';

// Result
export { severityOf } from './result.ts';
export type { Result, MetricAttribution, Severity } from './result.ts';

// Features
export { parseFieldSpec, formatFieldSpec, checkFieldsPresent, FieldSpecError, toModelScale, fromModelScale } from './features/field-spec.ts';
export type { Direction, FieldDef, FieldSpec, Transform } from './features/field-spec.ts';
export { vectorize, RecordError, parseNumericValue, isNumericOrMissing, isMissingValue } from './features/vectorize.ts';
export type { VectorizeInput, VectorizeOptions, Vectorized, RowTable, ColumnTable } from './features/vectorize.ts';
export { Imputer, imputedMetrics, columnMedian } from './features/imputer.ts';
export type { ImputerState } from './features/imputer.ts';
export { parseTime, formatTime, TimeParseError, EPOCH_SECONDS_LIMIT } from './features/time.ts';
export { specFromColumns, INFER_SAMPLE_ROWS } from './features/infer-spec.ts';
export type { InferredSpec, SkippedColumn } from './features/infer-spec.ts';

// I/O (text only)
export { CsvParser, parseCsv, CsvError } from './io/csv-parser.ts';
export type { CsvParserOptions } from './io/csv-parser.ts';
export { csvField, csvRow, csvText } from './io/csv-writer.ts';

// Detectors
export { IsolationForest, averagePathLength, EULER_GAMMA } from './iforest/index.ts';
// Tree-path accelerators (tfjs WebGL/WebGPU kernels); tfjs itself is imported lazily on first use.
export { createAccelerator, scoreSamplesAccelerated, jsPathLengthSums, AccelUnavailableError } from './accel/index.ts';
export type { AccelKind, AccelOptions, TreePathAccelerator, TfjsBackendName } from './accel/index.ts';
export type { IsolationForestOptions, IsolationForestParams, IsolationForestModelParts, IsolationForestState } from './iforest/index.ts';
export { RandomCutForest, createDiVector, diVectorTotal, Shingler, walkKernelStatus, setWalkKernelEnabled } from './rcf/index.ts';
export type { DiVector, RandomCutForestOptions, RcfParams, RcfState, RcfArray } from './rcf/index.ts';

// Model file
export { encodeModel, decodeModel, isModelFile, ModelFormatError, MODEL_MAGIC, MODEL_FORMAT_VERSION } from './model/format.ts';
export type { ModelArray, ModelDType, ModelHeader, ModelHeaderInput, DecodedModel } from './model/format.ts';

// Data
export { generateCxData, cxDataFiles, DEFAULT_QUEUES, INCIDENT_KINDS, CHANNELS, INTERVAL_MS } from './generate/cx-data.ts';
export type { CxData, GenerateOptions, Incident, IncidentKind, QueueProfile, Table, Channel } from './generate/cx-data.ts';

// Numerics
export { createMatrix, matrixFrom } from './matrix.ts';
export type { Matrix } from './matrix.ts';
export { Prng } from './random/prng.ts';
export { quantile } from './metrics/quantile.ts';
export { rocAuc, averagePrecision } from './metrics/ranking.ts';
