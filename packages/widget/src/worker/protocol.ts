/**
 * What crosses between the main thread and the engine worker. Everything large
 * is a typed array so it can be transferred (moved, not copied): records go in as
 * packed columns, results come back as columns, and the main thread builds
 * `Result` objects only when and where they are needed.
 */
import type { DetectorConfig, IsolationForestState, Progress } from '@cx-anomaly/engine';
import type { PathBackend, ProbeResult } from './accel-choice.ts';
import type { EngineBackend } from '../engine-client/types.ts';

/** One field of a record batch. */
export type PackedColumn =
  /** Numbers; NaN where the record had no value (undefined, null, NaN). */
  | { readonly kind: 'f64'; readonly values: Float64Array }
  /** Strings, dictionary-encoded; code -1 = no value. */
  | { readonly kind: 'dict'; readonly codes: Int32Array; readonly dict: readonly string[] }
  /** Anything else (numeric text from a CSV, bad values): sent as is, so the engine parses and reports it. */
  | { readonly kind: 'raw'; readonly values: readonly unknown[] };

/** Records as columns: only the fields the detector reads (metrics, time, segment). */
export interface RecordBatch {
  readonly length: number;
  readonly columns: Readonly<Record<string, PackedColumn>>;
}

/**
 * Results as columns. Per-metric arrays are row-major `length x metrics.length`.
 * NaN in `iforest` / `rcf` / `timestamp` = the field is absent from that Result.
 */
export interface ResultColumns {
  readonly length: number;
  /** Metric names, in field-spec order. */
  readonly metrics: readonly string[];
  /** `Result.index` of each row. */
  readonly index: Int32Array;
  readonly score: Float64Array;
  readonly grade: Float64Array;
  readonly isAnomaly: Uint8Array;
  readonly iforest: Float64Array;
  readonly rcf: Float64Array;
  readonly timestamp: Float64Array;
  /** Segment code per row (-1 = none) into `segmentDict`. */
  readonly segment: Int32Array;
  readonly segmentDict: readonly string[];
  readonly attrHigh: Float64Array;
  readonly attrLow: Float64Array;
  /** NaN = no expected value for that metric. */
  readonly expected: Float64Array;
  /** 1 where the metric was imputed. */
  readonly imputed: Uint8Array;
}

export interface WorkerTrainResult {
  readonly records: number;
  readonly fromCache: boolean;
  readonly millis: number;
  readonly key: string;
  /** The model file, so the client can restore it into a restarted worker. */
  readonly model: Uint8Array;
}

export interface ServiceInit {
  readonly backend: EngineBackend;
  /** Whether to use the IndexedDB cache (models, stream state). */
  readonly cache: boolean;
  /** Absolute URL base for tfjs-backend-wasm files, if the host serves them. */
  readonly wasmPaths?: string;
}

export interface ServiceInfo {
  readonly engineVersion: string;
  /** Where the service runs: 'worker' or 'main'. */
  readonly thread: 'worker' | 'main';
}

/** Called with throttled progress; in the worker this is a Comlink proxy. */
export type ProgressSink = (progress: Progress) => void;
export type WarningSink = (message: string, code: string) => void;

/** The API the worker exposes through Comlink (and the in-process fallback implements directly). */
export interface EngineServiceApi {
  /**
   * Handshake. `lockName`: the worker takes this Web Lock and holds it until it dies, so the
   * client learns of a death (terminate, out-of-memory, `close()`) when the lock is granted to it.
   */
  hello(init: ServiceInit, lockName: string | null, onWarning: WarningSink | null): Promise<ServiceInfo>;
  train(jobId: number, batch: RecordBatch, config: DetectorConfig, onProgress: ProgressSink | null): Promise<WorkerTrainResult>;
  score(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns>;
  update(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns>;
  exportModel(): Promise<Uint8Array>;
  /** Loads a model file; resolves to the record fields it reads (metrics, time, segment). */
  importModel(bytes: Uint8Array): Promise<string[]>;
  /** Sets the cancel flag of a running job; it stops at its next chunk boundary. */
  cancel(jobId: number): void;
  setBackend(backend: EngineBackend): Promise<void>;
  /**
   * Isolation Forest path-length sums over trees for a row-major matrix, on `backend`
   * ('auto': the fastest measured by the device probe for this size; 'gather': generic tfjs ops).
   * Equal, bit for bit, whichever backend runs.
   */
  pathLengthSums(backend: EngineBackend | 'gather', state: IsolationForestState, data: Float64Array, rows: number, cols: number): Promise<PathLengthRun>;
  /** Times each backend on this device (cached in IndexedDB unless `force`). */
  probeAccel(force: boolean): Promise<ProbeResult>;
  /** Which tree-path backend computed the Isolation Forest member of the last batch score ('js' or a GPU kernel); null before one. */
  lastScoreBackendUsed(): Promise<PathBackend | null>;
  /** Diagnostics for tests: makes the worker die ('close') or throw an uncaught error ('throw'). */
  crashForTesting(how: 'close' | 'throw'): void;
}

/** Buffers of a result, for Comlink.transfer. */
export function resultBuffers(r: ResultColumns): ArrayBuffer[] {
  return [r.index, r.score, r.grade, r.isAnomaly, r.iforest, r.rcf, r.timestamp, r.segment, r.attrHigh, r.attrLow, r.expected, r.imputed].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** Buffers of a record batch, for Comlink.transfer. */
export function batchBuffers(b: RecordBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const c of Object.values(b.columns)) {
    if (c.kind === 'f64') out.push(c.values.buffer as ArrayBuffer);
    else if (c.kind === 'dict') out.push(c.codes.buffer as ArrayBuffer);
  }
  return out;
}

/** Error names that survive the trip through Comlink (it keeps name and message). */
export const CANCELLED = 'AbortError';

export interface PathLengthRun {
  readonly sums: Float64Array;
  readonly backend: PathBackend;
  /** Milliseconds in the worker, tfjs loading included on a first use. */
  readonly millis: number;
}
