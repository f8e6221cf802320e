/**
 * The current model. Training runs in a worker_thread (train-worker.ts); scoring runs in
 * two long-lived scorer workers (scorer-worker.ts), so the event loop that answers
 * requests never waits on the forest:
 *   - the stream worker learns every stored record in seq order (streaming update);
 *   - the batch worker scores /score requests (no state change).
 * A new model (start-up, POST /train) is loaded into both; the stream worker first
 * catches up on the stored records the model has not learnt.
 */
import type { CxRecord, DetectorConfig } from './engine.ts';
import { formatFieldSpec, parseFieldSpec } from './engine.ts';
import { supportOf, supportText, type ServerConfig } from './config.ts';
import type { Store } from './store.ts';
import type { TrainJob, TrainOutput } from './train-worker.ts';
import type { LoadedConfig, UpdateOutput } from './scorer-worker.ts';
import { startWorker, WorkerRpc } from './workers.ts';

export interface ModelInfo {
  /** `generated` (default model), `store` (POST /train) or `file` (loaded from the store at start-up). */
  readonly source: string;
  readonly createdAt: number;
  readonly records: number;
  readonly trainMillis: number;
  /** Stored records up to this seq were learnt (by fit or streaming). */
  readonly throughSeq: number;
}

/** Stored records replayed into a newly loaded model to bring its streaming state up to date (bounded: start-up time). */
export const CATCH_UP_LIMIT = 512;

export function runInWorker(job: TrainJob): Promise<TrainOutput> {
  return new Promise((resolve, reject) => {
    const worker = startWorker('train-worker', { cxTrainJob: job });
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

export interface ModelLog {
  error(obj: object, msg: string): void;
}

export class ModelManager {
  private stream: WorkerRpc | null = null;
  private batch: WorkerRpc | null = null;
  private modelBytes: Uint8Array | null = null;
  private loaded = false;
  info: ModelInfo | null = null;
  /** Message of the last failed training or load, for /health. */
  lastError: string | null = null;
  private training: Promise<ModelInfo> | null = null;
  private readyResolve!: () => void;
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));
  private closed = false;
  /** JSON text of the records sent to the stream worker and not yet answered (learnt by a model swapped in meanwhile). */
  private inFlight = '[]';

  constructor(
    private readonly config: ServerConfig,
    private readonly store: Store,
    private readonly log: ModelLog,
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
      ...supportOf(this.config),
    };
  }

  get isReady(): boolean {
    return this.loaded;
  }

  get isTraining(): boolean {
    return this.training !== null;
  }

  /** The current model file (GET /model): the bytes of the model as trained or loaded. */
  bytes(): Uint8Array | null {
    return this.modelBytes;
  }

  private workers(): [WorkerRpc, WorkerRpc] {
    const onExit = (which: string) => (why: string) => {
      if (this.closed) return;
      this.log.error({ worker: which, why }, 'scoring worker stopped; restarting it');
      if (which === 'stream') this.stream = null;
      else this.batch = null;
      // Restarted with the current model; the stream worker's learnt state since then is lost.
      if (this.modelBytes) {
        const w = this.spawn(which);
        w.call('load', { bytes: this.modelBytes, catchUp: [] }).catch((e: Error) => (this.lastError = e.message));
      }
    };
    if (!this.stream) {
      this.stream = new WorkerRpc('scorer-worker', { cxScorer: 'stream' }, onExit('stream'));
      // Scoring what was ingested is background work: answering requests keeps the CPU first.
      this.stream.call<string>('priority', this.config.scoringNice).then(
        (what) => (this.streamPriority = what),
        (e: Error) => (this.streamPriority = `unchanged: ${e.message}`),
      );
    }
    this.batch ??= new WorkerRpc('scorer-worker', { cxScorer: 'batch' }, onExit('batch'));
    return [this.stream, this.batch];
  }

  private spawn(which: string): WorkerRpc {
    this.workers();
    return which === 'stream' ? this.stream! : this.batch!;
  }

  /** What lowering the stream worker's CPU priority gave (CX_SCORING_NICE; for /health). */
  streamPriority = 'not started';

  /** /score calls sent to the batch worker and not answered yet (for /health). */
  scoreCalls = 0;

  /** Batch scoring, no state change (POST /score): the JSON text of the Result array. */
  async score(records: readonly CxRecord[]): Promise<string> {
    if (!this.loaded) throw new Error('no model yet');
    this.scoreCalls++;
    try {
      return await this.workers()[1].call<string>('score', records);
    } finally {
      this.scoreCalls--;
    }
  }

  /** Streaming: scores then learns each record (a JSON array text), in order. One call at a time (the pipeline's). */
  async update(recordsJson: string): Promise<UpdateOutput> {
    if (!this.loaded) throw new Error('no model yet');
    this.inFlight = recordsJson;
    try {
      return await this.workers()[0].call<UpdateOutput>('update', recordsJson);
    } finally {
      this.inFlight = '[]';
    }
  }

  /**
   * Loads model bytes into both scorer workers; the stream worker first learns the stored
   * rows the model has not (seq in (info.throughSeq, scoredThrough], the newest
   * CATCH_UP_LIMIT) plus any batch in flight. Returns the loaded model's configuration.
   */
  async install(bytes: Uint8Array, info: ModelInfo, scoredThrough: number): Promise<LoadedConfig> {
    const rows = scoredThrough > info.throughSeq ? this.store.latest(CATCH_UP_LIMIT, scoredThrough).filter((r) => r.seq > info.throughSeq && r.result !== null) : [];
    const catchUp = [...rows.map((r) => JSON.parse(r.record) as CxRecord), ...(JSON.parse(this.inFlight) as CxRecord[])];
    const [stream, batch] = this.workers();
    const [cfg] = await Promise.all([stream.call<LoadedConfig>('load', { bytes, catchUp }), batch.call<LoadedConfig>('load', { bytes, catchUp: [] })]);
    const why = this.mismatch(cfg);
    if (why) throw new Error(`the model was trained ${why}`);
    this.modelBytes = bytes;
    this.info = { ...info, throughSeq: Math.max(info.throughSeq, scoredThrough) };
    this.loaded = true;
    this.lastError = null;
    this.readyResolve();
    return cfg;
  }

  /** Why a loaded model does not fit the configuration (fields, time/segment field, parameters), or null. */
  mismatch(c: LoadedConfig): string | null {
    const want = this.detectorConfig();
    const fields = formatFieldSpec(parseFieldSpec(want.fields as string));
    if (c.fields !== fields) return `for fields ${c.fields}, not ${fields}`;
    if (c.timeField !== want.timeField || c.segmentField !== want.segmentField) return `with time/segment fields ${c.timeField}/${c.segmentField}`;
    if (c.contamination !== want.contamination || c.numTrees !== want.numTrees || c.sampleSize !== want.sampleSize) {
      return `with contamination ${c.contamination}, ${c.numTrees} trees of ${c.sampleSize} points`;
    }
    const support = supportText(want.supportField, want.supportFields);
    if (c.support !== support) return `with support fields ${c.support || 'none'}, not ${support || 'none'}`;
    return null;
  }

  /**
   * Start-up: the newest model kept in the store when it fits the configuration, else a
   * default model fitted on generated data (then kept in the store for the next start).
   * Returns the worker output, with the replay intervals when the replay is on.
   */
  async init(scoredThrough: () => number): Promise<TrainOutput | null> {
    const stored = this.store.latestModel();
    let haveModel = false;
    if (stored) {
      try {
        await this.install(stored.bytes, { source: 'file', createdAt: stored.createdAt, records: stored.records, trainMillis: 0, throughSeq: stored.throughSeq }, scoredThrough());
        haveModel = true;
      } catch (e) {
        this.lastError = `stored model ${stored.id} not used (${(e as Error).message}); training a new default model`;
      }
    }
    const wantReplay = this.config.replay;
    if (haveModel && !wantReplay) return null;
    const out = await runInWorker({
      detector: this.detectorConfig(),
      fit: haveModel ? 'none' : 'generated',
      days: this.config.generateDays,
      seed: this.config.seed,
      replaySeed: wantReplay ? this.config.seed + 1 : null,
    });
    if (out.bytes) {
      this.store.saveModel(out.bytes, 'generated', out.records, 0);
      // The default model has learnt no stored record (throughSeq 0): the newest stored ones are caught up.
      await this.install(out.bytes, { source: 'generated', createdAt: Date.now(), records: out.records, trainMillis: out.millis, throughSeq: 0 }, scoredThrough());
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
      .then(async (out) => {
        const info: ModelInfo = { source: 'store', createdAt: Date.now(), records: out.records, trainMillis: out.millis, throughSeq: through };
        this.store.saveModel(out.bytes!, 'store', out.records, through);
        await this.install(out.bytes!, info, scoredThrough());
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

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.stream?.terminate(), this.batch?.terminate()]);
  }
}
