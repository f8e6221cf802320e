/**
 * The current model. Training runs in a worker_thread (train-worker.ts); scoring runs in
 * long-lived scorer workers (scorer-worker.ts), so the event loop that answers requests
 * never waits on the forest:
 *   - stream workers (CX_STREAM_WORKERS) learn every stored record in seq order (streaming
 *     update); with several, each segment belongs to one of them (a segment's streaming
 *     state is its own), the chunk's parts run in parallel and the results come back in seq
 *     order, numbered as one stream (stream-numbering.ts);
 *   - batch workers (CX_SCORE_WORKERS) score /score requests (no state change), each
 *     request on the least busy one.
 * A new model (start-up, POST /train) is loaded into all of them; the stream workers first
 * catch up on the stored records the model has not learnt.
 */
import type { CxRecord, DetectorConfig } from './engine.ts';
import { formatFieldSpec, parseFieldSpec } from './engine.ts';
import { supportOf, supportText, type ServerConfig } from './config.ts';
import type { Store } from './store.ts';
import type { TrainJob, TrainOutput } from './train-worker.ts';
import type { LoadedConfig, UpdateOutput } from './scorer-worker.ts';
import { startWorker, WorkerRpc } from './workers.ts';
import { renumberResult, StreamNumbering } from './stream-numbering.ts';
import { SegmentPlacement } from './segment-placement.ts';

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

/** A stream worker died while it held a part (not a record's fault): the part goes again to its replacement. */
class WorkerStopped extends Error {}

async function updateOn(worker: WorkerRpc, records: readonly string[]): Promise<UpdateOutput> {
  try {
    // A record that cannot be scored is retried alone inside the worker (scorer-worker.ts
    // updateRecords), in its message order: the next chunk may already be queued behind it.
    return await worker.call<UpdateOutput>('update', `[${records.join(',')}]`);
  } catch (e) {
    if (!worker.alive) throw new WorkerStopped((e as Error).message);
    throw e;
  }
}

/**
 * Smallest /score request that is split over the batch workers (see `score`): below it the
 * extra messages and the merge cost more than the parallel scoring saves.
 */
export const SPLIT_MIN_RECORDS = 64;
/** A split part skips its segment's batch worker for the least busy one when that worker has this many more records in flight. */
export const SKEW_RECORDS = 1000;

/** Segments remembered by each worker placement (SegmentPlacement). */
const MAX_ASSIGNED_SEGMENTS = 100_000;

/** One stored row for the stream workers: its record's JSON text and segment (undefined: read from the record). */
export interface StreamRow {
  readonly record: string;
  readonly segment?: string | null;
}

/** What the stream workers made of a chunk, per row in order: Result JSON text, anomaly flag, or why it could not be scored. */
export interface StreamScored {
  readonly json: (string | null)[];
  readonly anomaly: number[];
  readonly error: (string | null)[];
}

export class ModelManager {
  /** Stream workers: each learns the segments assigned to it (`streamPlacement`), in seq order. */
  private readonly streams: (WorkerRpc | null)[];
  /** Batch workers (POST /score): a request goes to the one with the fewest records in flight, or, when large, split by segment (splitPlan). */
  private readonly batches: (WorkerRpc | null)[];
  private readonly batchLoad: number[];
  private modelBytes: Uint8Array | null = null;
  /** The model file in shared memory, for the workers: posting it copies nothing (a plain Uint8Array is cloned once per worker on the event loop: ~1 s for 4 workers and the 10.8 MB default model, profiled on a loaded machine). */
  private modelShared: SharedArrayBuffer | null = null;
  private loaded = false;
  info: ModelInfo | null = null;
  /** Message of the last failed training or load, for /health. */
  lastError: string | null = null;
  private training: Promise<ModelInfo> | null = null;
  private readyResolve!: () => void;
  readonly ready: Promise<void> = new Promise((r) => (this.readyResolve = r));
  private closed = false;
  /**
   * JSON texts of the records sent to the stream workers and not yet answered, per update call in
   * call (seq) order: a model swapped in meanwhile learns them (install).
   */
  private readonly inFlight = new Set<readonly string[]>();
  /** Settles when the last update call has numbered its results: calls number theirs in call order. */
  private numberingTail: Promise<void> = Promise.resolve();
  /**
   * Segment -> stream worker; reset by a model install. Past the cap, a segment that moves meets a
   * worker without its recent state, as a detector meets a segment its LRU evicted (the engine
   * keeps maxSegments = 64 per detector, far fewer than the cap).
   */
  private readonly streamPlacement: SegmentPlacement;
  /** Segment -> batch worker (splitPlan); kept across model installs (it only places work). */
  private readonly batchPlacement: SegmentPlacement;
  /** The stream's numbering (index, alertId) across the stream workers since the last install. */
  private numbering = new StreamNumbering();

  constructor(
    private readonly config: ServerConfig,
    private readonly store: Store,
    private readonly log: ModelLog,
  ) {
    this.streams = new Array<WorkerRpc | null>(config.streamWorkers).fill(null);
    this.streamPlacement = new SegmentPlacement(config.streamWorkers, MAX_ASSIGNED_SEGMENTS);
    this.batches = new Array<WorkerRpc | null>(config.scoreWorkers).fill(null);
    this.batchLoad = new Array<number>(config.scoreWorkers).fill(0);
    this.batchPlacement = new SegmentPlacement(config.scoreWorkers, MAX_ASSIGNED_SEGMENTS);
  }

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

  /** Records in flight per batch worker (for /health and tests: how /score requests are spread). */
  get scoreInFlight(): readonly number[] {
    return this.batchLoad.slice();
  }

  /** Worker counts (for /health). */
  get workerCounts(): { stream: number; batch: number } {
    return { stream: this.streams.length, batch: this.batches.length };
  }

  /** Starts the workers not running (all at first use; one that stopped is restarted with the current model). */
  private workers(): { streams: WorkerRpc[]; batches: WorkerRpc[] } {
    for (let k = 0; k < this.streams.length; k++) this.streams[k] ??= this.spawn('stream', k);
    for (let k = 0; k < this.batches.length; k++) this.batches[k] ??= this.spawn('batch', k);
    return { streams: this.streams as WorkerRpc[], batches: this.batches as WorkerRpc[] };
  }

  private spawn(kind: 'stream' | 'batch', k: number): WorkerRpc {
    const onExit = (why: string): void => {
      if (this.closed) return;
      this.log.error({ worker: `${kind} ${k}`, why }, 'scoring worker stopped; restarting it');
      (kind === 'stream' ? this.streams : this.batches)[k] = null;
      // Restarted with the current model; a stream worker's learnt state since then is lost.
      if (this.modelShared) {
        const w = this.workers()[kind === 'stream' ? 'streams' : 'batches'][k]!;
        w.call('load', { shared: this.modelShared, catchUp: [] }).catch((e: Error) => (this.lastError = e.message));
      }
    };
    const w = new WorkerRpc('scorer-worker', { cxScorer: kind }, onExit);
    if (kind === 'stream') {
      // Scoring what was ingested is background work: answering requests keeps the CPU first.
      w.call<string>('priority', this.config.scoringNice).then(
        (what) => {
          if (k === 0) this.streamPriority = what;
        },
        (e: Error) => {
          if (k === 0) this.streamPriority = `unchanged: ${e.message}`;
        },
      );
    }
    return w;
  }

  /** What lowering the stream workers' CPU priority gave (CX_SCORING_NICE; for /health). */
  streamPriority = 'not started';

  /** /score calls sent to the batch workers and not answered yet (for /health). */
  scoreCalls = 0;

  /**
   * Batch scoring, no state change (POST /score): the JSON text of the Result array. `text`:
   * the request body as it came, when it is JSON (an array, or `{ "records": [...] }`) and
   * holds exactly `records` (validated): the worker parses it, and the event loop sends a
   * string instead of cloning every record object.
   */
  async score(records: readonly CxRecord[], text?: string): Promise<string> {
    if (!this.loaded) throw new Error('no model yet');
    const { batches } = this.workers();
    const split = this.splitPlan(records);
    return split ? this.scoreSplit(records, split, batches) : this.scoreWhole(records, text, batches);
  }

  /** A /score request on one batch worker, the least busy: the fewest records in flight (requests differ in size); ties go to the first. */
  private async scoreWhole(records: readonly CxRecord[], text: string | undefined, batches: WorkerRpc[]): Promise<string> {
    let k = 0;
    for (let j = 1; j < batches.length; j++) if (this.batchLoad[j]! < this.batchLoad[k]!) k = j;
    this.batchLoad[k]! += records.length;
    this.scoreCalls++;
    try {
      return await batches[k]!.call<string>('score', text ?? records);
    } finally {
      this.batchLoad[k]! -= records.length;
      this.scoreCalls--;
    }
  }

  /**
   * How to split a /score request over the batch workers, or null to send it whole. Batch
   * scoring treats segments independently (each continues from its own shingle, with its own
   * alert state; only the Result `index` and the alert numbering run across the batch), so the
   * request is split BY SEGMENT, each segment's records in order to one worker, and the parts
   * run in parallel. A segment goes to the same worker every time (batchPlacement), so each worker
   * walks only its segments' forests: with every worker walking every segment's forest, their
   * caches held twice the trees (measured: ~10% more CPU a record, one connection's requests
   * no longer parallel). A part whose worker has SKEW_RECORDS more in flight than the least
   * busy one goes to that one instead, so one hot segment cannot queue behind itself while
   * another core idles.
   */
  private splitPlan(records: readonly CxRecord[]): { worker: number; rows: number[] }[] | null {
    const field = this.config.segmentField;
    if (records.length < SPLIT_MIN_RECORDS || !field || this.batchLoad.length < 2) return null;
    const byWorker = new Map<number, number[]>();
    for (let i = 0; i < records.length; i++) {
      const key = records[i]![field];
      const w = this.batchPlacement.workerOf(typeof key === 'string' ? key : '');
      let rows = byWorker.get(w);
      if (rows === undefined) byWorker.set(w, (rows = []));
      rows.push(i);
    }
    if (byWorker.size < 2) return null;
    let least = 0;
    for (let k = 1; k < this.batchLoad.length; k++) if (this.batchLoad[k]! < this.batchLoad[least]!) least = k;
    const parts: { worker: number; rows: number[] }[] = [];
    for (const [worker, rows] of byWorker) {
      const to = this.batchLoad[worker]! - this.batchLoad[least]! > SKEW_RECORDS ? least : worker;
      const same = parts.find((p) => p.worker === to);
      if (same) same.rows = [...same.rows, ...rows].sort((a, b) => a - b);
      else parts.push({ worker: to, rows });
    }
    return parts.length < 2 ? null : parts;
  }

  /**
   * Scores the parts of a split request in parallel and merges them into the text one worker
   * would have answered: each Result's `index` is its position in the request, and alerts are
   * numbered 1, 2, ... in the order they open across the request (each part numbers its own
   * from 1; an alert belongs to one segment, so to one part). A part that fails sends the
   * whole request to one worker, so an error names the record as it would unsplit.
   */
  private async scoreSplit(records: readonly CxRecord[], parts: { worker: number; rows: number[] }[], batches: WorkerRpc[]): Promise<string> {
    for (const p of parts) this.batchLoad[p.worker]! += p.rows.length;
    this.scoreCalls++;
    let outs: UpdateOutput[];
    try {
      outs = await Promise.all(parts.map((p) => batches[p.worker]!.call<UpdateOutput>('scoreEach', p.rows.map((i) => records[i]!))));
    } catch {
      outs = [];
    } finally {
      for (const p of parts) this.batchLoad[p.worker]! -= p.rows.length;
      this.scoreCalls--;
    }
    if (outs.length === 0) return this.scoreWhole(records, undefined, batches);
    const n = records.length;
    const partOf = new Int32Array(n);
    const posIn = new Int32Array(n);
    parts.forEach((p, k) => p.rows.forEach((i, j) => ((partOf[i] = k), (posIn[i] = j))));
    const alertMap = parts.map(() => new Map<number, number>());
    let nextAlert = 1;
    const json = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const k = partOf[i]!;
      const j = posIn[i]!;
      const o = outs[k]!;
      const local = o.alertId[j]!;
      let global = 0;
      if (local !== 0) {
        const map = alertMap[k]!;
        if (o.alertStart[j] === 1 || !map.has(local)) map.set(local, nextAlert++);
        global = map.get(local)!;
      }
      json[i] = renumberResult(o.json[j]!, j, i, local, global);
    }
    return `[${json.join(',')}]`;
  }

  private segmentOf(row: StreamRow): string {
    if (typeof row.segment === 'string') return row.segment;
    if (row.segment === undefined) {
      const v = (JSON.parse(row.record) as Record<string, unknown>)[this.config.segmentField];
      if (typeof v === 'string') return v;
    }
    return ''; // no segment: the detector rejects the record; any worker will say so
  }

  /**
   * Streaming: scores then learns each row, in order. With several stream workers the rows are
   * split by segment (each keeps its order), scored in parallel and renumbered as one stream
   * (stream-numbering.ts; with one worker too, so that the numbers of a worker restarted after
   * a crash continue the stream). A record that cannot be scored costs only itself.
   *
   * Calls may overlap (the pipeline keeps the next chunk in flight while it stores the last):
   * each call's parts are sent before it returns to the caller, and a worker handles its
   * messages in order, so a segment's rows are learnt in seq order across calls; the numbering
   * waits for the previous call's, so it runs in call order too.
   */
  async update(rows: readonly StreamRow[]): Promise<StreamScored> {
    if (!this.loaded) throw new Error('no model yet');
    const { streams } = this.workers();
    const n = rows.length;
    const flight = rows.map((r) => r.record);
    this.inFlight.add(flight);
    const numbering = this.numbering;
    const previous = this.numberingTail;
    let releaseNumbering!: () => void;
    this.numberingTail = new Promise<void>((r) => (releaseNumbering = r));
    try {
      const segments = rows.map((r) => this.segmentOf(r));
      const parts: number[][] = streams.map(() => []);
      for (let i = 0; i < n; i++) parts[this.streamPlacement.workerOf(segments[i]!)]!.push(i);
      // Posted before this call yields (updatePart posts before its first await), so in call order.
      const outs = await Promise.all(parts.map((ix, k) => (ix.length > 0 ? this.updatePart(k, ix.map((i) => rows[i]!.record)) : null)));
      await previous;
      const json = new Array<string | null>(n).fill(null);
      const anomaly = new Array<number>(n).fill(0);
      const error = new Array<string | null>(n).fill(null);
      const numbered = new Array<{ k: number; j: number }>(n);
      for (let k = 0; k < parts.length; k++) {
        const o = outs[k];
        if (!o) continue;
        const ix = parts[k]!;
        for (let j = 0; j < ix.length; j++) {
          json[ix[j]!] = o.json[j]!;
          anomaly[ix[j]!] = o.anomaly[j]!;
          error[ix[j]!] = o.error[j]!;
          numbered[ix[j]!] = { k, j };
        }
      }
      // Renumbered in stream order (see stream-numbering.ts).
      for (let i = 0; i < n; i++) {
        const text = json[i];
        if (text === null) continue;
        const { k, j } = numbered[i]!;
        const o = outs[k]!;
        const to = numbering.next(segments[i]!, o.index[j]!, o.alertId[j]!, o.alertStart[j] === 1);
        json[i] = renumberResult(text, o.index[j]!, to.index, o.alertId[j]!, to.alertId);
      }
      return { json, anomaly, error };
    } finally {
      this.inFlight.delete(flight);
      // A failed call releases the next only after the previous one has numbered, so the order holds.
      void previous.then(releaseNumbering);
    }
  }

  /**
   * Stream worker k's part of a chunk. If the worker dies while it holds the part (a crash, not
   * a record's fault: those are retried record by record in the worker), the part goes once more,
   * whole, to the worker that replaces it (started by the exit handler with the current model,
   * whose 'load' it handles first), so the records are scored rather than stored as unscorable.
   * The dead worker's learnt state since the model was installed is lost (see spawn).
   */
  private async updatePart(k: number, records: readonly string[]): Promise<UpdateOutput> {
    try {
      return await updateOn(this.workers().streams[k]!, records);
    } catch (e) {
      if (!(e instanceof WorkerStopped)) throw e;
      this.log.error({ worker: `stream ${k}`, records: records.length, why: e.message }, 'stream worker stopped during a part; scoring the part on its replacement');
      return updateOn(this.workers().streams[k]!, records);
    }
  }

  /**
   * Loads model bytes into every scorer worker; each stream worker first learns the stored
   * rows the model has not (seq in (info.throughSeq, scoredThrough], the newest
   * CATCH_UP_LIMIT) plus any batch in flight. Returns the loaded model's configuration.
   */
  async install(bytes: Uint8Array, info: ModelInfo, scoredThrough: number): Promise<LoadedConfig> {
    const rows = scoredThrough > info.throughSeq ? this.store.latest(CATCH_UP_LIMIT, scoredThrough).filter((r) => r.seq > info.throughSeq && r.result !== null) : [];
    const catchUp = [...rows.map((r) => JSON.parse(r.record) as CxRecord), ...[...this.inFlight].flatMap((f) => f.map((t) => JSON.parse(t) as CxRecord))];
    const { streams, batches } = this.workers();
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    // Every stream worker learns the whole catch-up: all start from the same state (the
    // segments they will own are assigned afresh), which StreamNumbering relies on.
    const loads = [
      ...streams.map((w) => w.call<LoadedConfig>('load', { shared, catchUp })),
      ...batches.map((w) => w.call<LoadedConfig>('load', { shared, catchUp: [] })),
    ];
    // Updates sent from now on reach the new model (each worker handles its messages in order).
    this.streamPlacement.clear();
    this.numbering = new StreamNumbering();
    const [cfg] = (await Promise.all(loads)) as [LoadedConfig];
    const why = this.mismatch(cfg);
    if (why) throw new Error(`the model was trained ${why}`);
    this.modelBytes = bytes;
    this.modelShared = shared;
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
    await Promise.all([...this.streams, ...this.batches].map((w) => w?.terminate()));
  }
}
