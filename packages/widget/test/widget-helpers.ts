// Shared by the widget's browser tests (not a test file itself).
import type { CxRecord } from '@cx-anomaly/engine';
import type { CxAnomalyWidget } from '../src/index.ts';
import { CX_METRICS, intervalRecords } from '../../../stories/cx-data.ts';

/** A test-sized forest: a few hundred records train in a second or two. */
export const TEST_OPTIONS = { numTrees: 20, sampleSize: 64, seed: 5 };

/**
 * `days` of generated intervals with one planted incident (an hour of very long AHT and many
 * transfers on the first queue, day 3 at 11:00 UTC), so every test widget has anomalies to show.
 */
export const INCIDENT_START = Date.UTC(2026, 0, 7, 11);
export const INCIDENT_END = INCIDENT_START + 3_600_000;

export function smallData(days = 4, queues = ['billing', 'sales']): CxRecord[] {
  return intervalRecords(days, 5, queues).records.map((r) => {
    const t = Date.parse(String(r.timestamp));
    if (r.queue !== queues[0] || t < INCIDENT_START || t >= INCIDENT_END) return r;
    return { ...r, aht_avg: String(Number(r.aht_avg) * 6 + 2000), transfer_rate: '0.65' };
  });
}

/** Resolves with the next event of this type; rejects on cx-error first. */
export function nextEvent<T = unknown>(el: EventTarget, type: string, timeoutMs = 60_000): Promise<CustomEvent<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    const onError = (e: Event) => {
      if (type === 'cx-error') return;
      clearTimeout(timer);
      const d = (e as CustomEvent).detail;
      reject(new Error(`cx-error ${d.code}: ${d.message}`));
    };
    el.addEventListener('cx-error', onError, { once: true });
    el.addEventListener(
      type,
      (e) => {
        clearTimeout(timer);
        el.removeEventListener('cx-error', onError);
        resolve(e as CustomEvent<T>);
      },
      { once: true },
    );
  });
}

/** A widget in the document, trained on `records`. Remove it with `el.remove()`. */
export async function trainedWidget(records: CxRecord[] = smallData(), attrs: Record<string, string> = {}): Promise<CxAnomalyWidget> {
  const el = document.createElement('cx-anomaly-widget') as CxAnomalyWidget;
  const all = { metrics: CX_METRICS, 'time-field': 'timestamp', 'segment-field': 'queue', theme: 'light', ...attrs };
  for (const [k, v] of Object.entries(all)) el.setAttribute(k, v);
  el.options = TEST_OPTIONS;
  document.body.append(el);
  const ready = nextEvent(el, 'cx-ready');
  el.data = records;
  await ready;
  await el.updateComplete;
  return el;
}

/** Every element in the element's shadow tree, nested shadow roots included. */
export function deepQueryAll(root: Element | ShadowRoot | Document, selector: string): Element[] {
  const out: Element[] = [...root.querySelectorAll(selector)];
  for (const el of root.querySelectorAll('*')) if (el.shadowRoot) out.push(...deepQueryAll(el.shadowRoot, selector));
  return out;
}

export function deepText(root: Element | ShadowRoot): string {
  let s = '';
  const walk = (n: Node) => {
    if (n.nodeType === Node.TEXT_NODE) s += n.textContent;
    if ((n as Element).shadowRoot) walk((n as Element).shadowRoot!);
    for (const c of n.childNodes) walk(c);
  };
  walk(root);
  return s;
}

export const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
