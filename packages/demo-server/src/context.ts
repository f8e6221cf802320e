/** What the route modules share: built once by app.ts. */
import type { ServerConfig } from './config.ts';
import type { SseHub } from './hub.ts';
import type { Metrics } from './metrics.ts';
import type { ModelManager } from './model.ts';
import type { ScoringPipeline } from './pipeline.ts';
import type { CheckedRecord } from './records.ts';
import type { Replay } from './replay.ts';
import type { IngestOutcome, Store } from './store.ts';

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
  /** Writes checked records durably (one transaction), then queues them for scoring + broadcast. */
  ingest(source: string, records: readonly CheckedRecord[]): IngestOutcome;
}
