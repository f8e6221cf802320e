/**
 * Synthetic contact-centre data with labelled incidents, deterministic per seed
 * and isomorphic (it returns tables of strings; the CLI writes them to files).
 *
 * The model of a normal day, per queue:
 * - volume: Poisson arrivals per 15-minute interval, rate = daily volume x
 *   weekday factor (weekends ~40%) x an intraday curve (morning and afternoon
 *   peaks, a night floor), with day-to-day and interval-to-
 *   interval overdispersion (lognormal factors); 24/7 service, so nights keep
 *   ~7% of the peak rate;
 * - channel (phone/chat/email) from per-queue shares; agents from a per-queue pool;
 * - AHT: lognormal around a per-queue, per-channel median, a little longer at
 *   peak hours, longer again for transferred interactions;
 * - transfers: per-queue probability, then a geometric tail (2, 3 transfers);
 * - CSAT: a survey comes back for ~25% of interactions; the score (1-5) falls
 *   with transfers and with long handling.
 *
 * Incidents (none in the first two days, which a streaming detector uses to
 * warm up), placed in business hours (09:00-18:00 UTC) of weekdays on a random
 * queue, never overlapping on a queue (2 h apart at least):
 * - outage: AHT x1.8, transfers x3, CSAT -1.5 for 1-3 h;
 * - csat_drop: CSAT alone falls by ~1.7 for 2-4 h;
 * - transfer_surge: transfer probability up to >= 35% for 1-2.5 h;
 * - aht_spike: AHT x2.2 for 30-45 min;
 * - volume_collapse: the phone channel goes down (98% of calls lost; chat
 *   halves by the knock-on) for 1-2 h;
 * - level_shift: AHT ramps up by 35% over 4-6 h and STAYS there; labelled over
 *   the ramp plus 2 h (after that the new level is the new normal);
 * - single_interaction: one interaction with an absurd AHT (2-6 h), half of
 *   them also with 5-9 transfers.
 * Labels: an interval (queue x 15 min) is 1 when it overlaps an incident of its
 * queue; an interaction is 1 when it started inside an incident window of its
 * queue, or is a single outlier itself.
 */
import { Prng } from '../random/prng.ts';
import { formatTime, parseTime } from '../features/time.ts';
import { csvText } from '../io/csv-writer.ts';

export type Channel = 'phone' | 'chat' | 'email';
export const CHANNELS: readonly Channel[] = ['phone', 'chat', 'email'];

export interface QueueProfile {
  readonly name: string;
  /** Interactions on an average weekday. */
  readonly dailyVolume: number;
  /** Median handle time of a phone interaction, seconds. */
  readonly ahtMedian: number;
  /** Spread of log AHT. */
  readonly ahtSigma: number;
  /** Probability that an interaction is transferred at least once. */
  readonly transferRate: number;
  /** Mean CSAT (1-5) of a smooth interaction. */
  readonly csatMean: number;
  /** Shares of phone, chat, email (sum 1). */
  readonly channelShares: readonly [number, number, number];
  readonly agents: number;
}

export const DEFAULT_QUEUES: readonly QueueProfile[] = [
  { name: 'billing', dailyVolume: 2000, ahtMedian: 330, ahtSigma: 0.5, transferRate: 0.07, csatMean: 4.3, channelShares: [0.55, 0.3, 0.15], agents: 40 },
  { name: 'tech_support', dailyVolume: 2400, ahtMedian: 540, ahtSigma: 0.55, transferRate: 0.13, csatMean: 3.95, channelShares: [0.5, 0.35, 0.15], agents: 55 },
  { name: 'sales', dailyVolume: 1200, ahtMedian: 420, ahtSigma: 0.45, transferRate: 0.05, csatMean: 4.4, channelShares: [0.6, 0.3, 0.1], agents: 25 },
  { name: 'retention', dailyVolume: 700, ahtMedian: 600, ahtSigma: 0.45, transferRate: 0.1, csatMean: 3.7, channelShares: [0.75, 0.2, 0.05], agents: 18 },
];

export type IncidentKind =
  | 'outage'
  | 'csat_drop'
  | 'transfer_surge'
  | 'aht_spike'
  | 'volume_collapse'
  | 'level_shift'
  | 'single_interaction';

export const INCIDENT_KINDS: readonly IncidentKind[] = [
  'outage',
  'csat_drop',
  'transfer_surge',
  'aht_spike',
  'volume_collapse',
  'level_shift',
  'single_interaction',
];

export interface Incident {
  readonly id: string;
  readonly kind: IncidentKind;
  readonly queue: string;
  /** ISO start of the labelled window (inclusive). */
  readonly start: string;
  /** ISO end of the labelled window (exclusive). */
  readonly end: string;
  readonly description: string;
  /** The outlier interaction (single_interaction only). */
  readonly interactionId?: string;
}

export interface Table {
  readonly header: string[];
  readonly rows: string[][];
}

export interface CxData {
  readonly interactions: Table;
  /**
   * Per queue and 15 minutes: volume, aht_avg, transfer_rate, csat_avg, csat_responses and
   * aht_max (the longest contact's aht_seconds: a stuck call that the average hides).
   */
  readonly intervals: Table;
  readonly intervalLabels: Table;
  readonly interactionLabels: Table;
  readonly incidents: Incident[];
}

export interface GenerateOptions {
  /** Days of data. Default 28. */
  readonly days?: number;
  /** Default 1. */
  readonly seed?: number;
  /** First midnight (UTC), ISO text or epoch ms. Default 2026-01-05 (a Monday). */
  readonly start?: string | number;
  /** Queue profiles, or names of default profiles to keep. Default all four. */
  readonly queues?: readonly QueueProfile[] | readonly string[];
}

export const INTERVAL_MS = 15 * 60 * 1000;
const PER_DAY = 96;
const WARMUP_DAYS = 2;
/** Monday first. */
const WEEKDAY_FACTOR = [1.1, 1.0, 0.97, 0.95, 0.9, 0.45, 0.35];
const CHANNEL_AHT = [1.0, 1.25, 0.8];
const SURVEY_RATE = 0.25;

/** Intraday volume shape at hour h (0-24): night floor, morning and afternoon peaks, an evening tail. */
function intraday(h: number): number {
  const g = (mu: number, s: number, a: number): number => a * Math.exp(-(((h - mu) / s) ** 2));
  return 0.08 + g(10.5, 2.2, 1) + g(15, 2.5, 0.85) + g(19, 1.5, 0.25);
}

const CURVE: Float64Array = (() => {
  const c = new Float64Array(PER_DAY);
  let sum = 0;
  for (let k = 0; k < PER_DAY; k++) sum += c[k] = intraday((k + 0.5) / 4);
  for (let k = 0; k < PER_DAY; k++) c[k]! /= sum;
  return c;
})();
const CURVE_MAX = Math.max(...CURVE);

function poisson(rng: Prng, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const l = Math.exp(-lambda);
    let k = 0;
    let p = rng.next();
    while (p > l) {
      k++;
      p *= rng.next();
    }
    return k;
  }
  return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * rng.normal()));
}

function pick(rng: Prng, shares: readonly number[]): number {
  let u = rng.next();
  for (let i = 0; i < shares.length - 1; i++) {
    u -= shares[i]!;
    if (u < 0) return i;
  }
  return shares.length - 1;
}

/** Per queue x interval effect of the incidents. */
interface Effects {
  aht: Float64Array; // multiplier
  transfer: Float64Array; // multiplier of the transfer probability
  transferFloor: Float64Array; // minimum transfer probability
  csat: Float64Array; // additive shift of the mean
  surveyRate: Float64Array;
  collapse: Uint8Array; // 1: phone down (98% of its contacts lost), chat halved by the knock-on
  label: Int32Array; // incident index + 1, 0 = none
}

interface Planned {
  kind: IncidentKind;
  queue: number;
  start: number; // interval index
  end: number; // exclusive
  detail: string;
  outlierTransfers?: number;
  outlierAht?: number;
  /** level_shift: ramp length in intervals. */
  ramp?: number;
}

function resolveQueues(q: GenerateOptions['queues']): readonly QueueProfile[] {
  if (q === undefined) return DEFAULT_QUEUES;
  if (q.length === 0) throw new Error('generateCxData: queues is empty');
  if (typeof q[0] === 'string') {
    return (q as readonly string[]).map((name) => {
      const p = DEFAULT_QUEUES.find((d) => d.name === name);
      if (!p) throw new Error(`generateCxData: unknown queue "${name}"; known: ${DEFAULT_QUEUES.map((d) => d.name).join(', ')}`);
      return p;
    });
  }
  return q as readonly QueueProfile[];
}

const DURATIONS: Record<Exclude<IncidentKind, 'single_interaction'>, [number, number]> = {
  outage: [4, 12],
  csat_drop: [8, 16],
  transfer_surge: [4, 10],
  aht_spike: [2, 3],
  volume_collapse: [4, 8],
  level_shift: [16, 24], // the ramp; the label runs 8 intervals longer
};
const WINDOW_KINDS = Object.keys(DURATIONS) as Exclude<IncidentKind, 'single_interaction'>[];

/** Picks non-overlapping incident windows (with a 2 h gap) in business hours after the warm-up. */
function isWeekend(startWeekday: number, day: number): boolean {
  return (startWeekday + day) % 7 >= 5;
}

function plan(rng: Prng, days: number, queues: number, startWeekday: number): Planned[] {
  const avail = days - WARMUP_DAYS;
  if (avail <= 0) return [];
  const busy: [number, number][][] = Array.from({ length: queues }, () => []);
  const free = (q: number, s: number, e: number): boolean => busy[q]!.every(([a, b]) => e + 8 <= a || s >= b + 8);
  const shifted = new Set<number>();
  const out: Planned[] = [];
  const windowCount = Math.max(WINDOW_KINDS.length, Math.round(avail * 0.45));
  for (let n = 0; n < windowCount; n++) {
    const kind = WINDOW_KINDS[n % WINDOW_KINDS.length]!;
    const [lo, hi] = DURATIONS[kind];
    for (let attempt = 0; attempt < 200; attempt++) {
      const q = rng.nextInt(queues);
      if (kind === 'level_shift' && shifted.has(q)) continue; // one lasting shift per queue
      const day = WARMUP_DAYS + rng.nextInt(avail);
      // Weekdays, where the volume makes an incident visible (weekends only if nothing else fits).
      if (isWeekend(startWeekday, day) && attempt < 150) continue;
      const len = lo + rng.nextInt(hi - lo + 1);
      const labelLen = kind === 'level_shift' ? len + 8 : len;
      // Start between 09:00 and the latest start that ends the labelled window by 18:00.
      const first = 9 * 4;
      const last = Math.max(first, 18 * 4 - labelLen);
      const start = day * PER_DAY + first + rng.nextInt(last - first + 1);
      const end = start + labelLen;
      if (!free(q, start, end)) continue;
      busy[q]!.push([start, end]);
      if (kind === 'level_shift') shifted.add(q);
      const p: Planned = { kind, queue: q, start, end, detail: '' };
      if (kind === 'level_shift') p.ramp = len;
      out.push(p);
      break;
    }
  }
  const outliers = Math.max(3, Math.round(avail * 0.4));
  for (let n = 0; n < outliers; n++) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const q = rng.nextInt(queues);
      const day = WARMUP_DAYS + rng.nextInt(avail);
      if (isWeekend(startWeekday, day) && attempt < 150) continue;
      const start = day * PER_DAY + 9 * 4 + rng.nextInt(9 * 4);
      if (!free(q, start, start + 1)) continue;
      busy[q]!.push([start, start + 1]);
      out.push({
        kind: 'single_interaction',
        queue: q,
        start,
        end: start + 1,
        detail: '',
        outlierAht: Math.round(7200 + rng.next() * 14400),
        outlierTransfers: rng.next() < 0.5 ? 5 + rng.nextInt(5) : 0,
      });
      break;
    }
  }
  out.sort((a, b) => a.start - b.start || a.queue - b.queue);
  return out;
}

function buildEffects(planned: Planned[], queues: number, total: number): Effects {
  const size = queues * total;
  const e: Effects = {
    aht: new Float64Array(size).fill(1),
    transfer: new Float64Array(size).fill(1),
    transferFloor: new Float64Array(size),
    csat: new Float64Array(size),
    surveyRate: new Float64Array(size).fill(SURVEY_RATE),
    collapse: new Uint8Array(size),
    label: new Int32Array(size),
  };
  planned.forEach((p, idx) => {
    for (let t = p.start; t < p.end; t++) e.label[p.queue * total + t] = idx + 1;
    if (p.kind === 'single_interaction') return;
    if (p.kind === 'level_shift') {
      const ramp = p.ramp!;
      for (let t = p.start; t < total; t++) {
        e.aht[p.queue * total + t]! *= 1 + 0.35 * Math.min(1, (t - p.start + 1) / ramp);
      }
      return;
    }
    for (let t = p.start; t < p.end; t++) {
      const k = p.queue * total + t;
      switch (p.kind) {
        case 'outage':
          e.aht[k]! *= 1.8;
          e.transfer[k]! *= 3;
          e.transferFloor[k] = 0.25;
          e.csat[k]! -= 1.5;
          e.surveyRate[k] = 0.32; // unhappy customers answer surveys more
          break;
        case 'csat_drop':
          e.csat[k]! -= 1.7;
          e.surveyRate[k] = 0.32;
          break;
        case 'transfer_surge':
          e.transfer[k]! *= 4;
          e.transferFloor[k] = 0.35;
          break;
        case 'aht_spike':
          e.aht[k]! *= 2.2;
          break;
        case 'volume_collapse':
          e.collapse[k] = 1;
          break;
      }
    }
  });
  return e;
}

function describe(p: Planned, queue: string): string {
  const hours = ((p.end - p.start) / 4).toFixed(2).replace(/\.?0+$/, '');
  switch (p.kind) {
    case 'outage':
      return `Outage on ${queue}: AHT x1.8, transfers x3 (at least 25%), CSAT -1.5 for ${hours} h`;
    case 'csat_drop':
      return `CSAT drop on ${queue}: survey scores about 1.7 points lower for ${hours} h, other metrics normal`;
    case 'transfer_surge':
      return `Transfer surge on ${queue}: transfer probability x4 (at least 35%) for ${hours} h`;
    case 'aht_spike':
      return `AHT spike on ${queue}: handle time x2.2 for ${hours} h`;
    case 'volume_collapse':
      return `Volume collapse on ${queue}: the phone channel is down (98% of its calls lost, chat halved) for ${hours} h`;
    case 'level_shift':
      return `Level shift on ${queue}: AHT ramps up 35% over ${(p.ramp! / 4).toString()} h and stays; labelled over the ramp plus 2 h`;
    case 'single_interaction':
      return `Single outlier interaction on ${queue}: AHT ${Math.round(p.outlierAht! / 60)} min${p.outlierTransfers ? `, ${p.outlierTransfers} transfers` : ''}`;
  }
}

function round(x: number, digits: number): string {
  const f = 10 ** digits;
  return String(Math.round(x * f) / f);
}

export function generateCxData(options: GenerateOptions = {}): CxData {
  const days = options.days ?? 28;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(days) || days < 1 || days > 3660) throw new Error(`generateCxData: days must be an integer in 1..3660, got ${days}`);
  if (!Number.isFinite(seed)) throw new Error(`generateCxData: seed must be a number, got ${seed}`);
  const start = options.start === undefined ? Date.UTC(2026, 0, 5) : parseTime(options.start);
  const queues = resolveQueues(options.queues);
  const Q = queues.length;
  const T = days * PER_DAY;

  const root = new Prng(seed);
  const planRng = root.fork();
  const rng = root.fork();
  const startWeekday = (new Date(start).getUTCDay() + 6) % 7; // Monday = 0
  const planned = plan(planRng, days, Q, startWeekday);
  const fx = buildEffects(planned, Q, T);
  const ids = planned.map((_, i) => `inc-${String(i + 1).padStart(3, '0')}`);
  const outlierAt = new Map<number, number>(); // queue*T+t -> planned index
  planned.forEach((p, i) => {
    if (p.kind === 'single_interaction') outlierAt.set(p.queue * T + p.start, i);
  });
  const outlierIds = new Map<number, string>();

  const interactions: string[][] = [];
  const interactionLabels: string[][] = [];
  const intervals: string[][] = [];
  const intervalLabels: string[][] = [];

  // Day-level overdispersion per queue.
  const dayFactor = new Float64Array(Q * days);
  for (let k = 0; k < dayFactor.length; k++) dayFactor[k] = Math.exp(0.08 * rng.normal());

  interface Item {
    time: number;
    q: number;
    channel: number;
    agent: number;
    aht: number;
    transfers: number;
    csat: number; // 0 = no survey
    outlier: number; // planned index or -1
  }
  let seq = 0;
  const agg = { n: 0, ahtSum: 0, transferred: 0, csatSum: 0, csatN: 0, ahtMax: 0 };

  for (let t = 0; t < T; t++) {
    const day = Math.floor(t / PER_DAY);
    const slot = t % PER_DAY;
    const weekday = (startWeekday + day) % 7;
    const t0 = start + t * INTERVAL_MS;
    const peakness = CURVE[slot]! / CURVE_MAX; // 0..1, for the peak-hour AHT effect
    const items: Item[] = [];
    for (let q = 0; q < Q; q++) {
      const prof = queues[q]!;
      const k = q * T + t;
      const lambda = prof.dailyVolume * WEEKDAY_FACTOR[weekday]! * CURVE[slot]! * dayFactor[q * days + day]! * Math.exp(0.1 * rng.normal());
      let count = poisson(rng, lambda);
      const outIdx = outlierAt.get(k) ?? -1;
      if (outIdx >= 0 && count === 0) count = 1;
      const collapse = fx.collapse[k] === 1;
      const pTransfer = Math.min(0.85, Math.max(fx.transferFloor[k]!, prof.transferRate * fx.transfer[k]!));
      for (let i = 0; i < count; i++) {
        const channel = pick(rng, prof.channelShares);
        if (collapse && rng.next() < (channel === 0 ? 0.98 : channel === 1 ? 0.5 : 0)) continue;
        const time = t0 + Math.floor(rng.next() * 900) * 1000;
        let transfers = 0;
        if (rng.next() < pTransfer) {
          transfers = 1;
          while (transfers < 4 && rng.next() < 0.2) transfers++;
        }
        const median = prof.ahtMedian * CHANNEL_AHT[channel]!;
        let aht = median * (1 + 0.08 * peakness) * fx.aht[k]! * Math.exp(prof.ahtSigma * rng.normal());
        if (transfers > 0) aht *= 1.15 + 0.15 * transfers;
        let isOutlier = -1;
        if (outIdx >= 0 && i === 0) {
          isOutlier = outIdx;
          aht = planned[outIdx]!.outlierAht!;
          transfers = Math.max(transfers, planned[outIdx]!.outlierTransfers!);
        }
        let csat = 0;
        if (rng.next() < fx.surveyRate[k]!) {
          const mean = prof.csatMean + fx.csat[k]! - 0.45 * transfers - 0.3 * Math.max(0, Math.log(aht / median));
          csat = Math.min(5, Math.max(1, Math.round(mean + 0.85 * rng.normal())));
        }
        items.push({ time, q, channel, agent: rng.nextInt(prof.agents), aht: Math.max(15, Math.round(aht)), transfers, csat, outlier: isOutlier });
      }
    }
    items.sort((a, b) => a.time - b.time || a.q - b.q);
    const perQueue: Item[][] = Array.from({ length: Q }, () => []);
    for (const it of items) {
      const id = `ix-${String(++seq).padStart(7, '0')}`;
      const prof = queues[it.q]!;
      interactions.push([
        formatTime(it.time),
        id,
        prof.name,
        CHANNELS[it.channel]!,
        `${prof.name.slice(0, 3)}-${String(it.agent + 1).padStart(3, '0')}`,
        String(it.aht),
        String(it.transfers),
        it.csat === 0 ? '' : String(it.csat),
      ]);
      const lab = it.outlier >= 0 ? it.outlier + 1 : fx.label[it.q * T + t]!;
      if (it.outlier >= 0) outlierIds.set(it.outlier, id);
      interactionLabels.push(lab === 0 ? [id, '0', '', ''] : [id, '1', ids[lab - 1]!, planned[lab - 1]!.kind]);
      perQueue[it.q]!.push(it);
    }
    const stamp = formatTime(t0);
    for (let q = 0; q < Q; q++) {
      agg.n = agg.ahtSum = agg.transferred = agg.csatSum = agg.csatN = agg.ahtMax = 0;
      for (const it of perQueue[q]!) {
        agg.n++;
        agg.ahtSum += it.aht;
        if (it.aht > agg.ahtMax) agg.ahtMax = it.aht;
        if (it.transfers > 0) agg.transferred++;
        if (it.csat > 0) {
          agg.csatSum += it.csat;
          agg.csatN++;
        }
      }
      intervals.push([
        stamp,
        queues[q]!.name,
        String(agg.n),
        agg.n ? round(agg.ahtSum / agg.n, 1) : '',
        agg.n ? round(agg.transferred / agg.n, 4) : '',
        agg.csatN ? round(agg.csatSum / agg.csatN, 2) : '',
        String(agg.csatN),
        agg.n ? String(agg.ahtMax) : '',
      ]);
      const lab = fx.label[q * T + t]!;
      intervalLabels.push(lab === 0 ? [stamp, queues[q]!.name, '0', '', ''] : [stamp, queues[q]!.name, '1', ids[lab - 1]!, planned[lab - 1]!.kind]);
    }
  }

  const incidents: Incident[] = planned.map((p, i) => {
    const inc: Incident = {
      id: ids[i]!,
      kind: p.kind,
      queue: queues[p.queue]!.name,
      start: formatTime(start + p.start * INTERVAL_MS),
      end: formatTime(start + p.end * INTERVAL_MS),
      description: describe(p, queues[p.queue]!.name),
    };
    const ix = outlierIds.get(i);
    return ix === undefined ? inc : { ...inc, interactionId: ix };
  });

  return {
    interactions: {
      header: ['timestamp', 'interaction_id', 'queue', 'channel', 'agent_id', 'aht_seconds', 'transfers', 'csat'],
      rows: interactions,
    },
    intervals: {
      header: ['timestamp', 'queue', 'volume', 'aht_avg', 'transfer_rate', 'csat_avg', 'csat_responses', 'aht_max'],
      rows: intervals,
    },
    intervalLabels: { header: ['timestamp', 'queue', 'label', 'incident_id', 'kind'], rows: intervalLabels },
    interactionLabels: { header: ['interaction_id', 'label', 'incident_id', 'kind'], rows: interactionLabels },
    incidents,
  };
}

/** The generated data as file name -> file text (what `cx-anomaly generate` writes). */
export function cxDataFiles(data: CxData): Record<string, string> {
  return {
    'interactions.csv': csvText(data.interactions.header, data.interactions.rows),
    'intervals.csv': csvText(data.intervals.header, data.intervals.rows),
    'interval_labels.csv': csvText(data.intervalLabels.header, data.intervalLabels.rows),
    'interaction_labels.csv': csvText(data.interactionLabels.header, data.interactionLabels.rows),
    'incidents.json': JSON.stringify(data.incidents, null, 2) + '\n',
  };
}
