import { LitElement, html, nothing } from 'lit';
import { base } from '../../internal/theme.ts';
import styles from './widget-controls.styles.ts';

export type TimeRange = 'all' | '24h' | '7d' | '30d';

export const TIME_RANGES: ReadonlyArray<{ value: TimeRange; label: string; ms: number }> = [
  { value: 'all', label: 'All data', ms: Infinity },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
];

/**
 * Sensitivity levels, least to most sensitive. Each maps to a contamination (expected share of
 * anomalous points) or, when the host set an alert budget, to alerts a day.
 */
export const SENSITIVITY = [
  { label: 'Very low', contamination: 0.002, alertsPerDay: 1 },
  { label: 'Low', contamination: 0.005, alertsPerDay: 2 },
  { label: 'Medium', contamination: 0.01, alertsPerDay: 4 },
  { label: 'High', contamination: 0.02, alertsPerDay: 8 },
  { label: 'Very high', contamination: 0.05, alertsPerDay: 16 },
] as const;

/** Level (0..4) closest to a contamination or alert budget. */
export function sensitivityLevel(contamination: number | undefined, alertsPerDay: number | undefined): number {
  let best = 2;
  let bestD = Infinity;
  SENSITIVITY.forEach((s, i) => {
    const d = alertsPerDay !== undefined ? Math.abs(Math.log(s.alertsPerDay / alertsPerDay)) : Math.abs(Math.log(s.contamination / (contamination ?? 0.01)));
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

export interface ControlsChangeDetail {
  readonly segment?: string;
  readonly timeRange?: TimeRange;
  readonly sensitivity?: number;
}

/**
 * @tag cx-widget-controls
 * @summary Sensitivity, segment filter, time range and the stream's pause button.
 *
 * @event cx-controls-change - A control changed: `{ segment }`, `{ timeRange }` or `{ sensitivity }`.
 * @event cx-controls-pause - The pause button was pressed.
 *
 * @csspart form - The form holding the controls.
 */
export class CxWidgetControls extends LitElement {
  static override styles = [base, styles];
  /** Reactive properties (Lit's static declaration: no decorator helpers in the bundle). */
  static override properties = {
    segments: { attribute: false },
    segment: {},
    segmentLabel: { attribute: false },
    timeRange: { attribute: 'time-range' },
    sensitivity: { type: Number },
    budgetMode: { type: Boolean, attribute: 'budget-mode' },
    hasTime: { type: Boolean, attribute: 'has-time' },
    streaming: { type: Boolean },
    paused: { type: Boolean },
    disabled: { type: Boolean },
  };

  declare segments: readonly string[];
  declare segment: string;
  declare segmentLabel: string;
  declare timeRange: TimeRange;
  /** 0..4, see SENSITIVITY. */
  declare sensitivity: number;
  /** True when sensitivity sets an alert budget instead of a contamination. */
  declare budgetMode: boolean;
  declare hasTime: boolean;
  /** Shows the pause button (a stream is connected). */
  declare streaming: boolean;
  declare paused: boolean;
  declare disabled: boolean;

  constructor() {
    super();
    this.segments = [];
    this.segment = '';
    this.segmentLabel = 'Segment';
    this.timeRange = 'all';
    this.sensitivity = 2;
    this.budgetMode = false;
    this.hasTime = true;
    this.streaming = false;
    this.paused = false;
    this.disabled = false;
  }

  private emit(detail: ControlsChangeDetail): void {
    this.dispatchEvent(new CustomEvent<ControlsChangeDetail>('cx-controls-change', { detail, bubbles: true }));
  }

  private sensitivityText(level: number): string {
    const s = SENSITIVITY[level] ?? SENSITIVITY[2];
    return this.budgetMode ? `${s.label} (up to ${s.alertsPerDay} alerts a day)` : `${s.label} (about ${s.contamination * 100}% of points)`;
  }

  override render() {
    const showSegments = this.segments.length > 1;
    return html`
      <form part="form" @submit=${(e: Event) => e.preventDefault()}>
        <label>
          <span>Sensitivity: <span class="sens-value">${(SENSITIVITY[this.sensitivity] ?? SENSITIVITY[2]).label}</span></span>
          <input
            type="range" min="0" max="4" step="1"
            .value=${String(this.sensitivity)}
            ?disabled=${this.disabled}
            aria-valuetext=${this.sensitivityText(this.sensitivity)}
            title=${this.sensitivityText(this.sensitivity)}
            @change=${(e: Event) => this.emit({ sensitivity: Number((e.target as HTMLInputElement).value) })}
          />
        </label>
        ${showSegments
          ? html`<label>${this.segmentLabel}
              <select @change=${(e: Event) => this.emit({ segment: (e.target as HTMLSelectElement).value })}>
                <option value="" ?selected=${this.segment === ''}>All</option>
                ${this.segments.map((s) => html`<option value=${s} ?selected=${this.segment === s}>${s}</option>`)}
              </select></label>`
          : nothing}
        ${this.hasTime
          ? html`<label>Time range
              <select @change=${(e: Event) => this.emit({ timeRange: (e.target as HTMLSelectElement).value as TimeRange })}>
                ${TIME_RANGES.map((r) => html`<option value=${r.value} ?selected=${this.timeRange === r.value}>${r.label}</option>`)}
              </select></label>`
          : nothing}
        ${this.streaming
          ? html`<button type="button" class="pause" aria-pressed=${this.paused ? 'true' : 'false'} @click=${() => this.dispatchEvent(new CustomEvent('cx-controls-pause', { bubbles: true }))}>
              ${this.paused ? '▶ Resume stream' : '❚❚ Pause stream'}
            </button>`
          : nothing}
      </form>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cx-widget-controls': CxWidgetControls;
  }
}
