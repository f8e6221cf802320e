/**
 * The engine behind the {@link EngineServiceApi}: one AnomalyDetector, the model
 * cache, progress and cancellation. The same class runs inside the worker (exposed
 * through Comlink) and on the main thread (the in-process fallback), so both modes
 * compute exactly the same thing.
 *
 * Chunking and cancellation. Streaming updates are split into chunks of about
 * `CHUNK_TARGET_MS` of work (exact: the detector's state carries over between
 * `updateMany` calls); between chunks the service yields to the event loop, where a
 * `cancel(jobId)` message can arrive, and then checks the job's cancel flag. `fit`
 * and batch `score` are single engine calls (batch scoring carries shingles and
 * alert state across the whole batch, so slicing it would change results); the
 * engine polls the job's signal inside them, which reacts to a cancel only when
 * something can set it synchronously (in-process: the caller's AbortSignal). For a
 * worker that does not stop in time, the client terminates and restarts it (see
 * engine-client/worker-client.ts).
 */
import { AnomalyDetector, ENGINE_VERSION, createAccelerator, jsPathLengthSums, scoreSamplesAccelerated, type AccelKind, type DetectorConfig, type IsolationForestState, type Progress, type TreePathAccelerator } from '@cx-anomaly/engine';
import { cachedProbe, choose, type PathBackend, type ProbeResult } from './accel-choice.ts';
import type { EngineBackend } from '../engine-client/types.ts';
import { KvStore } from '../cache/kv-store.ts';
import { MODEL_DB, MODEL_STORE, ModelCache, modelCacheKey } from '../cache/model-cache.ts';
import { fieldsOf } from './fields.ts';
import { allocResultColumns, unpackRecords, writeResults, yieldForMessages } from './columns.ts';
import type {
  EngineServiceApi,
  PathLengthRun,
  ProgressSink,
  RecordBatch,
  ResultColumns,
  ServiceInfo,
  ServiceInit,
  WarningSink,
  WorkerTrainResult,
} from './protocol.ts';

/** Streaming chunks aim at this many milliseconds: between chunks the worker reads its messages (cancel). */
export const CHUNK_TARGET_MS = 100;
const FIRST_UPDATE_CHUNK = 64;
const MAX_UPDATE_CHUNK = 16384;
/** Least milliseconds between two progress reports. */
export const PROGRESS_INTERVAL_MS = 100;
/** Least milliseconds between two streaming-state snapshots written to the cache. */
export const STREAM_SNAPSHOT_INTERVAL_MS = 5000;

export class CancelledError extends Error {
  override name = 'AbortError';
}

function throttle(sink: ProgressSink | null): ProgressSink | undefined {
  if (!sink) return undefined;
  let last = -Infinity;
  return (p: Progress) => {
    const now = performance.now();
    if (p.done < p.total && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    // A Comlink proxy returns a promise; a failed report must not fail the job.
    try {
      void Promise.resolve(sink(p)).catch(() => undefined);
    } catch {
      // ignore
    }
  };
}

/** A signal-shaped cancel flag the engine can poll (it calls throwIfAborted()). */
class JobFlag {
  aborted = false;
  reason: unknown = undefined;
  constructor(readonly external?: AbortSignal) {}
  throwIfAborted(): void {
    if (this.external?.aborted) throw new CancelledError(`job cancelled: ${String(this.external.reason ?? 'aborted')}`);
    if (this.aborted) throw new CancelledError('job cancelled');
  }
  get isAborted(): boolean {
    return this.aborted || this.external?.aborted === true;
  }
}

export class EngineService implements EngineServiceApi {
  private detector: AnomalyDetector | null = null;
  private modelKey: string | null = null;
  private readonly jobs = new Map<number, JobFlag>();
  private store: KvStore | null = null;
  private cache: ModelCache | null = null;
  private onWarning: WarningSink | null = null;
  private backend: EngineBackend = 'auto';
  private lastScoreBackend: PathBackend | null = null;
  private lastSnapshot = 0;
  private snapshotTimer: ReturnType<typeof setTimeout> | null = null;
  private probe: ProbeResult | null = null;
  private probing: Promise<unknown> | null = null;
  private readonly accels = new Map<AccelKind, Promise<TreePathAccelerator>>();

  constructor(private readonly thread: 'worker' | 'main') {}

  async hello(init: ServiceInit, lockName: string | null, onWarning: WarningSink | null): Promise<ServiceInfo> {
    this.onWarning = onWarning;
    this.backend = init.backend;
    this.store = new KvStore({ dbName: MODEL_DB, storeName: MODEL_STORE, onWarning: (m, c) => this.warn(m, c), memoryOnly: !init.cache });
    this.cache = new ModelCache(this.store);
    if (lockName && typeof navigator !== 'undefined' && navigator.locks) {
      // Held until this worker dies: the client's request for the same lock is granted then.
      await new Promise<void>((granted) => {
        void navigator.locks.request(lockName, () => {
          granted();
          return new Promise<never>(() => undefined);
        });
      });
    }
    return { engineVersion: ENGINE_VERSION, thread: this.thread };
  }

  /** In-process: jobs take the caller's AbortSignal directly. */
  registerSignal(jobId: number, signal: AbortSignal | undefined): void {
    this.jobs.set(jobId, new JobFlag(signal));
  }

  cancel(jobId: number): void {
    const f = this.jobs.get(jobId);
    if (f) f.aborted = true;
  }

  async setBackend(backend: EngineBackend): Promise<void> {
    this.backend = backend;
  }

  get currentBackend(): EngineBackend {
    return this.backend;
  }

  async train(jobId: number, batch: RecordBatch, config: DetectorConfig, onProgress: ProgressSink | null): Promise<WorkerTrainResult> {
    const flag = this.flag(jobId);
    try {
      const t0 = performance.now();
      const key = modelCacheKey(config, batch);
      const progress = throttle(onProgress);
      const cached = this.cache ? await this.cache.get(key) : ({ hit: false, reason: 'absent' } as const);
      flag.throwIfAborted();
      if (cached.hit) {
        try {
          // Streaming state saved since the model was trained takes precedence over the bare model.
          const stream = await this.cache!.get(ModelCache.streamKey(key));
          const bytes = stream.hit ? stream.bytes : cached.bytes;
          this.detector = AnomalyDetector.load(bytes);
          this.modelKey = key;
          progress?.({ done: batch.length, total: batch.length, phase: 'fit' });
          return { records: batch.length, fromCache: true, millis: performance.now() - t0, key, model: this.detector.save() };
        } catch (e) {
          await this.cache!.delete(key);
          await this.cache!.delete(ModelCache.streamKey(key));
          this.warn(`The cached model could not be loaded (${(e as Error).message}); retraining`, 'cache-corrupt');
        }
      } else if (cached.reason !== 'absent') {
        this.warn(`The cached model was ${cached.reason === 'corrupt' ? 'damaged (checksum mismatch)' : 'written by another engine or cache format'} and was dropped; retraining`, 'cache-corrupt');
      }
      const records = unpackRecords(batch);
      const det = new AnomalyDetector(config);
      det.fit(records, { signal: flag as unknown as AbortSignal, ...(progress ? { onProgress: progress } : {}) });
      flag.throwIfAborted();
      const model = det.save();
      this.detector = det;
      this.modelKey = key;
      if (this.cache) {
        await this.cache.put(key, model);
        await this.cache.delete(ModelCache.streamKey(key));
      }
      progress?.({ done: batch.length, total: batch.length, phase: 'fit' });
      return { records: batch.length, fromCache: false, millis: performance.now() - t0, key, model };
    } finally {
      this.jobs.delete(jobId);
    }
  }

  async score(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns> {
    const flag = this.flag(jobId);
    try {
      const det = this.requireDetector('score');
      const progress = throttle(onProgress);
      const opts = { signal: flag as unknown as AbortSignal, ...(progress ? { onProgress: progress } : {}) };
      const records = unpackRecords(batch);
      // The Isolation Forest member's tree paths go to the GPU kernel when the
      // probe (or the `engine` override) picks one for a batch of this size;
      // the rest of the pipeline runs here either way, with identical results.
      const use = this.resolveBackend(this.backend, batch.length);
      let results: ReturnType<AnomalyDetector['score']> | null = null;
      if (use !== 'js') {
        try {
          const accel = await this.accelerator(use);
          results = await det.scoreWith(records, { ...opts, ifScores: (forest, X) => scoreSamplesAccelerated(forest, X, accel) });
          this.lastScoreBackend = use;
        } catch (e) {
          if (this.backend !== 'auto' || (e as Error).name === 'AbortError') throw e;
          this.warn(`The ${use} tree-path kernel failed (${(e as Error).message}); scoring with the JS loop`, 'accel-unavailable');
        }
      }
      if (!results) {
        results = det.score(records, opts);
        this.lastScoreBackend = 'js';
      }
      flag.throwIfAborted();
      const cols = allocResultColumns(results.length, det.config.spec.fields.map((f) => f.name));
      writeResults(cols, results, 0, new Map());
      return cols;
    } finally {
      this.jobs.delete(jobId);
    }
  }

  async update(jobId: number, batch: RecordBatch, onProgress: ProgressSink | null): Promise<ResultColumns> {
    const flag = this.flag(jobId);
    try {
      // Stream-only use (no fit) needs a config, which only train() gives.
      const det = this.requireDetector('update');
      const n = batch.length;
      const progress = throttle(onProgress);
      const cols = allocResultColumns(n, det.config.spec.fields.map((f) => f.name));
      const segments = new Map<string, number>();
      // Chunks sized to take about CHUNK_TARGET_MS, so a cancel is seen within that time.
      let chunk = FIRST_UPDATE_CHUNK;
      for (let from = 0; from < n; ) {
        const to = Math.min(n, from + chunk);
        const t0 = performance.now();
        const results = det.updateMany(unpackRecords(batch, from, to), { signal: flag as unknown as AbortSignal });
        writeResults(cols, results, from, segments);
        const perRecord = (performance.now() - t0) / (to - from);
        chunk = Math.max(16, Math.min(MAX_UPDATE_CHUNK, Math.round(CHUNK_TARGET_MS / Math.max(perRecord, 1e-3))));
        from = to;
        progress?.({ done: to, total: n, phase: 'update' });
        if (to < n) {
          // Let a cancel message in, then honour it. State stays consistent: whole chunks only.
          await yieldForMessages();
          flag.throwIfAborted();
        }
      }
      this.scheduleSnapshot();
      return cols;
    } finally {
      this.jobs.delete(jobId);
    }
  }

  async exportModel(): Promise<Uint8Array> {
    return this.requireDetector('exportModel').save();
  }

  async importModel(bytes: Uint8Array): Promise<string[]> {
    const det = AnomalyDetector.load(bytes);
    this.detector = det;
    this.modelKey = null;
    return fieldsOf({ fields: det.config.spec, timeField: det.config.timeField, segmentField: det.config.segmentField });
  }

  async pathLengthSums(backend: EngineBackend | 'gather', state: IsolationForestState, data: Float64Array, rows: number, cols: number): Promise<PathLengthRun> {
    const t0 = performance.now();
    let use: PathBackend = backend === 'gather' ? backend : this.resolveBackend(backend, rows);
    let sums: Float64Array;
    if (use === 'js') sums = jsPathLengthSums(state, data, rows, cols);
    else {
      try {
        sums = await (await this.accelerator(use)).pathLengthSums(state, data, rows, cols);
      } catch (e) {
        if (backend !== 'auto') throw e;
        this.warn(`The ${use} tree-path kernel failed (${(e as Error).message}); using the JS loop`, 'accel-unavailable');
        use = 'js';
        sums = jsPathLengthSums(state, data, rows, cols);
      }
    }
    return { sums, backend: use, millis: performance.now() - t0 };
  }

  /**
   * The tree-path backend for a batch of `rows`: the override, or with 'auto' the
   * fastest the device probe measured near that size (JS until a probe exists; a
   * batch of 20k rows or more starts the probe in the background).
   */
  private resolveBackend(backend: EngineBackend, rows: number): PathBackend {
    if (backend !== 'auto') return backend;
    if (!this.probe && !this.probing && rows >= 20000) {
      // Measure once in the background; this batch runs on JS.
      this.probing = this.probeAccel(false).catch(() => null);
    }
    return choose(this.probe, rows);
  }

  /** Which backend computed the Isolation Forest paths of the last batch score() (diagnostics, tests). */
  async lastScoreBackendUsed(): Promise<PathBackend | null> {
    return this.lastScoreBackend;
  }

  async probeAccel(force: boolean): Promise<ProbeResult> {
    this.probe = await cachedProbe(undefined, force);
    return this.probe;
  }

  private accelerator(kind: AccelKind): Promise<TreePathAccelerator> {
    let a = this.accels.get(kind);
    if (!a) {
      a = createAccelerator(kind);
      this.accels.set(kind, a);
      a.catch(() => this.accels.delete(kind));
    }
    return a;
  }

  crashForTesting(how: 'close' | 'throw'): void {
    if (this.thread !== 'worker') return;
    if (how === 'close') (globalThis as unknown as { close(): void }).close();
    else
      setTimeout(() => {
        throw new Error('crashForTesting: uncaught error in the engine worker');
      }, 0);
  }

  /** Writes the streaming state to the cache, at most every STREAM_SNAPSHOT_INTERVAL_MS. */
  private scheduleSnapshot(): void {
    if (!this.cache || !this.modelKey || this.snapshotTimer) return;
    const wait = Math.max(0, this.lastSnapshot + STREAM_SNAPSHOT_INTERVAL_MS - Date.now());
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      void this.flushSnapshot();
    }, wait);
  }

  /** Saves the streaming state now (also used before a planned shutdown). */
  async flushSnapshot(): Promise<void> {
    if (!this.cache || !this.modelKey || !this.detector) return;
    this.lastSnapshot = Date.now();
    await this.cache.put(ModelCache.streamKey(this.modelKey), this.detector.save());
  }

  private flag(jobId: number): JobFlag {
    let f = this.jobs.get(jobId);
    if (!f) {
      f = new JobFlag();
      this.jobs.set(jobId, f);
    }
    return f;
  }

  private requireDetector(what: string): AnomalyDetector {
    if (!this.detector) throw new Error(`${what}: no model; call train() or importModel() first`);
    return this.detector;
  }

  private warn(message: string, code: string): void {
    try {
      void Promise.resolve(this.onWarning?.(message, code)).catch(() => undefined);
    } catch {
      // a host callback that throws must not break the engine
    }
  }
}
