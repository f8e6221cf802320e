/**
 * Pan, zoom and brush arithmetic of the score timeline, in data units. The timeline draws on a
 * canvas and only needs a visible x range, so a few pure functions replace d3-zoom and d3-brush
 * (with d3-selection, d3-transition and d3-drag behind them: ~20 KB gzip of the single-file build).
 * The pointer plumbing lives in the component; these keep the ranges inside the domain.
 */

export type Range = readonly [number, number];

/** Most a range can be zoomed in: 1/2000 of the whole domain (what d3-zoom's scaleExtent was). */
export const MAX_ZOOM = 2000;

/**
 * Clamps a visible range into `domain`, keeping its span (panning against an edge stops
 * there) unless the span itself is out of bounds. Returns null when it covers the domain.
 */
export function clampRange(range: Range, domain: Range): [number, number] | null {
  const [d0, d1] = domain;
  const full = d1 - d0;
  let a = Math.min(range[0], range[1]);
  let b = Math.max(range[0], range[1]);
  const span = Math.min(full, Math.max(b - a, full / MAX_ZOOM));
  if (span >= full * 0.9999) return null;
  if (b - a !== span) {
    const mid = (a + b) / 2;
    a = mid - span / 2;
    b = mid + span / 2;
  }
  if (a < d0) [a, b] = [d0, d0 + span];
  if (b > d1) [a, b] = [d1 - span, d1];
  return [a, b];
}

/**
 * Zooms `visible` (null: the whole domain) by `factor` (>1 zooms in) about data value `at`,
 * which stays under the pointer.
 */
export function zoomAbout(visible: Range | null, domain: Range, at: number, factor: number): [number, number] | null {
  const [a, b] = visible ?? domain;
  const k = 1 / factor;
  return clampRange([at - (at - a) * k, at + (b - at) * k], domain);
}

/** Pans `visible` by `dx` data units (positive: later). */
export function panBy(visible: Range | null, domain: Range, dx: number): [number, number] | null {
  if (!visible) return null;
  return clampRange([visible[0] + dx, visible[1] + dx], domain);
}

/** d3-zoom's wheel step: 2^(wheel delta), with line/page modes and a faster pinch (ctrl) gesture. */
export function wheelFactor(ev: Pick<WheelEvent, 'deltaY' | 'deltaMode' | 'ctrlKey'>): number {
  const unit = ev.deltaMode === 1 ? 0.05 : ev.deltaMode ? 1 : 0.002;
  return 2 ** (-ev.deltaY * unit * (ev.ctrlKey ? 10 : 1));
}

export type BrushMode = 'new' | 'move' | 'w' | 'e';

/** What a press at `px` on the overview does, given the current selection in pixels. */
export function brushModeAt(px: number, selection: Range | null, handle = 6): BrushMode {
  if (!selection) return 'new';
  const [s0, s1] = selection;
  if (Math.abs(px - s0) <= handle && px <= (s0 + s1) / 2) return 'w';
  if (Math.abs(px - s1) <= handle) return 'e';
  if (px > s0 && px < s1) return 'move';
  return 'new';
}

/**
 * The brush selection (pixels, within [0, width]) after a drag from `start` to `px`:
 * `origin` is the selection when the press began (for move and resize).
 */
export function brushDrag(mode: BrushMode, start: number, px: number, origin: Range | null, width: number): [number, number] {
  const clamp = (v: number) => Math.max(0, Math.min(width, v));
  if (mode === 'new' || !origin) return start <= px ? [clamp(start), clamp(px)] : [clamp(px), clamp(start)];
  const [s0, s1] = origin;
  if (mode === 'move') {
    const d = Math.max(-s0, Math.min(width - s1, px - start));
    return [s0 + d, s1 + d];
  }
  const moved = mode === 'w' ? [clamp(s0 + px - start), s1] : [s0, clamp(s1 + px - start)];
  return moved[0]! <= moved[1]! ? [moved[0]!, moved[1]!] : [moved[1]!, moved[0]!];
}
