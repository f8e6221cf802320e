/**
 * What both clients (worker, in-process) share: packing records into columns on
 * the main thread in short slices, building Results from the returned columns in
 * short slices, and remembering the fields and the last model file.
 */
import type { CxRecord, DetectorConfig, Result } from '@cx-anomaly/engine';
import { buildResults, packRecords } from '../worker/columns.ts';
import { fieldsOf } from '../worker/fields.ts';
import type { EngineServiceApi, ProgressSink, RecordBatch, ResultColumns } from '../worker/protocol.ts';
import { abortError } from './errors.ts';
import type { EngineBackend, EngineClient, EngineClientOptions, EngineMode, JobCallOptions, TrainSummary } from './types.ts';

export function isRecordBatch(x: unknown): x is RecordBatch {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as RecordBatch).length === 'number' && typeof (x as RecordBatch).columns === 'object';
}

/** Runs one job against the service: the client subclass supplies cancellation, transfer and crash handling. */
export type Job<T> = (api: EngineServiceApi, jobId: number, onProgress: ProgressSink | null) => Promise<T>;

export abstract class BaseEngineClient implements EngineClient {
  abstract readonly mode: EngineMode;
  /** Record fields the current model reads; null before train/import. */
  protected fields: string[] | null = null;
  /** The last model file trained or imported: restored into a restarted worker. */
  protected lastModel: Uint8Array | null = null;
  protected backend: EngineBackend;
  protected disposed = false;
  private nextJob = 1;

  constructor(protected readonly options: EngineClientOptions) {
    this.backend = options.backend ?? 'auto';
  }

  /** Runs a job; `transferables` are moved to the worker with the call. */
  protected abstract invoke<T>(what: string, job: Job<T>, options: JobCallOptions | undefined): Promise<T>;
  /** Prepares a batch for sending (the worker client marks its buffers for transfer). */
  protected abstract send(batch: RecordBatch): RecordBatch;
  abstract dispose(): void;
  abstract setBackend(backend: EngineBackend): Promise<void>;

  protected newJobId(): number {
    return this.nextJob++;
  }

  protected checkAlive(what: string): void {
    if (this.disposed) throw new Error(`${what}: the engine client was disposed`);
  }

  async train(records: readonly CxRecord[], config: DetectorConfig, options?: JobCallOptions): Promise<TrainSummary> {
    this.checkAlive('train');
    if (!Array.isArray(records)) throw new TypeError(`train: expected an array of records, got ${records === null ? 'null' : typeof records}`);
    const fields = fieldsOf(config);
    const batch = await packRecords(records, fields);
    if (options?.signal?.aborted) throw abortError(options.signal, 'train');
    const r = await this.invoke('train', (api, id, progress) => api.train(id, this.send(batch), config, progress), options);
    this.fields = fields;
    this.lastModel = r.model;
    return { records: r.records, fromCache: r.fromCache, millis: r.millis, key: r.key };
  }

  async scoreColumns(records: readonly CxRecord[] | RecordBatch, options?: JobCallOptions): Promise<ResultColumns> {
    const batch = await this.toBatch(records, 'score', options);
    return this.invoke('score', (api, id, progress) => api.score(id, this.send(batch), progress), options);
  }

  async updateColumns(records: readonly CxRecord[] | RecordBatch, options?: JobCallOptions): Promise<ResultColumns> {
    const batch = await this.toBatch(records, 'update', options);
    return this.invoke('update', (api, id, progress) => api.update(id, this.send(batch), progress), options);
  }

  async score(records: readonly CxRecord[], options?: JobCallOptions): Promise<Result[]> {
    return buildResults(await this.scoreColumns(records, options));
  }

  async update(records: readonly CxRecord[], options?: JobCallOptions): Promise<Result[]> {
    return buildResults(await this.updateColumns(records, options));
  }

  async exportModel(): Promise<Uint8Array> {
    this.checkAlive('exportModel');
    return this.invoke('exportModel', (api) => api.exportModel(), undefined);
  }

  async importModel(bytes: Uint8Array): Promise<void> {
    this.checkAlive('importModel');
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`importModel: expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
    // Keep our own copy: the one sent may be transferred (detached) on its way to the worker.
    const copy = bytes.slice();
    this.fields = await this.invoke('importModel', (api) => api.importModel(bytes.slice()), undefined);
    this.lastModel = copy;
  }

  private async toBatch(records: readonly CxRecord[] | RecordBatch, what: string, options: JobCallOptions | undefined): Promise<RecordBatch> {
    this.checkAlive(what);
    if (isRecordBatch(records)) return records;
    if (!Array.isArray(records)) throw new TypeError(`${what}: expected an array of records, got ${records === null ? 'null' : typeof records}`);
    if (!this.fields) throw new Error(`${what}: no model; call train() or importModel() first`);
    const batch = await packRecords(records, this.fields);
    if (options?.signal?.aborted) throw abortError(options.signal, what);
    return batch;
  }
}
