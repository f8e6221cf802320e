/**
 * Feedback on anomalies: confirm or dismiss. Persistence goes through the worker-runtime's
 * FeedbackStore (IndexedDB, memory fallback); this module adds what the widget needs on top:
 * the pattern of an anomaly (segment, main metric, direction), suppression of a dismissed
 * pattern for a while, and export of the confirmations.
 */
import type { Result } from '@cx-anomaly/engine';
import { FeedbackStore, type Feedback } from '../cache/index.ts';
import type { FeedbackPattern } from '../events.ts';
import type { Entry } from './store.ts';

/** The metric and direction that explain most of a result's score. */
export function patternOf(result: Result, segment: string): FeedbackPattern | null {
  let best: string | null = null;
  let bestV = 0;
  let dir: 'high' | 'low' = 'high';
  for (const [name, a] of Object.entries(result.attribution)) {
    const v = Math.max(a.high, a.low);
    if (v > bestV) {
      bestV = v;
      best = name;
      dir = a.high >= a.low ? 'high' : 'low';
    }
  }
  return best === null ? null : { segment, metric: best, direction: dir };
}

export function samePattern(a: FeedbackPattern, b: FeedbackPattern): boolean {
  return a.segment === b.segment && a.metric === b.metric && a.direction === b.direction;
}

/** What the widget keeps of each decision (stored in Feedback.note as JSON). */
export interface FeedbackItem {
  readonly kind: 'confirm' | 'dismiss';
  /** Identity of the point: record time (or position) and segment. */
  readonly key: number;
  readonly segment: string;
  readonly timestamp?: number;
  readonly at: number;
  readonly pattern: FeedbackPattern;
  readonly suppressUntil?: number;
  readonly score: number;
  readonly grade: number;
  readonly attribution: Result['attribution'];
  readonly expected: Result['expected'];
}

/** Stable identity of a point across reloads: its time when it has one. */
export function pointKey(result: Result): number {
  return typeof result.timestamp === 'number' ? result.timestamp : result.index;
}

export class FeedbackBook {
  private items: FeedbackItem[] = [];
  private store: FeedbackStore | null;

  constructor(scope: string) {
    let store: FeedbackStore | null = null;
    try {
      // Own database: idb-keyval opens each database with the one store it creates, so sharing
      // 'cx-anomaly' with the worker's model store would fail whichever opened second.
      store = new FeedbackStore(scope, { dbName: 'cx-anomaly-feedback', storeName: 'kv' });
    } catch {
      store = null; // no storage at all: decisions live for the session
    }
    this.store = store;
  }

  /** Loads the decisions saved earlier for this scope. */
  async load(): Promise<void> {
    if (!this.store) return;
    const list = await this.store.list().catch(() => [] as Feedback[]);
    const items: FeedbackItem[] = [];
    for (const f of list) {
      try {
        const item = JSON.parse(f.note ?? '') as FeedbackItem;
        if (item && (item.kind === 'confirm' || item.kind === 'dismiss') && item.pattern) items.push(item);
      } catch {
        // Feedback written by another client without our note: not ours to interpret.
      }
    }
    this.items = items;
  }

  get all(): readonly FeedbackItem[] {
    return this.items;
  }

  get confirmations(): FeedbackItem[] {
    return this.items.filter((i) => i.kind === 'confirm');
  }

  async add(item: FeedbackItem): Promise<void> {
    this.items = this.items.filter((i) => !(i.key === item.key && i.segment === item.segment));
    this.items.push(item);
    await this.store
      ?.add({
        index: item.key,
        verdict: item.kind,
        segment: item.segment,
        ...(item.timestamp !== undefined ? { timestamp: item.timestamp } : {}),
        note: JSON.stringify(item),
        at: item.at,
      })
      .catch(() => undefined);
  }

  /** The decision on this point, if any. */
  decisionFor(e: Entry): FeedbackItem | undefined {
    const key = pointKey(e.result);
    for (let i = this.items.length - 1; i >= 0; i--) {
      const it = this.items[i]!;
      if (it.key === key && it.segment === e.segment) return it;
    }
    return undefined;
  }

  /** The dismissal whose suppression covers this anomaly now, if any. */
  suppressing(e: Entry, now = Date.now()): FeedbackItem | undefined {
    if (!e.result.isAnomaly) return undefined;
    const p = patternOf(e.result, e.segment);
    if (!p) return undefined;
    return this.items.find((i) => i.kind === 'dismiss' && (i.suppressUntil ?? 0) > now && samePattern(i.pattern, p));
  }
}

const CSV_COLUMNS = ['at', 'kind', 'segment', 'timestamp', 'metric', 'direction', 'score', 'grade'] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // Quote when needed; a leading =,+,-,@ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function feedbackToCsv(items: readonly FeedbackItem[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const i of items) {
    lines.push(
      [
        new Date(i.at).toISOString(), i.kind, i.segment,
        i.timestamp !== undefined ? new Date(i.timestamp).toISOString() : '',
        i.pattern.metric, i.pattern.direction, i.score.toFixed(6), i.grade.toFixed(1),
      ].map(csvCell).join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function feedbackToJson(items: readonly FeedbackItem[]): string {
  return JSON.stringify(items, null, 2) + '\n';
}

/** Offers text as a file download. */
export function download(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
