/**
 * Standardisation of each metric before the detectors: z = (x - centre) / scale,
 * with a robust centre (median) and scale (1.4826 x MAD).
 *
 * Why: the RRCF picks cut dimensions in proportion to their range, so raw units
 * (volume in hundreds, transfer rate in [0, 1]) would leave small-unit metrics
 * uncut; and contact-centre metrics have a daily rhythm whose NOISE changes with
 * the hour (a 2-call night interval has a wild average handle time, a 60-call
 * midday one does not).
 *
 * Two levels:
 * - global: one centre/scale per metric (all training rows). Always present.
 * - hourly (seasonal baseline, when the training rows carry times and span at
 *   least 20 hours): per segment and hour of day (UTC), the centre/scale of the
 *   segment's observed values in that hour and its two neighbours (pooled to
 *   have enough values). A deviation is then measured against what is normal FOR
 *   THAT QUEUE AT THAT HOUR. Bins with fewer than MIN_BIN observed values, and
 *   segments unseen in training, use the global centre/scale.
 * Scales never go below 5% of the metric's global scale (a bin of identical
 * values would otherwise make any change infinitely surprising).
 */
import type { Matrix } from '../matrix.ts';

const HOURS = 24;
const MIN_BIN = 6;
const SCALE_FLOOR = 0.05;
const HOUR_MS = 3_600_000;
export const SEASONAL_MIN_SPAN_MS = 20 * HOUR_MS;

export interface BaselineState {
  readonly center: Float64Array;
  readonly scale: Float64Array;
  /** Segment keys with hourly baselines, in the order of their blocks in `hourly*`. */
  readonly keys: readonly string[];
  readonly hourlyCenter: Float64Array;
  readonly hourlyScale: Float64Array;
}

export class Baseline {
  readonly d: number;
  center: Float64Array;
  scale: Float64Array;
  private hourly = new Map<string, { center: Float64Array; scale: Float64Array }>();

  constructor(d: number) {
    this.d = d;
    this.center = new Float64Array(d);
    this.scale = new Float64Array(d).fill(1);
  }

  get seasonal(): boolean {
    return this.hourly.size > 0;
  }

  /** Global centre/scale from the observed (mask 0, non-NaN) values of each column. */
  fitGlobal(X: Matrix, missing?: Uint8Array): void {
    const { rows, cols, data } = X;
    const buf = new Float64Array(rows);
    for (let c = 0; c < cols; c++) {
      let n = 0;
      for (let r = 0; r < rows; r++) {
        const k = r * cols + c;
        const v = data[k]!;
        if (v === v && (missing === undefined || missing[k] === 0)) buf[n++] = v;
      }
      const { center, scale } = robust(buf.subarray(0, n));
      this.center[c] = center;
      this.scale[c] = scale > 0 ? scale : 1;
    }
  }

  /** Hourly baselines per segment (see the file comment). `keys`/`times` per row. */
  fitHourly(X: Matrix, missing: Uint8Array | undefined, keys: readonly string[] | undefined, times: Float64Array): void {
    this.hourly.clear();
    const { rows, cols, data } = X;
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < rows; r++) {
      lo = Math.min(lo, times[r]!);
      hi = Math.max(hi, times[r]!);
    }
    if (!(hi - lo >= SEASONAL_MIN_SPAN_MS)) return;
    const bySeg = new Map<string, number[]>();
    for (let r = 0; r < rows; r++) {
      const k = keys ? keys[r]! : '';
      let l = bySeg.get(k);
      if (l === undefined) bySeg.set(k, (l = []));
      l.push(r);
    }
    const buf = new Float64Array(rows);
    for (const [key, list] of bySeg) {
      const center = new Float64Array(HOURS * cols);
      const scale = new Float64Array(HOURS * cols);
      for (let h = 0; h < HOURS; h++) {
        for (let c = 0; c < cols; c++) {
          let n = 0;
          for (const r of list) {
            const dh = Math.abs(hourOf(times[r]!) - h);
            if (Math.min(dh, HOURS - dh) > 1) continue;
            const k = r * cols + c;
            const v = data[k]!;
            if (v === v && (missing === undefined || missing[k] === 0)) buf[n++] = v;
          }
          const j = h * cols + c;
          if (n < MIN_BIN) {
            center[j] = this.center[c]!;
            scale[j] = this.scale[c]!;
          } else {
            const rb = robust(buf.subarray(0, n));
            center[j] = rb.center;
            scale[j] = Math.max(rb.scale, SCALE_FLOOR * this.scale[c]!);
          }
        }
      }
      this.hourly.set(key, { center, scale });
    }
  }

  /** Writes z of row `src[offset..offset+d)` into `out[outOffset..]`. */
  standardize(src: ArrayLike<number>, offset: number, key: string, time: number, out: Float64Array, outOffset: number): void {
    const d = this.d;
    const hb = this.hourly.size > 0 && time === time ? this.hourly.get(key) : undefined;
    if (hb) {
      const base = hourOf(time) * d;
      for (let m = 0; m < d; m++) out[outOffset + m] = (src[offset + m]! - hb.center[base + m]!) / hb.scale[base + m]!;
    } else {
      for (let m = 0; m < d; m++) out[outOffset + m] = (src[offset + m]! - this.center[m]!) / this.scale[m]!;
    }
  }

  /** The metric value of a standardised value z (metric m, for that segment and time). */
  unstandardize(m: number, z: number, key: string, time: number): number {
    const hb = this.hourly.size > 0 && time === time ? this.hourly.get(key) : undefined;
    if (hb) {
      const j = hourOf(time) * this.d + m;
      return hb.center[j]! + hb.scale[j]! * z;
    }
    return this.center[m]! + this.scale[m]! * z;
  }

  /** Centre of metric m (for that segment and time): the "expected" value when no forest says better. */
  centerOf(m: number, key: string, time: number): number {
    return this.unstandardize(m, 0, key, time);
  }

  /** Drops a segment's hourly baseline (LRU eviction keeps memory bounded). */
  forget(key: string): void {
    this.hourly.delete(key);
  }

  toState(): BaselineState {
    const keys = [...this.hourly.keys()];
    const n = HOURS * this.d;
    const hc = new Float64Array(keys.length * n);
    const hs = new Float64Array(keys.length * n);
    keys.forEach((k, i) => {
      hc.set(this.hourly.get(k)!.center, i * n);
      hs.set(this.hourly.get(k)!.scale, i * n);
    });
    return { center: this.center.slice(), scale: this.scale.slice(), keys, hourlyCenter: hc, hourlyScale: hs };
  }

  static fromState(d: number, s: BaselineState): Baseline {
    const b = new Baseline(d);
    const n = HOURS * d;
    if (s.center.length !== d || s.scale.length !== d || s.hourlyCenter.length !== s.keys.length * n || s.hourlyScale.length !== s.keys.length * n) {
      throw new Error(`Baseline.fromState: arrays do not match ${d} metrics and ${s.keys.length} hourly segments`);
    }
    b.center = Float64Array.from(s.center);
    b.scale = Float64Array.from(s.scale);
    s.keys.forEach((k, i) => b.hourly.set(k, { center: s.hourlyCenter.slice(i * n, (i + 1) * n), scale: s.hourlyScale.slice(i * n, (i + 1) * n) }));
    return b;
  }
}

function hourOf(t: number): number {
  return Math.floor((((t % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS);
}

/** Median and 1.4826 MAD (falling back to 1.2533 x mean absolute deviation, then 0). Sorts `v` in place. */
function robust(v: Float64Array): { center: number; scale: number } {
  const n = v.length;
  if (n === 0) return { center: 0, scale: 0 };
  v.sort();
  const med = median(v);
  const dev = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    dev[i] = Math.abs(v[i]! - med);
    sum += dev[i]!;
  }
  dev.sort();
  let s = 1.4826 * median(dev);
  if (!(s > 0)) s = (1.2533 * sum) / n;
  return { center: med, scale: s };
}

function median(a: Float64Array): number {
  const n = a.length;
  const mid = n >> 1;
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}
