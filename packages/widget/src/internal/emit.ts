import type { CxAnomalyWidgetEventMap } from '../events.ts';

/** Dispatches one of the widget's public events: bubbles and crosses shadow roots. */
export function emit<K extends keyof CxAnomalyWidgetEventMap>(target: EventTarget, type: K, detail: CxAnomalyWidgetEventMap[K]['detail']): void {
  target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
