/**
 * Events of <cx-anomaly-widget>. All bubble and cross shadow roots (`composed: true`), so a host
 * can listen on the element or on any ancestor:
 *
 *     widget.addEventListener('cx-anomaly', (e) => console.log(e.detail.grade));
 */
import type { Result } from '@cx-anomaly/engine';
import type { EngineMode } from './engine-client/types.ts';

export interface CxReadyDetail {
  /** Records trained on and scored. */
  readonly records: number;
  /** Anomalies found in them. */
  readonly anomalies: number;
  /** True when the model came from the IndexedDB cache. */
  readonly fromCache: boolean;
  /** Milliseconds for training (or cache load) plus scoring. */
  readonly millis: number;
  /** How the engine runs (worker or in-process). */
  readonly mode: EngineMode;
}

export interface CxScoredDetail {
  readonly results: readonly Result[];
  /** `batch`: the `src`/`data` set; `stream`: SSE events; `push`: the host's `push()`. */
  readonly source: 'batch' | 'stream' | 'push';
}

/** A dismissed anomaly suppresses later ones of the same pattern for a while. */
export interface FeedbackPattern {
  readonly segment: string;
  readonly metric: string;
  readonly direction: 'high' | 'low';
}

export interface CxFeedbackDetail {
  readonly kind: 'confirm' | 'dismiss';
  readonly result: Result;
  readonly pattern: FeedbackPattern;
  /** Epoch ms of the decision. */
  readonly at: number;
  /** For dismissals: epoch ms until which the pattern is suppressed. */
  readonly suppressUntil?: number;
}

export interface CxWarningDetail {
  readonly message: string;
  /** Stable code, e.g. `offline-copy`, `stream-offline`, `engine-fallback`, `metrics-inferred`. */
  readonly code: string;
}

export interface CxErrorDetail {
  readonly message: string;
  /** Stable code: `load`, `train`, `score`, `stream`, `config`. */
  readonly code: string;
  readonly error?: unknown;
}

export interface CxAnomalyWidgetEventMap {
  'cx-ready': CustomEvent<CxReadyDetail>;
  'cx-scored': CustomEvent<CxScoredDetail>;
  'cx-anomaly': CustomEvent<Result>;
  'cx-feedback': CustomEvent<CxFeedbackDetail>;
  'cx-warning': CustomEvent<CxWarningDetail>;
  'cx-error': CustomEvent<CxErrorDetail>;
}

declare global {
  // Lets `element.addEventListener('cx-anomaly', e => e.detail...)` type-check anywhere.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface GlobalEventHandlersEventMap extends CxAnomalyWidgetEventMap {}
}
