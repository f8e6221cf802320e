import { LitElement, html, svg, nothing, type PropertyValues } from 'lit';
import { linearScale } from '../../internal/linear-scale.ts';
import type { FieldDef } from '@cx-anomaly/engine';
import { base } from '../../internal/theme.ts';
import { GAP_STEPS, createColumns, lowerBound, minMaxColumns, traceColumns, typicalStep, type ColumnBuffers } from '../../internal/downsample.ts';
import type { Entry } from '../../internal/store.ts';
import { SEVERITY_VAR, markerPath } from '../../internal/severity.ts';
import { formatMetric, formatX, metricLabel, metricUnit, numeric } from '../../internal/format.ts';
import styles from './metric-trends.styles.ts';

const H = 64;
const PAD = { top: 4, bottom: 14, left: 2, right: 2 };

interface MetricSeries {
  readonly x: Float64Array;
  readonly actual: Float32Array;
  readonly expected: Float32Array;
  /** Robust spread of actual - expected (1.5 x MAD), the half-width of the expected band. */
  readonly spread: number;
  /** Anomalies this metric explains (share of attribution >= 25 %), as indices into x. */
  readonly flagged: number[];
  readonly entries: Entry[];
  /** No actual value is negative (counts, durations, rates). */
  readonly nonNegative: boolean;
  /** A share (metricUnit 'share') whose values are all fractions: nothing goes above 100 %. */
  readonly fraction: boolean;
  /** The series' typical x step (typicalStep): a line breaks across gaps of GAP_STEPS of them. */
  readonly step: number;
}

export interface TrendsCursorDetail {
  readonly x: number | null;
}

/**
 * @tag cx-metric-trends
 * @summary Small multiples, one per metric: actual values, the expected value with its band,
 * markers on the anomalies the metric explains, and a crosshair shared with the other charts.
 *
 * @event cx-trends-cursor - The pointer moved over a chart: `{ x }` (null when it leaves).
 *
 * @csspart chart - Each metric's figure.
 * @cssproperty --cx-trend-height - Height of each small chart. Default 64px.
 */
export class CxMetricTrends extends LitElement {
  static override styles = [base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    entries: { attribute: false },
    version: { type: Number },
    segment: {},
    metrics: { attribute: false },
    domain: { attribute: false },
    hoverX: { attribute: false },
    selectedX: { attribute: false },
    hasTime: { type: Boolean, attribute: 'has-time' },
    locale: {},
    width: { state: true, attribute: false },
  };

  declare entries: readonly Entry[];
  /** Changes whenever `entries` changes (the store's version), to refresh the cached series. */
  declare version: number;
  /** Segment shown ('' for unsegmented data). */
  declare segment: string;
  declare metrics: readonly FieldDef[];
  /** Visible x range (follows the timeline's zoom). */
  declare domain: readonly [number, number] | null;
  declare hoverX: number | null;
  declare selectedX: number | null;
  declare hasTime: boolean;
  declare locale: string | undefined;

  private declare width: number;

  constructor() {
    super();
    this.entries = [];
    this.version = 0;
    this.segment = '';
    this.metrics = [];
    this.domain = null;
    this.hoverX = null;
    this.selectedX = null;
    this.hasTime = true;
    this.width = 0;
  }
  private series = new Map<string, MetricSeries>();
  private seriesKey = '';
  private resizeObserver: ResizeObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => {
      const fig = this.renderRoot.querySelector('figure');
      const w = Math.round(fig?.getBoundingClientRect().width ?? 0);
      if (w !== this.width) this.width = w;
    });
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const key = `${this.version}|${this.segment}|${this.metrics.map((m) => m.name).join(',')}|${this.entries.length}`;
    if (key !== this.seriesKey || changed.has('entries')) {
      this.seriesKey = key;
      this.series = this.buildSeries();
    }
  }

  protected override updated(): void {
    const fig = this.renderRoot.querySelector('figure');
    const w = Math.round(fig?.getBoundingClientRect().width ?? 0);
    if (w !== this.width) this.width = w;
  }

  /** One column of the actual line: its first value, down to its lowest, up to its highest, to its last. */
  private colPath(cols: ColumnBuffers, c: number, cx: (c: number) => number, y: (v: number) => number): string {
    return `${cx(c).toFixed(1)},${y(cols.first[c]!).toFixed(1)}V${y(cols.min[c]!).toFixed(1)}V${y(cols.max[c]!).toFixed(1)}V${y(cols.last[c]!).toFixed(1)}`;
  }

  private buildSeries(): Map<string, MetricSeries> {
    const out = new Map<string, MetricSeries>();
    const list = this.entries.filter((e) => e.segment === this.segment);
    const n = list.length;
    // The segment's x's and their typical step: the same for every metric (read only).
    const x = Float64Array.from(list, (e) => e.x);
    const step = typicalStep(x);
    for (const m of this.metrics) {
      const actual = new Float32Array(n);
      const expected = new Float32Array(n);
      const resid: number[] = [];
      const flagged: number[] = [];
      let nonNegative = true;
      let fraction = metricUnit(m.name) === 'share';
      for (let i = 0; i < n; i++) {
        const e = list[i]!;
        const a = numeric(e.record[m.name]);
        const ex = e.result.expected[m.name];
        actual[i] = a;
        if (a < 0) nonNegative = false;
        if (a > 1) fraction = false;
        expected[i] = typeof ex === 'number' ? ex : NaN;
        if (a === a && expected[i] === expected[i]) resid.push(Math.abs(a - expected[i]!));
        if (e.result.isAnomaly && shareOf(e, m.name) >= 0.25) flagged.push(i);
      }
      resid.sort((p, q) => p - q);
      const mad = resid.length > 0 ? resid[resid.length >> 1]! : 0;
      out.set(m.name, { x, actual, expected, spread: 1.5 * mad, flagged, entries: list, nonNegative, fraction, step });
    }
    return out;
  }

  private onPointerMove(ev: PointerEvent, x0: number, x1: number): void {
    const svgEl = ev.currentTarget as SVGSVGElement;
    const r = svgEl.getBoundingClientRect();
    const f = (ev.clientX - r.left - PAD.left) / Math.max(1, r.width - PAD.left - PAD.right);
    const xv = x0 + Math.min(1, Math.max(0, f)) * (x1 - x0);
    // Snap to the nearest point of the first metric (all metrics share the x values).
    const s = this.series.values().next().value as MetricSeries | undefined;
    let snapped = xv;
    if (s && s.x.length > 0) {
      let i = lowerBound(s.x, xv);
      if (i >= s.x.length) i = s.x.length - 1;
      if (i > 0 && Math.abs(s.x[i - 1]! - xv) < Math.abs(s.x[i]! - xv)) i--;
      snapped = s.x[i]!;
    }
    this.dispatchEvent(new CustomEvent<TrendsCursorDetail>('cx-trends-cursor', { detail: { x: snapped }, bubbles: true }));
  }

  private onPointerLeave(): void {
    this.dispatchEvent(new CustomEvent<TrendsCursorDetail>('cx-trends-cursor', { detail: { x: null }, bubbles: true }));
  }

  private valueAt(s: MetricSeries, xv: number): { actual: number; expected: number } | null {
    if (s.x.length === 0) return null;
    let i = lowerBound(s.x, xv);
    if (i >= s.x.length) i = s.x.length - 1;
    if (i > 0 && Math.abs(s.x[i - 1]! - xv) < Math.abs(s.x[i]! - xv)) i--;
    return { actual: s.actual[i]!, expected: s.expected[i]! };
  }

  private renderChart(m: FieldDef, s: MetricSeries) {
    const w = Math.max(40, this.width);
    const n = s.x.length;
    const [x0, x1] = this.domain ?? (n > 0 ? [s.x[0]!, s.x[n - 1]! === s.x[0]! ? s.x[0]! + 1 : s.x[n - 1]!] : [0, 1]);
    const pw = w - PAD.left - PAD.right;
    const cols = createColumns(Math.max(1, Math.floor(pw / 2))); // 2 px per column: lighter SVG paths
    const colsE = createColumns(cols.width);
    minMaxColumns(s.x, s.actual, x0, x1, cols, n);
    minMaxColumns(s.x, s.expected, x0, x1, colsE, n);
    // y domain from what is visible (actual and band), with a little headroom.
    let lo = Infinity;
    let hi = -Infinity;
    for (let c = 0; c < cols.width; c++) {
      const a = cols.min[c]!;
      const b = cols.max[c]!;
      if (a === a) { lo = Math.min(lo, a); hi = Math.max(hi, b); }
      const ea = colsE.min[c]!;
      if (ea === ea) { lo = Math.min(lo, ea - s.spread); hi = Math.max(hi, colsE.max[c]! + s.spread); }
    }
    if (!(hi > lo)) { lo = Number.isFinite(lo) ? lo - 1 : 0; hi = Number.isFinite(hi) ? hi + 1 : 1; }
    const pad = (hi - lo) * 0.08;
    // Counts, durations and rates never go below zero, and a share given as fractions never above
    // 100 %: the band and the headroom must not suggest they could (the axis read "max 108.5%").
    const floor = s.nonNegative ? 0 : -Infinity;
    const ceiling = s.fraction ? 1 : Infinity;
    const bottom = Math.max(floor, lo - pad);
    const top = Math.min(ceiling, hi + pad) > bottom ? Math.min(ceiling, hi + pad) : hi + pad;
    const y = linearScale([bottom, top], [H - PAD.bottom, PAD.top], true);
    const cx = (c: number) => PAD.left + (c + 0.5) * (pw / cols.width);
    // Lines break at missing values and across gaps in time only (traceColumns); a value with
    // no neighbour on the line gets a dot.
    const maxGap = Number.isFinite(s.step) ? GAP_STEPS * s.step : Infinity;
    let actualD = '';
    const dots: number[] = [];
    traceColumns(cols, maxGap, {
      move: (c) => (actualD += `M${this.colPath(cols, c, cx, y)}`),
      line: (c) => (actualD += `L${this.colPath(cols, c, cx, y)}`),
      lone: (c) => dots.push(c),
    });
    let expD = '';
    const bandParts: string[] = [];
    let bandTop = '';
    let bandBottom: string[] = [];
    const closeBand = (): void => {
      if (bandTop !== '') bandParts.push(bandTop + bandBottom.reverse().join('') + 'Z');
      bandTop = '';
      bandBottom = [];
    };
    const bandAt = (c: number, cmd: 'M' | 'L'): void => {
      const px = cx(c).toFixed(1);
      const em = colsE.min[c]!;
      expD += `${cmd}${px},${y((em + colsE.max[c]!) / 2).toFixed(1)}`;
      bandTop += `${cmd}${px},${y(colsE.max[c]! + s.spread).toFixed(1)}`;
      bandBottom.push(`L${px},${y(em - s.spread).toFixed(1)}`);
    };
    traceColumns(colsE, maxGap, {
      move: (c) => {
        closeBand();
        bandAt(c, 'M');
      },
      line: (c) => bandAt(c, 'L'),
      lone: () => {},
    });
    closeBand();
    const xOf = (xv: number) => PAD.left + ((xv - x0) / (x1 - x0)) * pw;
    const markers = s.flagged
      .filter((i) => s.x[i]! >= x0 && s.x[i]! <= x1 && s.actual[i] === s.actual[i])
      .slice(-300)
      .map((i) => {
        const e = s.entries[i]!;
        return svg`<path class="marker" d=${markerPath(e.severity, xOf(s.x[i]!), y(s.actual[i]!), 3.5)} fill="var(${SEVERITY_VAR[e.severity]})"></path>`;
      });
    const hover = this.hoverX !== null && this.hoverX >= x0 && this.hoverX <= x1 ? this.hoverX : null;
    const sel = this.selectedX !== null && this.selectedX >= x0 && this.selectedX <= x1 ? this.selectedX : null;
    // Without a hover or selection: the latest point whose value is not missing.
    let lastKnown: number | null = n > 0 ? s.x[n - 1]! : null;
    for (let i = n - 1; i >= 0 && i >= n - 500; i--) {
      if (s.actual[i] === s.actual[i]) {
        lastKnown = s.x[i]!;
        break;
      }
    }
    const shown = hover ?? sel ?? lastKnown;
    const v = shown === null ? null : this.valueAt(s, shown);
    const label = metricLabel(m.name);
    const caption = v
      ? `${formatMetric(m.name, v.actual, this.locale)}${Number.isFinite(v.expected) ? ` · exp. ${formatMetric(m.name, v.expected, this.locale)}` : ''}`
      : '–';
    const desc = `${label}: ${s.flagged.length} flagged points in this segment; ${shown !== null ? `at ${formatX(shown, this.hasTime, this.locale)} ` : ''}${caption}`;
    return html`
      <figure part="chart">
        <figcaption><span class="name">${label}${m.direction !== 'both' ? html` <span class="value">(${m.direction === 'high' ? 'high is bad' : 'low is bad'})</span>` : nothing}</span><span class="value">${caption}</span></figcaption>
        <svg
          viewBox="0 0 ${w} ${H}"
          preserveAspectRatio="none"
          role="img"
          aria-label=${desc}
          @pointermove=${(ev: PointerEvent) => this.onPointerMove(ev, x0, x1)}
          @pointerleave=${this.onPointerLeave}
        >
          <rect class="frame" x=${PAD.left} y=${PAD.top} width=${pw} height=${H - PAD.top - PAD.bottom}></rect>
          ${bandParts.map((d) => svg`<path class="band" d=${d}></path>`)}
          <path class="expected" d=${expD}></path>
          <path class="actual" d=${actualD}></path>
          ${dots.map((c) => svg`<circle class="dot" cx=${cx(c).toFixed(1)} cy=${y(cols.first[c]!).toFixed(1)} r="1.75"></circle>`)}
          ${markers}
          ${sel !== null ? svg`<line class="selected" x1=${xOf(sel)} x2=${xOf(sel)} y1=${PAD.top} y2=${H - PAD.bottom}></line>` : nothing}
          ${hover !== null ? svg`<line class="hover" x1=${xOf(hover)} x2=${xOf(hover)} y1=${PAD.top} y2=${H - PAD.bottom}></line>` : nothing}
          <text class="tick" x=${PAD.left} y=${H - 2}>${formatMetric(m.name, y.domain()[0]!, this.locale)}</text>
          <text class="tick" x=${w - PAD.right} y=${H - 2} text-anchor="end">max ${formatMetric(m.name, y.domain()[1]!, this.locale)}</text>
        </svg>
      </figure>
    `;
  }

  override render() {
    if (this.metrics.length === 0) return html`<p class="note">No metrics to show.</p>`;
    return html`<div class="grid">${this.metrics.map((m) => {
      const s = this.series.get(m.name);
      return s ? this.renderChart(m, s) : nothing;
    })}</div>`;
  }
}

/** Share of an entry's attribution that one metric carries (0..1). */
export function shareOf(e: Entry, metric: string): number {
  let total = 0;
  let mine = 0;
  for (const [name, a] of Object.entries(e.result.attribution)) {
    const v = a.high + a.low;
    total += v;
    if (name === metric) mine = v;
  }
  return total > 0 ? mine / total : 0;
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-metric-trends': CxMetricTrends;
  }
}
