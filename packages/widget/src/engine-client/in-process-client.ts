/**
 * The fallback: the same EngineService on the main thread, behind the same
 * interface, for pages where no worker can start (Salesforce Lightning Web
 * Security, a CSP without worker-src for blob: or our origin, ...). Jobs block
 * the main thread while the engine computes; records are still packed and
 * results built in short slices.
 */
import type { EngineService } from '../worker/engine-service.ts';
import { loadEngineService } from './load-engine-service.ts';
import type { RecordBatch } from '../worker/protocol.ts';
import { BaseEngineClient, type Job } from './base-client.ts';
import { abortError } from './errors.ts';
import type { EngineBackend, EngineClientOptions, JobCallOptions } from './types.ts';

export class InProcessEngineClient extends BaseEngineClient {
  readonly mode = 'in-process' as const;
  private constructor(
    options: EngineClientOptions,
    private readonly service: EngineService,
  ) {
    super(options);
  }

  static async create(options: EngineClientOptions): Promise<InProcessEngineClient> {
    const Service = await loadEngineService();
    const c = new InProcessEngineClient(options, new Service('main'));
    await c.service.hello({ backend: c.backend, cache: options.cache ?? true }, null, options.onWarning ?? null);
    return c;
  }

  protected override send(batch: RecordBatch): RecordBatch {
    return batch;
  }

  protected override async invoke<T>(what: string, job: Job<T>, options: JobCallOptions | undefined): Promise<T> {
    this.checkAlive(what);
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal, what);
    const id = this.newJobId();
    // The engine polls the job's flag, which reads this signal directly.
    this.service.registerSignal(id, signal);
    try {
      return await job(this.service, id, options?.onProgress ?? null);
    } catch (e) {
      if (signal?.aborted) throw abortError(signal, what);
      throw e;
    }
  }

  override async setBackend(backend: EngineBackend): Promise<void> {
    this.backend = backend;
    await this.service.setBackend(backend);
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.service.flushSnapshot().catch(() => undefined);
  }
}
