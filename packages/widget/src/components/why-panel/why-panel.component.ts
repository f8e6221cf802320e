import { LitElement, html, nothing } from 'lit';
import type { FieldDef } from '@cx-anomaly/engine';
import { base } from '../../internal/theme.ts';
import type { Entry } from '../../internal/store.ts';
import type { FeedbackItem } from '../../internal/feedback.ts';
import { SEVERITY_GLYPH, SEVERITY_LABEL, SEVERITY_VAR, gradeShown } from '../../internal/severity.ts';
import { fieldText, formatMetric, formatScore, formatTimeLong, metricLabel, numeric } from '../../internal/format.ts';
import styles from './why-panel.styles.ts';

export interface WhyFeedbackDetail {
  readonly kind: 'confirm' | 'dismiss';
  readonly seq: number;
}
export interface WhyExportDetail {
  readonly format: 'json' | 'csv';
}

/**
 * @tag cx-why-panel
 * @summary "Why flagged": per-metric attribution (high/low), actual against expected, segment,
 * time and grade of one scored point, with confirm and dismiss buttons.
 *
 * @event cx-why-feedback - Confirm or dismiss was pressed: `{ kind, seq }`.
 * @event cx-why-close - The close button was pressed (Escape is handled by the root).
 * @event cx-why-export - An export of the confirmations was asked for: `{ format }`.
 *
 * @csspart panel - The panel's section.
 * @csspart confirm - The confirm button.
 * @csspart dismiss - The dismiss button.
 */
export class CxWhyPanel extends LitElement {
  static override styles = [base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    entry: { attribute: false },
    metrics: { attribute: false },
    decision: { attribute: false },
    suppressedBy: { attribute: false },
    suppressMinutes: { type: Number, attribute: 'suppress-minutes' },
    confirmations: { type: Number },
    hasTime: { type: Boolean, attribute: 'has-time' },
    locale: {},
    segmentField: { attribute: false },
  };

  declare entry: Entry | null;
  declare metrics: readonly FieldDef[];
  /** The decision already taken on this point. */
  declare decision: FeedbackItem | null;
  /** The dismissal that currently suppresses this pattern. */
  declare suppressedBy: FeedbackItem | null;
  /** How long a dismissal suppresses the pattern, minutes. */
  declare suppressMinutes: number;
  declare confirmations: number;
  declare hasTime: boolean;
  declare locale: string | undefined;
  declare segmentField: string | undefined;

  constructor() {
    super();
    this.entry = null;
    this.metrics = [];
    this.decision = null;
    this.suppressedBy = null;
    this.suppressMinutes = 240;
    this.confirmations = 0;
    this.hasTime = true;
  }

  /** Moves focus to the panel's heading (the root calls it when the panel opens). */
  override focus(): void {
    (this.renderRoot.querySelector('h3') as HTMLElement | null)?.focus();
  }

  private emitFeedback(kind: 'confirm' | 'dismiss'): void {
    if (!this.entry) return;
    this.dispatchEvent(new CustomEvent<WhyFeedbackDetail>('cx-why-feedback', { detail: { kind, seq: this.entry.seq }, bubbles: true }));
  }

  private duration(minutes: number): string {
    if (minutes % 1440 === 0) return `${minutes / 1440} d`;
    if (minutes % 60 === 0) return `${minutes / 60} h`;
    return `${minutes} min`;
  }

  override render() {
    const e = this.entry;
    if (!e) return nothing;
    const r = e.result;
    const rows = Object.entries(r.attribution)
      .map(([name, a]) => ({ name, a, total: a.high + a.low }))
      .sort((p, q) => q.total - p.total);
    const sum = rows.reduce((acc, x) => acc + x.total, 0) || 1;
    const max = Math.max(1e-12, ...rows.map((x) => Math.max(x.a.high, x.a.low)));
    const top = rows[0];
    const direction = top && top.a.high >= top.a.low ? 'high' : 'low';
    // Where the value stands, in the words the numbers beside them bear out: from the value and
    // its expected one as shown (the attribution's high/low part is the model's view, and for a
    // metric with a small share it is often noise: "Transfer rate 0%, expected ~0%" read "above
    // normal"). The attribution's direction only where there is no value to compare (imputed).
    const standing = (name: string, a: { high: number; low: number }): 'above' | 'below' | 'at' | null => {
      const actual = numeric(e.record[name]);
      const expected = r.expected[name];
      if (r.imputed.includes(name) || !Number.isFinite(actual) || expected === undefined || !Number.isFinite(expected)) return a.high + a.low > 0 ? (a.high >= a.low ? 'above' : 'below') : null;
      if (formatMetric(name, actual, this.locale) === formatMetric(name, expected, this.locale)) return 'at';
      return actual > expected ? 'above' : 'below';
    };
    const topStanding = top ? standing(top.name, top.a) : null;
    const sev = e.severity;
    const dirOf = (name: string) => this.metrics.find((m) => m.name === name)?.direction ?? 'both';
    const summaryText = top
      ? `${metricLabel(top.name)} ${formatMetric(top.name, numeric(e.record[top.name]), this.locale)}, expected ~${formatMetric(top.name, r.expected[top.name], this.locale)}`
      : 'No attribution available';
    const segLabel = this.segmentField ? metricLabel(this.segmentField) : 'Segment';
    return html`
      <section part="panel" aria-labelledby="why-title">
        <header>
          <h3 id="why-title" tabindex="-1">${r.isAnomaly ? 'Why flagged' : 'Point details'}</h3>
          <button class="close" aria-label="Close details" title="Close (Esc)" @click=${() => this.dispatchEvent(new CustomEvent('cx-why-close', { bubbles: true }))}>✕</button>
        </header>
        <div class="meta">
          ${r.isAnomaly
            ? html`<span class="badge" style="color: var(${SEVERITY_VAR[sev]})"><span aria-hidden="true">${SEVERITY_GLYPH[sev]}</span>${SEVERITY_LABEL[sev]}</span>`
            : html`<span class="badge" style="color: var(--cx-muted)">Not flagged</span>`}
          <span>Grade <strong>${gradeShown(r.grade)}</strong>/100</span>
          <span>Score <strong>${formatScore(r.score, this.locale)}</strong></span>
          ${e.segment !== '' ? html`<span>${segLabel} <strong>${e.segment}</strong></span>` : nothing}
          <span>${this.hasTime ? formatTimeLong(e.x, this.locale) : `Record #${e.x + 1}`}</span>
        </div>
        <p class="summary">${summaryText}${topStanding === 'above' || topStanding === 'below' ? html` <span class="detail">(${topStanding === 'above' ? 'higher' : 'lower'} than normal)</span>` : nothing}</p>
        <ul aria-label="Contribution of each metric">
          ${rows.map(({ name, a, total }) => {
            const actual = numeric(e.record[name]);
            const imputed = r.imputed.includes(name);
            const st = standing(name, a);
            const where = st === null ? '' : st === 'at' ? ', at its expected level' : `, ${st} normal`;
            const pct = Math.round((total / sum) * 100);
            return html`<li>
              <div class="row">
                <span class="label">${metricLabel(name)}</span>
                <span class="dir">${pct}% of the score${where}${dirOf(name) !== 'both' ? ` · ${dirOf(name)} is bad` : ''}</span>
              </div>
              <div class="bars" role="img" aria-label=${`${metricLabel(name)}: high ${Math.round((a.high / sum) * 100)}%, low ${Math.round((a.low / sum) * 100)}%`}>
                <div class="track" style="grid-column:1"><div class="bar ${dirOf(name) === 'high' ? 'neutral' : 'bad'}" style="width:${(a.low / max) * 100}%; margin-left:auto"></div></div>
                <div class="track" style="grid-column:2"><div class="bar ${dirOf(name) === 'low' ? 'neutral' : 'bad'}" style="width:${(a.high / max) * 100}%"></div></div>
              </div>
              <div class="detail">
                ${imputed ? `${metricLabel(name)} missing (filled in), expected ~${formatMetric(name, r.expected[name], this.locale)}` : `${metricLabel(name)} ${formatMetric(name, actual, this.locale)}, expected ~${formatMetric(name, r.expected[name], this.locale)}`}
              </div>
            </li>`;
          })}
        </ul>
        ${r.isAnomaly ? this.renderActions(top ? `${e.segment !== '' ? `${e.segment} · ` : ''}${metricLabel(top.name)} ${direction}` : '') : nothing}
        <div class="exports">
          <span>${this.confirmations} confirmed · export</span>
          <button @click=${() => this.dispatchEvent(new CustomEvent<WhyExportDetail>('cx-why-export', { detail: { format: 'json' }, bubbles: true }))}>JSON</button>
          <button @click=${() => this.dispatchEvent(new CustomEvent<WhyExportDetail>('cx-why-export', { detail: { format: 'csv' }, bubbles: true }))}>CSV</button>
        </div>
        ${Object.keys(e.record).length > 0
          ? html`<details><summary class="detail">Record fields</summary>
              <dl class="detail">${Object.entries(e.record).map(([k, v]) => html`<div><dt style="display:inline;font-weight:600">${k}</dt>: <dd style="display:inline;margin:0">${fieldText(v)}</dd></div>`)}</dl>
            </details>`
          : nothing}
      </section>
    `;
  }

  private renderActions(patternText: string) {
    const d = this.decision;
    if (d) {
      return html`<div class="actions" role="status">
        <span class="done ${d.kind === 'dismiss' ? 'dismissed' : ''}">${d.kind === 'confirm' ? '✓ Confirmed' : '✕ Dismissed'}</span>
        ${d.kind === 'dismiss' && d.suppressUntil && d.suppressUntil > Date.now()
          ? html`<span class="detail">Similar alerts (${patternText}) muted until ${new Date(d.suppressUntil).toLocaleTimeString(this.locale, { hour: '2-digit', minute: '2-digit' })}</span>`
          : nothing}
      </div>`;
    }
    return html`<div class="actions">
      <button class="primary" part="confirm" @click=${() => this.emitFeedback('confirm')}>Confirm incident</button>
      <button part="dismiss" @click=${() => this.emitFeedback('dismiss')}>Dismiss</button>
      <span class="detail">Dismiss mutes ${patternText} for ${this.duration(this.suppressMinutes)}</span>
      ${this.suppressedBy ? html`<span class="detail">Muted by an earlier dismissal</span>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-why-panel': CxWhyPanel;
  }
}
