import { css } from 'lit';

export default css`
  :host {
    display: block;
    background: var(--cx-background);
    color: var(--cx-text);
    border: 1px solid var(--cx-border);
    border-radius: var(--cx-radius);
    min-width: 0;
  }
  :host([hidden]) { display: none; }
  .root { container-type: inline-size; padding: 12px; display: grid; gap: 12px; min-width: 0; }
  header { display: grid; gap: 10px; }
  .title-row { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
  h2 { margin: 0; font-size: 16px; line-height: 1.3; font-weight: 650; flex: 1 1 auto; }
  h3 { margin: 0 0 6px; font-size: 13px; font-weight: 600; color: var(--cx-text); }
  h3 .sub { color: var(--cx-muted); font-weight: 400; }
  .status {
    display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: var(--cx-muted);
    border: 1px solid var(--cx-border); border-radius: 999px; padding: 2px 10px; white-space: nowrap;
  }
  .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--cx-muted); }
  .status.live .dot { background: var(--cx-ok); }
  .status.offline .dot, .status.error .dot { background: var(--cx-critical); }
  @media (prefers-reduced-motion: no-preference) {
    .status.live .dot { animation: pulse 2s ease-in-out infinite; }
    @keyframes pulse { 50% { opacity: 0.35; } }
  }
  .latest { font-size: 12px; color: var(--cx-muted); margin-bottom: -4px; }
  .latest strong { color: var(--cx-text); font-weight: 600; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(118px, 1fr)); gap: 8px; }
  .tile {
    background: var(--cx-surface); border: 1px solid var(--cx-border); border-radius: 6px;
    padding: 6px 10px; min-width: 0;
  }
  .tile .label { font-size: 12px; color: var(--cx-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .tile .value { font-size: 18px; font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .tile .state { font-size: 12px; font-weight: 600; }
  .tile .when { font-size: 11px; color: var(--cx-muted); }
  .tile .state.normal { color: var(--cx-ok); }
  .counts { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 12px; color: var(--cx-muted); }
  .count {
    display: inline-flex; gap: 4px; align-items: center; border: 1px solid currentColor;
    border-radius: 999px; padding: 1px 8px; font-weight: 600;
  }
  .count.zero { font-weight: 400; color: var(--cx-muted); border-color: var(--cx-border); }
  .card { min-width: 0; }
  .panel-grid { display: grid; gap: 12px; grid-template-columns: minmax(0, 1fr); }
  @container (min-width: 760px) {
    .panel-grid.with-why { grid-template-columns: minmax(0, 1fr) minmax(300px, 360px); }
    .panel-grid.with-why cx-why-panel { grid-column: 2; grid-row: 1; }
    .panel-grid.with-why .trends { grid-column: 1; grid-row: 1; }
  }
  .notice {
    border: 1px solid var(--cx-border); border-radius: 6px; padding: 10px 12px; background: var(--cx-surface);
    display: flex; gap: 10px; align-items: center; flex-wrap: wrap; font-size: 13px;
  }
  .notice.error { border-color: var(--cx-critical); }
  .notice.error strong { color: var(--cx-critical); }
  .notice p { margin: 0; flex: 1 1 200px; overflow-wrap: anywhere; }
  progress { width: 100%; height: 8px; accent-color: var(--cx-accent); }
  .progress { display: grid; gap: 6px; font-size: 13px; color: var(--cx-muted); }
  .empty { text-align: center; padding: 24px 8px; color: var(--cx-muted); }
  .empty strong { display: block; color: var(--cx-text); font-size: 15px; margin-bottom: 4px; }
  @container (max-width: 420px) {
    .root { padding: 10px; gap: 10px; }
    .tile .value { font-size: 16px; }
  }
`;
