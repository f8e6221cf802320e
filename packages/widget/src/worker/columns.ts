/**
 * Records <-> packed columns, and Result[] <-> result columns. Both ends of the
 * worker boundary use this module: the main thread packs records and unpacks
 * results, the worker does the reverse. Packing keeps the exact values, so the
 * engine sees the same records it would have seen in-process (numeric text and
 * bad values travel as they are, and the engine reports them).
 */
import type { CxRecord, Result } from '@cx-anomaly/engine';
import type { PackedColumn, RecordBatch, ResultColumns } from './protocol.ts';

/** Records per slice of main-thread work between yields (keeps each task well under 50 ms). */
export const MAIN_THREAD_SLICE = 8192;

/**
 * Main thread: gives the event loop a turn (rendering, input) between slices of work.
 * `scheduler.yield()` resumes ahead of other queued tasks, which is what the main thread
 * wants (stay responsive, then carry on) and NOT what a worker waiting for a cancel
 * message wants: use {@link yieldForMessages} there.
 */
export function yieldToEventLoop(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (s?.yield) return s.yield();
  return yieldForMessages();
}

/** Lets every task already queued (e.g. a `cancel` message) run first: a fresh macrotask at the back of the queue. */
export function yieldForMessages(): Promise<void> {
  return new Promise((resolve) => {
    // A MessageChannel task is not clamped to 4 ms as nested setTimeouts are.
    if (typeof MessageChannel === 'function') {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    } else setTimeout(resolve, 0);
  });
}

function packColumn(records: readonly CxRecord[], field: string, from: number, to: number, into: ColumnBuilder): void {
  for (let i = from; i < to; i++) into.push(i, records[i]![field]);
}

/** Builds one column, starting as f64 or dict and degrading to raw at the first value that fits neither. */
class ColumnBuilder {
  kind: 'unknown' | 'f64' | 'dict' | 'raw' = 'unknown';
  f64: Float64Array | null = null;
  codes: Int32Array | null = null;
  dict: string[] = [];
  dictIndex = new Map<string, number>();
  raw: unknown[] | null = null;
  constructor(readonly length: number, readonly records: readonly CxRecord[], readonly field: string) {}

  push(i: number, v: unknown): void {
    if (this.kind === 'raw') {
      this.raw![i] = v;
      return;
    }
    if (v === undefined || v === null) {
      if (this.kind === 'f64') this.f64![i] = NaN;
      else if (this.kind === 'dict') this.codes![i] = -1;
      // kind 'unknown': start() back-fills the missing rows before the first value.
      return;
    }
    if (typeof v === 'number') {
      if (this.kind === 'unknown') this.start('f64', i);
      if (this.kind === 'f64') {
        this.f64![i] = v;
        return;
      }
    } else if (typeof v === 'string') {
      if (this.kind === 'unknown') this.start('dict', i);
      if (this.kind === 'dict') {
        let code = this.dictIndex.get(v);
        if (code === undefined) {
          code = this.dict.length;
          this.dict.push(v);
          this.dictIndex.set(v, code);
        }
        this.codes![i] = code;
        return;
      }
    }
    this.toRaw(i);
    this.raw![i] = v;
  }

  private start(kind: 'f64' | 'dict', i: number): void {
    this.kind = kind;
    if (kind === 'f64') {
      this.f64 = new Float64Array(this.length);
      this.f64.fill(NaN, 0, i);
    } else {
      this.codes = new Int32Array(this.length);
      this.codes.fill(-1, 0, i);
    }
  }

  /** Re-reads the records before i as they are: mixed columns keep every value exactly. */
  private toRaw(i: number): void {
    const raw = new Array<unknown>(this.length);
    for (let k = 0; k < i; k++) raw[k] = this.records[k]![this.field];
    this.kind = 'raw';
    this.raw = raw;
    this.f64 = null;
    this.codes = null;
  }

  finish(): PackedColumn {
    if (this.kind === 'f64') return { kind: 'f64', values: this.f64! };
    if (this.kind === 'dict') return { kind: 'dict', codes: this.codes!, dict: this.dict };
    if (this.kind === 'raw') return { kind: 'raw', values: this.raw! };
    // Every value missing: an all-NaN numeric column (the engine reads NaN as missing).
    return { kind: 'f64', values: new Float64Array(this.length).fill(NaN) };
  }
}

/**
 * Packs the given fields of the records into columns, yielding to the event loop
 * every `MAIN_THREAD_SLICE` records (set `sync` to pack in one go, e.g. inside the worker).
 */
export async function packRecords(records: readonly CxRecord[], fields: readonly string[], sync = false): Promise<RecordBatch> {
  const n = records.length;
  const builders = fields.map((f) => new ColumnBuilder(n, records, f));
  for (let from = 0; from < n; from += MAIN_THREAD_SLICE) {
    const to = Math.min(n, from + MAIN_THREAD_SLICE);
    for (const b of builders) packColumn(records, b.field, from, to, b);
    if (!sync && to < n) await yieldToEventLoop();
  }
  const columns: Record<string, PackedColumn> = {};
  for (const b of builders) columns[b.field] = b.finish();
  return { length: n, columns };
}

/** Value of row i of a packed column, as the record had it (missing numbers come back as NaN). */
export function columnValue(c: PackedColumn, i: number): unknown {
  if (c.kind === 'f64') return c.values[i];
  if (c.kind === 'dict') {
    const code = c.codes[i]!;
    return code < 0 ? undefined : c.dict[code];
  }
  return c.values[i];
}

/** Rebuilds records [from, to) of a batch (worker side). */
export function unpackRecords(batch: RecordBatch, from = 0, to = batch.length): CxRecord[] {
  const names = Object.keys(batch.columns);
  const cols = names.map((n) => batch.columns[n]!);
  const out = new Array<CxRecord>(to - from);
  for (let i = from; i < to; i++) {
    const r: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) {
      const v = columnValue(cols[c]!, i);
      if (v !== undefined) r[names[c]!] = v;
    }
    out[i - from] = r;
  }
  return out;
}

/** Allocates result columns for `length` rows and these metrics. */
export function allocResultColumns(length: number, metrics: readonly string[]): ResultColumns & { segmentDict: string[] } {
  const m = metrics.length;
  return {
    length,
    metrics,
    index: new Int32Array(length),
    score: new Float64Array(length),
    grade: new Float64Array(length),
    isAnomaly: new Uint8Array(length),
    iforest: new Float64Array(length).fill(NaN),
    rcf: new Float64Array(length).fill(NaN),
    timestamp: new Float64Array(length).fill(NaN),
    segment: new Int32Array(length).fill(-1),
    segmentDict: [],
    attrHigh: new Float64Array(length * m),
    attrLow: new Float64Array(length * m),
    expected: new Float64Array(length * m).fill(NaN),
    imputed: new Uint8Array(length * m),
  };
}

/** Writes results into columns starting at row `at` (worker side). `segmentIndex` maps segment text to its code. */
export function writeResults(
  cols: ResultColumns & { segmentDict: string[] },
  results: readonly Result[],
  at: number,
  segmentIndex: Map<string, number>,
): void {
  const metrics = cols.metrics;
  const m = metrics.length;
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!;
    const i = at + k;
    cols.index[i] = r.index;
    cols.score[i] = r.score;
    cols.grade[i] = r.grade;
    cols.isAnomaly[i] = r.isAnomaly ? 1 : 0;
    if (r.scores.iforest !== undefined) cols.iforest[i] = r.scores.iforest;
    if (r.scores.rcf !== undefined) cols.rcf[i] = r.scores.rcf;
    if (r.timestamp !== undefined) cols.timestamp[i] = r.timestamp;
    if (r.segment !== undefined) {
      let code = segmentIndex.get(r.segment);
      if (code === undefined) {
        code = cols.segmentDict.length;
        cols.segmentDict.push(r.segment);
        segmentIndex.set(r.segment, code);
      }
      cols.segment[i] = code;
    }
    const base = i * m;
    for (let j = 0; j < m; j++) {
      const name = metrics[j]!;
      const a = r.attribution[name];
      if (a) {
        cols.attrHigh[base + j] = a.high;
        cols.attrLow[base + j] = a.low;
      }
      const e = r.expected[name];
      if (e !== undefined) cols.expected[base + j] = e;
    }
    for (const name of r.imputed) {
      const j = metrics.indexOf(name);
      if (j >= 0) cols.imputed[base + j] = 1;
    }
  }
}

/** Builds the plain Result object of row i (main-thread side). */
export function resultAt(cols: ResultColumns, i: number): Result {
  const metrics = cols.metrics;
  const m = metrics.length;
  const base = i * m;
  const attribution: Record<string, { high: number; low: number }> = {};
  const expected: Record<string, number> = {};
  const imputed: string[] = [];
  for (let j = 0; j < m; j++) {
    const name = metrics[j]!;
    attribution[name] = { high: cols.attrHigh[base + j]!, low: cols.attrLow[base + j]! };
    const e = cols.expected[base + j]!;
    if (!Number.isNaN(e)) expected[name] = e;
    if (cols.imputed[base + j]) imputed.push(name);
  }
  const scores: { iforest?: number; rcf?: number } = {};
  const f = cols.iforest[i]!;
  const r = cols.rcf[i]!;
  if (!Number.isNaN(f)) scores.iforest = f;
  if (!Number.isNaN(r)) scores.rcf = r;
  const result: { -readonly [K in keyof Result]: Result[K] } = {
    index: cols.index[i]!,
    score: cols.score[i]!,
    grade: cols.grade[i]!,
    isAnomaly: cols.isAnomaly[i] === 1,
    scores,
    attribution,
    expected,
    imputed,
  };
  const t = cols.timestamp[i]!;
  if (!Number.isNaN(t)) result.timestamp = t;
  const s = cols.segment[i]!;
  if (s >= 0) result.segment = cols.segmentDict[s]!;
  return result;
}

/** Milliseconds of Result building between two yields on the main thread. */
export const BUILD_SLICE_MS = 8;

/** Builds every Result, yielding to the event loop every BUILD_SLICE_MS so no task runs long. */
export async function buildResults(cols: ResultColumns, sync = false): Promise<Result[]> {
  const out = new Array<Result>(cols.length);
  let t0 = performance.now();
  for (let i = 0; i < cols.length; i++) {
    out[i] = resultAt(cols, i);
    // Check the clock every 256 rows only: performance.now() is not free.
    if (!sync && (i & 255) === 255 && performance.now() - t0 > BUILD_SLICE_MS) {
      await yieldToEventLoop();
      t0 = performance.now();
    }
  }
  return out;
}
