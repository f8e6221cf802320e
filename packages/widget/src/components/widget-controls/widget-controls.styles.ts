import { css } from 'lit';

export default css`
  :host { display: block; }
  form { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin: 0; }
  label { display: grid; gap: 2px; font-size: 12px; color: var(--cx-muted); min-width: 0; }
  select, input[type='range'] { font: inherit; font-size: 13px; color: var(--cx-text); }
  select { background: var(--cx-background); border: 1px solid var(--cx-border); border-radius: 6px; padding: 3px 6px; min-height: 28px; max-width: 100%; }
  input[type='range'] { accent-color: var(--cx-accent); width: 130px; min-height: 24px; }
  .sens-value { color: var(--cx-text); font-weight: 600; font-size: 12px; }
  .pause[aria-pressed='true'] { background: var(--cx-accent); color: var(--cx-accent-text); border-color: var(--cx-accent); }
`;
