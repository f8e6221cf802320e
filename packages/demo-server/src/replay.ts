/**
 * Replay of generated CX intervals in accelerated time, so the demo page is alive on
 * first start. Each tick emits every queue's record for the next 15-minute slot of a
 * simulated clock; `speed` simulated seconds pass per real second (900: a slot a second).
 *
 * The clock resumes after the newest replayed record in the store (a restart continues
 * the timeline instead of going back in time). The values of simulated time T are those
 * of the generated slot at the same offset modulo the generated span: the span is whole
 * days (whole weeks with the default 14), so time of day (and weekday) seasonality line up. The generated data carries its
 * own incidents (outages, CSAT drops, transfer surges...); more can be injected
 * (POST /replay/incident, the page's button) and affect the next slots of one queue.
 */
import { formatTime, parseTime } from './engine.ts';

export const SLOT_MS = 15 * 60 * 1000;

export type InjectKind = 'outage' | 'aht_spike' | 'csat_drop' | 'transfer_surge' | 'volume_collapse';
export const INJECT_KINDS: readonly InjectKind[] = ['outage', 'aht_spike', 'csat_drop', 'transfer_surge', 'volume_collapse'];

export interface Injection {
  readonly kind: InjectKind;
  readonly queue: string;
  /** Slots still to affect. */
  remaining: number;
}

/** Applies an injected incident to one interval record (metrics of the generated data). */
export function applyIncident(rec: Record<string, unknown>, kind: InjectKind): void {
  const num = (k: string): number | null => (typeof rec[k] === 'number' ? (rec[k] as number) : null);
  const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;
  const aht = num('aht_avg');
  const tr = num('transfer_rate');
  const csat = num('csat_avg');
  const vol = num('volume');
  const ahtMax = num('aht_max');
  const ahtFactor = kind === 'outage' ? 2.2 : 2.6;
  if ((kind === 'outage' || kind === 'aht_spike') && aht !== null) rec.aht_avg = round(aht * ahtFactor, 1);
  // Every contact takes longer, the longest one too (else the mean could pass the max); whole seconds like the roll-up's.
  if ((kind === 'outage' || kind === 'aht_spike') && ahtMax !== null) rec.aht_max = Math.round(ahtMax * ahtFactor);
  if ((kind === 'outage' || kind === 'transfer_surge') && tr !== null) rec.transfer_rate = round(Math.min(1, Math.max(tr * 4, 0.4)), 4);
  if ((kind === 'outage' || kind === 'csat_drop') && csat !== null) rec.csat_avg = round(Math.max(1, csat - 1.8), 2);
  if (kind === 'volume_collapse' && vol !== null) rec.volume = Math.round(vol * 0.04);
  rec.injected = kind;
}

export interface ReplayOptions {
  /** Generated intervals, time-ordered (timestamp ISO text, queue, metrics). */
  readonly intervals: readonly Record<string, unknown>[];
  readonly speed: number;
  readonly timeField: string;
  readonly segmentField: string;
  /** Newest replayed time in the store, or null on first start. */
  readonly resumeAfter: number | null;
  /** Slots emitted at once on first start, so the page has history to show. */
  readonly backfillSlots: number;
  /** Writes records through the normal ingest path. */
  readonly emit: (records: Record<string, unknown>[]) => void;
}

export class Replay {
  private readonly slots: Record<string, unknown>[][] = [];
  private readonly start: number;
  private next: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly injections: Injection[] = [];
  readonly queues: string[];
  emitted = 0;

  constructor(private readonly opts: ReplayOptions) {
    const byTime = new Map<number, Record<string, unknown>[]>();
    for (const r of opts.intervals) {
      const t = parseTime(r[opts.timeField]);
      let g = byTime.get(t);
      if (!g) byTime.set(t, (g = []));
      g.push(r);
    }
    const times = [...byTime.keys()].sort((a, b) => a - b);
    if (times.length === 0) throw new Error('replay: no generated intervals');
    this.start = times[0]!;
    // Index slots by offset from the start, so a missing slot is an empty one.
    const n = Math.round((times[times.length - 1]! - this.start) / SLOT_MS) + 1;
    for (let i = 0; i < n; i++) this.slots.push([]);
    for (const t of times) this.slots[Math.round((t - this.start) / SLOT_MS)] = byTime.get(t)!;
    this.queues = [...new Set(opts.intervals.map((r) => String(r[opts.segmentField])))];
    this.next = opts.resumeAfter === null ? this.start : Math.floor(opts.resumeAfter / SLOT_MS) * SLOT_MS + SLOT_MS;
  }

  /** Simulated time of the next slot. */
  get clock(): number {
    return this.next;
  }

  /** Real milliseconds between slots. */
  get periodMs(): number {
    return (SLOT_MS / 1000 / this.opts.speed) * 1000;
  }

  get activeInjections(): readonly Injection[] {
    return this.injections;
  }

  startTimer(): void {
    if (this.timer) return;
    if (this.opts.resumeAfter === null && this.opts.backfillSlots > 0) this.emitSlots(this.opts.backfillSlots);
    // Slow speeds: one slot per period; fast ones: several slots per 50 ms tick.
    const period = Math.max(50, this.periodMs);
    const perTick = Math.max(1, Math.round(50 / this.periodMs));
    this.timer = setInterval(() => this.emitSlots(this.periodMs >= 50 ? 1 : perTick), period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Injects an incident into the next `slots` slots of a queue (default: the first queue). */
  inject(kind: InjectKind, queue: string | undefined, slots: number): Injection {
    const q = queue ?? this.queues[0]!;
    if (!this.queues.includes(q)) throw new Error(`unknown queue ${JSON.stringify(q)}; replayed queues: ${this.queues.join(', ')}`);
    const inj: Injection = { kind, queue: q, remaining: slots };
    this.injections.push(inj);
    return inj;
  }

  /** The records of the next slot (advances the clock). */
  nextSlot(): Record<string, unknown>[] {
    const t = this.next;
    this.next += SLOT_MS;
    const span = this.slots.length * SLOT_MS;
    const offset = (((t - this.start) % span) + span) % span;
    const src = this.slots[Math.round(offset / SLOT_MS)] ?? [];
    const stamp = formatTime(t);
    const out = src.map((r) => {
      const rec: Record<string, unknown> = { ...r, [this.opts.timeField]: stamp };
      for (const inj of this.injections) if (inj.remaining > 0 && rec[this.opts.segmentField] === inj.queue) applyIncident(rec, inj.kind);
      return rec;
    });
    for (const inj of this.injections) if (out.some((r) => r[this.opts.segmentField] === inj.queue)) inj.remaining--;
    for (let i = this.injections.length - 1; i >= 0; i--) if (this.injections[i]!.remaining <= 0) this.injections.splice(i, 1);
    return out;
  }

  private emitSlots(k: number): void {
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < k; i++) records.push(...this.nextSlot());
    if (records.length === 0) return;
    this.emitted += records.length;
    this.opts.emit(records);
  }
}
