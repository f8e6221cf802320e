/**
 * CX incident evaluation: generated contact-centre intervals (generate/cx-data.ts)
 * are streamed per queue through the AnomalyDetector, and each injected incident
 * is checked: was an alert open on its queue inside its labelled window, and how
 * long after the window's start did the first one come? Alerts opened outside
 * every window of their queue are false alarms, counted per queue-day of
 * streamed data. Isomorphic (no I/O); `renderCxIncidentsMarkdown` formats a report.
 *
 * Protocol: the first `trainDays` days (the generator puts no incidents there)
 * train the detector with `fit`; the remaining days are streamed with `update`
 * in time order, every queue interleaved as it would arrive. The fields are the product's
 * (CX_FIELDS, the demo server's default): the four interval metrics plus `aht_max`, the
 * longest contact of the interval, on a log scale.
 *
 * Run (3 seeds, ~1 min on the shared 2-core machine):
 *   node --conditions=source --import tsx -e "import('./packages/engine/src/eval/cx-incidents.ts').then(m => console.log(m.renderCxIncidentsMarkdown(m.evalCxIncidents({ days: 28, seeds: [1, 2, 3] }))))"
 */
import { AnomalyDetector } from '../pipeline/anomaly-detector.ts';
import type { DetectorConfig } from '../pipeline/types.ts';
import { generateCxData, INCIDENT_KINDS, INTERVAL_MS, type IncidentKind } from '../generate/cx-data.ts';
import { parseTime } from '../features/time.ts';

export const CX_FIELDS = 'aht_avg:high,csat_avg:low,transfer_rate:high,volume,aht_max:high:log';
/**
 * What a deployment on intervals.csv sets besides the fields: averages over fewer than 5
 * contacts are treated as missing (supportField), and a CSAT average over fewer than 3
 * survey answers too (supportFields; minSupportPerMetric default 3, chosen before measuring).
 */
export const CX_DETECTOR_DEFAULTS: Partial<DetectorConfig> = { supportField: 'volume', supportFields: { csat_avg: 'csat_responses' } };

export interface CxEvalOptions {
  readonly days?: number;
  readonly seeds?: readonly number[];
  readonly trainDays?: number;
  /** Detector options on top of fields/timeField/segmentField. */
  readonly detector?: Partial<DetectorConfig>;
  /** Field spec (default CX_FIELDS); e.g. the four averages alone, to compare. */
  readonly fields?: string;
}

export interface CxIncidentOutcome {
  readonly seed: number;
  readonly id: string;
  readonly kind: IncidentKind;
  readonly queue: string;
  readonly start: string;
  readonly end: string;
  readonly detected: boolean;
  /** Minutes from the window start to the first alerted interval's start (NaN when missed). */
  readonly delayMinutes: number;
  /** Highest grade inside the window. */
  readonly maxGrade: number;
}

export interface CxKindSummary {
  readonly kind: IncidentKind;
  readonly incidents: number;
  readonly detected: number;
  readonly medianDelayMinutes: number;
}

export interface CxEvalReport {
  readonly options: { days: number; seeds: number[]; trainDays: number; detector: Partial<DetectorConfig>; fields: string };
  readonly incidents: CxIncidentOutcome[];
  readonly kinds: CxKindSummary[];
  readonly alerts: number;
  readonly falseAlarms: number;
  readonly queueDays: number;
  readonly falseAlarmsPerQueueDay: number;
  readonly seconds: number;
}

export function evalCxIncidents(options: CxEvalOptions = {}): CxEvalReport {
  const days = options.days ?? 28;
  const seeds = [...(options.seeds ?? [1, 2, 3])];
  const trainDays = options.trainDays ?? 2;
  const detectorOpts = options.detector ?? {};
  if (!(Number.isInteger(trainDays) && trainDays >= 1 && trainDays < days)) {
    throw new RangeError(`evalCxIncidents: trainDays must be an integer in [1, days), got ${trainDays}`);
  }
  const t0 = Date.now();
  const incidents: CxIncidentOutcome[] = [];
  let alerts = 0;
  let falseAlarms = 0;
  let queueDays = 0;
  for (const seed of seeds) {
    const data = generateCxData({ days, seed });
    const h = data.intervals.header;
    const records: Record<string, unknown>[] = data.intervals.rows.map((r) => Object.fromEntries(h.map((k, i) => [k, r[i]])));
    const times = records.map((r) => parseTime(r['timestamp']));
    const cut = times[0]! + trainDays * 86_400_000;
    const train = records.filter((_, i) => times[i]! < cut);
    const stream = records.filter((_, i) => times[i]! >= cut);
    const fields = options.fields ?? CX_FIELDS;
    const det = new AnomalyDetector({ seed, ...CX_DETECTOR_DEFAULTS, ...detectorOpts, fields, timeField: 'timestamp', segmentField: 'queue' });
    det.fit(train);
    const results = det.updateMany(stream);
    const queues = new Set(stream.map((r) => String(r['queue'])));
    queueDays += queues.size * (days - trainDays);

    // Labelled windows per queue.
    const windows = data.incidents.map((inc) => ({ inc, lo: parseTime(inc.start), hi: parseTime(inc.end) }));
    const inWindow = (queue: string, t: number): boolean => windows.some((w) => w.inc.queue === queue && t + INTERVAL_MS > w.lo && t < w.hi);
    for (const r of results) {
      if (!r.alertStart) continue;
      alerts++;
      if (!inWindow(r.segment!, r.timestamp!)) falseAlarms++;
    }
    for (const { inc, lo, hi } of windows) {
      let first = NaN;
      let maxGrade = 0;
      for (const r of results) {
        if (r.segment !== inc.queue) continue;
        const t = r.timestamp!;
        // An interval counts when it overlaps the window.
        if (t + INTERVAL_MS <= lo || t >= hi) continue;
        maxGrade = Math.max(maxGrade, r.grade);
        if (r.isAnomaly && first !== first) first = t;
      }
      incidents.push({
        seed,
        id: inc.id,
        kind: inc.kind,
        queue: inc.queue,
        start: inc.start,
        end: inc.end,
        detected: first === first,
        delayMinutes: first === first ? Math.max(0, (first - lo) / 60000) : NaN,
        maxGrade,
      });
    }
  }
  const kinds: CxKindSummary[] = INCIDENT_KINDS.map((kind) => {
    const of = incidents.filter((i) => i.kind === kind);
    const delays = of.filter((i) => i.detected).map((i) => i.delayMinutes).sort((a, b) => a - b);
    return {
      kind,
      incidents: of.length,
      detected: of.filter((i) => i.detected).length,
      medianDelayMinutes: delays.length ? delays[(delays.length - 1) >> 1]! : NaN,
    };
  });
  return {
    options: { days, seeds, trainDays, detector: detectorOpts, fields: options.fields ?? CX_FIELDS },
    incidents,
    kinds,
    alerts,
    falseAlarms,
    queueDays,
    falseAlarmsPerQueueDay: queueDays > 0 ? falseAlarms / queueDays : 0,
    seconds: (Date.now() - t0) / 1000,
  };
}

export function renderCxIncidentsMarkdown(report: CxEvalReport): string {
  const lines: string[] = [];
  const o = report.options;
  lines.push(`Data: generateCxData, ${o.days} days x 4 queues, seeds ${o.seeds.join(', ')}; fit on the first ${o.trainDays} days, then streamed with update().`);
  lines.push(`Detector: fields \`${o.fields}\`, segmentField queue, options ${JSON.stringify({ ...CX_DETECTOR_DEFAULTS, ...o.detector })}.`);
  lines.push('');
  lines.push('| incident kind | flagged in window | median delay (min) |');
  lines.push('| --- | --- | --- |');
  for (const k of report.kinds) {
    if (k.incidents === 0) continue;
    lines.push(`| ${k.kind} | ${k.detected}/${k.incidents} | ${Number.isNaN(k.medianDelayMinutes) ? '-' : k.medianDelayMinutes.toFixed(0)} |`);
  }
  lines.push('');
  lines.push(`Alerts: ${report.alerts}; false alarms (opened outside every labelled window of the queue): ${report.falseAlarms} over ${report.queueDays} queue-days = **${report.falseAlarmsPerQueueDay.toFixed(2)} per queue-day**. Run time ${report.seconds.toFixed(0)} s.`);
  const missed = report.incidents.filter((i) => !i.detected);
  if (missed.length > 0) {
    lines.push('');
    lines.push('Missed: ' + missed.map((i) => `${i.kind} (seed ${i.seed}, ${i.queue}, ${i.start}, max grade ${i.maxGrade.toFixed(0)})`).join('; '));
  }
  return lines.join('\n');
}
