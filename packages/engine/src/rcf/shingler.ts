/**
 * Builds shingled points: the last `shingleSize` values of each of `metrics`
 * metrics, oldest first. Layout: point[j * metrics + m] is metric m at lag
 * (shingleSize - 1 - j), so the newest values are the last `metrics` entries.
 * The whole state is one small Float64Array ([filled, ...values]), cheap to
 * keep per segment and to save.
 */
export class Shingler {
  readonly metrics: number;
  readonly shingleSize: number;
  /** The current shingled point (a live view; copy it to keep it). */
  readonly point: Float64Array;
  private filled = 0;

  constructor(metrics: number, shingleSize: number) {
    if (!Number.isInteger(metrics) || metrics < 1) throw new Error(`Shingler: metrics must be an integer >= 1, got ${metrics}`);
    if (!Number.isInteger(shingleSize) || shingleSize < 1) throw new Error(`Shingler: shingleSize must be an integer >= 1, got ${shingleSize}`);
    this.metrics = metrics;
    this.shingleSize = shingleSize;
    this.point = new Float64Array(metrics * shingleSize);
  }

  get dimensions(): number {
    return this.point.length;
  }

  /** Whether shingleSize values have arrived, so `point` is complete. */
  get ready(): boolean {
    return this.filled >= this.shingleSize;
  }

  /** Values pushed so far, capped at shingleSize. */
  get count(): number {
    return this.filled;
  }

  /** Appends one value per metric (shifting out the oldest); returns `ready`. */
  push(values: ArrayLike<number>): boolean {
    const m = this.metrics;
    if (values.length !== m) throw new Error(`Shingler.push: got ${values.length} values, expected ${m} (one per metric)`);
    for (let j = 0; j < m; j++) {
      if (!Number.isFinite(values[j]!)) throw new Error(`Shingler.push: value of metric ${j} is ${String(values[j])}; impute missing values first`);
    }
    const p = this.point;
    p.copyWithin(0, m);
    const base = p.length - m;
    for (let j = 0; j < m; j++) p[base + j] = values[j]!;
    if (this.filled < this.shingleSize) this.filled++;
    return this.ready;
  }

  /** Index in the point of metric m at `lag` steps back (0 = newest). */
  dimOf(metric: number, lag = 0): number {
    if (!(metric >= 0 && metric < this.metrics) || !(lag >= 0 && lag < this.shingleSize)) {
      throw new Error(`Shingler.dimOf: metric ${metric} / lag ${lag} outside 0..${this.metrics - 1} / 0..${this.shingleSize - 1}`);
    }
    return (this.shingleSize - 1 - lag) * this.metrics + metric;
  }

  /** The indices of the newest value of each metric, in metric order. */
  newestDims(): Int32Array {
    const out = new Int32Array(this.metrics);
    for (let m = 0; m < this.metrics; m++) out[m] = (this.shingleSize - 1) * this.metrics + m;
    return out;
  }

  /** Per-metric sum over the shingle of a per-dimension vector (e.g. DiVector.high). */
  sumPerMetric(perDim: ArrayLike<number>, out?: Float64Array): Float64Array {
    if (perDim.length !== this.point.length) throw new Error(`Shingler.sumPerMetric: got ${perDim.length} values, expected ${this.point.length}`);
    const res = out ?? new Float64Array(this.metrics);
    res.fill(0);
    for (let i = 0; i < perDim.length; i++) res[i % this.metrics] = res[i % this.metrics]! + perDim[i]!;
    return res;
  }

  reset(): void {
    this.point.fill(0);
    this.filled = 0;
  }

  /** State as [filled, ...values]. */
  toState(): Float64Array {
    const s = new Float64Array(this.point.length + 1);
    s[0] = this.filled;
    s.set(this.point, 1);
    return s;
  }

  static fromState(metrics: number, shingleSize: number, state: ArrayLike<number>): Shingler {
    const sh = new Shingler(metrics, shingleSize);
    if (state.length !== sh.point.length + 1) {
      throw new Error(`Shingler.fromState: state has ${state.length} values, expected ${sh.point.length + 1} (1 + metrics*shingleSize)`);
    }
    const f = state[0]!;
    if (!Number.isInteger(f) || f < 0 || f > shingleSize) throw new Error(`Shingler.fromState: filled count ${f} outside 0..${shingleSize}`);
    sh.filled = f;
    for (let i = 0; i < sh.point.length; i++) sh.point[i] = state[i + 1]!;
    return sh;
  }
}
