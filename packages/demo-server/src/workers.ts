/**
 * Worker threads of the server. Each runs one of this package's worker modules: from
 * source (tsx registered first: `--import` loader hooks of the main thread do not reach
 * worker threads on Node 20), or, when built, the bundle itself (dist/main.js), whose
 * main.ts starts no server in a worker and lets the worker modules' top-level code run.
 */
import { Worker } from 'node:worker_threads';

export function startWorker(module: 'train-worker' | 'scorer-worker', workerData: unknown): Worker {
  const self = import.meta.url;
  if (!/\.ts$/.test(new URL(self).pathname)) return new Worker(new URL(self), { workerData });
  const entry = new URL(`./${module}.ts`, self).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/**
 * Request/response over a long-lived worker: calls are answered in order (the worker
 * handles one message at a time). If the worker dies, pending calls fail and `onExit` runs.
 */
export class WorkerRpc {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  alive = true;

  constructor(module: 'scorer-worker', workerData: unknown, onExit: (why: string) => void) {
    this.worker = startWorker(module, workerData);
    this.worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    const fail = (why: string): void => {
      if (!this.alive) return;
      this.alive = false;
      for (const p of this.pending.values()) p.reject(new Error(`scoring worker stopped: ${why}`));
      this.pending.clear();
      onExit(why);
    };
    this.worker.on('error', (e) => fail(e.message));
    this.worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  /** Calls sent and not answered yet. */
  get pendingCalls(): number {
    return this.pending.size;
  }

  call<T>(op: string, payload: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (!this.alive) return Promise.reject(new Error('scoring worker is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, payload }, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
