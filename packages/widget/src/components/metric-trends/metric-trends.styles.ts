import { css } from 'lit';

export default css`
  :host { display: block; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 200px), 1fr)); gap: 10px 16px; }
  figure { margin: 0; min-width: 0; }
  figcaption { display: flex; justify-content: space-between; gap: 8px; font-size: 12px; line-height: 1.3; margin-bottom: 2px; }
  .name { font-weight: 600; color: var(--cx-text); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .value { color: var(--cx-muted); white-space: nowrap; font-variant-numeric: tabular-nums; }
  svg { display: block; width: 100%; height: var(--cx-trend-height, 64px); overflow: visible; touch-action: pan-y; }
  .band { fill: var(--cx-band); stroke: none; }
  .expected { fill: none; stroke: var(--cx-expected); stroke-width: 1; stroke-dasharray: 4 3; }
  .actual { fill: none; stroke: var(--cx-score); stroke-width: 1.25; stroke-linejoin: round; }
  .dot { fill: var(--cx-score); }
  .frame { fill: none; stroke: var(--cx-grid); }
  .hover { stroke: var(--cx-muted); stroke-width: 1; }
  .selected { stroke: var(--cx-focus); stroke-width: 1.5; stroke-dasharray: 2 2; }
  .tick { fill: var(--cx-muted); font-size: 10px; font-family: var(--cx-font-family); }
  .marker { stroke: var(--cx-background); stroke-width: 1; }
  .note { color: var(--cx-muted); font-size: 12px; margin: 0 0 6px; }
`;
