/**
 * A worker thread holding one AnomalyDetector, so that scoring (milliseconds a record
 * with a full-size forest) never blocks the event loop that answers requests, writes the
 * store and feeds the SSE clients. model.ts runs two pools of them: stream workers learn the
 * stream (update, in seq order, each its share of the segments), batch workers score /score
 * batches (no state change).
 *
 * Messages: { id, op, payload } -> { id, ok, value | error }
 *   load   { shared, catchUp } load a model file (a SharedArrayBuffer: one copy for all workers), then learn catchUp records; value: its config
 *   update JSON text of records streaming update (text: one cheap string to clone, not objects); value: UpdateOutput (Result JSON text or error, anomaly 1/0, index, alertId, alertStart per record)
 *   score  records | JSON text batch scoring, no state change; value: the JSON text of the Result array
 *   priority nice              lowers this thread's CPU priority (the stream worker); value: what happened, as text
 * Results leave the worker as JSON text: the main thread stores and streams that text as
 * it is, so it neither deserialises Result objects nor serialises them again.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AnomalyDetector, formatFieldSpec, type CxRecord, type DetectorResult } from './engine.ts';
import { supportText } from './config.ts';

export interface LoadedConfig {
  readonly fields: string;
  readonly timeField: string | undefined;
  readonly segmentField: string | undefined;
  readonly contamination: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  /** The model's support settings as `supportText` writes them. */
  readonly support: string;
}

export interface UpdateOutput {
  /** Result JSON text per record; null where the record could not be scored (`error` says why). */
  readonly json: (string | null)[];
  readonly anomaly: number[];
  /** Per record: null, or why it could not be scored (the others of its message were). */
  readonly error: (string | null)[];
  /** Per record: its Result's stream index, alert id and alert start (1/0), for the renumbering of model.ts (several stream workers). */
  readonly index: number[];
  readonly alertId: number[];
  readonly alertStart: number[];
}

/** Each Result's JSON text and the numbers model.ts merges by (an `update` or `scoreEach` answer). */
function describeResults(results: readonly DetectorResult[]): UpdateOutput {
  const n = results.length;
  const out: UpdateOutput = { json: new Array(n), anomaly: new Array(n), error: new Array(n).fill(null), index: new Array(n), alertId: new Array(n), alertStart: new Array(n) };
  for (let i = 0; i < n; i++) {
    const r = results[i]!;
    out.json[i] = JSON.stringify(r);
    out.anomaly[i] = r.isAnomaly ? 1 : 0;
    out.index[i] = r.index;
    out.alertId[i] = r.alertId;
    out.alertStart[i] = r.alertStart ? 1 : 0;
  }
  return out;
}

/**
 * Streaming update of a message's records. A batch the detector refuses (a record that should
 * not have passed validation) is refused before anything is learnt (updateMany validates the
 * whole batch first), so it is then learnt record by record: one bad record costs only itself,
 * and it is done here, in this worker's message order, because the main thread may already
 * have sent the next records of the same segments.
 */
export function updateRecords(det: AnomalyDetector, records: readonly CxRecord[]): UpdateOutput {
  try {
    return describeResults(det.updateMany(records));
  } catch {
    const n = records.length;
    const out: UpdateOutput = { json: new Array(n).fill(null), anomaly: new Array(n).fill(0), error: new Array(n).fill(null), index: new Array(n).fill(0), alertId: new Array(n).fill(0), alertStart: new Array(n).fill(0) };
    for (let i = 0; i < n; i++) {
      try {
        const one = describeResults(det.updateMany([records[i]!]));
        out.json[i] = one.json[0]!;
        out.anomaly[i] = one.anomaly[0]!;
        out.index[i] = one.index[0]!;
        out.alertId[i] = one.alertId[0]!;
        out.alertStart[i] = one.alertStart[0]!;
      } catch (e) {
        out.error[i] = (e as Error).message;
      }
    }
    return out;
  }
}

/**
 * The records with every metric field of the model present: an absent one becomes null. The
 * server's validation lets an interval record leave metric fields out (missing values, as
 * null is), but the engine refuses a batch in which a field is absent from EVERY record (a
 * misspelt column, in a file): so a record sent alone, or with others like it, was acknowledged
 * by /ingest and then stored as "could not be scored", and /score answered 500, while the same
 * record among complete ones was scored with the field imputed. Now it is scored the same way
 * however it is batched. Records parsed for this call only: changed in place.
 */
export function withEveryField(records: CxRecord[], fields: readonly string[]): CxRecord[] {
  for (const r of records) {
    for (const f of fields) if (r[f] === undefined) (r as Record<string, unknown>)[f] = null;
  }
  return records;
}

function serve(): void {
  let det: AnomalyDetector | null = null;
  let fields: string[] = [];
  const port = parentPort!;
  port.on('message', (m: { id: number; op: string; payload: unknown }) => {
    try {
      let value: unknown;
      if (m.op === 'load') {
        const { shared, catchUp } = m.payload as { shared: SharedArrayBuffer; catchUp: CxRecord[] };
        // The model file is shared by every worker (read only): this worker reads its own copy.
        const next = AnomalyDetector.load(new Uint8Array(shared).slice());
        fields = next.config.spec.fields.map((f) => f.name);
        if (catchUp.length > 0) next.updateMany(withEveryField(catchUp, fields));
        det = next;
        const c = det.config;
        value = {
          fields: formatFieldSpec(c.spec),
          timeField: c.timeField,
          segmentField: c.segmentField,
          contamination: c.contamination,
          numTrees: c.numTrees,
          sampleSize: c.sampleSize,
          support: supportText(
            c.supportIndex >= 0 ? c.spec.fields[c.supportIndex]!.name : undefined,
            Object.fromEntries(c.metricSupport.map(([m, f]) => [c.spec.fields[m]!.name, f])),
          ),
        } satisfies LoadedConfig;
      } else if (m.op === 'priority') {
        value = lowerPriority(m.payload as number);
      } else if (!det) {
        throw new Error('no model loaded');
      } else if (m.op === 'update') {
        value = updateRecords(det, withEveryField(JSON.parse(m.payload as string) as CxRecord[], fields));
      } else if (m.op === 'score') {
        value = JSON.stringify(det.score(withEveryField(scoreInput(m.payload), fields)));
      } else if (m.op === 'scoreEach') {
        // One part of a /score request split by segment (model.ts): each Result's text and numbers.
        value = describeResults(det.score(withEveryField(m.payload as CxRecord[], fields)));
      } else {
        throw new Error(`unknown op ${m.op}`);
      }
      port.postMessage({ id: m.id, ok: true, value });
    } catch (e) {
      port.postMessage({ id: m.id, ok: false, error: (e as Error).message });
    }
  });
}

/**
 * The records of a `score` message: the records themselves, or the request's JSON body text
 * as it came (an array, or `{ "records": [...] }`), already validated by the main thread:
 * a string costs the main thread nothing to send, an array of objects a structured clone.
 */
export function scoreInput(payload: unknown): CxRecord[] {
  if (typeof payload !== 'string') return payload as CxRecord[];
  const v = JSON.parse(payload) as CxRecord[] | { records: CxRecord[] };
  return Array.isArray(v) ? v : v.records;
}

/**
 * Lowers this thread's CPU priority to `nice` and says what happened (shown in /health). Linux
 * keeps a nice value per thread (a task), named by /proc/thread-self; elsewhere, or when the
 * system refuses, the thread keeps its priority and the text says why.
 */
export function lowerPriority(nice: number): string {
  if (nice === 0) return 'unchanged (CX_SCORING_NICE=0)';
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch (e) {
    return `unchanged: this system has no per-thread priorities (/proc/thread-self: ${(e as Error).message})`;
  }
  try {
    setPriority(tid, nice);
  } catch (e) {
    return `unchanged: setting nice ${nice} failed (${(e as Error).message})`;
  }
  return `nice ${getPriority(tid)} (thread ${tid})`;
}

if (!isMainThread && parentPort && (workerData as { cxScorer?: string } | null)?.cxScorer) serve();
