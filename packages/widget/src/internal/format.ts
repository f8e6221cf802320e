/**
 * Number, metric and time formatting for the views. Units are guessed from the metric's
 * name (the CX conventions: `aht_*` in seconds, `*_rate` as a share), because the field spec
 * carries no units.
 */

const ACRONYMS: Readonly<Record<string, string>> = {
  aht: 'AHT', csat: 'CSAT', nps: 'NPS', fcr: 'FCR', asa: 'ASA', ces: 'CES', sla: 'SLA', acw: 'ACW',
};

/** `aht_avg` -> `AHT`, `transfer_rate` -> `Transfer rate`, `csat_avg` -> `CSAT`. */
export function metricLabel(name: string): string {
  const words = name.split(/[_\-\s.]+/).filter((w) => w !== '' && w.toLowerCase() !== 'avg' && w.toLowerCase() !== 'mean');
  if (words.length === 0) return name;
  return words
    .map((w, i) => ACRONYMS[w.toLowerCase()] ?? (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1).toLowerCase() : w.toLowerCase()))
    .join(' ');
}

export type MetricUnit = 'seconds' | 'share' | 'plain';

export function metricUnit(name: string): MetricUnit {
  const n = name.toLowerCase();
  if (/(^|_)(aht|handle|hold|wait|asa|acw|duration|seconds|secs)(_|$)|_s$/.test(n)) return 'seconds';
  if (/(rate|ratio|share|pct|percent)/.test(n)) return 'share';
  return 'plain';
}

const intlCache = new Map<string, unknown>();
/**
 * One Intl formatter per (kind, locale, options), made once (constructing one is slow and
 * the charts format thousands of labels). An invalid locale tag falls back to the page's.
 */
export function cachedIntl<T, O>(ctor: new (locale?: string, options?: O) => T, locale: string | undefined, options: O): T {
  const key = `${ctor.name}|${locale ?? ''}|${JSON.stringify(options)}`;
  let f = intlCache.get(key) as T | undefined;
  if (!f) {
    try {
      f = new ctor(locale || undefined, options);
    } catch {
      f = new ctor(undefined, options);
    }
    intlCache.set(key, f);
  }
  return f;
}

const nf = (locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat => cachedIntl(Intl.NumberFormat, locale, options);

/** A metric value with its unit: `812 s`, `12.5 %`, `4.21`, `1,204`. Missing values read `–`. */
export function formatMetric(name: string, value: number | undefined, locale?: string): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  switch (metricUnit(name)) {
    case 'seconds':
      return `${nf(locale, { maximumFractionDigits: 0 }).format(Math.abs(value) < 0.5 ? 0 : value)} s`;
    case 'share':
      // Shares arrive as fractions (0.125) or as percentages (12.5).
      return Math.abs(value) <= 1.5
        ? nf(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value)
        : `${nf(locale, { maximumFractionDigits: 1 }).format(value)} %`;
    default:
      return formatNumber(value, locale);
  }
}

export function formatNumber(value: number, locale?: string): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) < 0.005) value = 0; // never "-0"
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : 2;
  return nf(locale, { maximumFractionDigits: digits }).format(value);
}

/** Scores near 1 keep their digits (0.9993 is not 1.00: the tail is where anomalies live). */
export function formatScore(value: number, locale?: string): string {
  const digits = value > 0.99 && value < 1 ? Math.min(6, Math.max(2, Math.ceil(-Math.log10(1 - value)) + 1)) : 2;
  return nf(locale, { minimumFractionDigits: 2, maximumFractionDigits: digits }).format(value);
}

const df = (locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat => cachedIntl(Intl.DateTimeFormat, locale, options);

/** `27 Nov, 14:45` (locale-aware). */
export function formatTime(t: number, locale?: string): string {
  return df(locale, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(t);
}

/** `Fri 27 Nov 2026, 14:45` for the why panel and screen readers. */
export function formatTimeLong(t: number, locale?: string): string {
  return df(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(t);
}

/** Time of an entry, or its position when the data has no time field. */
export function formatX(x: number, hasTime: boolean, locale?: string): string {
  return hasTime ? formatTime(x, locale) : `#${nf(locale, { maximumFractionDigits: 0 }).format(x + 1)}`;
}

/** Any record value as display text (it is always rendered as text, never as HTML). */
export function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Number in a record field (numeric text included); NaN when missing or not numeric. */
export function numeric(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (s === '' || /^(na|nan|null|none|n\/a|-)$/i.test(s)) return NaN;
    const n = Number(s);
    return Number.isFinite(n) ? n : NaN;
  }
  return NaN;
}
