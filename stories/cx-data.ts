/**
 * Demo and test data from the engine's synthetic generator: 15-minute intervals per queue
 * (volume, aht_avg, transfer_rate, csat_avg often empty, csat_responses, aht_max) with labelled incidents.
 */
import { generateCxData, type CxRecord, type Incident } from '@cx-anomaly/engine';

export const CX_METRICS = 'aht_avg:high,transfer_rate:high,csat_avg:low,volume,aht_max:high:log';

export interface DemoData {
  readonly records: CxRecord[];
  readonly incidents: Incident[];
}

const cache = new Map<string, DemoData>();

/** Interval records of `days` days (4 queues x 96 intervals a day), deterministic per seed. */
export function intervalRecords(days = 14, seed = 7, queues?: readonly string[]): DemoData {
  const key = `${days}|${seed}|${queues?.join(',') ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const data = generateCxData({ days, seed, ...(queues ? { queues } : {}) });
  const { header, rows } = data.intervals;
  const records = rows.map((row) => {
    const rec: Record<string, string> = {};
    for (let k = 0; k < header.length; k++) rec[header[k]!] = row[k]!;
    return rec as CxRecord;
  });
  const out = { records, incidents: data.incidents };
  cache.set(key, out);
  return out;
}

/** The same records as CSV text (for `src` pages and tests). */
export function toCsv(records: readonly CxRecord[]): string {
  const header = Object.keys(records[0] ?? {});
  const esc = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.join(','), ...records.map((r) => header.map((h) => esc(r[h])).join(','))].join('\n') + '\n';
}
