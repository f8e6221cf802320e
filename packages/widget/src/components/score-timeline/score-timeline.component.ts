import { LitElement, html, svg, nothing, render, type PropertyValues, type SVGTemplateResult } from 'lit';
import { linearScale, type LinearScale } from '../../internal/linear-scale.ts';
import { brushDrag, brushModeAt, panBy, wheelFactor, zoomAbout, type BrushMode } from '../../internal/pan-zoom.ts';
import { timeTicks } from '../../internal/time-ticks.ts';
import { base } from '../../internal/theme.ts';
import { GAP_STEPS, createColumns, lowerBound, minMaxColumns, traceColumns, typicalStep, type ColumnBuffers } from '../../internal/downsample.ts';
import type { Entry, SeriesView } from '../../internal/store.ts';
import { SEVERITIES, SEVERITY_LABEL, SEVERITY_VAR, gradeShown, markerPath, traceMarker } from '../../internal/severity.ts';
import { formatScore, formatX } from '../../internal/format.ts';
import styles from './score-timeline.styles.ts';

const MARGIN = { top: 10, right: 10, bottom: 22, left: 44 };

/** -log10(1 - score): orders of magnitude of rarity. */
export function rarity(score: number): number {
  return -Math.log10(Math.max(1e-9, 1 - Math.min(1, Math.max(0, score))));
}

/** What the root passes about the state of each anomaly (feedback and suppression). */
export type MarkState = 'open' | 'confirmed' | 'dismissed' | 'suppressed';

export interface TimelineCursorDetail {
  /** x of the point under the pointer or keyboard cursor, null when it leaves. */
  readonly x: number | null;
  readonly seq: number | null;
}
export interface TimelineSelectDetail {
  readonly seq: number;
}
export interface TimelineZoomDetail {
  /** Visible x range, or null when the whole domain is shown. */
  readonly visible: readonly [number, number] | null;
}

/** Keeps a drag's moves coming when the pointer leaves the element (no-op for a pointer that is not active). */
function capture(el: Element, pointerId: number): void {
  try {
    el.setPointerCapture(pointerId);
  } catch {
    // InvalidPointerId: the pointer is gone already (or the event was synthetic).
  }
}

/** x is epoch milliseconds (time data) or the point's position: a linear scale either way. */
type XScale = LinearScale;

/**
 * @tag cx-score-timeline
 * @summary Ensemble score over time on a canvas, with the threshold, anomaly markers by severity
 * (shape and text), zoom/pan on the plot and a brush on the overview strip. One tab stop:
 * arrow keys move a visible cursor, Enter opens the point, Escape closes it.
 *
 * @event cx-timeline-cursor - The cursor (pointer or keyboard) moved: `{ x, seq }`.
 * @event cx-timeline-select - A point was chosen (click or Enter): `{ seq }`.
 * @event cx-timeline-close - Escape was pressed on the chart.
 * @event cx-timeline-zoom - The visible range changed: `{ visible }`.
 *
 * @csspart chart - The focusable plot area.
 * @csspart overview - The overview strip with the brush.
 * @csspart legend - The severity legend.
 *
 * @cssproperty --cx-timeline-height - Height of the plot. Default 180px.
 */
export class CxScoreTimeline extends LitElement {
  static override styles = [base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    view: { attribute: false },
    entries: { attribute: false },
    marks: { attribute: false },
    domain: { attribute: false },
    threshold: { type: Number },
    hasTime: { type: Boolean, attribute: 'has-time' },
    locale: {},
    selectedSeq: { attribute: false },
    hoverX: { attribute: false },
    label: {},
    cursor: { state: true, attribute: false },
    tooltip: { state: true, attribute: false },
    announce: { state: true, attribute: false },
    size: { state: true, attribute: false },
  };

  /** Points to draw (ascending x). */
  declare view: SeriesView | null;
  /** The store's entries, which `view.entry` indexes. */
  declare entries: readonly Entry[];
  /** Feedback/suppression state of an anomaly by seq (absent: open). */
  declare marks: ReadonlyMap<number, MarkState>;
  /** Whole x domain (time range chosen in the controls); defaults to the data's extent. */
  declare domain: readonly [number, number] | null;
  /** Score threshold drawn as a dashed line. */
  declare threshold: number;
  declare hasTime: boolean;
  declare locale: string | undefined;
  /** Selected entry (why panel open). */
  declare selectedSeq: number | null;
  /** Crosshair x shared with the other charts. */
  declare hoverX: number | null;
  /** Accessible name of the chart. */
  declare label: string;

  /** Keyboard cursor: index into `view`. */
  private declare cursor: number | null;
  private declare tooltip: { left: number; text: string } | null;
  private declare announce: string;
  private declare size: { width: number; height: number; overview: number };

  private get chartEl(): HTMLDivElement {
    return this.renderRoot?.querySelector('.chart') as HTMLDivElement;
  }
  private get canvas(): HTMLCanvasElement {
    return this.renderRoot?.querySelector('canvas.plot') as HTMLCanvasElement;
  }
  private get miniCanvas(): HTMLCanvasElement {
    return this.renderRoot?.querySelector('canvas.mini') as HTMLCanvasElement;
  }
  private get brushSvg(): SVGSVGElement {
    return this.renderRoot?.querySelector('svg.brush') as SVGSVGElement;
  }
  private get brushG(): SVGGElement {
    return this.renderRoot?.querySelector('g.brush-g') as SVGGElement;
  }
  private get xAxisG(): SVGGElement {
    return this.renderRoot?.querySelector('g.x-axis') as SVGGElement;
  }
  private get yAxisG(): SVGGElement {
    return this.renderRoot?.querySelector('g.y-axis') as SVGGElement;
  }

  constructor() {
    super();
    this.view = null;
    this.entries = [];
    this.marks = new Map();
    this.domain = null;
    this.threshold = 0.99;
    this.hasTime = true;
    this.selectedSeq = null;
    this.hoverX = null;
    this.label = 'Anomaly score timeline';
    this.cursor = null;
    this.tooltip = null;
    this.announce = '';
    this.size = { width: 0, height: 0, overview: 0 };
  }

  /** Visible x range in data units; null = the whole domain. */
  private visible: [number, number] | null = null;
  private columns: ColumnBuffers | null = null;
  private miniColumns: ColumnBuffers | null = null;
  /** Pointers down on the plot (pan with one, pinch-zoom with two), by pointerId: x in px. */
  private pointers = new Map<number, number>();
  /** A drag moved the range: the click that ends it does not select a point. */
  private dragged = false;
  /** Brush drag on the overview: what it does, where it began, the selection then (px). */
  private brushing: { mode: BrushMode; start: number; origin: [number, number] | null; id: number } | null = null;
  private resizeObserver: ResizeObserver | null = null;
  private frame = 0;
  /** Milliseconds the last plot draw took (read by tests and the perf story). */
  lastDrawMillis = 0;

  /**
   * The canvas is painted with colours resolved at draw time, so it does not follow a change of
   * the system colour scheme by itself (theme="auto"): redraw when it changes.
   */
  private colorScheme: MediaQueryList | null = null;
  private readonly onColorScheme = () => this.scheduleDraw();

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(() => this.measure());
    this.colorScheme = window.matchMedia?.('(prefers-color-scheme: dark)') ?? null;
    this.colorScheme?.addEventListener('change', this.onColorScheme);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.colorScheme?.removeEventListener('change', this.onColorScheme);
    this.colorScheme = null;
    cancelAnimationFrame(this.frame);
  }

  protected override firstUpdated(): void {
    this.resizeObserver!.observe(this.chartEl);
    this.measure();
    // Explicitly non-passive: preventDefault keeps the page from scrolling while the chart zooms.
    this.chartEl.addEventListener('wheel', (ev) => this.onWheel(ev), { passive: false });
  }

  private measure(): void {
    const r = this.chartEl.getBoundingClientRect();
    const o = this.brushSvg.getBoundingClientRect();
    const width = Math.round(r.width);
    const height = Math.round(r.height);
    if (width !== this.size.width || height !== this.size.height || Math.round(o.width) !== this.size.overview) {
      this.size = { width, height, overview: Math.round(o.width) };
    }
  }

  /** Full x domain: the `domain` property, else the data's extent. */
  get fullDomain(): [number, number] {
    if (this.domain) return [this.domain[0], this.domain[1]];
    const v = this.view;
    if (!v || v.length === 0) return [0, 1];
    const a = v.x[0]!;
    const b = v.x[v.length - 1]!;
    return a === b ? [a - 1, b + 1] : [a, b];
  }

  private get plotWidth(): number {
    return Math.max(1, this.size.width - MARGIN.left - MARGIN.right);
  }
  private get plotHeight(): number {
    return Math.max(1, this.size.height - MARGIN.top - MARGIN.bottom);
  }

  /** Scale of the visible range onto the plot area. */
  xScale(): XScale {
    const [a, b] = this.visible ?? this.fullDomain;
    return linearScale([a, b], [MARGIN.left, MARGIN.left + this.plotWidth]);
  }
  /**
   * Scores are calibrated tail probabilities, so a linear axis crams every anomaly into the
   * top pixel row. The axis shows rarity, -log10(1 - score): 0.9 -> 1, 0.99 -> 2, 0.999 -> 3,
   * which keeps the threshold and the anomalies apart from the noise.
   */
  private yLinear(): LinearScale {
    const top = Math.max(3, rarity(this.threshold) * 1.5);
    return linearScale([0, top], [MARGIN.top + this.plotHeight, MARGIN.top], true);
  }
  private yScale(): (score: number) => number {
    const lin = this.yLinear();
    return (s: number) => lin(rarity(s));
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('view') || changed.has('domain')) this.keepVisibleInDomain();
    if (changed.has('view') && this.cursor !== null && this.view && this.cursor >= this.view.length) this.cursor = null;
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  /** Draws now (tests call it to time a draw). */
  draw(): void {
    if (!this.canvas || this.size.width === 0) return;
    const t0 = performance.now();
    this.readColors();
    this.drawPlot();
    this.drawAxes();
    this.lastDrawMillis = performance.now() - t0;
    this.drawOverview();
    this.drawBrush();
  }

  private prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.max(1, Math.round(width * dpr));
    const h = Math.max(1, Math.round(height * dpr));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  /** Resolved colours, read once per draw (getComputedStyle is the slow part of a redraw). */
  private colors = new Map<string, string>();
  private readColors(): void {
    const cs = getComputedStyle(this);
    this.colors.clear();
    for (const name of ['--cx-grid', '--cx-score', '--cx-threshold', '--cx-background', '--cx-border', '--cx-muted', ...SEVERITIES.map((s) => SEVERITY_VAR[s])]) {
      this.colors.set(name, cs.getPropertyValue(name).trim());
    }
  }
  private color(name: string, fallback: string): string {
    return this.colors.get(name) || fallback;
  }

  private drawPlot(): void {
    const { width, height } = this.size;
    const ctx = this.prepareCanvas(this.canvas, width, height);
    const x = this.xScale();
    const y = this.yScale();
    const pw = this.plotWidth;
    // Grid.
    ctx.strokeStyle = this.color('--cx-grid', '#e3e8ee');
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const v of [0.9, 0.99, 0.999, 0.9999]) {
      if (rarity(v) > this.yLinear().domain()[1]!) break;
      const yy = Math.round(y(v)) + 0.5;
      ctx.moveTo(MARGIN.left, yy);
      ctx.lineTo(MARGIN.left + pw, yy);
    }
    ctx.stroke();
    const view = this.view;
    if (!view || view.length === 0) return;
    const [v0, v1] = x.domain();
    // Score series: min/max per pixel column.
    if (!this.columns || this.columns.width !== Math.ceil(pw)) this.columns = createColumns(pw);
    const cols = this.columns;
    minMaxColumns(view.x, view.score, v0, v1, cols, view.length);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top - 6, pw, this.plotHeight + 12);
    ctx.clip();
    ctx.strokeStyle = this.color('--cx-score', '#2f4b7c');
    ctx.lineWidth = 1.25;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    // Breaks at gaps in time only (traceColumns): a gap of a few empty columns broke the line
    // before, and a view of a day (fewer points than columns) was drawn as dashes.
    const step = this.viewStep(view);
    const column = (c: number, start: boolean): void => {
      const px = MARGIN.left + c + 0.5;
      if (start) ctx.moveTo(px, y(cols.first[c]!));
      else ctx.lineTo(px, y(cols.first[c]!));
      ctx.lineTo(px, y(cols.min[c]!));
      ctx.lineTo(px, y(cols.max[c]!));
      ctx.lineTo(px, y(cols.last[c]!));
    };
    const lone: number[] = [];
    traceColumns(cols, Number.isFinite(step) ? GAP_STEPS * step : Infinity, { move: (c) => column(c, true), line: (c) => column(c, false), lone: (c) => lone.push(c) });
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    for (const c of lone) ctx.fillRect(MARGIN.left + c - 0.5, y(cols.first[c]!) - 1, 2, 2);
    // Threshold.
    const ty = Math.round(y(this.threshold)) + 0.5;
    ctx.strokeStyle = this.color('--cx-threshold', '#a34700');
    ctx.setLineDash([5, 4]);
    ctx.lineWidth = 1.25;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, ty);
    ctx.lineTo(MARGIN.left + pw, ty);
    ctx.stroke();
    ctx.setLineDash([]);
    // Anomaly markers, least severe first so the worst sit on top.
    const colors = new Map(SEVERITIES.map((s) => [s, this.color(SEVERITY_VAR[s], '#c0222b')]));
    const bg = this.color('--cx-background', '#ffffff');
    const a = view.anomalies;
    const visibleIdx: number[] = [];
    for (let k = 0; k < a.length; k++) {
      const i = a[k]!;
      const xv = view.x[i]!;
      if (xv >= v0 && xv <= v1) visibleIdx.push(i);
    }
    const r = visibleIdx.length > 400 ? 3 : 4.5;
    for (const sev of ['warning', 'minor', 'major', 'critical'] as const) {
      for (const i of visibleIdx) {
        const e = this.entries[view.entry[i]!];
        if (!e || e.severity !== sev) continue;
        const mark = this.marks.get(e.seq) ?? 'open';
        const px = x(view.x[i]!);
        const py = y(view.score[i]!);
        ctx.beginPath();
        traceMarker(ctx, sev, px, py, r);
        const color = colors.get(sev)!;
        if (mark === 'dismissed' || mark === 'suppressed') {
          // Hollow: still visible, visibly set aside.
          ctx.fillStyle = bg;
          ctx.fill();
          ctx.strokeStyle = color;
          ctx.lineWidth = 1.5;
          ctx.stroke();
        } else {
          ctx.fillStyle = color;
          ctx.fill();
          ctx.strokeStyle = bg;
          ctx.lineWidth = 1;
          ctx.stroke();
        }
      }
    }
    ctx.restore();
  }

  /** Axes as SVG (lit `render` into the axis groups: they change on every zoom, outside lit's render cycle). */
  private drawAxes(): void {
    const x = this.xScale();
    const y = this.yLinear();
    const count = Math.max(2, Math.floor(this.plotWidth / 90));
    const [v0, v1] = x.domain();
    let xs: number[];
    let label: (v: number) => string;
    if (this.hasTime) {
      const t = timeTicks(v0, v1, count, this.locale);
      xs = t.values;
      label = t.format;
    } else {
      xs = x.ticks(count).filter((v) => Number.isInteger(v));
      label = (v) => formatX(v, false, this.locale);
    }
    const bottom = MARGIN.top + this.plotHeight;
    const x0 = MARGIN.left;
    const x1 = MARGIN.left + this.plotWidth;
    render(
      svg`<path class="domain" fill="none" d="M${x0},0H${x1}"></path>${xs.map(
        (v) => svg`<g class="tick" transform="translate(${x(v)},0)"><line y2="6"></line><text y="9" dy="0.71em" text-anchor="middle">${label(v)}</text></g>`,
      )}`,
      this.xAxisG,
    );
    this.xAxisG.setAttribute('transform', `translate(0,${bottom})`);
    const ys = [0, 1, 2, 3, 4, 5, 6].filter((v) => v <= y.domain()[1]!);
    render(
      svg`<path class="domain" fill="none" d="M0,${MARGIN.top}V${bottom}"></path>${ys.map(
        (v) => svg`<g class="tick" transform="translate(0,${y(v)})"><line x2="-3"></line><text x="-6" dy="0.32em" text-anchor="end">${v === 0 ? '0' : (1 - 10 ** -v).toFixed(v)}</text></g>`,
      )}`,
      this.yAxisG,
    );
    this.yAxisG.setAttribute('transform', `translate(${MARGIN.left},0)`);
  }

  private drawOverview(): void {
    const w = this.size.overview;
    if (!this.miniCanvas || w === 0) return;
    const h = 34;
    const ctx = this.prepareCanvas(this.miniCanvas, w, h);
    const view = this.view;
    ctx.strokeStyle = this.color('--cx-border', '#ccd3db');
    ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
    if (!view || view.length === 0) return;
    const [d0, d1] = this.fullDomain;
    if (!this.miniColumns || this.miniColumns.width !== w) this.miniColumns = createColumns(w);
    const cols = this.miniColumns;
    minMaxColumns(view.x, view.score, d0, d1, cols, view.length);
    ctx.fillStyle = this.color('--cx-muted', '#566170');
    const ytop = this.yLinear().domain()[1]!;
    for (let c = 0; c < cols.width; c++) {
      const mx = cols.max[c]!;
      if (mx !== mx) continue;
      const top = 3 + (1 - Math.min(1, rarity(mx) / ytop)) * (h - 6);
      const bottom = 3 + (1 - Math.min(1, rarity(cols.min[c]!) / ytop)) * (h - 6);
      ctx.fillRect(c, top, 1, Math.max(1, bottom - top));
    }
    ctx.fillStyle = this.color('--cx-critical', '#c0222b');
    for (let k = 0; k < view.anomalies.length; k++) {
      const i = view.anomalies[k]!;
      const px = ((view.x[i]! - d0) / (d1 - d0)) * w;
      ctx.fillRect(Math.round(px) - 1, 1, 2, 5);
    }
  }

  private stepOf: { view: SeriesView; step: number } | null = null;

  /** The view's typical x step (typicalStep), computed once per view. */
  private viewStep(view: SeriesView): number {
    if (this.stepOf?.view !== view) this.stepOf = { view, step: typicalStep(view.x, view.length) };
    return this.stepOf.step;
  }

  // ---- zoom, pan and brush ---------------------------------------------------------------

  /** Visible range as overview pixels, or null when everything is shown. */
  private brushSelection(): [number, number] | null {
    if (!this.visible) return null;
    const [d0, d1] = this.fullDomain;
    const w = this.size.overview;
    return [((this.visible[0] - d0) / (d1 - d0)) * w, ((this.visible[1] - d0) / (d1 - d0)) * w];
  }

  /** The brush's selection and handles, drawn to match the visible range. */
  private drawBrush(): void {
    if (!this.brushG) return;
    const sel = this.brushSelection();
    const h = 34;
    let content: SVGTemplateResult | typeof nothing = nothing;
    if (sel) {
      const [a, b] = sel;
      content = svg`<rect class="selection" x=${a} y="0" width=${Math.max(0, b - a)} height=${h}></rect>
        <rect class="handle handle--w" x=${a - 3} y="0" width="6" height=${h}></rect>
        <rect class="handle handle--e" x=${b - 3} y="0" width="6" height=${h}></rect>`;
    }
    render(content, this.brushG);
  }

  private zoomFromPointer(ev: { clientX: number }, factor: number): void {
    const rect = this.chartEl.getBoundingClientRect();
    const at = this.xScale().invert(ev.clientX - rect.left);
    this.applyVisible(zoomAbout(this.visible, this.fullDomain, at, factor));
  }

  /** Sets the visible range from a user gesture (event + redraw). */
  private applyVisible(v: [number, number] | null): void {
    this.setVisible(v, true);
    this.scheduleDraw();
  }

  private onWheel(ev: WheelEvent): void {
    // Wheel zooms only when the chart has focus (or with Ctrl/Cmd, as a trackpad pinch sends),
    // so scrolling the page past a widget in a sidebar does not zoom it.
    if (!(ev.ctrlKey || ev.metaKey || this.shadowRoot!.activeElement === this.chartEl)) return;
    ev.preventDefault();
    this.zoomFromPointer(ev, wheelFactor(ev));
  }

  private onPointerDown(ev: PointerEvent): void {
    if (ev.button !== 0) return;
    this.pointers.set(ev.pointerId, ev.clientX);
    this.dragged = false;
    capture(this.chartEl, ev.pointerId);
  }

  private onPointerUp(ev: PointerEvent): void {
    this.pointers.delete(ev.pointerId);
  }

  /** Drag pans (when zoomed in), two pointers pinch-zoom; true when the move was a gesture. */
  private gesture(ev: PointerEvent): boolean {
    const last = this.pointers.get(ev.pointerId);
    if (last === undefined) return false;
    const dx = ev.clientX - last;
    if (this.pointers.size >= 2) {
      const pair = () => [...this.pointers.values()].slice(0, 2) as [number, number];
      const [a0, b0] = pair();
      this.pointers.set(ev.pointerId, ev.clientX);
      const [a1, b1] = pair();
      const before = Math.abs(a0 - b0);
      const after = Math.abs(a1 - b1);
      if (before > 4 && after > 4) this.zoomFromPointer({ clientX: (a1 + b1) / 2 }, after / before);
      this.dragged = true;
      return true;
    }
    if (!this.dragged && Math.abs(dx) < 3) return false; // a click that wobbled
    this.pointers.set(ev.pointerId, ev.clientX);
    this.dragged = true;
    if (this.visible) {
      const span = this.visible[1] - this.visible[0];
      this.applyVisible(panBy(this.visible, this.fullDomain, (-dx / this.plotWidth) * span));
    }
    return true;
  }

  private onBrushDown(ev: PointerEvent): void {
    if (ev.button !== 0) return;
    const px = ev.clientX - this.brushSvg.getBoundingClientRect().left;
    const origin = this.brushSelection();
    this.brushing = { mode: brushModeAt(px, origin), start: px, origin, id: ev.pointerId };
    capture(this.brushSvg, ev.pointerId);
    ev.preventDefault();
  }

  private onBrushMove(ev: PointerEvent): void {
    const b = this.brushing;
    if (!b || b.id !== ev.pointerId) return;
    const px = ev.clientX - this.brushSvg.getBoundingClientRect().left;
    this.brushTo(brushDrag(b.mode, b.start, px, b.origin, this.size.overview || 1), false);
  }

  private onBrushUp(ev: PointerEvent): void {
    const b = this.brushing;
    if (!b || b.id !== ev.pointerId) return;
    this.brushing = null;
    const px = ev.clientX - this.brushSvg.getBoundingClientRect().left;
    this.brushTo(brushDrag(b.mode, b.start, px, b.origin, this.size.overview || 1), true);
  }

  /** Shows the overview pixels [a, b]; a click (under 2 px) at the end of a gesture shows everything. */
  private brushTo([a, b]: [number, number], end: boolean): void {
    if (b - a < 2) {
      if (end) this.zoomTo(null);
      return;
    }
    const [d0, d1] = this.fullDomain;
    const w = this.size.overview || 1;
    this.zoomTo([d0 + (a / w) * (d1 - d0), d0 + (b / w) * (d1 - d0)]);
  }

  private setVisible(v: [number, number] | null, emit: boolean): void {
    const changed = (v === null) !== (this.visible === null) || (v && this.visible && (v[0] !== this.visible[0] || v[1] !== this.visible[1]));
    this.visible = v;
    if (changed && emit) {
      this.dispatchEvent(new CustomEvent<TimelineZoomDetail>('cx-timeline-zoom', { detail: { visible: v }, bubbles: true }));
    }
  }

  /** Shows [x0, x1] (clamped to the domain); null shows everything. */
  zoomTo(range: readonly [number, number] | null, emit = true): void {
    const [d0, d1] = this.fullDomain;
    if (range === null || (range[0] <= d0 && range[1] >= d1)) {
      this.setVisible(null, emit);
    } else {
      const a = Math.max(d0, Math.min(range[0], range[1]));
      const b = Math.min(d1, Math.max(range[0], range[1]));
      const span = Math.max(b - a, (d1 - d0) / 2000);
      this.setVisible([a, Math.min(d1, a + span)], emit);
    }
    this.scheduleDraw();
  }

  private keepVisibleInDomain(): void {
    if (!this.visible) return;
    const [d0, d1] = this.fullDomain;
    const [a, b] = this.visible;
    if (b <= d0 || a >= d1) this.visible = null;
    else this.visible = [Math.max(a, d0), Math.min(b, d1)];
  }

  // ---- pointer and keyboard ------------------------------------------------------------------

  /** Index (in the view) of the point nearest to pixel (px, py). */
  private nearest(px: number, py?: number): number | null {
    const view = this.view;
    if (!view || view.length === 0) return null;
    const xv = this.xScale().invert(px);
    let i = lowerBound(view.x, xv, 0, view.length);
    if (i >= view.length) i = view.length - 1;
    if (i > 0 && Math.abs(view.x[i - 1]! - xv) < Math.abs(view.x[i]! - xv)) i--;
    if (py === undefined) return i;
    // Several segments share an x: take the one nearest in y.
    const y = this.yScale();
    const x0 = view.x[i]!;
    let best = i;
    let bestD = Infinity;
    for (let j = lowerBound(view.x, x0, 0, view.length); j < view.length && view.x[j] === x0; j++) {
      const d = Math.abs(y(view.score[j]!) - py);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }

  private entryAt(i: number): Entry | undefined {
    return this.view ? this.entries[this.view.entry[i]!] : undefined;
  }

  private describe(i: number): string {
    const e = this.entryAt(i);
    if (!e) return '';
    const parts = [formatX(e.x, this.hasTime, this.locale)];
    if (e.segment) parts.push(e.segment);
    parts.push(`score ${formatScore(e.result.score, this.locale)}`);
    if (e.result.isAnomaly) {
      const mark = this.marks.get(e.seq);
      parts.push(`${SEVERITY_LABEL[e.severity]} anomaly, grade ${gradeShown(e.result.grade)}${mark && mark !== 'open' ? ` (${mark})` : ''}`);
    }
    return parts.join(', ');
  }

  private onPointerMove(ev: PointerEvent): void {
    if (this.gesture(ev)) return;
    const rect = this.chartEl.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const py = ev.clientY - rect.top;
    if (px < MARGIN.left || px > MARGIN.left + this.plotWidth) return this.onPointerLeave();
    const i = this.nearest(px, py);
    if (i === null) return;
    const e = this.entryAt(i)!;
    const left = Math.min(Math.max(px + 10, 0), Math.max(0, this.size.width - 250));
    this.tooltip = { left, text: this.describe(i) };
    this.emitCursor(e);
  }

  private onPointerLeave(): void {
    this.tooltip = null;
    this.dispatchEvent(new CustomEvent<TimelineCursorDetail>('cx-timeline-cursor', { detail: { x: null, seq: null }, bubbles: true }));
  }

  private onClick(ev: MouseEvent): void {
    if (this.dragged) {
      // The click that ends a pan or pinch does not pick a point.
      this.dragged = false;
      return;
    }
    const rect = this.chartEl.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const py = ev.clientY - rect.top;
    const i = this.nearestAnomaly(px, py, 10) ?? this.nearest(px, py);
    if (i === null) return;
    this.cursor = i;
    this.select(i);
  }

  private nearestAnomaly(px: number, py: number, within: number): number | null {
    const view = this.view;
    if (!view) return null;
    const x = this.xScale();
    const y = this.yScale();
    let best: number | null = null;
    let bestD = within * within;
    for (let k = 0; k < view.anomalies.length; k++) {
      const i = view.anomalies[k]!;
      const dx = x(view.x[i]!) - px;
      if (dx < -within || dx > within) continue;
      const dy = y(view.score[i]!) - py;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  private select(i: number): void {
    const e = this.entryAt(i);
    if (!e) return;
    this.dispatchEvent(new CustomEvent<TimelineSelectDetail>('cx-timeline-select', { detail: { seq: e.seq }, bubbles: true }));
  }

  private emitCursor(e: Entry): void {
    this.dispatchEvent(new CustomEvent<TimelineCursorDetail>('cx-timeline-cursor', { detail: { x: e.x, seq: e.seq }, bubbles: true }));
  }

  private onFocus(): void {
    const view = this.view;
    if (this.cursor !== null || !view || view.length === 0) return;
    // Start on the latest anomaly (what the lead most likely wants), else the latest point.
    this.moveCursor(view.anomalies.length > 0 ? view.anomalies[view.anomalies.length - 1]! : view.length - 1);
  }

  private moveCursor(i: number): void {
    const view = this.view;
    if (!view || view.length === 0) return;
    const c = Math.max(0, Math.min(view.length - 1, i));
    this.cursor = c;
    const xv = view.x[c]!;
    // Keep the cursor in the visible window: pan (keeping the zoom level) when it leaves.
    if (this.visible && (xv < this.visible[0] || xv > this.visible[1])) {
      const span = this.visible[1] - this.visible[0];
      this.zoomTo([xv - span / 2, xv + span / 2]);
    }
    this.announce = this.describe(c);
    const e = this.entryAt(c);
    if (e) this.emitCursor(e);
  }

  private onKeyDown(ev: KeyboardEvent): void {
    const view = this.view;
    if (!view || view.length === 0) return;
    const c = this.cursor ?? view.length - 1;
    let handled = true;
    switch (ev.key) {
      case 'ArrowRight':
        if (ev.shiftKey) this.jumpAnomaly(c, 1);
        else this.moveCursor(c + 1);
        break;
      case 'ArrowLeft':
        if (ev.shiftKey) this.jumpAnomaly(c, -1);
        else this.moveCursor(c - 1);
        break;
      case 'PageDown':
        this.jumpAnomaly(c, 1);
        break;
      case 'PageUp':
        this.jumpAnomaly(c, -1);
        break;
      case 'Home':
        this.moveCursor(0);
        break;
      case 'End':
        this.moveCursor(view.length - 1);
        break;
      case '+':
      case '=':
      case 'ArrowUp':
        this.zoomAround(c, 0.5);
        break;
      case '-':
      case 'ArrowDown':
        this.zoomAround(c, 2);
        break;
      case '0':
        this.zoomTo(null);
        break;
      case 'Enter':
      case ' ':
        if (this.cursor === null) this.moveCursor(c);
        this.select(this.cursor ?? c);
        break;
      case 'Escape':
        this.dispatchEvent(new CustomEvent('cx-timeline-close', { bubbles: true }));
        break;
      default:
        handled = false;
    }
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }

  private jumpAnomaly(from: number, dir: 1 | -1): void {
    const a = this.view!.anomalies;
    if (a.length === 0) {
      this.announce = 'No anomalies in this view';
      return;
    }
    let k = lowerBound(a, from);
    if (dir > 0) k = a[k] === from ? k + 1 : k;
    else k = k - 1;
    if (k < 0 || k >= a.length) {
      this.announce = dir > 0 ? 'No later anomaly' : 'No earlier anomaly';
      return;
    }
    this.moveCursor(a[k]!);
  }

  private zoomAround(i: number, factor: number): void {
    const xv = this.view!.x[i]!;
    const [a, b] = this.visible ?? this.fullDomain;
    const span = (b - a) * factor;
    this.zoomTo([xv - span / 2, xv + span / 2]);
    this.announce = this.visible ? 'Zoomed' : 'Showing the whole range';
  }

  // ---- render ---------------------------------------------------------------------------

  private renderOverlay() {
    const view = this.view;
    if (!view || view.length === 0 || this.size.width === 0) return nothing;
    const x = this.xScale();
    const y = this.yScale();
    const [v0, v1] = x.domain();
    const inView = (xv: number) => xv >= v0 && xv <= v1;
    const parts = [];
    if (this.hoverX !== null && inView(this.hoverX)) {
      const hx = x(this.hoverX);
      parts.push(svg`<line class="hover-line" x1=${hx} x2=${hx} y1=${MARGIN.top} y2=${MARGIN.top + this.plotHeight}></line>`);
    }
    if (this.cursor !== null && this.cursor < view.length && inView(view.x[this.cursor]!)) {
      const cx = x(view.x[this.cursor]!);
      const cy = y(view.score[this.cursor]!);
      parts.push(svg`<line class="cursor-line" x1=${cx} x2=${cx} y1=${MARGIN.top} y2=${MARGIN.top + this.plotHeight}></line>
        <circle class="cursor-dot" cx=${cx} cy=${cy} r="7"></circle>`);
    }
    if (this.selectedSeq !== null) {
      // The selected point may sit anywhere in the view: find it by its entry.
      for (let i = 0; i < view.length; i++) {
        const e = this.entries[view.entry[i]!];
        if (e && e.seq === this.selectedSeq) {
          if (inView(view.x[i]!)) {
            parts.push(svg`<circle class="selected-ring" cx=${x(view.x[i]!)} cy=${y(view.score[i]!)} r="9"></circle>`);
          }
          break;
        }
      }
    }
    const ty = y(this.threshold);
    parts.push(svg`<text class="threshold-label" x=${MARGIN.left + this.plotWidth - 2} y=${ty - 4} text-anchor="end">threshold</text>`);
    return parts;
  }

  override render() {
    const empty = !this.view || this.view.length === 0;
    return html`
      <div
        class="chart"
        part="chart"
        tabindex="0"
        role="application"
        aria-roledescription="chart"
        aria-label=${this.label}
        aria-describedby="help"
        @keydown=${this.onKeyDown}
        @focus=${this.onFocus}
        @pointerdown=${this.onPointerDown}
        @pointermove=${this.onPointerMove}
        @pointerup=${this.onPointerUp}
        @pointercancel=${this.onPointerUp}
        @pointerleave=${this.onPointerLeave}
        @click=${this.onClick}
      >
        <canvas class="plot" aria-hidden="true"></canvas>
        <svg aria-hidden="true">
          <g class="axis x-axis"></g>
          <g class="axis y-axis"></g>
          ${this.renderOverlay()}
        </svg>
        ${this.tooltip ? html`<div class="tooltip" style="left:${this.tooltip.left}px">${this.tooltip.text}</div>` : nothing}
        ${empty ? html`<div class="empty">No scored points in this range</div>` : nothing}
      </div>
      <div class="overview" part="overview">
        <canvas class="mini" aria-hidden="true"></canvas>
        <svg
          class="brush"
          role="img"
          aria-label="Overview: drag to choose the range shown above"
          @pointerdown=${this.onBrushDown}
          @pointermove=${this.onBrushMove}
          @pointerup=${this.onBrushUp}
          @pointercancel=${this.onBrushUp}
        ><rect class="overlay" width="100%" height="100%"></rect><g class="brush-g"></g></svg>
      </div>
      <div class="legend" part="legend">
        ${SEVERITIES.map(
          (s) => html`<span class="key"><svg viewBox="0 0 12 12" aria-hidden="true"><path d=${markerPath(s, 6, 6, 4)} fill="var(${SEVERITY_VAR[s]})"></path></svg>${SEVERITY_LABEL[s]}</span>`,
        )}
        <span class="key"><svg viewBox="0 0 12 12" aria-hidden="true"><line x1="0" x2="12" y1="6" y2="6" stroke="var(--cx-threshold)" stroke-dasharray="3 2" stroke-width="1.5"></line></svg>Threshold</span>
        <span class="hint">←/→ move · Shift+→ next anomaly · Enter details · +/− zoom</span>
      </div>
      <div id="help" class="visually-hidden">
        Left and right arrows move between points; Shift with an arrow, or Page Up and Page Down, jump between anomalies;
        Home and End go to the first and last point; plus and minus zoom, 0 resets; Enter opens the details of the point,
        Escape closes them.
      </div>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true">${this.announce}</div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-score-timeline': CxScoreTimeline;
  }
}
