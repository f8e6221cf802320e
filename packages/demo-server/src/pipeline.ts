/**
 * Stored records -> scored -> broadcast. Ingest answers as soon as records are durably
 * written; this queue then scores them with the streaming detector IN SEQ ORDER, writes
 * their results, and broadcasts them on the SSE hub. `scoredThrough` is the highest seq
 * such that every record up to it is scored and broadcast: SSE resume reads the store up
 * to it, and the live broadcast carries everything after it, so a client sees each record
 * once, in order.
 */
import type { CxRecord, Result } from './engine.ts';
import type { SseHub } from './hub.ts';
import { recordEvents } from './hub.ts';
import type { Metrics } from './metrics.ts';
import type { ModelManager } from './model.ts';
import type { Store, StoredRow } from './store.ts';

/** Most records scored per turn of the event loop. */
export const SCORE_CHUNK = 256;
/** Time budget of one turn: the chunk shrinks to what fits, so requests keep being answered while a backlog drains. */
export const TURN_BUDGET_MS = 15;

interface Pending {
  readonly row: StoredRow;
  readonly record: CxRecord;
  /** Catch-up of a newly installed model: learnt, not stored, not broadcast (already were). */
  readonly learnOnly?: boolean;
}

export interface PipelineLog {
  error(obj: object, msg: string): void;
}

export class ScoringPipeline {
  private readonly queue: Pending[] = [];
  private head = 0;
  private scheduled = false;
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

  /** Queues rows just written (in seq order). Records are the parsed objects of those rows. */
  enqueue(rows: readonly StoredRow[], records: readonly CxRecord[]): void {
    for (let i = 0; i < rows.length; i++) this.queue.push({ row: rows[i]!, record: records[i]! });
    this.schedule();
  }

  /** Puts already-scored rows before everything queued, to be learnt by a newly installed model. */
  learnFirst(rows: readonly StoredRow[]): void {
    if (rows.length === 0) return;
    const items: Pending[] = rows.map((row) => ({ row, record: JSON.parse(row.record) as CxRecord, learnOnly: true }));
    this.queue.splice(0, this.head, ...items);
    this.head = 0;
    this.schedule();
  }

  /** Queues the stored records that have no result (start-up after a crash). */
  recover(): number {
    let n = 0;
    for (;;) {
      const after = this.queue.length > this.head ? this.queue[this.queue.length - 1]!.row.seq : 0;
      const rows = this.store.unscored(5000).filter((r) => r.seq > after);
      if (rows.length === 0) break;
      this.enqueue(rows, rows.map((r) => JSON.parse(r.record) as CxRecord));
      n += rows.length;
      if (rows.length < 5000) break;
    }
    return n;
  }

  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Records per turn: adapted so that one turn takes about TURN_BUDGET_MS. */
  private chunk = 16;

  private adapt(n: number, ms: number): void {
    const perRecord = ms / Math.max(1, n);
    this.chunk = Math.max(1, Math.min(SCORE_CHUNK, Math.floor(TURN_BUDGET_MS / Math.max(perRecord, 1e-3))));
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    if (this.model.isReady) setImmediate(() => this.drain());
    else void this.model.ready.then(() => setImmediate(() => this.drain()));
  }

  private drain(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const t0 = performance.now();
    // A run of learn-only items is learnt without results or broadcast.
    let k = this.head;
    while (k < this.queue.length && this.queue[k]!.learnOnly && k - this.head < this.chunk) k++;
    if (k > this.head) {
      const learnt = k - this.head;
      try {
        this.model.update(this.queue.slice(this.head, k).map((p) => p.record));
      } catch (e) {
        this.log.error({ err: (e as Error).message }, 'catch-up records could not be learnt');
      }
      this.head = k;
      this.adapt(learnt, performance.now() - t0);
      this.schedule();
      return;
    }
    let end = this.head;
    while (end < this.queue.length && !this.queue[end]!.learnOnly && end - this.head < this.chunk) end++;
    const batch = this.queue.slice(this.head, end);
    if (batch.length > 0) {
      let results: (Result | null)[];
      try {
        results = this.model.update(batch.map((p) => p.record));
      } catch (e) {
        // A batch that cannot be scored (should not pass validation): score one by one so
        // one bad record does not cost the others, and keep the error as that record's result.
        results = batch.map((p) => {
          try {
            return this.model.update([p.record])[0]!;
          } catch (err) {
            this.log.error({ seq: p.row.seq, err: (err as Error).message }, 'record could not be scored');
            return null;
          }
        });
        void e;
      }
      const pairs: { seq: number; result: string }[] = new Array(batch.length);
      let text = '';
      for (let i = 0; i < batch.length; i++) {
        const r = results[i];
        const json = r ? JSON.stringify(r) : JSON.stringify({ error: 'could not be scored' });
        pairs[i] = { seq: batch[i]!.row.seq, result: json };
        const isAnomaly = r?.isAnomaly === true;
        if (isAnomaly) this.metrics.anomalies++;
        text += recordEvents({ ...batch[i]!.row, result: json }, isAnomaly);
      }
      try {
        this.store.setResults(pairs);
      } catch (e) {
        // The results are derived data: on failure they are recomputed at the next start-up.
        this.log.error({ err: (e as Error).message }, 'storing results failed');
      }
      this.metrics.scored += batch.length;
      this.scoredThrough = batch[batch.length - 1]!.row.seq;
      this.hub.send(text);
      this.head = end;
      this.adapt(batch.length, performance.now() - t0);
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    }
    if (this.pending > 0) this.schedule();
    else {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}
