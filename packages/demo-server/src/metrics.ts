/**
 * Counters and gauges for GET /metrics, in the Prometheus text exposition format (0.0.4).
 * Hand-written: a handful of series does not need a client library.
 */

/** Upper bounds (seconds) of the request-duration histogram. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function labelText(labels: Record<string, string | number>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Metrics {
  private readonly requests = new Map<string, { labels: Record<string, string | number>; n: number }>();
  private readonly durations = new Map<string, { counts: number[]; sum: number; n: number }>();
  readonly ingested = new Map<string, number>();
  anomalies = 0;
  scored = 0;
  duplicates = 0;
  /** Transactions that wrote several /ingest requests at once (group commit). */
  groupCommits = 0;
  rejected = 0;
  /**
   * Seconds spent per stage of the ingest path (where the time goes, for the bench and for
   * operators): `write` the /ingest transactions (main thread, fsync included); `score` the
   * stream worker's scoring of stored records (wall time of its calls); `results` storing
   * their Results; `broadcast` building and writing the SSE events.
   */
  readonly stageSeconds = { write: 0, score: 0, results: 0, broadcast: 0 };

  request(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let r = this.requests.get(key);
    if (!r) this.requests.set(key, (r = { labels: { method, route, status }, n: 0 }));
    r.n++;
    let d = this.durations.get(route);
    if (!d) this.durations.set(route, (d = { counts: new Array(BUCKETS.length).fill(0), sum: 0, n: 0 }));
    d.n++;
    d.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) d.counts[i]!++;
  }

  addIngested(source: string, n: number): void {
    this.ingested.set(source, (this.ingested.get(source) ?? 0) + n);
  }

  /** The exposition text; `gauges` are read at scrape time. */
  render(gauges: Record<string, { help: string; value: number }>): string {
    const out: string[] = [];
    out.push('# HELP cx_http_requests_total HTTP requests answered, by method, route and status.', '# TYPE cx_http_requests_total counter');
    for (const r of this.requests.values()) out.push(`cx_http_requests_total${labelText(r.labels)} ${r.n}`);
    out.push('# HELP cx_http_request_duration_seconds Time to answer a request, by route.', '# TYPE cx_http_request_duration_seconds histogram');
    for (const [route, d] of this.durations) {
      BUCKETS.forEach((b, i) => out.push(`cx_http_request_duration_seconds_bucket${labelText({ route, le: b })} ${d.counts[i]}`));
      out.push(`cx_http_request_duration_seconds_bucket${labelText({ route, le: '+Inf' })} ${d.n}`);
      out.push(`cx_http_request_duration_seconds_sum${labelText({ route })} ${d.sum}`);
      out.push(`cx_http_request_duration_seconds_count${labelText({ route })} ${d.n}`);
    }
    out.push('# HELP cx_records_ingested_total Records written to the store, by source.', '# TYPE cx_records_ingested_total counter');
    if (this.ingested.size === 0) out.push('cx_records_ingested_total{source="ingest"} 0');
    for (const [source, n] of this.ingested) out.push(`cx_records_ingested_total${labelText({ source })} ${n}`);
    const counter = (name: string, help: string, v: number): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`);
    };
    counter('cx_records_scored_total', 'Stored records scored by the streaming detector.', this.scored);
    counter('cx_anomalies_total', 'Scored records flagged as anomalies.', this.anomalies);
    counter('cx_duplicate_records_total', 'Ingested records skipped because their client id was already stored.', this.duplicates);
    counter('cx_ingest_group_commits_total', 'Transactions that wrote several /ingest requests at once (group commit).', this.groupCommits);
    counter('cx_rejected_requests_total', 'Requests rejected as malformed (400) or too large (413).', this.rejected);
    out.push('# HELP cx_stage_seconds_total Seconds spent per stage of the ingest path (write: /ingest transactions; score: stream scoring; results: storing results; broadcast: SSE).', '# TYPE cx_stage_seconds_total counter');
    for (const [stage, v] of Object.entries(this.stageSeconds)) out.push(`cx_stage_seconds_total${labelText({ stage })} ${v}`);
    for (const [name, g] of Object.entries(gauges)) out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    return out.join('\n') + '\n';
  }
}
