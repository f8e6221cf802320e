/**
 * Stored records -> scored -> broadcast. Ingest answers as soon as records are durably
 * written; this queue then has them scored by the stream workers IN SEQ ORDER (with several
 * workers a chunk is split by segment and comes back whole, in seq order: model.ts), writes
 * their results, and broadcasts them on the SSE hub. PIPELINE_DEPTH chunks are in flight: while
 * the main thread stores and broadcasts one chunk's results, the workers already score the
 * next, so they do not wait on the main thread (and a worker that finished its part early
 * goes on with the next chunk instead of waiting for the other workers).
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
/** Unscored records read at a time by recover(). */
export const RECOVER_PAGE = 5000;
/** Chunks sent to the stream workers and not yet stored (see the file comment). */
export const PIPELINE_DEPTH = 2;

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
    // (a crash between acknowledging and scoring) are queued here, before anything else can
    // queue newer ones: the queue must be in seq order, and /ingest does not wait for the
    // start-up model.
    const first = store.unscored(0, 1)[0];
    this.scoredThrough = first ? first.seq - 1 : store.lastSeq();
    this.recovered = this.recover();
  }

  /** Stored records that had no result at start-up (queued by the constructor). */
  readonly recovered: number;

  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Queues rows just written (in seq order). */
  enqueue(rows: readonly StoredRow[]): void {
    for (let i = 0; i < rows.length; i++) this.queue.push({ row: rows[i]! });
    this.kick();
  }

  /** Queues the stored records that have no result (start-up after a crash), page by page. */
  private recover(): number {
    let n = 0;
    let after = 0;
    for (;;) {
      // Paged by seq: the rows of a page stay unscored while the next is read.
      const rows = this.store.unscored(after, RECOVER_PAGE);
      if (rows.length === 0) break;
      this.enqueue(rows);
      n += rows.length;
      after = rows[rows.length - 1]!.seq;
      if (rows.length < RECOVER_PAGE) break;
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
    // Sent chunks, oldest first; `sent` is the queue position after the newest.
    const flight: { batch: Pending[]; end: number; results: Promise<{ json: (string | null)[]; anomaly: number[] }> }[] = [];
    let sent = this.head;
    try {
      while (!this.stopped && this.pending > 0) {
        while (flight.length < PIPELINE_DEPTH && sent < this.queue.length) {
          const end = Math.min(this.queue.length, sent + SCORE_CHUNK * this.model.workerCounts.stream);
          const batch = this.queue.slice(sent, end);
          const results = this.scoreBatch(batch);
          // Awaited in order below; one behind a chunk that failed is only settled (finally).
          results.catch(() => {});
          flight.push({ batch, end, results });
          sent = end;
        }
        const { batch, end, results: pendingResults } = flight[0]!;
        let t = performance.now();
        const results = await pendingResults;
        flight.shift();
        const stage = this.metrics.stageSeconds;
        // The time the main thread waited for the workers (overlapped work is not counted twice).
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
          // Positions move down by head: the sent chunks' ends and `sent` with them.
          const drop = this.head;
          this.queue = this.queue.slice(drop);
          this.head = 0;
          sent -= drop;
          for (const f of flight) f.end -= drop;
        }
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'scoring stopped');
    } finally {
      // Nothing of this drain may still be running when the next one starts.
      await Promise.allSettled(flight.map((f) => f.results));
      this.running = false;
      if (this.pending === 0) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      } else if (!this.stopped) setTimeout(() => this.kick(), 1000);
    }
  }
}
