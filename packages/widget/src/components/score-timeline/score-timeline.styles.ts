import { css } from 'lit';

export default css`
  :host { display: block; position: relative; }
  .chart {
    position: relative;
    height: var(--cx-timeline-height, 180px);
    border-radius: 6px;
    touch-action: none;
    cursor: crosshair;
    user-select: none; /* a pan drag must not select text */
  }
  .chart:focus-visible { outline: 2px solid var(--cx-focus); outline-offset: 2px; }
  canvas, svg { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
  svg { overflow: visible; }
  .axis { color: var(--cx-muted); font-size: 11px; }
  .axis text { fill: var(--cx-muted); font-family: var(--cx-font-family); }
  .axis path, .axis line { stroke: var(--cx-border); }
  .cursor-line { stroke: var(--cx-cursor); stroke-width: 1; stroke-dasharray: 3 3; }
  .hover-line { stroke: var(--cx-muted); stroke-width: 1; }
  .cursor-dot { fill: none; stroke: var(--cx-cursor); stroke-width: 2; }
  .selected-ring { fill: none; stroke: var(--cx-focus); stroke-width: 2.5; }
  .threshold-label { fill: var(--cx-threshold); font-size: 11px; font-family: var(--cx-font-family); }
  .tooltip {
    position: absolute; top: 4px; pointer-events: none; z-index: 1;
    background: var(--cx-background); color: var(--cx-text);
    border: 1px solid var(--cx-border); border-radius: 6px; padding: 4px 8px;
    font-size: 12px; line-height: 1.35; white-space: nowrap; max-width: 260px;
    overflow: hidden; text-overflow: ellipsis; box-shadow: 0 2px 6px rgba(0,0,0,0.12);
  }
  .overview { position: relative; height: 34px; margin-top: 6px; user-select: none; }
  .overview svg { touch-action: none; }
  .overview .overlay { fill: transparent; cursor: crosshair; }
  .overview .selection { fill: var(--cx-accent); fill-opacity: 0.12; stroke: var(--cx-accent); cursor: move; }
  .overview .handle { fill: var(--cx-accent); fill-opacity: 0.5; cursor: ew-resize; }
  .legend {
    display: flex; flex-wrap: wrap; gap: 4px 12px; margin-top: 6px;
    font-size: 12px; color: var(--cx-muted); align-items: center;
  }
  .legend .key { display: inline-flex; align-items: center; gap: 4px; }
  .legend svg { position: static; width: 12px; height: 12px; }
  .legend .hint { margin-left: auto; }
  @media (max-width: 420px) { .legend .hint { display: none; } }
  .empty {
    position: absolute; inset: 0; display: grid; place-items: center;
    color: var(--cx-muted); font-size: 13px; pointer-events: none;
  }
`;
