/**
 * The one async interface between the widget and the engine. Behind it the engine runs in a
 * Web Worker (Comlink), or in-process when no worker can start. The element never calls
 * detectors directly.
 */
import type { CxRecord, DetectorConfig, Progress, Result } from '@cx-anomaly/engine';
import type { RecordBatch, ResultColumns } from '../worker/protocol.ts';

export type { RecordBatch, ResultColumns, PackedColumn } from '../worker/protocol.ts';

/** How the engine was started. */
export type EngineMode = 'module-worker' | 'blob-worker' | 'url-worker' | 'in-process';

/** Which tree-path implementation scores large batches. */
export type EngineBackend = 'auto' | 'js' | 'webgl' | 'webgpu';

export interface EngineClientOptions {
  /** Same-origin worker URL named by the host (`worker-url`), for pages whose CSP forbids `blob:`. */
  readonly workerUrl?: string;
  /** Tree-path backend override. */
  readonly backend?: EngineBackend;
  /**
   * Warnings the host should see. Codes: 'worker-unavailable' (running in-process),
   * 'worker-restarted' (the worker died and was restarted), 'cache-unavailable'
   * (IndexedDB missing/blocked/full: working from memory), 'cache-corrupt' (a cached
   * model was dropped and the model retrained), 'accel-unavailable'.
   */
  readonly onWarning?: (message: string, code: string) => void;
  /** Milliseconds a worker has to answer the start handshake before the next mode is tried. Default 20000. */
  readonly startTimeoutMs?: number;
  /** Milliseconds a cancelled job has to stop before the worker is terminated and restarted. Default 1000. */
  readonly cancelGraceMs?: number;
  /** Persist models, streaming state in IndexedDB. Default true. */
  readonly cache?: boolean;
}

export interface JobCallOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

export interface TrainSummary {
  /** Records trained on. */
  readonly records: number;
  /** True when the model came from the IndexedDB cache instead of training. */
  readonly fromCache: boolean;
  /** Milliseconds spent (training, or loading from cache). */
  readonly millis: number;
  /** Cache key of the model (hash of engine version, config, field spec, data fingerprint). */
  readonly key: string;
}

export interface EngineClient {
  readonly mode: EngineMode;
  /** Trains (or loads from cache) a detector for these records and config. */
  train(records: readonly CxRecord[], config: DetectorConfig, options?: JobCallOptions): Promise<TrainSummary>;
  /** Scores records with the trained model, without changing streaming state. */
  score(records: readonly CxRecord[], options?: JobCallOptions): Promise<Result[]>;
  /** Streaming: scores then learns from each record, in order. */
  update(records: readonly CxRecord[], options?: JobCallOptions): Promise<Result[]>;
  /** The current model file (versioned format), for saving or sending. */
  exportModel(): Promise<Uint8Array>;
  /** Loads a model file (e.g. from the server's GET /model). */
  importModel(bytes: Uint8Array): Promise<void>;
  /**
   * Columnar scoring for big batches: records (or an already packed batch, whose typed
   * arrays are transferred to the worker, i.e. detached here) in, typed-array columns
   * out; build `Result`s only where needed with `resultAt(columns, i)`.
   */
  scoreColumns(records: readonly CxRecord[] | RecordBatch, options?: JobCallOptions): Promise<ResultColumns>;
  /** Columnar streaming update (see `scoreColumns`). */
  updateColumns(records: readonly CxRecord[] | RecordBatch, options?: JobCallOptions): Promise<ResultColumns>;
  /** Tree-path backend for large batches (see EngineBackend). */
  setBackend(backend: EngineBackend): Promise<void>;
  /** Stops the worker and frees its memory. */
  dispose(): void;
}
