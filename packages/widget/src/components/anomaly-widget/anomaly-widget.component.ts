import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { parseFieldSpec, type CxRecord, type DetectorConfig, type FieldDef, type Progress, type Result } from '@cx-anomaly/engine';
import { createEngineClient } from '../../engine-client/index.ts';
import type { EngineClient, TrainSummary } from '../../engine-client/types.ts';
import type {
  CxAnomalyWidgetEventMap, CxErrorDetail, CxFeedbackDetail, CxReadyDetail, CxScoredDetail, CxWarningDetail,
} from '../../events.ts';
import { base, tokens } from '../../internal/theme.ts';
import { emit } from '../../internal/emit.ts';
import { ScoredStore, type Entry } from '../../internal/store.ts';
import { loadRecords } from '../../internal/load.ts';
import { estimateThreshold } from '../../internal/threshold.ts';
import { inferMetrics, inferTimeField } from '../../internal/infer.ts';
import { FeedbackBook, download, feedbackToCsv, feedbackToJson, patternOf, pointKey, type FeedbackItem } from '../../internal/feedback.ts';
import { SEVERITIES, SEVERITY_GLYPH, SEVERITY_LABEL, SEVERITY_VAR } from '../../internal/severity.ts';
import { formatMetric, formatX, metricLabel, numeric } from '../../internal/format.ts';
import { StreamConnection, type StreamState } from '../../internal/stream.ts';
import { Announcer } from '../../internal/announcer.ts';
import '../score-timeline/score-timeline.ts';
import '../metric-trends/metric-trends.ts';
import '../why-panel/why-panel.ts';
import '../stream-table/stream-table.ts';
import '../widget-controls/widget-controls.ts';
import type { CxScoreTimeline, MarkState, TimelineCursorDetail, TimelineSelectDetail, TimelineZoomDetail } from '../score-timeline/score-timeline.component.ts';
import type { TrendsCursorDetail } from '../metric-trends/metric-trends.component.ts';
import type { WhyExportDetail, WhyFeedbackDetail } from '../why-panel/why-panel.component.ts';
import type { TableSelectDetail } from '../stream-table/stream-table.component.ts';
import { SENSITIVITY, TIME_RANGES, sensitivityLevel, type ControlsChangeDetail, type TimeRange } from '../widget-controls/widget-controls.component.ts';
import styles from './anomaly-widget.styles.ts';

export type WidgetStatus = 'idle' | 'loading' | 'training' | 'ready' | 'empty' | 'error';
export type WidgetTheme = 'light' | 'dark' | 'auto';

/** What the element knows about its current model. */
export interface ModelInfo {
  readonly key: string;
  readonly records: number;
  readonly fromCache: boolean;
  readonly millis: number;
  readonly mode: EngineClient['mode'];
  readonly trainedAt: number;
}

/** Records kept in memory; the oldest go beyond it (a stream running all day). */
const DEFAULT_MAX_RECORDS = 200_000;
/** Raw stream/push records gathered before a first model is trained on them. */
const DEFAULT_WARMUP = 192;

/**
 * @tag cx-anomaly-widget
 * @summary Scores contact-centre metrics (AHT, transfers, CSAT, volume, ...) for anomalies as they
 * arrive and shows why each point was flagged: header, score timeline, metric trends, the
 * "why flagged" panel with confirm/dismiss, and a live table.
 *
 * @event cx-ready - The data was trained on and scored. Detail: `{ records, anomalies, fromCache, millis, mode }`.
 * @event cx-scored - Records were scored. Detail: `{ results, source }` (`batch`, `stream` or `push`).
 * @event cx-anomaly - A newly arrived record is an anomaly (stream or push; not muted by a dismissal). Detail: the full Result.
 * @event cx-feedback - The user confirmed or dismissed an anomaly. Detail: `{ kind, result, pattern, at, suppressUntil? }`.
 * @event cx-warning - Something degraded but the widget goes on (offline copy, stream offline, engine fallback). Detail: `{ message, code }`.
 * @event cx-error - Loading, training or scoring failed. Detail: `{ message, code, error }`.
 *
 * @slot title - Replaces the heading text ("CX anomalies").
 * @slot empty - Replaces the text shown when there is no data.
 *
 * @csspart base - The element's inner wrapper.
 * @csspart header - Header with metric tiles and open-anomaly counts.
 * @csspart tile - One metric tile in the header.
 * @csspart timeline - The score timeline.
 * @csspart trends - The metric trends.
 * @csspart why - The "why flagged" panel.
 * @csspart table - The live table.
 * @csspart controls - The controls row.
 * @csspart notice - Loading, error, empty and offline notices.
 *
 * @cssproperty --cx-font-family - Font stack. Default system-ui.
 * @cssproperty --cx-font-size - Base font size. Default 14px.
 * @cssproperty --cx-radius - Corner radius of the element. Default 8px.
 * @cssproperty --cx-background - Background. Default #ffffff (dark: #14181e).
 * @cssproperty --cx-surface - Background of tiles and panels. Default #f5f7fa (dark: #1c222a).
 * @cssproperty --cx-border - Borders. Default #ccd3db (dark: #3a4452).
 * @cssproperty --cx-text - Text. Default #1a1f26 (dark: #e7ebf0).
 * @cssproperty --cx-muted - Secondary text. Default #566170 (dark: #a5b0be).
 * @cssproperty --cx-accent - Buttons and links. Default #0a5bb0 (dark: #6cb0ff).
 * @cssproperty --cx-accent-text - Text on accent. Default #ffffff (dark: #0b1220).
 * @cssproperty --cx-focus - Focus ring and selection. Default #0a5bb0 (dark: #8cc2ff).
 * @cssproperty --cx-score - Score and actual-value lines. Default #2f4b7c (dark: #9fc0f0).
 * @cssproperty --cx-threshold - Threshold line. Default #a34700 (dark: #ffa95e).
 * @cssproperty --cx-band - Expected band fill. Default rgba(10,91,176,.14).
 * @cssproperty --cx-expected - Expected-value line. Default #5f7fa8 (dark: #90a9c9).
 * @cssproperty --cx-grid - Grid lines. Default #e3e8ee (dark: #2a323d).
 * @cssproperty --cx-critical - Critical severity. Default #c0222b (dark: #ff7b7b).
 * @cssproperty --cx-major - Major severity. Default #b54708 (dark: #ffa05c).
 * @cssproperty --cx-minor - Minor severity. Default #8a6500 (dark: #e9c34f).
 * @cssproperty --cx-warning - Warning severity. Default #5a6577 (dark: #aab6c6).
 * @cssproperty --cx-ok - Normal state. Default #1c7a3a (dark: #5fd38a).
 * @cssproperty --cx-timeline-height - Height of the score timeline. Default 180px.
 * @cssproperty --cx-trend-height - Height of each metric chart. Default 64px.
 * @cssproperty --cx-table-height - Height of the live table. Default 240px.
 */
export class CxAnomalyWidget extends LitElement {
  static override styles = [tokens, base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    src: { reflect: true },
    stream: { reflect: true },
    metrics: { reflect: true },
    timeField: { attribute: 'time-field', reflect: true },
    segmentField: { attribute: 'segment-field', reflect: true },
    contamination: { type: Number, reflect: true },
    maxAlertsPerDay: { type: Number, attribute: 'max-alerts-per-day', reflect: true },
    theme: { reflect: true },
    workerUrl: { attribute: 'worker-url', reflect: true },
    locale: { reflect: true },
    suppressMinutes: { type: Number, attribute: 'suppress-minutes' },
    maxRecords: { type: Number, attribute: 'max-records' },
    warmup: { type: Number },
    options: { attribute: false },
    heading: {},
    status: { state: true, attribute: false },
    progress: { state: true, attribute: false },
    error: { state: true, attribute: false },
    streamState: { state: true, attribute: false },
    paused: { state: true, attribute: false },
    offlineCopyFrom: { state: true, attribute: false },
    segmentFilter: { state: true, attribute: false },
    timeRange: { state: true, attribute: false },
    selectedSeq: { state: true, attribute: false },
    hoverX: { state: true, attribute: false },
    zoomed: { state: true, attribute: false },
    version: { state: true, attribute: false },
    announcement: { state: true, attribute: false },
  };

  /** URL of a CSV or JSON file of records (JSON: an array, or `{ "records": [...] }`). */
  declare src: string | undefined;
  /** URL of a Server-Sent Events stream (e.g. the demo server's `/stream`). */
  declare stream: string | undefined;
  /** Field spec: `aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log` (`name:direction[:log]`; `:log` models a metric as ln(1 + value), results stay in its units). Default: every numeric column. */
  declare metrics: string | undefined;
  /** Field holding the record time. Default: a column named timestamp/time/ts/date. */
  declare timeField: string | undefined;
  /** Field whose values are separate series (e.g. `queue`). */
  declare segmentField: string | undefined;
  /** Expected share of anomalous points (sets the threshold). Default 0.01. */
  declare contamination: number | undefined;
  /** Alert budget instead of contamination: at most this many alerts a day per segment. */
  declare maxAlertsPerDay: number | undefined;
  /** `light`, `dark` or `auto` (follows the system). */
  declare theme: WidgetTheme;
  /** Same-origin URL of `engine.worker.js`, for pages whose CSP forbids `blob:` workers. */
  declare workerUrl: string | undefined;
  /** BCP 47 locale for numbers and dates. Default: the page's. */
  declare locale: string | undefined;
  /** Minutes a dismissal mutes the same pattern (segment, metric, direction). Default 240. */
  declare suppressMinutes: number;
  /** Records kept in memory (oldest dropped first). Default 200000. */
  declare maxRecords: number;
  /** Stream/push records gathered before a first local model is trained. Default 192. */
  declare warmup: number;
  /**
   * More detector settings (property only): `numTrees`, `sampleSize`, `shingleSize`, `seed`,
   * `minDuration`, `cooldown`, `detector`, ... The attributes win where both are given.
   */
  declare options: Partial<DetectorConfig>;
  /** Heading text (or use the `title` slot). */
  declare heading: string;

  private declare status: WidgetStatus;
  private declare progress: Progress | null;
  private declare error: CxErrorDetail | null;
  private declare streamState: StreamState;
  private declare paused: boolean;
  private declare offlineCopyFrom: number | null;
  private declare segmentFilter: string;
  private declare timeRange: TimeRange;
  private declare selectedSeq: number | null;
  private declare hoverX: number | null;
  private declare zoomed: readonly [number, number] | null;
  private declare version: number;
  private declare announcement: string;

  private get timeline(): CxScoreTimeline | null {
    return this.renderRoot?.querySelector('cx-score-timeline') as CxScoreTimeline | null;
  }

  constructor() {
    super();
    this.theme = 'auto';
    this.suppressMinutes = 240;
    this.maxRecords = DEFAULT_MAX_RECORDS;
    this.warmup = DEFAULT_WARMUP;
    this.options = {};
    this.heading = 'CX anomalies';
    this.status = 'idle';
    this.progress = null;
    this.error = null;
    this.streamState = 'off';
    this.paused = false;
    this.offlineCopyFrom = null;
    this.segmentFilter = '';
    this.timeRange = 'all';
    this.selectedSeq = null;
    this.hoverX = null;
    this.zoomed = null;
    this.version = 0;
    this.announcement = '';
  }

  private store = new ScoredStore();
  private records: CxRecord[] = [];
  private hostData: CxRecord[] | null = null;
  private client: EngineClient | null = null;
  private clientPromise: Promise<EngineClient> | null = null;
  private modelInfo: ModelInfo | null = null;
  private threshold = 0.99;
  private abort: AbortController | null = null;
  private runId = 0;
  /** Serialises stream/push scoring after training. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Raw records that arrived before a model existed. */
  private warmupBuffer: CxRecord[] = [];
  private pausedQueue: unknown[] = [];
  private connection: StreamConnection | null = null;
  private feedback: FeedbackBook | null = null;
  private feedbackScope = '';
  private marksCache: { key: string; map: Map<number, MarkState> } | null = null;
  private announcer = new Announcer((text) => (this.announcement = text));
  private disposeTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingRun: 'load' | 'train' | null = null;
  private onlineListener = () => this.onNetworkChange();

  // ---- public API ---------------------------------------------------------------------------

  /** The records scored so far (the loaded or assigned data plus what streamed in). Assigning trains and scores. */
  get data(): CxRecord[] {
    return this.records;
  }
  set data(records: readonly CxRecord[] | null | undefined) {
    if (records !== null && records !== undefined && !Array.isArray(records)) {
      this.fail('config', new TypeError(`data must be an array of records, got ${typeof records}`));
      return;
    }
    this.hostData = records ? [...records] : null;
    this.schedule('train');
  }

  /** Every result, in time order. */
  get results(): Result[] {
    return this.store.entries.map((e) => e.result);
  }

  /** The results flagged as anomalies, in time order. */
  get anomalies(): Result[] {
    return this.store.entries.filter((e) => e.result.isAnomaly).map((e) => e.result);
  }

  /** The current model, or null before training. */
  get model(): ModelInfo | null {
    return this.modelInfo;
  }

  /** `loading`, `training`, `ready`, `empty`, `error` or `idle`. */
  get state(): WidgetStatus {
    return this.status;
  }

  /** Threshold of the calibrated score, as read from the results. */
  get scoreThreshold(): number {
    return this.threshold;
  }

  /**
   * Scores records as they arrive (streaming: each is scored, then learnt). Before a model
   * exists they are gathered and a model is trained on the first `warmup` of them.
   */
  push(records: CxRecord | readonly CxRecord[]): Promise<Result[]> {
    const list = Array.isArray(records) ? (records as CxRecord[]) : [records as CxRecord];
    for (let i = 0; i < list.length; i++) {
      if (list[i] === null || typeof list[i] !== 'object') {
        const err = new TypeError(`push: record ${i} is not an object (got ${list[i] === null ? 'null' : typeof list[i]})`);
        this.fail('config', err);
        return Promise.reject(err);
      }
    }
    return this.ingestRaw(list, 'push');
  }

  /** Trains again on every record held (e.g. after a sensitivity change) and rescores them. */
  async train(): Promise<void> {
    this.pendingRun = null;
    await this.trainAndScore(this.records.length > 0 ? this.records : (this.hostData ?? []));
  }

  /** Loads `src` again (the retry button does this). */
  async reload(): Promise<void> {
    this.pendingRun = null;
    if (this.src) await this.loadSrc();
    else await this.train();
  }

  /** The model file (versioned engine format). */
  async exportModel(): Promise<Uint8Array> {
    return (await this.ensureClient()).exportModel();
  }

  /** Loads a model file (e.g. from the server's GET /model), then rescores the records held. */
  async importModel(bytes: Uint8Array): Promise<void> {
    const client = await this.ensureClient();
    await client.importModel(bytes);
    this.modelInfo = { key: 'imported', records: 0, fromCache: false, millis: 0, mode: client.mode, trainedAt: Date.now() };
    if (this.records.length > 0) {
      const results = await client.score(this.records);
      this.replaceResults(this.records, results, 'batch');
    }
  }

  /** The confirmed anomalies as JSON or CSV text (what the export buttons download). */
  exportConfirmations(format: 'json' | 'csv' = 'json'): string {
    const items = this.feedback?.confirmations ?? [];
    return format === 'csv' ? feedbackToCsv(items) : feedbackToJson(items);
  }

  /**
   * Opens the "why flagged" panel for a result (one of `results`), by default the latest of
   * the most severe anomalies. Returns false when there is nothing to show.
   */
  showDetails(result?: Result): boolean {
    const entries = this.store.entries;
    let pick: Entry | undefined;
    if (result) pick = entries.find((e) => e.result === result);
    else {
      for (const e of entries) {
        if (e.result.isAnomaly && (!pick || e.result.grade >= pick.result.grade)) pick = e;
      }
    }
    if (!pick) return false;
    this.select(pick.seq);
    return true;
  }

  /** Closes the "why flagged" panel. */
  hideDetails(): void {
    this.closeWhy();
  }

  /** Pauses or resumes the stream (events are kept and scored on resume). */
  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) {
      const queued = this.pausedQueue;
      this.pausedQueue = [];
      for (const m of queued) this.onStreamMessage(m);
      void this.drainStream();
    }
  }

  /** The locale for Intl (a removed attribute leaves null). */
  private get loc(): string | undefined {
    return this.locale || undefined;
  }

  // ---- typed event helpers ------------------------------------------------------------------

  private emit<K extends keyof CxAnomalyWidgetEventMap>(type: K, detail: CxAnomalyWidgetEventMap[K]['detail']): void {
    emit(this, type, detail);
  }

  private warn(message: string, code: string): void {
    this.emit('cx-warning', { message, code } satisfies CxWarningDetail);
  }

  private fail(code: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.error = { message, code, error };
    this.status = 'error';
    this.progress = null;
    this.emit('cx-error', { message, code, error });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    clearTimeout(this.disposeTimer);
    window.addEventListener('online', this.onlineListener);
    window.addEventListener('offline', this.onlineListener);
    if (this.stream && !this.connection) this.connectStream();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('online', this.onlineListener);
    window.removeEventListener('offline', this.onlineListener);
    this.announcer.stop();
    this.connection?.close();
    this.connection = null;
    // Moving the element (remove + insert) must not lose the model: dispose only if it stays out.
    this.disposeTimer = setTimeout(() => {
      if (this.isConnected) return;
      this.abort?.abort();
      this.client?.dispose();
      this.client = null;
      this.clientPromise = null;
    }, 1000);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('src') && this.src && !this.hostData) this.schedule('load');
    const config = ['metrics', 'timeField', 'segmentField', 'contamination', 'maxAlertsPerDay', 'options'] as const;
    if (config.some((k) => changed.has(k)) && this.hasUpdated && (this.records.length > 0 || this.hostData)) this.schedule('train');
    if (changed.has('workerUrl') && this.hasUpdated && this.client) {
      this.client.dispose();
      this.client = null;
      this.clientPromise = null;
      if (this.records.length > 0) this.schedule('train');
    }
    if (changed.has('stream') && this.isConnected) this.connectStream();
  }

  /** Coalesces attribute changes made together into one load/train. */
  private schedule(kind: 'load' | 'train'): void {
    if (this.pendingRun === 'load') return; // a load trains afterwards anyway
    const first = this.pendingRun === null;
    this.pendingRun = kind;
    if (!first) return;
    queueMicrotask(() => {
      const run = this.pendingRun;
      this.pendingRun = null;
      if (run === 'load') void this.loadSrc();
      else if (run === 'train') void this.trainAndScore(this.hostData ?? this.records);
    });
  }

  // ---- engine -------------------------------------------------------------------------------

  private ensureClient(): Promise<EngineClient> {
    if (this.client) return Promise.resolve(this.client);
    this.clientPromise ??= createEngineClient({
      ...(this.workerUrl ? { workerUrl: new URL(this.workerUrl, document.baseURI).href } : {}),
      onWarning: (message, code) => this.warn(message, code),
    }).then((c) => {
      this.client = c;
      return c;
    });
    return this.clientPromise;
  }

  private config(records: readonly CxRecord[]): DetectorConfig {
    const timeField = this.timeField || inferTimeField(records);
    let fields = this.metrics?.trim();
    if (!fields) {
      fields = inferMetrics(records, [timeField, this.segmentField]);
      if (!fields) throw new Error('no numeric column to score: set the metrics attribute, e.g. metrics="aht_avg:high,csat_avg:low,volume"');
      this.warn(`metrics not set: scoring every numeric column (${fields})`, 'metrics-inferred');
    }
    const config: { -readonly [K in keyof DetectorConfig]: DetectorConfig[K] } = { ...this.options, fields };
    if (timeField) config.timeField = timeField;
    if (this.segmentField) config.segmentField = this.segmentField;
    if (this.contamination !== undefined && Number.isFinite(this.contamination)) config.contamination = this.contamination;
    if (this.maxAlertsPerDay !== undefined && Number.isFinite(this.maxAlertsPerDay)) config.maxAlertsPerDay = this.maxAlertsPerDay;
    return config;
  }

  /** Metrics as parsed from the attribute (or inferred from the data). */
  private get metricDefs(): FieldDef[] {
    try {
      const text = this.metrics?.trim() || inferMetrics(this.records, [this.timeField || inferTimeField(this.records), this.segmentField]);
      return text ? [...parseFieldSpec(text).fields] : [];
    } catch {
      return [];
    }
  }

  private async loadSrc(): Promise<void> {
    const url = this.src;
    if (!url) return;
    const run = this.beginRun();
    this.status = 'loading';
    this.error = null;
    try {
      const loaded = await loadRecords(url, this.abort!.signal);
      if (run !== this.runId) return;
      this.offlineCopyFrom = loaded.offlineCopyFrom ?? null;
      if (loaded.offlineCopyFrom !== undefined) {
        this.warn(`${url} could not be fetched: showing the copy saved ${new Date(loaded.offlineCopyFrom).toLocaleString(this.loc)}`, 'offline-copy');
      }
      await this.trainAndScore(loaded.records, run);
    } catch (e) {
      if (run !== this.runId || (e as Error).name === 'AbortError') return;
      this.fail('load', e);
    }
  }

  private beginRun(): number {
    this.abort?.abort();
    this.abort = new AbortController();
    return ++this.runId;
  }

  private async trainAndScore(records: readonly CxRecord[], run = this.beginRun()): Promise<void> {
    const signal = this.abort!.signal;
    this.error = null;
    if (records.length === 0) {
      this.records = [];
      this.store.clear();
      this.bump();
      this.status = 'empty';
      return;
    }
    this.status = 'training';
    this.progress = null;
    const started = performance.now();
    let phase: 'train' | 'score' = 'train';
    try {
      const config = this.config(records);
      this.ensureFeedbackScope(config);
      const client = await this.ensureClient();
      const onProgress = (p: Progress) => {
        if (run === this.runId) this.progress = p;
      };
      const summary: TrainSummary = await client.train(records, config, { signal, onProgress });
      phase = 'score';
      const results = await client.score(records, { signal, onProgress });
      if (run !== this.runId) return;
      this.modelInfo = { ...summary, mode: client.mode, trainedAt: Date.now() };
      this.threshold = estimateThreshold(results, this.contamination);
      await this.feedbackReady;
      this.replaceResults(records, results, 'batch');
      this.status = 'ready';
      this.progress = null;
      const anomalies = results.reduce((n, r) => n + (r.isAnomaly ? 1 : 0), 0);
      this.emit('cx-ready', {
        records: records.length, anomalies, fromCache: summary.fromCache,
        millis: Math.round(performance.now() - started), mode: client.mode,
      } satisfies CxReadyDetail);
      // Records that streamed in during training.
      if (this.warmupBuffer.length > 0) {
        const pending = this.warmupBuffer;
        this.warmupBuffer = [];
        void this.ingestRaw(pending, 'stream');
      }
    } catch (e) {
      if (run !== this.runId || signal.aborted) return;
      this.fail(phase, e);
    }
  }

  private replaceResults(records: readonly CxRecord[], results: readonly Result[], source: CxScoredDetail['source']): void {
    this.records = [...records];
    this.store.clear();
    this.store.add(records, results, this.segmentField);
    this.store.trim(this.maxRecords);
    this.bump();
    this.emit('cx-scored', { results, source });
  }

  private bump(): void {
    this.version = this.store.version;
    this.marksCache = null;
  }

  /** Scores raw records in arrival order (stream, push): update() learns from them too. */
  private ingestRaw(records: CxRecord[], source: 'stream' | 'push'): Promise<Result[]> {
    if (records.length === 0) return Promise.resolve([]);
    if (!this.modelInfo) {
      // No model yet: gather, and train once there is enough (or a training run is going).
      this.warmupBuffer.push(...records);
      if (this.status !== 'training' && this.status !== 'loading' && this.warmupBuffer.length >= this.warmup) {
        const data = this.warmupBuffer;
        this.warmupBuffer = [];
        void this.trainAndScore(data);
      } else if (this.status === 'idle' || this.status === 'empty') {
        this.status = 'training';
        this.progress = { done: this.warmupBuffer.length, total: this.warmup, phase: 'fit' };
      }
      return Promise.resolve([]);
    }
    if (source === 'stream') {
      // Stream records queue up and go to the engine in batches: a slow engine gets one
      // update for everything that arrived meanwhile, and a pause holds what was not sent yet.
      this.streamQueue.push(...records);
      void this.drainStream();
      return Promise.resolve([]);
    }
    const job = this.chain.then(async () => {
      const client = await this.ensureClient();
      const results = await client.update(records);
      this.addScored(records, results, source);
      return results;
    });
    this.chain = job.catch((e) => this.fail('score', e));
    return job;
  }

  private streamQueue: CxRecord[] = [];
  private draining = false;

  private async drainStream(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.streamQueue.length > 0 && !this.paused && this.modelInfo) {
        const batch = this.streamQueue.splice(0, 5000);
        const job = this.chain.then(async () => {
          const client = await this.ensureClient();
          const results = await client.update(batch);
          this.addScored(batch, results, 'stream');
        });
        this.chain = job.catch((e) => this.fail('score', e));
        await this.chain;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Adds records with their results (already scored or just scored) and tells the host. */
  private addScored(records: readonly CxRecord[], results: readonly Result[], source: 'stream' | 'push'): void {
    this.records.push(...records);
    if (this.records.length > this.maxRecords) this.records.splice(0, this.records.length - this.maxRecords);
    const added = this.store.add(records, results, this.segmentField);
    this.store.trim(this.maxRecords);
    if (this.status !== 'ready') {
      this.status = 'ready';
      this.progress = null;
    }
    this.bump();
    this.emit('cx-scored', { results, source });
    for (const e of added) {
      if (!e.result.isAnomaly || this.feedback?.suppressing(e)) continue;
      this.emit('cx-anomaly', e.result);
      this.announcer.add(this.describeAnomaly(e));
    }
  }

  private describeAnomaly(e: Entry): string {
    const p = patternOf(e.result, e.segment);
    const what = p ? `${metricLabel(p.metric)} ${p.direction}` : 'unusual values';
    return `${SEVERITY_LABEL[e.severity]} anomaly: ${what}${e.segment ? ` on ${e.segment}` : ''} at ${formatX(e.x, this.store.hasTime, this.loc)}`;
  }

  // ---- stream -------------------------------------------------------------------------------

  private connectStream(): void {
    this.connection?.close();
    this.connection = null;
    if (!this.stream) {
      this.streamState = 'off';
      return;
    }
    this.connection = new StreamConnection(this.stream, {
      onState: (s) => {
        const before = this.streamState;
        this.streamState = s;
        if (s === 'offline' && before !== 'offline') this.warn(`the stream ${this.stream} is unreachable: showing the data received so far; reconnecting`, 'stream-offline');
      },
      onMessage: (m) => this.onStreamMessage(m),
    });
  }

  private onNetworkChange(): void {
    if (!navigator.onLine) this.streamState = this.stream ? 'offline' : this.streamState;
    else if (this.stream && this.isConnected) this.connectStream();
  }

  /** One SSE event: `{ record, result }` (scored by the server) or a raw record (scored here). */
  private onStreamMessage(message: unknown): void {
    if (this.paused) {
      this.pausedQueue.push(message);
      if (this.pausedQueue.length > 50_000) this.pausedQueue.shift();
      this.requestUpdate();
      return;
    }
    const items = Array.isArray(message) ? message : [message];
    const scoredRecords: CxRecord[] = [];
    const scoredResults: Result[] = [];
    const raw: CxRecord[] = [];
    for (const item of items) {
      if (item === null || typeof item !== 'object') continue;
      const m = item as { record?: unknown; result?: unknown };
      if (m.record && typeof m.record === 'object') {
        if (isResult(m.result)) {
          scoredRecords.push(m.record as CxRecord);
          scoredResults.push(m.result);
        } else raw.push(m.record as CxRecord);
      } else raw.push(item as CxRecord);
    }
    if (scoredRecords.length > 0) this.addScored(scoredRecords, scoredResults, 'stream');
    if (raw.length > 0) void this.ingestRaw(raw, 'stream');
  }

  // ---- feedback -----------------------------------------------------------------------------

  private feedbackReady: Promise<void> = Promise.resolve();

  private ensureFeedbackScope(config: DetectorConfig): void {
    const scope = `${this.src ?? this.stream ?? 'data'}|${typeof config.fields === 'string' ? config.fields : ''}|${this.segmentField ?? ''}`;
    if (scope === this.feedbackScope && this.feedback) return;
    this.feedbackScope = scope;
    const book = new FeedbackBook(scope);
    this.feedback = book;
    this.feedbackReady = book.load().then(() => {
      this.marksCache = null;
      this.requestUpdate();
    });
  }

  private async giveFeedback(kind: 'confirm' | 'dismiss', seq: number): Promise<void> {
    const e = this.store.entries.find((x) => x.seq === seq);
    if (!e || !this.feedback) return;
    const pattern = patternOf(e.result, e.segment);
    if (!pattern) return;
    const at = Date.now();
    const suppressUntil = kind === 'dismiss' ? at + Math.max(0, this.suppressMinutes) * 60_000 : undefined;
    const item: FeedbackItem = {
      kind, key: pointKey(e.result), segment: e.segment, at, pattern,
      score: e.result.score, grade: e.result.grade, attribution: e.result.attribution, expected: e.result.expected,
      ...(e.result.timestamp !== undefined ? { timestamp: e.result.timestamp } : {}),
      ...(suppressUntil !== undefined ? { suppressUntil } : {}),
    };
    await this.feedback.add(item);
    this.marksCache = null;
    this.requestUpdate();
    this.announcer.say(kind === 'confirm' ? 'Anomaly confirmed' : `Anomaly dismissed; similar alerts muted for ${Math.round(this.suppressMinutes / 60)} hours`);
    this.emit('cx-feedback', {
      kind, result: e.result, pattern, at, ...(suppressUntil !== undefined ? { suppressUntil } : {}),
    } satisfies CxFeedbackDetail);
  }

  /** Feedback and suppression state of every anomaly, by seq (cached per version). */
  private get marks(): Map<number, MarkState> {
    const now = Date.now();
    const key = `${this.version}|${this.feedback?.all.length ?? 0}|${Math.floor(now / 60_000)}`;
    if (this.marksCache?.key === key) return this.marksCache.map;
    const map = new Map<number, MarkState>();
    if (this.feedback && this.feedback.all.length > 0) {
      for (const e of this.store.entries) {
        if (!e.result.isAnomaly) continue;
        const d = this.feedback.decisionFor(e);
        if (d) map.set(e.seq, d.kind === 'confirm' ? 'confirmed' : 'dismissed');
        else if (this.feedback.suppressing(e, now)) map.set(e.seq, 'suppressed');
      }
    }
    this.marksCache = { key, map };
    return map;
  }

  // ---- view handlers ------------------------------------------------------------------------

  private onControls(ev: CustomEvent<ControlsChangeDetail>): void {
    const d = ev.detail;
    if (d.segment !== undefined) {
      this.segmentFilter = d.segment;
      this.zoomed = null;
    }
    if (d.timeRange !== undefined) {
      this.timeRange = d.timeRange;
      this.zoomed = null;
    }
    if (d.sensitivity !== undefined) {
      const level = SENSITIVITY[d.sensitivity] ?? SENSITIVITY[2];
      // Attribute changes trigger the retrain (willUpdate), as a host setting them would.
      if (this.maxAlertsPerDay !== undefined) this.maxAlertsPerDay = level.alertsPerDay;
      else this.contamination = level.contamination;
    }
  }

  private select(seq: number | null): void {
    this.selectedSeq = seq;
    if (seq !== null) {
      const e = this.store.entries.find((x) => x.seq === seq);
      if (e) this.announcer.say(`Details: ${e.result.isAnomaly ? this.describeAnomaly(e) : `point at ${formatX(e.x, this.store.hasTime, this.loc)}`}`);
    }
  }

  private closeWhy(): void {
    if (this.selectedSeq === null) return;
    const hadFocus = this.shadowRoot?.activeElement?.tagName === 'CX-WHY-PANEL';
    this.selectedSeq = null;
    if (hadFocus) void this.updateComplete.then(() => (this.timeline?.shadowRoot?.querySelector('.chart') as HTMLElement | null)?.focus());
  }

  private onKeyDown(ev: KeyboardEvent): void {
    if (ev.key === 'Escape' && this.selectedSeq !== null) {
      ev.preventDefault();
      this.closeWhy();
    }
  }

  private exportFeedback(format: 'json' | 'csv'): void {
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    download(
      this.exportConfirmations(format),
      `cx-confirmed-anomalies-${stamp}.${format}`,
      format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
    );
  }

  // ---- render -------------------------------------------------------------------------------

  /** x range of the time-range control (relative to the latest point). */
  private rangeDomain(): [number, number] | null {
    const entries = this.store.entries;
    if (entries.length === 0) return null;
    const lastX = entries[entries.length - 1]!.x;
    const firstX = entries[0]!.x;
    const r = TIME_RANGES.find((t) => t.value === this.timeRange);
    if (!r || !Number.isFinite(r.ms) || !this.store.hasTime) return firstX === lastX ? null : [firstX, lastX];
    return [Math.max(firstX, lastX - r.ms), lastX];
  }

  /** Segment the header and trends describe. */
  private focusSegment(): string {
    if (this.segmentFilter !== '') return this.segmentFilter;
    const sel = this.selectedSeq !== null ? this.store.entries.find((e) => e.seq === this.selectedSeq) : undefined;
    if (sel) return sel.segment;
    const entries = this.store.entries;
    for (let i = entries.length - 1; i >= 0 && i >= entries.length - 5000; i--) {
      if (entries[i]!.result.isAnomaly) return entries[i]!.segment;
    }
    return this.store.segments[0] ?? '';
  }

  private renderStatus() {
    let cls = '';
    let text: string;
    switch (this.status) {
      case 'loading': text = 'Loading'; break;
      case 'training': text = this.progress ? `Training ${Math.round((this.progress.done / Math.max(1, this.progress.total)) * 100)}%` : 'Training'; break;
      case 'error': cls = 'error'; text = 'Error'; break;
      case 'empty': text = 'No data'; break;
      default: text = this.status === 'ready' ? 'Up to date' : 'Idle';
    }
    if (this.stream && this.status !== 'error') {
      const waiting = this.pausedQueue.length + this.streamQueue.length;
      if (this.paused) text = `Paused${waiting > 0 ? ` · ${waiting} waiting` : ''}`;
      else if (this.streamState === 'live') { cls = 'live'; text = this.status === 'training' ? text : 'Live'; }
      else if (this.streamState === 'offline') { cls = 'offline'; text = 'Offline'; }
      else if (this.streamState === 'connecting') text = 'Connecting';
    }
    return html`<span class="status ${cls}" role="status"><span class="dot" aria-hidden="true"></span>${text}</span>`;
  }

  private renderHeader(segment: string, metrics: readonly FieldDef[], marks: Map<number, MarkState>, domain: [number, number] | null) {
    const entries = this.store.entries;
    let latest: Entry | undefined;
    for (let i = entries.length - 1; i >= 0; i--) {
      if (entries[i]!.segment === segment) {
        latest = entries[i];
        break;
      }
    }
    const counts = { critical: 0, major: 0, minor: 0, warning: 0 };
    for (const e of entries) {
      if (!e.result.isAnomaly || (domain && (e.x < domain[0] || e.x > domain[1]))) continue;
      if (this.segmentFilter !== '' && e.segment !== this.segmentFilter) continue;
      if (marks.has(e.seq)) continue; // confirmed, dismissed or muted: not open
      counts[e.severity as keyof typeof counts]++;
    }
    const totalOpen = counts.critical + counts.major + counts.minor + counts.warning;
    const segLabel = this.segmentField ? metricLabel(this.segmentField) : 'Segment';
    return html`
      <header part="header">
        <div class="title-row">
          <h2><slot name="title">${this.heading}</slot></h2>
          ${this.renderStatus()}
        </div>
        ${latest
          ? html`<div class="latest">Latest${segment ? html` · <strong>${segment}</strong>` : nothing} · ${formatX(latest.x, this.store.hasTime, this.loc)}</div>
            <div class="tiles" role="list" aria-label=${`Latest values${segment ? ` for ${segLabel.toLowerCase()} ${segment}` : ''}, ${formatX(latest.x, this.store.hasTime, this.loc)}`}>
              ${metrics.map((m) => {
                const a = latest!.result.attribution[m.name];
                const shown = lastValue(entries, segment, m.name);
                const flagged = latest!.result.isAnomaly && a && Math.max(a.high, a.low) > 0 && shareIn(latest!, m.name) >= 0.25;
                const dir = a && a.high >= a.low ? 'high' : 'low';
                return html`<div class="tile" part="tile" role="listitem">
                  <div class="label" title=${m.name}>${metricLabel(m.name)}</div>
                  <div class="value">${formatMetric(m.name, shown?.value, this.loc)}</div>
                  ${shown && shown.entry !== latest ? html`<div class="when">at ${formatX(shown.entry.x, this.store.hasTime, this.loc)}</div>` : nothing}
                  ${flagged
                    ? html`<div class="state" style="color: var(${SEVERITY_VAR[latest!.severity]})">${dir === 'high' ? '▲ High' : '▼ Low'} · ${SEVERITY_LABEL[latest!.severity]}</div>`
                    : html`<div class="state normal">● Normal</div>`}
                </div>`;
              })}
            </div>`
          : nothing}
        <div class="counts" aria-label="Open anomalies by severity">
          <span>${totalOpen === 0 ? 'No open anomalies' : `${totalOpen} open:`}</span>
          ${SEVERITIES.map(
            (s) => html`<span class="count ${counts[s] === 0 ? 'zero' : ''}" style=${counts[s] === 0 ? '' : `color: var(${SEVERITY_VAR[s]})`}><span aria-hidden="true">${SEVERITY_GLYPH[s]}</span>${counts[s]} ${SEVERITY_LABEL[s].toLowerCase()}</span>`,
          )}
        </div>
      </header>
    `;
  }

  private renderNotice() {
    if (this.status === 'loading' || (this.status === 'training' && this.store.size === 0)) {
      const p = this.progress;
      const pct = p ? Math.round((p.done / Math.max(1, p.total)) * 100) : null;
      const label = this.status === 'loading'
        ? 'Loading data…'
        : this.modelInfo === null && this.warmupBuffer.length > 0
          ? `Gathering records to learn from: ${this.warmupBuffer.length} of ${this.warmup}`
          : p ? `${p.phase === 'fit' ? 'Training the model' : 'Scoring'}: ${p.done.toLocaleString(this.loc)} of ${p.total.toLocaleString(this.loc)}` : 'Training the model…';
      return html`<div class="notice progress" part="notice">
        <span>${label}</span>
        <progress max="100" .value=${pct ?? 0} aria-label=${label} ?indeterminate=${pct === null}></progress>
      </div>`;
    }
    if (this.status === 'error' && this.error) {
      return html`<div class="notice error" part="notice" role="alert">
        <p><strong>${this.error.code === 'load' ? 'Could not load the data.' : this.error.code === 'config' ? 'Configuration problem.' : 'Scoring failed.'}</strong> ${this.error.message}</p>
        <button @click=${() => void this.reload()}>Retry</button>
      </div>`;
    }
    if (this.status === 'empty' || (this.status === 'idle' && !this.src && !this.stream && this.store.size === 0)) {
      return html`<div class="empty" part="notice"><slot name="empty"><strong>No data yet</strong>Set <code>src</code>, <code>stream</code> or <code>data</code> to start.</slot></div>`;
    }
    return nothing;
  }

  private renderOffline() {
    const parts = [];
    if (this.streamState === 'offline') {
      parts.push(html`<div class="notice" part="notice" role="status"><p><strong>Offline.</strong> Showing the data received so far; live updates resume when the connection returns.</p></div>`);
    }
    if (this.offlineCopyFrom !== null) {
      parts.push(html`<div class="notice" part="notice" role="status"><p><strong>Offline copy.</strong> The data could not be fetched; showing the copy saved ${new Date(this.offlineCopyFrom).toLocaleString(this.loc)}.</p>
        <button @click=${() => void this.reload()}>Try again</button></div>`);
    }
    return parts;
  }

  private renderControls(segments: string[], segLabel: string) {
    return html`<cx-widget-controls
          part="controls"
          .segments=${segments}
          .segment=${this.segmentFilter}
          .segmentLabel=${segLabel}
          .timeRange=${this.timeRange}
          .sensitivity=${sensitivityLevel(this.contamination, this.maxAlertsPerDay)}
          ?budget-mode=${this.maxAlertsPerDay !== undefined}
          ?has-time=${this.store.hasTime}
          ?streaming=${!!this.stream}
          ?paused=${this.paused}
          ?disabled=${this.status === 'training' || this.status === 'loading'}
          @cx-controls-change=${this.onControls}
          @cx-controls-pause=${() => this.setPaused(!this.paused)}
        ></cx-widget-controls>`;
  }

  override render() {
    const metrics = this.metricDefs;
    const marks = this.marks;
    const domain = this.rangeDomain();
    const segment = this.focusSegment();
    const hasData = this.store.size > 0;
    const entries = this.store.entries;
    const view = hasData ? this.store.view(this.segmentFilter === '' ? null : this.segmentFilter) : null;
    const selected = this.selectedSeq !== null ? entries.find((e) => e.seq === this.selectedSeq) ?? null : null;
    const segments = this.store.segments.filter((s) => s !== '');
    const segLabel = this.segmentField ? metricLabel(this.segmentField) : 'Segment';
    const trendDomain = this.zoomed ?? domain;
    return html`
      <div class="root" part="base" @keydown=${this.onKeyDown}>
        ${hasData ? this.renderHeader(segment, metrics, marks, domain) : html`<header part="header"><div class="title-row"><h2><slot name="title">${this.heading}</slot></h2>${this.renderStatus()}</div></header>`}
        ${hasData ? this.renderControls(segments, segLabel) : nothing}
        ${this.renderNotice()}
        ${this.renderOffline()}
        ${hasData
          ? html`
              <section class="card" aria-labelledby="timeline-title">
                <h3 id="timeline-title">Anomaly score <span class="sub">${this.segmentFilter !== '' ? `· ${this.segmentFilter}` : segments.length > 1 ? `· all ${segments.length} ${segLabel.toLowerCase()}s` : ''}</span></h3>
                <cx-score-timeline
                  part="timeline"
                  .view=${view}
                  .entries=${entries}
                  .marks=${marks}
                  .domain=${domain}
                  .threshold=${this.threshold}
                  ?has-time=${this.store.hasTime}
                  .locale=${this.loc}
                  .selectedSeq=${this.selectedSeq}
                  .hoverX=${this.hoverX}
                  .label=${`Anomaly score timeline${this.segmentFilter ? ` for ${this.segmentFilter}` : ''}: ${view?.anomalies.length ?? 0} anomalies`}
                  @cx-timeline-cursor=${(e: CustomEvent<TimelineCursorDetail>) => (this.hoverX = e.detail.x)}
                  @cx-timeline-select=${(e: CustomEvent<TimelineSelectDetail>) => this.select(e.detail.seq)}
                  @cx-timeline-close=${() => this.closeWhy()}
                  @cx-timeline-zoom=${(e: CustomEvent<TimelineZoomDetail>) => (this.zoomed = e.detail.visible)}
                ></cx-score-timeline>
              </section>
              <div class="panel-grid ${selected ? 'with-why' : ''}">
                ${selected
                  ? html`<cx-why-panel
                      part="why"
                      .entry=${selected}
                      .metrics=${metrics}
                      .decision=${this.feedback?.decisionFor(selected) ?? null}
                      .suppressedBy=${this.feedback?.suppressing(selected) ?? null}
                      suppress-minutes=${this.suppressMinutes}
                      .confirmations=${this.feedback?.confirmations.length ?? 0}
                      ?has-time=${this.store.hasTime}
                      .locale=${this.loc}
                      .segmentField=${this.segmentField}
                      @cx-why-feedback=${(e: CustomEvent<WhyFeedbackDetail>) => void this.giveFeedback(e.detail.kind, e.detail.seq)}
                      @cx-why-close=${() => this.closeWhy()}
                      @cx-why-export=${(e: CustomEvent<WhyExportDetail>) => this.exportFeedback(e.detail.format)}
                    ></cx-why-panel>`
                  : nothing}
                <section class="card trends" aria-labelledby="trends-title">
                  <h3 id="trends-title">Metrics <span class="sub">${segment ? `· ${segment}` : ''} · band = expected range</span></h3>
                  <cx-metric-trends
                    part="trends"
                    .entries=${entries}
                    .version=${this.version}
                    .segment=${segment}
                    .metrics=${metrics}
                    .domain=${trendDomain}
                    .hoverX=${this.hoverX}
                    .selectedX=${selected?.x ?? null}
                    ?has-time=${this.store.hasTime}
                    .locale=${this.loc}
                    @cx-trends-cursor=${(e: CustomEvent<TrendsCursorDetail>) => (this.hoverX = e.detail.x)}
                  ></cx-metric-trends>
                </section>
              </div>
              <section class="card" aria-labelledby="table-title">
                <h3 id="table-title">Latest records</h3>
                <cx-stream-table
                  part="table"
                  .entries=${entries}
                  .version=${this.version}
                  .metrics=${metrics}
                  .segments=${segments}
                  .segmentLabel=${segLabel}
                  .marks=${marks}
                  .selectedSeq=${this.selectedSeq}
                  ?has-time=${this.store.hasTime}
                  .locale=${this.loc}
                  @cx-table-select=${(e: CustomEvent<TableSelectDetail>) => this.select(e.detail.seq)}
                ></cx-stream-table>
              </section>
            `
          : nothing}
        <div class="visually-hidden" aria-live="polite" aria-atomic="true">${this.announcement}</div>
      </div>
    `;
  }
}

function isResult(v: unknown): v is Result {
  return v !== null && typeof v === 'object' && typeof (v as Result).score === 'number' && typeof (v as Result).isAnomaly === 'boolean';
}

/** The latest value of a metric in a segment that is not missing (CSAT is often empty), within the last 500 entries. */
function lastValue(entries: readonly Entry[], segment: string, metric: string): { value: number; entry: Entry } | undefined {
  for (let i = entries.length - 1, seen = 0; i >= 0 && seen < 500; i--) {
    const e = entries[i]!;
    if (e.segment !== segment) continue;
    seen++;
    const v = numeric(e.record[metric]);
    if (Number.isFinite(v)) return { value: v, entry: e };
  }
  return undefined;
}

function shareIn(e: Entry, metric: string): number {
  let total = 0;
  let mine = 0;
  for (const [name, a] of Object.entries(e.result.attribution)) {
    total += a.high + a.low;
    if (name === metric) mine = a.high + a.low;
  }
  return total > 0 ? mine / total : 0;
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-anomaly-widget': CxAnomalyWidget;
  }
}
