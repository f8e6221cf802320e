export { createEngineClient, defaultEnvironment, workerFactories, type EngineEnvironment } from './create-engine-client.ts';
export { EngineCrashedError, EngineStartError } from './errors.ts';
export { resultAt, buildResults } from '../worker/columns.ts';
export type {
  EngineBackend,
  EngineClient,
  EngineClientOptions,
  EngineMode,
  JobCallOptions,
  TrainSummary,
  RecordBatch,
  ResultColumns,
  PackedColumn,
} from './types.ts';
