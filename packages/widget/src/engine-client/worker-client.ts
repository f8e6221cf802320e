/**
 * The engine in a Web Worker, through Comlink.
 *
 * Start: the worker must answer a handshake (`hello`) before `startTimeoutMs`.
 * A worker blocked by CSP never answers; Chromium reports it only as an `error`
 * event on the Worker, which fails the start at once.
 *
 * Death: in the handshake the worker takes a Web Lock it never releases; the
 * client then asks for the same lock, which is granted only when the worker is
 * gone (terminated, crashed, out of memory, `close()`d), since locks die with
 * their holder. An uncaught error (an `error` event after start) counts as a
 * death too: the worker's state can no longer be trusted. Jobs in flight fail with
 * {@link EngineCrashedError}; the next call starts a new worker and restores the
 * last trained or imported model into it.
 *
 * Cancel: the AbortSignal sends `cancel(jobId)`; the worker stops at its next chunk
 * boundary. A job that has not stopped after `cancelGraceMs` (the engine is inside
 * one long synchronous call) is stopped by terminating the worker, which restarts
 * on the next call.
 */
import { proxy, releaseProxy, transfer, wrap, type Remote } from 'comlink';
import type { Progress } from '@cx-anomaly/engine';
import { batchBuffers, type EngineServiceApi, type RecordBatch, type ServiceInit } from '../worker/protocol.ts';
import { BaseEngineClient, type Job } from './base-client.ts';
import { abortError, EngineCrashedError, EngineStartError } from './errors.ts';
import type { EngineBackend, EngineClientOptions, EngineMode, JobCallOptions } from './types.ts';

/** How to make one kind of worker (called again for each restart). */
export interface WorkerFactory {
  readonly mode: Exclude<EngineMode, 'in-process'>;
  create(): Worker;
  /** Frees what `create` made (a Blob URL) once the worker has started or failed. */
  cleanup?(): void;
}

let lockCounter = 0;

/** One running worker. */
export class WorkerHandle {
  /** Rejects with EngineCrashedError when the worker dies; never resolves. */
  readonly died: Promise<never>;
  private reportDeath!: (e: Error) => void;
  private closing = false;
  private dead = false;
  private readonly lockWatch = new AbortController();

  private constructor(
    readonly worker: Worker,
    readonly api: Remote<EngineServiceApi>,
  ) {
    this.died = new Promise<never>((_, reject) => {
      this.reportDeath = reject;
    });
    this.died.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.dead;
  }

  static async start(factory: WorkerFactory, init: ServiceInit, onWarning: ((m: string, c: string) => void) | null, timeoutMs: number): Promise<WorkerHandle> {
    let worker: Worker;
    try {
      worker = factory.create();
    } catch (e) {
      factory.cleanup?.();
      throw new EngineStartError(`${factory.mode}: new Worker() threw ${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
    }
    const api = wrap<EngineServiceApi>(worker);
    const handle = new WorkerHandle(worker, api);
    let ready = false;
    let failStart: (e: Error) => void = () => undefined;
    const startFailed = new Promise<never>((_, reject) => {
      failStart = reject;
    });
    startFailed.catch(() => undefined);
    worker.addEventListener('error', (ev: ErrorEvent) => {
      const what = ev.message ? ev.message : 'the worker script failed to load (blocked by a Content Security Policy, not found, or a syntax error)';
      if (!ready) failStart(new EngineStartError(`${factory.mode}: ${what}`));
      else handle.die(`an uncaught error in the engine worker: ${what}`);
      ev.preventDefault();
    });
    worker.addEventListener('messageerror', () => {
      if (ready) handle.die('a message from the engine worker could not be read');
    });
    const lockName = typeof navigator !== 'undefined' && navigator.locks ? `cx-anomaly-engine-${Date.now().toString(36)}-${++lockCounter}-${Math.random().toString(36).slice(2)}` : null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineStartError(`${factory.mode}: no handshake within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([api.hello(init, lockName, onWarning ? proxy(onWarning) : null), startFailed, timeout]);
      ready = true;
    } catch (e) {
      handle.closing = true;
      worker.terminate();
      api[releaseProxy]();
      throw e instanceof EngineStartError ? e : new EngineStartError(`${factory.mode}: the handshake failed: ${(e as Error)?.message ?? String(e)}`);
    } finally {
      clearTimeout(timer);
      factory.cleanup?.();
    }
    if (lockName) {
      navigator.locks
        .request(lockName, { signal: handle.lockWatch.signal }, async () => {
          handle.die('the engine worker stopped (terminated, closed or out of memory)');
        })
        .catch(() => undefined);
    }
    return handle;
  }

  /** The worker died on its own: fail its jobs, free it. */
  die(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.closing) this.reportDeath(new EngineCrashedError(`The engine stopped while working: ${reason}. It restarts on the next call.`));
    else this.reportDeath(new EngineCrashedError(`The engine worker was stopped: ${reason}`));
    this.shutdown();
  }

  /** Stops the worker on purpose (dispose, or a cancel that did not stop in time). */
  terminate(reason: string): void {
    this.closing = true;
    this.die(reason);
  }

  private shutdown(): void {
    this.lockWatch.abort();
    this.worker.terminate();
    try {
      this.api[releaseProxy]();
    } catch {
      // already released
    }
  }
}

export class WorkerEngineClient extends BaseEngineClient {
  readonly mode: EngineMode;
  private handle: WorkerHandle | null;
  private starting: Promise<WorkerHandle> | null = null;
  /** Why the previous worker went away, for the restart warning. */
  private lostReason: string | null = null;

  constructor(
    private readonly factory: WorkerFactory,
    handle: WorkerHandle,
    options: EngineClientOptions,
  ) {
    super(options);
    this.mode = factory.mode;
    this.handle = handle;
    this.watch(handle);
  }

  /** For tests and diagnostics: the running worker, if any. */
  get worker(): Worker | null {
    return this.handle?.alive ? this.handle.worker : null;
  }

  /** The worker's raw service API (diagnostics, benchmarks: pathLengthSums, probeAccel). */
  async service(): Promise<Remote<EngineServiceApi>> {
    return (await this.current()).api;
  }

  private init(): ServiceInit {
    return { backend: this.backend, cache: this.options.cache ?? true };
  }

  private watch(handle: WorkerHandle): void {
    handle.died.catch((e: Error) => {
      if (this.handle === handle) {
        this.handle = null;
        this.lostReason = e.message;
      }
    });
  }

  /** The running worker, or a new one with the last model restored into it. */
  private async current(): Promise<WorkerHandle> {
    if (this.handle?.alive) return this.handle;
    this.starting ??= (async () => {
      try {
        const h = await WorkerHandle.start(this.factory, this.init(), this.options.onWarning ?? null, this.options.startTimeoutMs ?? 20000);
        if (this.lastModel) await Promise.race([h.api.importModel(this.lastModel.slice()), h.died]);
        this.handle = h;
        this.watch(h);
        if (this.lostReason !== null) {
          this.options.onWarning?.(
            `The engine worker was restarted (${this.lostReason}); the last trained or imported model was restored, streaming updates since then were lost`,
            'worker-restarted',
          );
          this.lostReason = null;
        }
        return h;
      } finally {
        this.starting = null;
      }
    })();
    return this.starting;
  }

  protected override send(batch: RecordBatch): RecordBatch {
    // Moves the typed arrays to the worker: no copy, and they are detached here.
    return transfer(batch, batchBuffers(batch));
  }

  protected override async invoke<T>(what: string, job: Job<T>, options: JobCallOptions | undefined): Promise<T> {
    this.checkAlive(what);
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal, what);
    const h = await this.current();
    if (signal?.aborted) throw abortError(signal, what);
    const id = this.newJobId();
    const progress = options?.onProgress ? proxy((p: Progress) => options.onProgress!(p)) : null;
    let settled = false;
    let onAbort: (() => void) | null = null;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const aborted = new Promise<never>((_, reject) => {
      if (!signal) return;
      onAbort = () => {
        void h.api.cancel(id).catch(() => undefined);
        grace = setTimeout(() => {
          if (settled) return;
          reject(abortError(signal, what));
          h.terminate(`${what} was cancelled and did not stop within ${this.options.cancelGraceMs ?? 1000} ms`);
        }, this.options.cancelGraceMs ?? 1000);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([job(h.api as unknown as EngineServiceApi, id, progress), h.died, aborted]);
    } catch (e) {
      // A cooperative stop comes back as the worker's AbortError; a forced one as the termination.
      if (signal?.aborted && ((e as Error)?.name === 'AbortError' || e instanceof EngineCrashedError)) throw abortError(signal, what);
      throw e;
    } finally {
      settled = true;
      clearTimeout(grace);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }
  }

  override async setBackend(backend: EngineBackend): Promise<void> {
    this.backend = backend;
    const h = await this.current();
    await Promise.race([h.api.setBackend(backend), h.died]);
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.handle?.terminate('the client was disposed');
    this.handle = null;
  }
}
