/**
 * The current model: one AnomalyDetector that scores /score batches (no state change)
 * and learns every stored record in order (streaming update). Training runs in a
 * worker_thread (train-worker.ts) so requests keep being answered meanwhile; the new
 * model is swapped in when it is ready, after it has caught up on the records stored
 * since its training snapshot.
 */
import { Worker } from 'node:worker_threads';
import { AnomalyDetector, type CxRecord, type DetectorConfig, type Result } from './engine.ts';
import type { ServerConfig } from './config.ts';
import type { Store, StoredRow } from './store.ts';
import type { TrainJob, TrainOutput } from './train-worker.ts';

export interface ModelInfo {
  /** `generated` (default model), `store` (POST /train) or `file` (loaded from the store at start-up). */
  readonly source: string;
  readonly createdAt: number;
  readonly records: number;
  readonly trainMillis: number;
  /** Stored records up to this seq were learnt (by fit or streaming). */
  readonly throughSeq: number;
}

/** Records replayed into a loaded model to bring its streaming state up to date (bounded: start-up time). */
export const CATCH_UP_LIMIT = 512;

/**
 * A worker on this package's train-worker.ts from source, on the bundle itself when built.
 * From source, the worker registers tsx first: loader hooks given with `--import` on the
 * main thread do not reach worker threads on Node 20.
 */
function startWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  if (!/\.ts$/.test(new URL(self).pathname)) return new Worker(new URL(self), { workerData });
  const entry = new URL('./train-worker.ts', self).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export function runInWorker(job: TrainJob): Promise<TrainOutput> {
  return new Promise((resolve, reject) => {
    const worker = startWorker({ cxTrainJob: job });
    let settled = false;
    worker.once('message', (msg: { ok: true; out: TrainOutput } | { ok: false; error: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.out);
      else reject(new Error(msg.error));
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`training worker exited with code ${code} before answering`));
      settled = true;
    });
  });
}

export class ModelManager {
  private detector: AnomalyDetector | null = null;
  private modelBytes: Uint8Array | null = null;
  info: ModelInfo | null = null;
  /** Message of the last failed training, for /health. */
  lastError: string | null = null;
  private training: Promise<ModelInfo> | null = null;
  private readyResolve!: () => void;
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));

  constructor(
    private readonly config: ServerConfig,
    private readonly store: Store,
  ) {}

  detectorConfig(): DetectorConfig {
    return {
      fields: this.config.fields,
      timeField: this.config.timeField,
      segmentField: this.config.segmentField,
      contamination: this.config.contamination,
      numTrees: this.config.numTrees,
      sampleSize: this.config.sampleSize,
      seed: this.config.seed,
    };
  }

  get isReady(): boolean {
    return this.detector !== null;
  }

  get isTraining(): boolean {
    return this.training !== null;
  }

  /**
   * The current model file (GET /model): the bytes of the model as trained (or loaded).
   * Not re-saved per request: saving a large forest takes long enough to stall the event loop.
   */
  bytes(): Uint8Array | null {
    return this.modelBytes;
  }

  /** Batch scoring, no state change (POST /score). */
  score(records: readonly CxRecord[]): Result[] {
    if (!this.detector) throw new Error('no model yet');
    return this.detector.score(records);
  }

  /** Streaming: scores then learns each record, in order. */
  update(records: readonly CxRecord[]): Result[] {
    if (!this.detector) throw new Error('no model yet');
    return this.detector.updateMany(records);
  }

  /**
   * Installs model bytes. Returns the stored rows it has not learnt (seq in
   * (info.throughSeq, scoredThrough], at most CATCH_UP_LIMIT, the newest): the caller
   * feeds them to the pipeline as learn-only work before anything newer.
   */
  install(bytes: Uint8Array, info: ModelInfo, scoredThrough: number): StoredRow[] {
    const det = AnomalyDetector.load(bytes);
    const rows =
      scoredThrough > info.throughSeq ? this.store.latest(CATCH_UP_LIMIT, scoredThrough).filter((r) => r.seq > info.throughSeq && r.result !== null) : [];
    this.detector = det;
    this.modelBytes = bytes;
    this.info = { ...info, throughSeq: Math.max(info.throughSeq, scoredThrough) };
    this.lastError = null;
    this.onInstall?.(rows);
    this.readyResolve();
    return rows;
  }

  /** Called with the catch-up rows of each installed model (set by app.ts: the pipeline). */
  onInstall: ((catchUp: StoredRow[]) => void) | null = null;

  /**
   * Start-up: the newest model stored by a /train when there is one, else a default model
   * fitted on generated data. Returns the replay intervals when `replay` is on.
   */
  async init(scoredThrough: () => number): Promise<TrainOutput | null> {
    const stored = this.store.latestModel();
    const wantReplay = this.config.replay;
    let out: TrainOutput | null = null;
    if (stored) {
      try {
        this.install(stored.bytes, { source: 'file', createdAt: stored.createdAt, records: stored.records, trainMillis: 0, throughSeq: stored.throughSeq }, scoredThrough());
      } catch (e) {
        this.lastError = `stored model ${stored.id} could not be loaded (${(e as Error).message}); training a default model`;
      }
    }
    if (!this.detector || wantReplay) {
      out = await runInWorker({
        detector: this.detectorConfig(),
        fit: this.detector ? 'none' : 'generated',
        days: this.config.generateDays,
        seed: this.config.seed,
        replaySeed: wantReplay ? this.config.seed + 1 : null,
      });
      if (out.bytes) {
        // The default model has learnt no stored record: everything stored is caught up.
        this.install(out.bytes, { source: 'generated', createdAt: Date.now(), records: out.records, trainMillis: out.millis, throughSeq: 0 }, scoredThrough());
      }
    }
    return out;
  }

  /** Retrains on the newest stored records in a worker (POST /train). One at a time. */
  train(scoredThrough: () => number): Promise<ModelInfo> {
    if (this.training) return this.training;
    const through = scoredThrough();
    const rows = this.store.latest(this.config.trainMaxRecords, through);
    if (rows.length < 64) {
      return Promise.reject(Object.assign(new Error(`POST /train needs at least 64 stored, scored records; the store has ${rows.length}`), { statusCode: 409 }));
    }
    const job: TrainJob = {
      detector: this.detectorConfig(),
      fit: 'records',
      records: rows.map((r) => r.record),
      days: this.config.generateDays,
      seed: this.config.seed,
      replaySeed: null,
    };
    this.training = runInWorker(job)
      .then((out) => {
        const info: ModelInfo = { source: 'store', createdAt: Date.now(), records: out.records, trainMillis: out.millis, throughSeq: through };
        this.store.saveModel(out.bytes!, 'store', out.records, through);
        this.install(out.bytes!, info, scoredThrough());
        return this.info!;
      })
      .catch((e: Error) => {
        this.lastError = `training failed: ${e.message}`;
        throw e;
      })
      .finally(() => {
        this.training = null;
      });
    return this.training;
  }
}
