/** What the route modules share: built once by app.ts. */
import type { ServerConfig } from './config.ts';
import type { SseHub } from './hub.ts';
import type { Metrics } from './metrics.ts';
import type { ModelManager } from './model.ts';
import type { ScoringPipeline } from './pipeline.ts';
import type { CheckedRecord } from './records.ts';
import type { Replay } from './replay.ts';
import type { Rollup } from './rollup.ts';
import type { Store } from './store.ts';

/** What POST /ingest answers (and what the replay gets back). */
export interface IngestSummary {
  readonly count: number;
  /** Interval records written (not duplicates). */
  readonly written: number;
  readonly duplicates: number;
  /** Per input record: the stored interval record's seq, null for an interaction record. */
  readonly seqs: (number | null)[];
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Present when the request had interaction records (rolled up into intervals: rollup.ts). */
  readonly interactions?: {
    readonly count: number;
    readonly written: number;
    readonly duplicates: number;
    /** Written after their interval had closed: stored, not rolled up. */
    readonly late: number;
    /** Interval records this request closed (stored, then scored and broadcast). */
    readonly intervalsClosed: number;
  };
}

export interface ServerContext {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly model: ModelManager;
  readonly hub: SseHub;
  readonly pipeline: ScoringPipeline;
  readonly metrics: Metrics;
  readonly metricNames: readonly string[];
  readonly startedAt: number;
  /** Set once the replay data is ready (null when CX_REPLAY=off or before). */
  replay: Replay | null;
  readonly rollup: Rollup;
  /**
   * Writes checked records durably (one transaction: interval records, interactions and the
   * intervals they close), then queues the interval records for scoring + broadcast.
   */
  ingest(source: string, records: readonly CheckedRecord[]): IngestSummary;
  /** The same, with group commit: requests arriving together share one transaction (POST /ingest). */
  ingestGrouped(source: string, records: readonly CheckedRecord[]): Promise<IngestSummary>;
}
