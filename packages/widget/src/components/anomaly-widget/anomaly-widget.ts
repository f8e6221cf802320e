import { CxAnomalyWidget } from './anomaly-widget.component.ts';

export * from './anomaly-widget.component.ts';
// Idempotent: a second copy of the script (or the IIFE next to the ESM build) must not throw.
if (!customElements.get('cx-anomaly-widget')) customElements.define('cx-anomaly-widget', CxAnomalyWidget);
