/**
 * A pool of score workers (node:worker_threads) for `cx-anomaly score
 * --threads N`. Each worker holds its own copy of the model; `submit` sends a
 * batch to the least busy worker and returns the promise of its output. The
 * caller keeps the promises in input order (its reorder buffer) and bounds how
 * many are in flight (`maxInFlight`), which keeps memory flat on any file size.
 *
 * From source (tests, `node --conditions=source --import tsx`), the worker is a
 * .ts file: tsx (4.x on Node 20) registers its loader on the main thread only,
 * so the worker starts from a small bootstrap module that registers tsx there,
 * then imports the worker. The build (dist/cli.js) starts itself.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CsvBatch } from './csv-file.ts';
import type { InputPlan } from './input.ts';
import type { BatchOutput, ScoreFormat } from './score-batch.ts';
import { SCORE_WORKER_TAG, SCORE_WORKER_URL, fromWire, type ScoreJob, type ScoreReply, type ScoreWorkerData } from './score-worker.ts';

/** Cores to use for `--threads 0` / `--threads auto`. */
export function autoThreads(): number {
  return Math.max(1, availableParallelism());
}

function workerEntry(): URL {
  if (!SCORE_WORKER_URL.endsWith('.ts')) return new URL(SCORE_WORKER_URL);
  const api = createRequire(SCORE_WORKER_URL).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  const boot = `const api = await import(${JSON.stringify(pathToFileURL(api).href)});\napi.register();\nawait import(${JSON.stringify(SCORE_WORKER_URL)});\n`;
  return new URL('data:text/javascript,' + encodeURIComponent(boot));
}

interface Pending {
  readonly resolve: (out: BatchOutput) => void;
  readonly reject: (e: Error) => void;
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  private failed: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: ScoreReply) => {
      if ('error' in m) {
        const e = fromWire(m.error);
        if (m.id < 0) return this.fail(e);
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.reject(e);
      } else {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p?.resolve({ text: m.text, anomalies: m.anomalies });
      }
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`score worker exited (code ${code}) with ${this.pending.size} batch(es) unanswered`)));
  }

  /** Fails every batch in flight and every later one (a dead worker answers nothing: no hang). */
  private fail(e: Error): void {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(this.failed);
    this.pending.clear();
  }

  send(job: ScoreJob): Promise<BatchOutput> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise<BatchOutput>((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.postMessage(job);
    });
  }
}

export class ScorePool {
  private readonly workers: PoolWorker[];
  private nextId = 0;

  constructor(threads: number, model: Uint8Array, plan: InputPlan, format: ScoreFormat) {
    const entry = workerEntry();
    const workerData: ScoreWorkerData = { tag: SCORE_WORKER_TAG, model, plan, format };
    this.workers = [];
    for (let k = 0; k < threads; k++) {
      // execArgv passed through: --conditions=source (and tsx) from source; nothing in the build.
      this.workers.push(new PoolWorker(new Worker(entry, { workerData, execArgv: process.execArgv, stdout: false, stderr: false })));
    }
  }

  /**
   * Scores `work` (context rows first, `skip` of them) on the least busy worker.
   * The promise is pre-handled so that a batch that fails while earlier ones are
   * still awaited is not an unhandled rejection; the caller awaits it in order.
   */
  submit(work: CsvBatch, skip: number): Promise<BatchOutput> {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.pending.size < best.pending.size) best = w;
    const p = best.send({ id: this.nextId++, rows: work.rows, lines: work.lines, rowOffset: work.rowOffset, skip });
    p.catch(() => undefined);
    return p;
  }

  /** Stops every worker (after the last batch, or on the first error). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
