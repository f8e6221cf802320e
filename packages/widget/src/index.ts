// Public API of @cx-anomaly/widget. Importing it defines <cx-anomaly-widget> and its sub-views.
export * from './components/anomaly-widget/anomaly-widget.ts';
export * from './components/score-timeline/score-timeline.ts';
export * from './components/metric-trends/metric-trends.ts';
export * from './components/why-panel/why-panel.ts';
export * from './components/stream-table/stream-table.ts';
export * from './components/widget-controls/widget-controls.ts';
export type * from './events.ts';
export { createEngineClient } from './engine-client/index.ts';
export type { EngineClient, EngineClientOptions, EngineMode, TrainSummary } from './engine-client/types.ts';
export { minMaxColumns, createColumns, type ColumnBuffers } from './internal/downsample.ts';
export type { Entry, SeriesView } from './internal/store.ts';
