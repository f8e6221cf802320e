/**
 * Training off the main thread, in a worker_thread started by model.ts (see workers.ts
 * for how the same code runs from source and from the bundle).
 *
 * A job fits an AnomalyDetector on generated CX intervals (the default model) or on
 * stored records (POST /train), and/or generates the intervals the replay plays back.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AnomalyDetector, generateCxData, parseFieldSpec, type DetectorConfig } from './engine.ts';

export interface TrainJob {
  readonly detector: DetectorConfig;
  /** Fit on generated data (`generated`), on the given records (`records`), or not at all (`none`). */
  readonly fit: 'generated' | 'records' | 'none';
  /** JSON text of stored records (fit: 'records'). */
  readonly records?: readonly string[];
  readonly days: number;
  readonly seed: number;
  /** Also generate replay intervals, with this seed (a different seed than the training data). */
  readonly replaySeed: number | null;
}

export interface TrainOutput {
  readonly bytes: Uint8Array | null;
  readonly records: number;
  readonly millis: number;
  /** Replay intervals, time-ordered, numbers as numbers. */
  readonly replay: Record<string, unknown>[] | null;
  /** Labelled incidents of the replay data (for the log and /health). */
  readonly incidents: { kind: string; queue: string; start: string; end: string }[];
}

/** Generated intervals as records; numeric columns (all but time and segment) become numbers, empty cells null. */
export function generatedIntervals(days: number, seed: number): { records: Record<string, unknown>[]; incidents: TrainOutput['incidents'] } {
  const data = generateCxData({ days, seed });
  const { header, rows } = data.intervals;
  const text = new Set(['timestamp', 'queue']);
  const records = rows.map((row) => {
    const rec: Record<string, unknown> = {};
    for (let c = 0; c < header.length; c++) {
      const k = header[c]!;
      const v = row[c]!;
      rec[k] = text.has(k) ? v : v === '' ? null : Number(v);
    }
    return rec;
  });
  const incidents = data.incidents.map((i) => ({ kind: i.kind, queue: i.queue, start: i.start, end: i.end }));
  return { records, incidents };
}

export function runTrainJob(job: TrainJob): TrainOutput {
  const t0 = performance.now();
  let bytes: Uint8Array | null = null;
  let n = 0;
  if (job.fit === 'generated') {
    const { records } = generatedIntervals(job.days, job.seed);
    const spec = parseFieldSpec(typeof job.detector.fields === 'string' ? job.detector.fields : 'x');
    const missing = spec.fields.filter((f) => !(f.name in (records[0] ?? {}))).map((f) => f.name);
    if (missing.length > 0) {
      throw new Error(`the generated CX data has no field ${missing.join(', ')}; its fields: ${Object.keys(records[0] ?? {}).join(', ')}. Ingest data and POST /train instead`);
    }
    bytes = new AnomalyDetector(job.detector).fit(records).save();
    n = records.length;
  } else if (job.fit === 'records') {
    const records = (job.records ?? []).map((t) => JSON.parse(t) as Record<string, unknown>);
    bytes = new AnomalyDetector(job.detector).fit(records).save();
    n = records.length;
  }
  let replay: Record<string, unknown>[] | null = null;
  let incidents: TrainOutput['incidents'] = [];
  if (job.replaySeed !== null) ({ records: replay, incidents } = generatedIntervals(job.days, job.replaySeed));
  return { bytes, records: n, millis: performance.now() - t0, replay, incidents };
}

if (!isMainThread && parentPort && (workerData as { cxTrainJob?: TrainJob } | null)?.cxTrainJob) {
  const job = (workerData as { cxTrainJob: TrainJob }).cxTrainJob;
  try {
    const out = runTrainJob(job);
    parentPort.postMessage({ ok: true, out }, out.bytes ? [out.bytes.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort.postMessage({ ok: false, error: (e as Error).message });
  }
}
