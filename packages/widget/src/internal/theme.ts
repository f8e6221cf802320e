/**
 * Design tokens. Every colour is a CSS custom property with a documented default (see the
 * @cssproperty list of <cx-anomaly-widget>); custom properties inherit through shadow roots,
 * so the sub-views read the values set on the root element.
 *
 * Contrast (WCAG 2.2 AA): text tokens >= 4.5:1 and mark tokens >= 3:1 against
 * --cx-background and --cx-surface, in both themes.
 */
import { css } from 'lit';

export const tokens = css`
  :host {
    --cx-font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
    --cx-font-size: 14px;
    --cx-radius: 8px;
    --cx-background: #ffffff;
    --cx-surface: #f5f7fa;
    --cx-border: #ccd3db;
    --cx-text: #1a1f26;
    --cx-muted: #566170;
    --cx-accent: #0a5bb0;
    --cx-accent-text: #ffffff;
    --cx-focus: #0a5bb0;
    --cx-score: #2f4b7c;
    --cx-threshold: #a34700;
    --cx-band: rgba(10, 91, 176, 0.14);
    --cx-expected: #5f7fa8;
    --cx-grid: #e3e8ee;
    --cx-critical: #c0222b;
    --cx-major: #b54708;
    --cx-minor: #8a6500;
    --cx-warning: #5a6577;
    --cx-ok: #1c7a3a;
    --cx-cursor: #1a1f26;
    color-scheme: light;
  }
  :host([theme='dark']) {
    --cx-background: #14181e;
    --cx-surface: #1c222a;
    --cx-border: #3a4452;
    --cx-text: #e7ebf0;
    --cx-muted: #a5b0be;
    --cx-accent: #6cb0ff;
    --cx-accent-text: #0b1220;
    --cx-focus: #8cc2ff;
    --cx-score: #9fc0f0;
    --cx-threshold: #ffa95e;
    --cx-band: rgba(108, 176, 255, 0.18);
    --cx-expected: #90a9c9;
    --cx-grid: #2a323d;
    --cx-critical: #ff7b7b;
    --cx-major: #ffa05c;
    --cx-minor: #e9c34f;
    --cx-warning: #aab6c6;
    --cx-ok: #5fd38a;
    --cx-cursor: #e7ebf0;
    color-scheme: dark;
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --cx-background: #14181e;
      --cx-surface: #1c222a;
      --cx-border: #3a4452;
      --cx-text: #e7ebf0;
      --cx-muted: #a5b0be;
      --cx-accent: #6cb0ff;
      --cx-accent-text: #0b1220;
      --cx-focus: #8cc2ff;
      --cx-score: #9fc0f0;
      --cx-threshold: #ffa95e;
      --cx-band: rgba(108, 176, 255, 0.18);
      --cx-expected: #90a9c9;
      --cx-grid: #2a323d;
      --cx-critical: #ff7b7b;
      --cx-major: #ffa05c;
      --cx-minor: #e9c34f;
      --cx-warning: #aab6c6;
      --cx-ok: #5fd38a;
      --cx-cursor: #e7ebf0;
      color-scheme: dark;
    }
  }
`;

/** Styles every sub-view shares: box model, focus ring, reduced motion, text-only buttons. */
export const base = css`
  :host {
    box-sizing: border-box;
    font-family: var(--cx-font-family, system-ui, sans-serif);
    font-size: var(--cx-font-size, 14px);
    color: var(--cx-text, #1a1f26);
  }
  *, *::before, *::after { box-sizing: inherit; }
  :focus-visible { outline: 2px solid var(--cx-focus, #0a5bb0); outline-offset: 2px; }
  .visually-hidden {
    position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
    overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  button {
    font: inherit; color: inherit; cursor: pointer;
    border: 1px solid var(--cx-border, #ccd3db); border-radius: 6px;
    background: var(--cx-background, #fff); padding: 4px 10px; min-height: 28px;
  }
  button:hover { border-color: var(--cx-muted, #566170); }
  button[disabled] { cursor: default; opacity: 0.6; }
  @media (prefers-reduced-motion: no-preference) {
    button { transition: border-color 120ms ease; }
  }
`;

/** Reads a custom property from an element (canvas drawing needs the resolved colour). */
export function cssVar(el: Element, name: string, fallback: string): string {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}
