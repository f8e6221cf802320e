import { css } from 'lit';

export default css`
  :host { display: block; }
  :host { container-type: inline-size; }
  section {
    border: 1px solid var(--cx-border); border-radius: var(--cx-radius, 8px);
    background: var(--cx-surface); padding: 12px; display: grid; gap: 10px;
  }
  header { display: flex; align-items: flex-start; gap: 8px; }
  h3 { margin: 0; font-size: 15px; line-height: 1.3; flex: 1; }
  .close { padding: 2px 8px; }
  .badge {
    display: inline-flex; align-items: center; gap: 4px; font-weight: 600;
    border: 1px solid currentColor; border-radius: 999px; padding: 1px 8px; font-size: 12px;
  }
  .meta { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: var(--cx-muted); }
  .meta strong { color: var(--cx-text); font-weight: 600; }
  .summary { margin: 0; font-size: 14px; line-height: 1.4; }
  ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
  li { display: grid; gap: 3px; }
  .row { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0 8px; font-size: 13px; }
  .row .label { font-weight: 600; flex: none; white-space: nowrap; }
  .row .dir { color: var(--cx-muted); text-align: right; min-width: 0; }
  li, .row { min-width: 0; }
  section { min-width: 0; overflow-wrap: anywhere; }
  .bars { display: grid; grid-template-columns: 1fr 1fr; height: 10px; }
  /* Red where the metric moved the way the field spec calls bad; neutral the other way. */
  .bar { height: 100%; border-radius: 3px; }
  .bar.bad { background: var(--cx-critical); }
  .bar.neutral { background: var(--cx-expected); }
  .axis { grid-column: 1 / -1; }
  .track { position: relative; background: var(--cx-grid); border-radius: 3px; }
  .detail { font-size: 12px; color: var(--cx-muted); }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
  .primary { background: var(--cx-accent); color: var(--cx-accent-text); border-color: var(--cx-accent); }
  .done { font-size: 13px; color: var(--cx-ok); font-weight: 600; }
  .done.dismissed { color: var(--cx-muted); }
  .exports { display: flex; gap: 6px; align-items: center; font-size: 12px; color: var(--cx-muted); flex-wrap: wrap; }
  .exports button { padding: 2px 8px; min-height: 24px; font-size: 12px; }

@container (max-width: 340px) {
  .row { flex-direction: column; }
  .row .dir { text-align: left; }
}
`;
