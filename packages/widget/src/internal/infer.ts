/**
 * Defaults the host may leave out: the metrics (every numeric column that is not the time or
 * segment field or an id) and the time field (a column with a usual name).
 */
import type { CxRecord } from '@cx-anomaly/engine';
import { numeric } from './format.ts';

const TIME_NAMES = ['timestamp', 'time', 'ts', 'datetime', 'date', 'interval_start', 'period_start'];

export function inferTimeField(records: readonly CxRecord[]): string | undefined {
  const first = records[0];
  if (!first) return undefined;
  const keys = Object.keys(first);
  return TIME_NAMES.find((n) => keys.includes(n)) ?? keys.find((k) => TIME_NAMES.includes(k.toLowerCase()));
}

/** Field spec text of the numeric columns (direction `both`). */
export function inferMetrics(records: readonly CxRecord[], exclude: readonly (string | undefined)[]): string {
  const sample = records.slice(0, 500);
  const keys = new Set<string>();
  for (const r of sample) for (const k of Object.keys(r)) keys.add(k);
  const out: string[] = [];
  for (const k of keys) {
    if (exclude.includes(k) || /(^|_)(id|uuid|key|seq)$/i.test(k) || TIME_NAMES.includes(k.toLowerCase())) continue;
    let nums = 0;
    let bad = 0;
    for (const r of sample) {
      const v = r[k];
      if (v === undefined || v === null || v === '') continue;
      if (Number.isFinite(numeric(v))) nums++;
      else bad++;
    }
    if (nums > 0 && bad === 0) out.push(k);
  }
  return out.join(',');
}
