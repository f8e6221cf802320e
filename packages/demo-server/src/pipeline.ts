/**
 * Stored records -> scored -> broadcast. Ingest answers as soon as records are durably
 * written; this queue then has them scored by the stream workers IN SEQ ORDER (one chunk
 * in flight at a time; with several workers the chunk is split by segment and comes back
 * whole, in seq order: model.ts), writes their results, and broadcasts them on the SSE hub.
 * `scoredThrough` is the highest seq such that every record up to it is scored and
 * broadcast: SSE resume reads the store up to it, and the live broadcast carries
 * everything after it, so a client sees each record once, in order.
 */
import type { SseHub } from './hub.ts';
import { recordEvents } from './hub.ts';
import type { Metrics } from './metrics.ts';
import type { ModelManager } from './model.ts';
import type { Store, StoredRow } from './store.ts';

/** Most records sent to each stream worker at once (smaller: live events sooner; larger: less overhead); a chunk is this times the worker count. */
export const SCORE_CHUNK = 128;

interface Pending {
  /** The stored row: its JSON text goes to the worker as it is. */
  readonly row: StoredRow;
}

export interface PipelineLog {
  error(obj: object, msg: string): void;
}

export class ScoringPipeline {
  private queue: Pending[] = [];
  private head = 0;
  private running = false;
  private stopped = false;
  scoredThrough: number;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly model: ModelManager,
    private readonly hub: SseHub,
    private readonly metrics: Metrics,
    private readonly log: PipelineLog,
  ) {
    // Everything stored before start-up that has a result counts as scored; unscored rows
    // (a crash between acknowledging and scoring) are queued by recover().
    const first = store.unscored(1)[0];
    this.scoredThrough = first ? first.seq - 1 : store.lastSeq();
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Queues rows just written (in seq order). */
  enqueue(rows: readonly StoredRow[]): void {
    for (let i = 0; i < rows.length; i++) this.queue.push({ row: rows[i]! });
    this.kick();
  }

  /** Queues the stored records that have no result (start-up after a crash). */
  recover(): number {
    let n = 0;
    let after = 0;
    for (;;) {
      const rows = this.store.unscored(5000).filter((r) => r.seq > after);
      if (rows.length === 0) break;
      this.enqueue(rows);
      n += rows.length;
      after = rows[rows.length - 1]!.seq;
      if (rows.length < 5000) break;
    }
    return n;
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.model.ready.then(() => this.drain());
  }

  /** Result JSON text and anomaly flag per record (null: could not be scored; logged). */
  private async scoreBatch(batch: readonly Pending[]): Promise<{ json: (string | null)[]; anomaly: number[] }> {
    const out = await this.model.update(batch.map((p) => p.row));
    for (let i = 0; i < batch.length; i++) {
      if (out.error[i] !== null) this.log.error({ seq: batch[i]!.row.seq, err: out.error[i] }, 'record could not be scored');
    }
    return out;
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && this.pending > 0) {
        const end = Math.min(this.queue.length, this.head + SCORE_CHUNK * this.model.workerCounts.stream);
        const batch = this.queue.slice(this.head, end);
        let t = performance.now();
        const results = await this.scoreBatch(batch);
        const stage = this.metrics.stageSeconds;
        stage.score += (performance.now() - t) / 1000;
        if (this.stopped) return;
        const pairs: { seq: number; result: string }[] = new Array(batch.length);
        let text = '';
        const tb = performance.now();
        for (let i = 0; i < batch.length; i++) {
          const json = results.json[i] ?? '{"error":"could not be scored"}';
          pairs[i] = { seq: batch[i]!.row.seq, result: json };
          const isAnomaly = results.anomaly[i] === 1;
          if (isAnomaly) this.metrics.anomalies++;
          text += recordEvents({ ...batch[i]!.row, result: json }, isAnomaly);
        }
        t = performance.now();
        stage.broadcast += (t - tb) / 1000;
        try {
          this.store.setResults(pairs);
        } catch (e) {
          // Derived data: on failure the records are scored again at the next start-up.
          this.log.error({ err: (e as Error).message }, 'storing results failed');
        }
        const t2 = performance.now();
        stage.results += (t2 - t) / 1000;
        this.metrics.scored += batch.length;
        this.scoredThrough = batch[batch.length - 1]!.row.seq;
        this.hub.send(text);
        stage.broadcast += (performance.now() - t2) / 1000;
        this.head = end;
        if (this.head > 4096 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'scoring stopped');
    } finally {
      this.running = false;
      if (this.pending === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      } else if (!this.stopped) setTimeout(() => this.kick(), 1000);
    }
  }
}
