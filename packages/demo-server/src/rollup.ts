/**
 * Interaction records -> interval records: the roll-up `/ingest` applies to contacts.
 *
 * An interaction record is one contact (the columns of `cx-anomaly generate`'s
 * interactions.csv): the time field, the segment field (queue), `aht_seconds`, `transfers`
 * (count; or `transferred`, true/false/1/0) and an optional `csat` (empty or null: no survey
 * answer). The server stores each one as received, and adds it to the open interval of its
 * segment: fixed slots of CX_INTERVAL minutes aligned on the epoch (15 minutes: :00, :15,
 * :30, :45 UTC). When a slot closes, each segment's slot becomes one interval record with
 * the columns and rounding of the generator's intervals.csv:
 *   volume = contacts; aht_avg = mean aht_seconds (1 decimal); transfer_rate = share with a
 *   transfer (4 decimals); csat_avg = mean of the answered surveys (2 decimals) or null;
 *   csat_responses = answered surveys; aht_max = the longest single contact's aht_seconds
 *   (as given, not rounded) or null. aht_max is there because one stuck call of hours barely
 *   moves the interval's mean but is plain in its max (the default CX_FIELDS models it on a
 *   log scale, `aht_max:high:log`).
 * That record is stored, scored and broadcast like any interval record.
 *
 * When a slot closes: the server keeps an event-time clock, the latest interaction time
 * seen (the watermark), advanced by the wall-clock time since it was seen (a live feed
 * whose queues go quiet still closes its intervals; a backfill sent faster than real time
 * closes them by its own timestamps). A slot closes for every segment at once when the
 * clock passes its end by CX_INTERVAL_GRACE seconds: by the next interaction's time, or by
 * the server's timer. An interaction whose slot has already closed is stored but not rolled
 * up (counted as `late` in the answer).
 *
 * A segment seen before gets a zero-volume interval (volume 0, csat_responses 0, the means
 * and aht_max null) for a closed slot with no contact, up to one day after its last contact: a queue
 * that goes silent is itself an anomaly (volume collapse). After a day of silence it is
 * left out until it has contacts again.
 *
 * This module is pure bookkeeping (no store, no timer): `plan` says what closing would
 * write without changing anything, `apply` takes the plan once the store has committed it.
 */
import { formatTime } from './engine.ts';

/** Interaction columns, as `cx-anomaly generate` writes them. */
export const INTERACTION_FIELDS = { aht: 'aht_seconds', transfers: 'transfers', transferred: 'transferred', csat: 'csat', id: 'interaction_id' } as const;
/** Numeric interaction columns (CSV cells of these become numbers). */
export const INTERACTION_NUMERIC = [INTERACTION_FIELDS.aht, INTERACTION_FIELDS.transfers, INTERACTION_FIELDS.csat] as const;
/** Columns of a rolled-up interval record besides time and segment (the generator's intervals.csv). */
export const ROLLUP_METRICS = ['volume', 'aht_avg', 'transfer_rate', 'csat_avg', 'csat_responses', 'aht_max'] as const;
/** Zero-volume intervals are written for at most this long after a segment's last contact. */
export const IDLE_FILL_MS = 24 * 3600_000;

/** One checked interaction (see records.ts). */
export interface Interaction {
  readonly ts: number;
  readonly segment: string | null;
  readonly aht: number;
  readonly transferred: boolean;
  readonly csat: number | null;
}

interface Agg {
  n: number;
  ahtSum: number;
  /** Longest aht of the slot's contacts (-Infinity while none). */
  ahtMax: number;
  transferred: number;
  csatSum: number;
  csatN: number;
}

/** One interval to write: its record (JSON-ready) and the time range of the interactions it rolls up. */
export interface ClosedInterval {
  readonly segment: string | null;
  readonly start: number;
  readonly end: number;
  readonly record: Record<string, unknown>;
}

export interface RollupPlan {
  /** In time order, then segment order. */
  readonly intervals: ClosedInterval[];
  /** Every slot starting before this time is closed after the plan (ms), or null (none yet). */
  readonly closedBefore: number | null;
  readonly watermark: number | null;
  readonly watermarkAt: number;
  /** Interactions added to open slots (not late). */
  readonly added: readonly Interaction[];
}

/** Where a restarted server's roll-up resumes (read from the store). */
export interface RollupState {
  readonly closedBefore: number | null;
  readonly watermark: number | null;
  /** Wall-clock time at which the watermark interaction was received. */
  readonly watermarkAt: number;
  /** Interactions of still open slots. */
  readonly open: readonly Interaction[];
  /** Per segment, the start of its last slot with contacts among the closed ones. */
  readonly lastActive: ReadonlyMap<string | null, number>;
}

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export class Rollup {
  /** segment -> slot start -> aggregate. */
  private open = new Map<string | null, Map<number, Agg>>();
  private lastActive = new Map<string | null, number>();
  closedBefore: number | null = null;
  watermark: number | null = null;
  watermarkAt = 0;

  constructor(
    readonly intervalMs: number,
    readonly graceMs: number,
    private readonly timeField: string,
    private readonly segmentField: string,
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`interval length must be > 0 ms, got ${intervalMs}`);
  }

  /** A copy of the in-memory state, to roll back to when a transaction that applied plans fails. */
  snapshot(): () => void {
    const open = new Map([...this.open].map(([seg, slots]) => [seg, new Map([...slots].map(([k, a]) => [k, { ...a }]))]));
    const lastActive = new Map(this.lastActive);
    const { closedBefore, watermark, watermarkAt } = this;
    return () => {
      this.open = open;
      this.lastActive = lastActive;
      this.closedBefore = closedBefore;
      this.watermark = watermark;
      this.watermarkAt = watermarkAt;
    };
  }

  /** Restores the state kept in the store (start-up). */
  restore(s: RollupState): void {
    this.closedBefore = s.closedBefore;
    this.watermark = s.watermark;
    this.watermarkAt = s.watermarkAt;
    this.lastActive = new Map(s.lastActive);
    this.open.clear();
    for (const it of s.open) this.addTo(this.open, it);
  }

  slotOf(ts: number): number {
    return Math.floor(ts / this.intervalMs) * this.intervalMs;
  }

  /** True when the interaction's slot has closed (it is stored, not rolled up). */
  isLate(ts: number): boolean {
    return this.closedBefore !== null && this.slotOf(ts) < this.closedBefore;
  }

  /** Open slots (segments x slots), for /health. */
  get openSlots(): number {
    let n = 0;
    for (const m of this.open.values()) n += m.size;
    return n;
  }

  /** The event-time clock at wall-clock time `now`. */
  clock(now: number): number | null {
    return this.watermark === null ? null : this.watermark + Math.max(0, now - this.watermarkAt);
  }

  /**
   * What adding `added` (interactions that are not late, already known to be new) at
   * wall-clock `now` closes, without changing this object.
   */
  plan(added: readonly Interaction[], now: number): RollupPlan {
    let watermark = this.watermark;
    let watermarkAt = this.watermarkAt;
    for (const it of added) {
      // The watermark only moves forward, and only past the clock (a contact older than the clock does not move it back).
      const clock = watermark === null ? null : watermark + Math.max(0, now - watermarkAt);
      if (clock === null || it.ts > clock) {
        watermark = it.ts;
        watermarkAt = now;
      }
    }
    // Copy-on-write of the slots `added` touches.
    const merged = new Map<string | null, Map<number, Agg>>();
    for (const [seg, slots] of this.open) merged.set(seg, slots);
    const copied = new Set<string | null>();
    for (const it of added) {
      if (!copied.has(it.segment)) {
        const own = new Map<number, Agg>();
        for (const [k, a] of merged.get(it.segment) ?? []) own.set(k, { ...a });
        merged.set(it.segment, own);
        copied.add(it.segment);
      }
      this.addTo(merged, it);
    }
    const clock = watermark === null ? null : watermark + Math.max(0, now - watermarkAt);
    const noChange: RollupPlan = { intervals: [], closedBefore: this.closedBefore, watermark, watermarkAt, added };
    if (clock === null) return noChange;
    const closeBefore = this.slotOf(clock - this.graceMs);
    let from = this.closedBefore;
    if (from === null) {
      // Nothing closed yet: start at the earliest open slot.
      for (const slots of merged.values()) for (const k of slots.keys()) if (from === null || k < from) from = k;
      if (from === null) return noChange;
    }
    if (closeBefore <= from) return noChange;
    const L = this.intervalMs;
    const out: ClosedInterval[] = [];
    const segments = new Set<string | null>([...merged.keys(), ...this.lastActive.keys()]);
    for (const seg of segments) {
      const slots = merged.get(seg);
      const data = slots ? [...slots.keys()].filter((k) => k < closeBefore).sort((a, b) => a - b) : [];
      let last = this.lastActive.get(seg);
      let cursor = from;
      const fillTo = (until: number): void => {
        if (last === undefined) return;
        const stop = Math.min(until, last + IDLE_FILL_MS + L);
        for (let k = Math.max(cursor, last + L); k < stop; k += L) out.push(this.interval(seg, k, null));
      };
      for (const k of data) {
        fillTo(k);
        out.push(this.interval(seg, k, slots!.get(k)!));
        last = k;
        cursor = k + L;
      }
      fillTo(closeBefore);
    }
    out.sort((a, b) => a.start - b.start || (a.segment ?? '').localeCompare(b.segment ?? ''));
    return { intervals: out, closedBefore: closeBefore, watermark, watermarkAt, added };
  }

  /** Takes a plan the store has committed. */
  apply(p: RollupPlan): void {
    for (const it of p.added) this.addTo(this.open, it);
    this.watermark = p.watermark;
    this.watermarkAt = p.watermarkAt;
    if (p.closedBefore !== null && p.closedBefore !== this.closedBefore) {
      for (const iv of p.intervals) if (iv.record.volume !== 0) this.lastActive.set(iv.segment, iv.start);
      for (const [seg, slots] of this.open) {
        for (const k of [...slots.keys()]) if (k < p.closedBefore) slots.delete(k);
        if (slots.size === 0) this.open.delete(seg);
      }
      this.closedBefore = p.closedBefore;
    }
  }

  private addTo(map: Map<string | null, Map<number, Agg>>, it: Interaction): void {
    let slots = map.get(it.segment);
    if (!slots) map.set(it.segment, (slots = new Map()));
    const k = this.slotOf(it.ts);
    let a = slots.get(k);
    if (!a) slots.set(k, (a = { n: 0, ahtSum: 0, ahtMax: -Infinity, transferred: 0, csatSum: 0, csatN: 0 }));
    a.n++;
    a.ahtSum += it.aht;
    if (it.aht > a.ahtMax) a.ahtMax = it.aht;
    if (it.transferred) a.transferred++;
    if (it.csat !== null) {
      a.csatSum += it.csat;
      a.csatN++;
    }
  }

  private interval(segment: string | null, start: number, a: Agg | null): ClosedInterval {
    const record: Record<string, unknown> = { [this.timeField]: formatTime(start) };
    if (segment !== null) record[this.segmentField] = segment;
    const n = a?.n ?? 0;
    record.volume = n;
    record.aht_avg = n > 0 ? round(a!.ahtSum / n, 1) : null;
    record.transfer_rate = n > 0 ? round(a!.transferred / n, 4) : null;
    record.csat_avg = a && a.csatN > 0 ? round(a.csatSum / a.csatN, 2) : null;
    record.csat_responses = a?.csatN ?? 0;
    // Last, after the generator's original columns: stored records' JSON text keeps its key order.
    record.aht_max = n > 0 ? a!.ahtMax : null;
    return { segment, start, end: start + this.intervalMs, record };
  }
}
