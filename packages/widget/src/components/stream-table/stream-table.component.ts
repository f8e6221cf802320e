import { LitElement, html, nothing } from 'lit';
import type { FieldDef } from '@cx-anomaly/engine';
import { base } from '../../internal/theme.ts';
import type { Entry } from '../../internal/store.ts';
import type { MarkState } from '../score-timeline/score-timeline.component.ts';
import { SEVERITIES, SEVERITY_GLYPH, SEVERITY_LABEL, SEVERITY_VAR } from '../../internal/severity.ts';
import { formatMetric, formatScore, formatX, metricLabel, numeric } from '../../internal/format.ts';
import styles from './stream-table.styles.ts';

/** Metric columns shown at most, however wide the table. */
const MAX_METRIC_COLUMNS = 6;
const ROW = 28;
const OVERSCAN = 6;

export type SeverityFilter = 'all' | 'anomalies' | 'critical' | 'major' | 'minor' | 'warning';

export interface TableSelectDetail {
  readonly seq: number;
}

/**
 * @tag cx-stream-table
 * @summary The latest scored records, newest first, virtualised (only the rows in view are in
 * the DOM), filterable by segment and severity. Every value is rendered as text.
 *
 * @event cx-table-select - A row was opened: `{ seq }`.
 *
 * @csspart table - The table element.
 * @cssproperty --cx-table-height - Height of the scrolling area. Default 240px.
 */
export class CxStreamTable extends LitElement {
  static override styles = [base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    entries: { attribute: false },
    version: { type: Number },
    metrics: { attribute: false },
    segments: { attribute: false },
    marks: { attribute: false },
    selectedSeq: { attribute: false },
    hasTime: { type: Boolean, attribute: 'has-time' },
    locale: {},
    segmentLabel: { attribute: false },
    segment: {},
    severity: {},
    scrollPos: { state: true, attribute: false },
    viewport: { state: true, attribute: false },
    tableWidth: { state: true, attribute: false },
  };

  declare entries: readonly Entry[];
  declare version: number;
  declare metrics: readonly FieldDef[];
  declare segments: readonly string[];
  declare marks: ReadonlyMap<number, MarkState>;
  declare selectedSeq: number | null;
  declare hasTime: boolean;
  declare locale: string | undefined;
  declare segmentLabel: string;
  /** Segment filter ('' = all). */
  declare segment: string;
  declare severity: SeverityFilter;

  private declare scrollPos: number;
  private declare viewport: number;
  private declare tableWidth: number;

  constructor() {
    super();
    this.entries = [];
    this.version = 0;
    this.metrics = [];
    this.segments = [];
    this.marks = new Map();
    this.selectedSeq = null;
    this.hasTime = true;
    this.segmentLabel = 'Segment';
    this.segment = '';
    this.severity = 'all';
    this.scrollPos = 0;
    this.viewport = 240;
    this.tableWidth = 800;
  }
  private filtered: Entry[] = [];
  private filterKey = '';
  private resizeObserver: ResizeObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => {
      const sc = this.renderRoot.querySelector('.scroller');
      if (sc) {
        this.viewport = sc.clientHeight;
        this.tableWidth = sc.clientWidth;
      }
    });
  }

  protected override firstUpdated(): void {
    const sc = this.renderRoot.querySelector('.scroller');
    if (sc) {
      this.resizeObserver!.observe(sc);
      this.viewport = sc.clientHeight || 240;
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  /** Rows after filtering, newest first. */
  get rows(): readonly Entry[] {
    const key = `${this.version}|${this.entries.length}|${this.segment}|${this.severity}`;
    if (key !== this.filterKey) {
      this.filterKey = key;
      const out: Entry[] = [];
      const sev = this.severity;
      for (let i = this.entries.length - 1; i >= 0; i--) {
        const e = this.entries[i]!;
        if (this.segment !== '' && e.segment !== this.segment) continue;
        if (sev === 'anomalies' && !e.result.isAnomaly) continue;
        if (sev !== 'all' && sev !== 'anomalies' && e.severity !== sev) continue;
        out.push(e);
      }
      this.filtered = out;
    }
    return this.filtered;
  }

  private onScroll(ev: Event): void {
    this.scrollPos = (ev.target as HTMLElement).scrollTop;
  }

  private changeFilter(kind: 'segment' | 'severity', value: string): void {
    if (kind === 'segment') this.segment = value;
    else this.severity = value as SeverityFilter;
    const sc = this.renderRoot.querySelector('.scroller');
    if (sc) sc.scrollTop = 0;
    this.scrollPos = 0;
  }

  override render() {
    const rows = this.rows;
    const total = rows.length;
    const first = Math.max(0, Math.floor(this.scrollPos / ROW) - OVERSCAN);
    const last = Math.min(total, Math.ceil((this.scrollPos + this.viewport) / ROW) + OVERSCAN);
    const shown = rows.slice(first, last);
    const showSegment = this.segments.length > 1 || (this.segments[0] ?? '') !== '';
    // As many metric columns as fit (each needs ~90 px) beside time, segment, severity, score, at most
    // MAX_METRIC_COLUMNS (the product's five: the four interval averages and aht_max).
    const fixed = 14 * (11 + (showSegment ? 8 : 0) + 7 + 6);
    const metricCols = this.metrics.slice(0, Math.max(0, Math.min(MAX_METRIC_COLUMNS, Math.floor((this.tableWidth - fixed) / 90))));
    const cols = 3 + (showSegment ? 1 : 0) + metricCols.length;
    return html`
      <div class="toolbar">
        ${showSegment
          ? html`<label>${this.segmentLabel}
              <select @change=${(e: Event) => this.changeFilter('segment', (e.target as HTMLSelectElement).value)}>
                <option value="" ?selected=${this.segment === ''}>All</option>
                ${this.segments.map((s) => html`<option value=${s} ?selected=${this.segment === s}>${s}</option>`)}
              </select></label>`
          : nothing}
        <label>Show
          <select @change=${(e: Event) => this.changeFilter('severity', (e.target as HTMLSelectElement).value)}>
            <option value="all" ?selected=${this.severity === 'all'}>All records</option>
            <option value="anomalies" ?selected=${this.severity === 'anomalies'}>Anomalies</option>
            ${SEVERITIES.map((s) => html`<option value=${s} ?selected=${this.severity === s}>${SEVERITY_LABEL[s]} only</option>`)}
          </select></label>
        <span class="count" role="status">${total.toLocaleString(this.locale || undefined)} ${total === 1 ? 'row' : 'rows'}</span>
      </div>
      <div class="scroller" @scroll=${this.onScroll} tabindex="0" aria-label="Latest scored records">
        <table part="table" aria-rowcount=${total + 1}>
          <colgroup>
            ${this.tableWidth < fixed
              ? // Sidebar: share the width instead of overflowing it.
                html`<col style="width: ${showSegment ? 36 : 46}%" />${showSegment ? html`<col style="width: 25%" />` : nothing}<col style="width: 22%" /><col style="width: ${showSegment ? 17 : 32}%" />`
              : html`<col style="width: 11em" />${showSegment ? html`<col style="width: 8em" />` : nothing}<col style="width: 8.5em" /><col style="width: 7em" />`}
            ${metricCols.map(() => html`<col />`)}
          </colgroup>
          <thead>
            <tr aria-rowindex="1">
              <th scope="col">${this.hasTime ? 'Time' : 'Record'}</th>
              ${showSegment ? html`<th scope="col">${this.segmentLabel}</th>` : nothing}
              <th scope="col">Severity</th>
              <th scope="col" class="num">Score</th>
              ${metricCols.map((m) => html`<th scope="col" class="num">${metricLabel(m.name)}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${first > 0 ? html`<tr class="spacer" aria-hidden="true"><td colspan=${cols} style="height:${first * ROW}px"></td></tr>` : nothing}
            ${shown.map((e, k) => {
              const mark = this.marks.get(e.seq);
              const muted = mark === 'dismissed' || mark === 'suppressed';
              return html`<tr
                aria-rowindex=${first + k + 2}
                class="${e.result.isAnomaly ? 'anomaly' : ''} ${muted ? 'muted' : ''} ${e.seq === this.selectedSeq ? 'selected' : ''}"
              >
                <td><button class="link" @click=${() => this.dispatchEvent(new CustomEvent<TableSelectDetail>('cx-table-select', { detail: { seq: e.seq }, bubbles: true }))}>${formatX(e.x, this.hasTime, this.locale)}</button></td>
                ${showSegment ? html`<td title=${e.segment}>${e.segment}</td>` : nothing}
                <td>${e.result.isAnomaly
                  ? html`<span class="sev" style="color: var(${SEVERITY_VAR[e.severity]})"><span aria-hidden="true">${SEVERITY_GLYPH[e.severity]}</span>${SEVERITY_LABEL[e.severity]}${mark && mark !== 'open' ? html` <span style="color: var(--cx-muted)">(${mark})</span>` : nothing}</span>`
                  : html`<span style="color: var(--cx-muted)">Normal</span>`}</td>
                <td class="num">${formatScore(e.result.score, this.locale)}</td>
                ${metricCols.map((m) => html`<td class="num">${formatMetric(m.name, numeric(e.record[m.name]), this.locale)}</td>`)}
              </tr>`;
            })}
            ${last < total ? html`<tr class="spacer" aria-hidden="true"><td colspan=${cols} style="height:${(total - last) * ROW}px"></td></tr>` : nothing}
          </tbody>
        </table>
        ${total === 0 ? html`<div class="empty">No records match these filters.</div>` : nothing}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-stream-table': CxStreamTable;
  }
}
