/**
 * Axis ticks for a time range, at local-calendar boundaries (minutes, hours, midnights, month
 * starts), labelled with Intl.DateTimeFormat in the widget's locale. Replaces d3's time scale
 * (d3-time + d3-time-format, ~4 KB gzip, English-only labels); the x axis maps time with the
 * linear scale of linear-scale.ts over epoch milliseconds.
 */
import { cachedIntl } from './format.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Steps tried, smallest first: [unit, count]. Fixed-length units step in ms; days, months and years step on the calendar. */
const STEPS: ReadonlyArray<readonly ['ms' | 'day' | 'month' | 'year', number]> = [
  ['ms', S], ['ms', 5 * S], ['ms', 15 * S], ['ms', 30 * S],
  ['ms', M], ['ms', 5 * M], ['ms', 15 * M], ['ms', 30 * M],
  ['ms', H], ['ms', 3 * H], ['ms', 6 * H], ['ms', 12 * H],
  ['day', 1], ['day', 2], ['day', 7], ['month', 1], ['month', 3], ['year', 1],
];
const APPROX = { ms: 1, day: D, month: 30 * D, year: 365 * D } as const;

export interface TimeTicks {
  readonly values: number[];
  /** Formats one of `values` for the axis. */
  readonly format: (t: number) => string;
}

/** About `count` ticks between t0 and t1, epoch ms (as d3: up to ~2.3x count where the steps are far apart). */
export function timeTicks(t0: number, t1: number, count: number, locale?: string): TimeTicks {
  const lo = Math.min(t0, t1);
  const hi = Math.max(t0, t1);
  const span = hi - lo;
  // d3's rule: of the two steps around span / count, the nearer one in ratio (a narrow chart
  // asking for 2 ticks over 6 days gets 2-day ticks, not a single weekly one).
  const target = span / Math.max(1, count);
  const dur = (s: (typeof STEPS)[number]) => s[1] * APPROX[s[0]];
  let i = STEPS.findIndex((s) => dur(s) >= target);
  if (i < 0) i = STEPS.length - 1;
  else if (i > 0 && target / dur(STEPS[i - 1]!) < dur(STEPS[i]!) / target) i--;
  const pick = STEPS[i]!;
  const [unit, n] = pick;
  const values: number[] = [];
  if (unit === 'year') {
    // Years: a multiple of a round number of years so that long ranges stay at ~count ticks.
    const years = span / (365 * D);
    const step = Math.max(1, niceStep(years / Math.max(1, count)));
    const start = new Date(lo);
    let y = Math.ceil(start.getFullYear() / step) * step;
    for (let t = new Date(y, 0, 1).getTime(); t <= hi; y += step, t = new Date(y, 0, 1).getTime()) if (t >= lo) values.push(t);
  } else if (unit === 'ms') {
    // Clock steps on the local clock fields, restarting each local midnight (as d3-time's
    // intervals do): a DST day of 23 or 25 hours keeps 06:00, 12:00, 18:00; a skipped hour
    // folds into the next and is dropped as a repeat.
    const d = new Date(lo);
    d.setHours(0, 0, 0, 0);
    const stepS = n / S;
    let last = -Infinity;
    while (d.getTime() <= hi) {
      const y = d.getFullYear();
      const mo = d.getMonth();
      const day = d.getDate();
      for (let k = Math.max(0, Math.floor((lo - d.getTime()) / n) - 1); k * stepS < 86400; k++) {
        const t = new Date(y, mo, day, 0, 0, k * stepS).getTime();
        if (t > hi) break;
        if (t >= lo && t > last) values.push((last = t));
      }
      d.setDate(day + 1);
    }
  } else {
    // Calendar steps from the local midnight (week: Monday; month: the 1st) at or before lo.
    const d = new Date(lo);
    d.setHours(0, 0, 0, 0);
    if (unit === 'month') d.setDate(1);
    if (unit === 'month' && n > 1) d.setMonth(d.getMonth() - (d.getMonth() % n));
    if (unit === 'day' && n === 7) d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
    for (let t = d.getTime(); t <= hi; ) {
      if (t >= lo) values.push(t);
      if (unit === 'day') d.setDate(d.getDate() + n);
      else d.setMonth(d.getMonth() + n);
      t = d.getTime();
    }
  }
  return { values, format: (t) => formatTick(t, unit, n, locale) };
}

/** 1, 2, 5, 10, 20, 50, ... at or above x. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, x)));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

const fmt = (locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat => cachedIntl(Intl.DateTimeFormat, locale, options);

/**
 * d3's multi-scale rule with Intl: the coarsest boundary a tick sits on picks the label
 * (a year start shows the year, a month start the month, a midnight the day, else the clock time).
 */
function formatTick(t: number, unit: string, n: number, locale?: string): string {
  const d = new Date(t);
  const midnight = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0 && d.getMilliseconds() === 0;
  if (unit === 'year' || (midnight && d.getDate() === 1 && d.getMonth() === 0 && unit !== 'ms' && unit !== 'day')) return fmt(locale, { year: 'numeric' }).format(d);
  if (unit === 'month') return fmt(locale, { month: 'short' }).format(d);
  if (midnight) return fmt(locale, { day: 'numeric', month: 'short' }).format(d);
  if (unit === 'ms' && n < M) return fmt(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d);
  return fmt(locale, { hour: '2-digit', minute: '2-digit' }).format(d);
}
