/**
 * The element's scored data: every record with its Result, kept in time order, plus columnar
 * typed-array views (one per segment filter) that the canvas timeline draws from without
 * touching the objects.
 */
import type { CxRecord, Result } from '@cx-anomaly/engine';
import { severityOf, type Severity } from './severity.ts';

export interface Entry {
  /** Arrival order over the element's life (stable id for keys and selection). */
  readonly seq: number;
  /** x of the entry: epoch ms when the data has times, else the arrival position. */
  readonly x: number;
  readonly segment: string;
  readonly severity: Severity;
  readonly record: CxRecord;
  readonly result: Result;
  /** Wall-clock ms when the element received the score (for "new" anomalies and suppression). */
  readonly receivedAt: number;
}

/** Columnar copy of (a filtered part of) the store, ascending x. */
export interface SeriesView {
  readonly length: number;
  readonly x: Float64Array;
  readonly score: Float32Array;
  /** Position of each point in `ScoredStore.entries`. */
  readonly entry: Int32Array;
  /** Indices (into this view) of the anomalies, ascending. */
  readonly anomalies: Int32Array;
}

export class ScoredStore {
  private list: Entry[] = [];
  private nextSeq = 0;
  private sorted = true;
  private views = new Map<string, SeriesView>();
  private segmentSet = new Map<string, number>();
  /** Increases on every change; views and derived data are cached per version. */
  version = 0;
  /** True when the entries carry real times (the first entry decides). */
  hasTime = false;

  get entries(): readonly Entry[] {
    this.ensureSorted();
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Segments in order of first appearance. */
  get segments(): string[] {
    return [...this.segmentSet.keys()];
  }

  clear(): void {
    this.list = [];
    this.nextSeq = 0;
    this.sorted = true;
    this.segmentSet.clear();
    this.hasTime = false;
    this.changed();
  }

  /**
   * Adds records with their results (parallel arrays, as the engine returns them).
   * `segmentField` is read from the record when the result carries no segment.
   */
  add(records: readonly CxRecord[], results: readonly Result[], segmentField?: string, now = Date.now()): Entry[] {
    if (records.length !== results.length) {
      throw new Error(`ScoredStore.add: ${records.length} records but ${results.length} results`);
    }
    if (this.list.length === 0 && results.length > 0) this.hasTime = typeof results[0]!.timestamp === 'number';
    const added: Entry[] = [];
    let lastX = this.list.length > 0 ? this.list[this.list.length - 1]!.x : -Infinity;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      const record = records[i]!;
      const seq = this.nextSeq++;
      const x = this.hasTime && typeof result.timestamp === 'number' ? result.timestamp : seq;
      const rawSeg = result.segment ?? (segmentField ? record[segmentField] : undefined);
      const segment = rawSeg === undefined || rawSeg === null ? '' : String(rawSeg);
      if (!this.segmentSet.has(segment)) this.segmentSet.set(segment, this.segmentSet.size);
      const entry: Entry = {
        seq, x, segment, record, result, receivedAt: now,
        severity: result.isAnomaly ? severityOf(result.grade) : 'normal',
      };
      if (x < lastX) this.sorted = false;
      lastX = x;
      this.list.push(entry);
      added.push(entry);
    }
    this.changed();
    return added;
  }

  /** Drops the oldest entries beyond `max` (a long-running stream keeps memory bounded). */
  trim(max: number): void {
    if (this.list.length <= max) return;
    this.ensureSorted();
    this.list.splice(0, this.list.length - max);
    this.changed();
  }

  /** Columnar view of the entries of one segment (or all when `segment` is null), within [from, to]. */
  view(segment: string | null, from = -Infinity, to = Infinity): SeriesView {
    this.ensureSorted();
    const key = `${segment ?? '\u0000all'}|${from}|${to}`;
    const cached = this.views.get(key);
    if (cached) return cached;
    const list = this.list;
    let n = 0;
    for (const e of list) if ((segment === null || e.segment === segment) && e.x >= from && e.x <= to) n++;
    const x = new Float64Array(n);
    const score = new Float32Array(n);
    const entry = new Int32Array(n);
    const anomalies: number[] = [];
    let k = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if ((segment !== null && e.segment !== segment) || e.x < from || e.x > to) continue;
      x[k] = e.x;
      score[k] = e.result.score;
      entry[k] = i;
      if (e.result.isAnomaly) anomalies.push(k);
      k++;
    }
    const view: SeriesView = { length: n, x, score, entry, anomalies: Int32Array.from(anomalies) };
    if (this.views.size > 16) this.views.clear();
    this.views.set(key, view);
    return view;
  }

  private ensureSorted(): void {
    if (this.sorted) return;
    this.list.sort((a, b) => a.x - b.x || a.seq - b.seq);
    this.sorted = true;
  }

  private changed(): void {
    this.version++;
    this.views.clear();
  }
}
