import { CxMetricTrends } from './metric-trends.component.ts';

export * from './metric-trends.component.ts';
if (!customElements.get('cx-metric-trends')) customElements.define('cx-metric-trends', CxMetricTrends);
