/**
 * One stream's numbering across several stream workers. A detector numbers its stream: each
 * Result's `index` is its position in the stream, and each alert start takes the next
 * `alertId`. With the segments split over K workers (model.ts), each worker counts only its
 * own records and alerts; this class gives every Result the numbers ONE detector would have
 * given it, so the stored and broadcast results do not depend on the worker count.
 *
 * It holds because every worker starts from the same state (the model file plus the same
 * catch-up records, model.ts `install`): each has the same next index S and next alert id A.
 * Renumbering, in stream (seq) order, starting after an install:
 *   - the record at stream position p gets index S + p (S: the first record's own index);
 *   - the g-th alert start gets A + g (A: the first alert start's own id);
 *   - a record of an open alert (alertId set, not a start) gets what its segment's alert
 *     start got; an alert opened before the install (id below A) keeps its id.
 * One worker: every number is unchanged (tested). model.ts renumbers with one worker too: a
 * worker restarted after a crash starts again from the model's numbers, and the stream's
 * continue (tested: workers.test.ts).
 */
export class StreamNumbering {
  private base: number | null = null;
  private pos = 0;
  private alertBase: number | null = null;
  private alerts = 0;
  /** Per segment, its latest alert start since the install: the worker's id and the stream's. */
  private readonly lastAlert = new Map<string, { local: number; global: number }>();

  /** The stream's numbers for one Result, given the worker's; call in stream order. */
  next(segment: string, index: number, alertId: number, alertStart: boolean): { index: number; alertId: number } {
    if (this.base === null) this.base = index;
    const outIndex = this.base + this.pos++;
    if (alertStart) {
      if (this.alertBase === null) this.alertBase = alertId;
      const global = this.alertBase + this.alerts++;
      this.lastAlert.set(segment, { local: alertId, global });
      return { index: outIndex, alertId: global };
    }
    if (alertId === 0) return { index: outIndex, alertId: 0 };
    const last = this.lastAlert.get(segment);
    return { index: outIndex, alertId: last !== undefined && last.local === alertId ? last.global : alertId };
  }
}

/**
 * A Result's JSON text with another `index` and `alertId`. The text is the worker's
 * `JSON.stringify(result)`, which starts with `{"index":N,` and ends with
 * `,"alertId":A,"alertStart":...}`: both are spliced; a text of another shape is parsed and
 * written again (same key order).
 */
export function renumberResult(json: string, index: number, newIndex: number, alertId: number, newAlertId: number): string {
  if (index === newIndex && alertId === newAlertId) return json;
  let s = json;
  if (index !== newIndex) {
    const head = `{"index":${index},`;
    if (!s.startsWith(head)) return reserialise(json, newIndex, newAlertId);
    s = `{"index":${newIndex},${s.slice(head.length)}`;
  }
  if (alertId !== newAlertId) {
    const tail = `,"alertId":${alertId},"alertStart":`;
    const at = s.lastIndexOf(tail);
    if (at === -1 || s.indexOf(',', at + tail.length) !== -1) return reserialise(json, newIndex, newAlertId);
    s = `${s.slice(0, at)},"alertId":${newAlertId},"alertStart":${s.slice(at + tail.length)}`;
  }
  return s;
}

function reserialise(json: string, index: number, alertId: number): string {
  const r = JSON.parse(json) as Record<string, unknown>;
  r.index = index;
  r.alertId = alertId;
  return JSON.stringify(r);
}
