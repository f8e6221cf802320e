import { css } from 'lit';

export default css`
  :host { display: block; }
  .toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 6px; font-size: 13px; }
  .toolbar label { display: inline-flex; gap: 4px; align-items: center; color: var(--cx-muted); }
  select { font: inherit; color: var(--cx-text); background: var(--cx-background); border: 1px solid var(--cx-border); border-radius: 6px; padding: 3px 6px; min-height: 28px; }
  .count { margin-left: auto; color: var(--cx-muted); font-size: 12px; }
  .scroller {
    height: var(--cx-table-height, 240px); overflow: auto; border: 1px solid var(--cx-border);
    border-radius: 6px; background: var(--cx-background); position: relative;
  }
  table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; table-layout: fixed; }
  thead th {
    position: sticky; top: 0; z-index: 1; background: var(--cx-surface); color: var(--cx-muted);
    text-align: left; font-weight: 600; padding: 0 8px; height: 30px; border-bottom: 1px solid var(--cx-border);
    white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  }
  td { padding: 0 8px; height: 28px; border-bottom: 1px solid var(--cx-grid); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  tr.anomaly td { font-weight: 600; }
  tr.selected td { background: var(--cx-band); }
  tr.muted td { color: var(--cx-muted); font-weight: 400; }
  .num { text-align: right; }
  .sev { display: inline-flex; gap: 4px; align-items: center; }
  .link { border: 0; background: none; padding: 0; min-height: 0; color: var(--cx-accent); text-decoration: underline; font: inherit; }
  .empty { padding: 16px; color: var(--cx-muted); text-align: center; font-size: 13px; }
  .spacer td { padding: 0; border: 0; height: auto; }
`;
