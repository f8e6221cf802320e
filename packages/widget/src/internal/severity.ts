/**
 * Severity presentation: each severity has a shape AND a word, so it never rests on colour
 * alone (WCAG 1.4.1). Shapes are drawn the same way on canvas (timeline) and in SVG (trends).
 */
import { severityOf, type Severity } from '@cx-anomaly/engine';

export { severityOf, type Severity };

export const SEVERITIES: readonly Exclude<Severity, 'normal'>[] = ['critical', 'major', 'minor', 'warning'];

export const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  critical: 'Critical',
  major: 'Major',
  minor: 'Minor',
  warning: 'Warning',
  normal: 'Normal',
};

/** Text glyph of each shape, for tables, legends and screen-reader-free visual cues. */
export const SEVERITY_GLYPH: Readonly<Record<Severity, string>> = {
  critical: '◆',
  major: '▲',
  minor: '■',
  warning: '●',
  normal: '·',
};

/**
 * The grade as shown (a whole number): rounded down, so that it agrees with the severity word
 * beside it. The buckets start at 3, 25, 50 and 75: a grade of 24.6 is a warning, and rounding
 * showed it as "Warning, grade 25".
 */
export function gradeShown(grade: number): number {
  return Math.floor(grade);
}

/** CSS custom property holding the colour of each severity. */
export const SEVERITY_VAR: Readonly<Record<Severity, string>> = {
  critical: '--cx-critical',
  major: '--cx-major',
  minor: '--cx-minor',
  warning: '--cx-warning',
  normal: '--cx-muted',
};

/** Traces the marker of a severity centred on (x, y) with radius r (canvas or Path2D). */
export function traceMarker(ctx: CanvasPath, severity: Severity, x: number, y: number, r: number): void {
  switch (severity) {
    case 'critical': // diamond
      ctx.moveTo(x, y - r * 1.25);
      ctx.lineTo(x + r * 1.25, y);
      ctx.lineTo(x, y + r * 1.25);
      ctx.lineTo(x - r * 1.25, y);
      ctx.closePath();
      break;
    case 'major': // triangle
      ctx.moveTo(x, y - r * 1.2);
      ctx.lineTo(x + r * 1.1, y + r * 0.85);
      ctx.lineTo(x - r * 1.1, y + r * 0.85);
      ctx.closePath();
      break;
    case 'minor': // square
      ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
      break;
    default: // circle
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, Math.PI * 2);
      break;
  }
}

/** SVG path data of a marker (for the small SVG charts). */
export function markerPath(severity: Severity, x: number, y: number, r: number): string {
  const f = (n: number) => n.toFixed(1);
  switch (severity) {
    case 'critical':
      return `M${f(x)},${f(y - r * 1.25)}L${f(x + r * 1.25)},${f(y)}L${f(x)},${f(y + r * 1.25)}L${f(x - r * 1.25)},${f(y)}Z`;
    case 'major':
      return `M${f(x)},${f(y - r * 1.2)}L${f(x + r * 1.1)},${f(y + r * 0.85)}L${f(x - r * 1.1)},${f(y + r * 0.85)}Z`;
    case 'minor':
      return `M${f(x - r * 0.85)},${f(y - r * 0.85)}h${f(r * 1.7)}v${f(r * 1.7)}h${f(-r * 1.7)}Z`;
    default:
      return `M${f(x + r)},${f(y)}A${f(r)},${f(r)} 0 1,1 ${f(x - r)},${f(y)}A${f(r)},${f(r)} 0 1,1 ${f(x + r)},${f(y)}Z`;
  }
}
