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
 *   segment's most recent BIN_CAPACITY observed values in that hour and its two
 *   neighbours (pooled to have enough values). A deviation is then measured
 *   against what is normal FOR THAT QUEUE AT THAT HOUR. The bins keep rolling in
 *   streaming (`update`, after the point is scored), so the baseline learns each
 *   hour's noise as data accumulates. Bins with fewer than MIN_BIN observed
 *   values, and segments unseen in training, use the global centre/scale.
 * Scales never go below 5% of the metric's global scale (a bin of identical
 * values would otherwise make any change infinitely surprising).
 *
 * Weekdays and weekends (UTC Saturday and Sunday) keep separate hourly bins: contact
 * volume on a weekend is often a third to a half of a weekday's, and one pooled bin
 * would hold both levels, centring between them and taking their gap for noise (a
 * weekday volume collapse then reads as a ~2-sigma dip). A day type whose pooled bin
 * has fewer than MIN_BIN values (the first weekend after a weekday-only training)
 * borrows the other day type's SCALE (then the global one), but takes its CENTRE from
 * its own values as soon as it has MIN_CENTER (one hour of 15-minute intervals): the
 * level is what differs between day types, and the first Saturday measured against
 * weekday medians read as a volume collapse every hour (false alarms).
 *
 * The count metric (the support field, e.g. contacts per interval; `countIndex`), when
 * the detector has one:
 * - its stats are taken on Anscombe's scale 2 sqrt(x + 3/8) (see `anscombe`), where a
 *   Poisson count has SD ~1 at any level, and its scale never goes below that Poisson
 *   noise (POISSON_SD): a drop from 16 contacts to 3 is about -4.4 there (-3.3 Poisson
 *   SDs on the raw scale, and less against a loose 24-value MAD);
 * - the other metrics are averages over that many contacts, so their noise grows as
 *   the count falls: each row's scale is at least unit / sqrt(count), where unit is
 *   the noise of ONE contact's value in that segment and day type, the median over
 *   the hours of (bin scale x sqrt(the bin's median count)). A bin of averages over
 *   ~60 daytime contacts says how noisy one contact is; a night bin of 0/1-of-5
 *   transfer rates has a MAD near 0 and would otherwise make one transferred call of
 *   five read as 5-6 deviations (the largest source of false alarms, measured in
 *   docs/results/cx-incidents.md). Only with hourly bins; the global fallback has no floor.
 */
import type { Matrix } from '../matrix.ts';

const HOURS = 24;
const MIN_BIN = 6;
/** Values a thin pool needs before its own median is the centre (see the file comment). */
const MIN_CENTER = 4;
const SCALE_FLOOR = 0.05;
const HOUR_MS = 3_600_000;
export const SEASONAL_MIN_SPAN_MS = 20 * HOUR_MS;

/** Observed values each (segment, hour, metric) bin keeps: 32 = 8 days of 15-minute intervals. */
export const BIN_CAPACITY = 32;

export interface BaselineState {
  readonly center: Float64Array;
  readonly scale: Float64Array;
  /** Segment keys with hourly baselines, in the order of their blocks below. */
  readonly keys: readonly string[];
  /** Per segment, weekday then weekend: HOURS x d rings of BIN_CAPACITY values (NaN = empty slot), oldest first. */
  readonly hourlyValues: Float64Array;
}

/** Values in a pooled estimate: a bin and its two neighbours. */
const POOL_CAPACITY = 3 * BIN_CAPACITY;

/**
 * One segment's rolling hourly bins: ring of recent observed values per (hour, metric), and per
 * (hour, metric) the POOL (that bin's values and its two neighbours') kept sorted as values come
 * and go, so that its robust stats are a median and a MAD walk over a sorted array. (Merging the
 * three bins for each estimate instead was ~15 % of a streamed record's time: a value joining bin
 * h changes the pools of h - 1, h and h + 1, and the unit scales read every hour's pool.) The
 * count metric's pool holds its values on the Anscombe scale, where its stats live (monotone: the
 * same order).
 */
class HourlyBins {
  readonly values: Float64Array; // (h * d + m) * R + slot
  readonly count: Int32Array;
  readonly head: Int32Array;
  readonly center: Float64Array;
  readonly scale: Float64Array;
  readonly dirty: Uint8Array;
  /** Pool j = (h, m): the values of bins h - 1, h, h + 1 of metric m in ascending order (first pooled[j]). */
  readonly pool: Float64Array;
  constructor(
    readonly d: number,
    /** The count metric (its pool is on the Anscombe scale), -1 when none. */
    private readonly countIndex: number,
  ) {
    const n = HOURS * d;
    this.values = new Float64Array(n * BIN_CAPACITY).fill(NaN);
    this.pool = new Float64Array(n * POOL_CAPACITY);
    this.count = new Int32Array(n);
    this.head = new Int32Array(n);
    this.center = new Float64Array(n);
    this.scale = new Float64Array(n);
    this.dirty = new Uint8Array(n).fill(1);
    // Sized here, not in field initialisers: with standard class fields (useDefineForClassFields,
    // how a bundler may compile these sources) those run before `d` is assigned, and the arrays
    // came out empty (a test compiles this file both ways).
    this.unitScale = new Float64Array(d);
    this.pooled = new Int32Array(n);
    this.thinCenter = new Float64Array(n);
  }
  /** Bumped by every push: the cached unit scales (Baseline.unitScales) are valid for one version. */
  version = 0;
  /** Per metric, the noise of one contact's value (Baseline.unitScales; NaN = unknown), valid when unitVersion === version. */
  readonly unitScale: Float64Array;
  unitVersion = -1;
  push(h: number, m: number, v: number): void {
    this.version++;
    const j = h * this.d + m;
    const base = j * BIN_CAPACITY;
    // A full bin's oldest value leaves it, and the pools.
    const old = this.count[j] === BIN_CAPACITY ? this.values[base + this.head[j]!]! : NaN;
    this.values[base + this.head[j]!] = v;
    this.head[j] = (this.head[j]! + 1) % BIN_CAPACITY;
    if (this.count[j]! < BIN_CAPACITY) this.count[j]!++;
    // The bin feeds its own and its neighbours' pools.
    const count = m === this.countIndex;
    const pv = count ? anscombe(v) : v;
    const po = old === old ? (count ? anscombe(old) : old) : NaN;
    for (let dh = HOURS - 1; dh <= HOURS + 1; dh++) {
      const p = ((h + dh) % HOURS) * this.d + m;
      let n = this.pooled[p]!;
      const pb = p * POOL_CAPACITY;
      if (po === po) removeSorted(this.pool, pb, n--, po);
      insertSorted(this.pool, pb, n++, pv);
      this.pooled[p] = n;
      this.dirty[p] = 1;
    }
  }
  /** Values in pool j (its own bin's and its neighbours'). */
  readonly pooled: Int32Array;
  /** The median of a thin pool (fewer than MIN_BIN values), valid after binStats. */
  readonly thinCenter: Float64Array;
  /** Values in arrival order (oldest first), NaN-padded, for saving. */
  ordered(j: number, out: Float64Array, at: number): void {
    const c = this.count[j]!;
    const start = c === BIN_CAPACITY ? this.head[j]! : 0;
    for (let k = 0; k < BIN_CAPACITY; k++) out[at + k] = k < c ? this.values[j * BIN_CAPACITY + ((start + k) % BIN_CAPACITY)]! : NaN;
  }
}

/** Removes one value equal to v (same bits up to NaN) from the ascending run a[base..base+n). */
function removeSorted(a: Float64Array, base: number, n: number, v: number): void {
  let k = 0;
  while (!sameValue(a[base + k]!, v)) k++;
  a.copyWithin(base + k, base + k + 1, base + n);
}

/** Inserts v into the ascending run a[base..base+n) (after the values it does not sort before). */
function insertSorted(a: Float64Array, base: number, n: number, v: number): void {
  let at = n;
  while (at > 0 && sortsBefore(v, a[base + at - 1]!)) at--;
  a.copyWithin(base + at + 1, base + at, base + n);
  a[base + at] = v;
}

export class Baseline {
  readonly d: number;
  /** Column of the count metric (the support field: contacts per interval), -1 when none: see the file comment. */
  readonly countIndex: number;
  center: Float64Array;
  scale: Float64Array;
  /** Per segment: [weekday bins, weekend bins]. */
  private hourly = new Map<string, [HourlyBins, HourlyBins]>();
  /** statsFor's result. */
  private c0 = 0;
  private s0 = 1;

  constructor(d: number, countIndex = -1) {
    this.d = d;
    this.countIndex = countIndex;
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

  /**
   * Hourly baselines per segment (see the file comment), from rows in time order.
   * Does nothing unless the rows span at least 20 hours.
   */
  fitHourly(X: Matrix, missing: Uint8Array | undefined, keys: readonly string[] | undefined, times: Float64Array, order: readonly number[]): void {
    this.hourly.clear();
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < X.rows; r++) {
      lo = Math.min(lo, times[r]!);
      hi = Math.max(hi, times[r]!);
    }
    if (!(hi - lo >= SEASONAL_MIN_SPAN_MS)) return;
    for (const r of order) {
      const key = keys ? keys[r]! : '';
      let bins = this.hourly.get(key);
      if (bins === undefined) this.hourly.set(key, (bins = [new HourlyBins(this.d, this.countIndex), new HourlyBins(this.d, this.countIndex)]));
      this.observe(bins[dayTypeOf(times[r]!)], X.data, r * this.d, missing, times[r]!);
    }
  }

  /**
   * Streaming: the row's observed values join its segment's hour bins (the oldest value
   * of a full bin leaves), so the baseline follows slow changes. Only for segments
   * that have hourly bins (from fit).
   */
  update(src: ArrayLike<number>, offset: number, missing: ArrayLike<number>, key: string, time: number): void {
    const bins = this.hourly.size > 0 && time === time ? this.hourly.get(key) : undefined;
    if (bins) this.observe(bins[dayTypeOf(time)], src, offset, missing, time);
  }

  private observe(bins: HourlyBins, src: ArrayLike<number>, offset: number, missing: ArrayLike<number> | undefined, time: number): void {
    const h = hourOf(time);
    for (let m = 0; m < this.d; m++) {
      const v = src[offset + m]!;
      if (v === v && (missing === undefined || missing[offset + m] === 0)) bins.push(h, m, v);
    }
  }

  private binStats(bins: HourlyBins, h: number, m: number): number {
    const j = h * this.d + m;
    if (bins.dirty[j] === 1) {
      bins.dirty[j] = 0;
      // The three bins' values in ascending order (a count's on the Anscombe scale, where its stats live).
      const n = bins.pooled[j]!;
      const at = j * POOL_CAPACITY;
      const count = m === this.countIndex;
      if (n < MIN_BIN) {
        bins.thinCenter[j] = n > 0 ? median(bins.pool, at, n) : NaN;
        bins.center[j] = count ? this.globalCountCenter() : this.center[m]!;
        bins.scale[j] = count ? this.globalCountScale() : this.scale[m]!;
      } else {
        robustSorted(bins.pool, at, n);
        const scale = ROBUST[1]!;
        bins.center[j] = ROBUST[0]!;
        bins.scale[j] = count ? Math.max(scale, POISSON_SD, SCALE_FLOOR * this.globalCountScale()) : Math.max(scale, SCALE_FLOOR * this.scale[m]!);
      }
    }
    return j;
  }

  /**
   * Per metric, the noise of ONE contact's value in this segment and day type: the median over
   * the hours of (bin scale x sqrt(the bin's typical count)), the bins' scales being those of
   * averages over about that many contacts. Cached per bins version.
   */
  private unitScales(bins: HourlyBins): Float64Array {
    if (bins.unitVersion === bins.version) return bins.unitScale;
    const d = this.d;
    const ci = this.countIndex;
    const vals = this.unitBuf;
    for (let m = 0; m < d; m++) {
      if (m === ci) continue;
      let n = 0;
      for (let h = 0; h < HOURS; h++) {
        const j = this.binStats(bins, h, m);
        const jc = this.binStats(bins, h, ci);
        if (bins.pooled[j]! < MIN_BIN || bins.pooled[jc]! < MIN_BIN) continue;
        vals[n++] = bins.scale[j]! * Math.sqrt(anscombeInverse(bins.center[jc]!));
      }
      // Half the day's hours at least, so that the median is not one hour's noise; NaN: no floor.
      bins.unitScale[m] = n >= HOURS / 2 ? medianOfFirst(vals, n) : NaN;
    }
    bins.unitVersion = bins.version;
    return bins.unitScale;
  }
  private readonly unitBuf = new Float64Array(HOURS);

  /** The global centre of the count metric on the Anscombe scale (the median commutes with a monotone transform). */
  private globalCountCenter(): number {
    return anscombe(this.center[this.countIndex]!);
  }

  /** The global scale of the count metric on the Anscombe scale: delta method (f'(x) = 1 / sqrt(x + 3/8)), never below Poisson noise. */
  private globalCountScale(): number {
    const c = this.countIndex;
    return Math.max(this.scale[c]! / Math.sqrt(Math.max(this.center[c]!, 0) + 0.375), POISSON_SD);
  }

  /** Centre and scale for (pair, time, hour h, metric m), left in this.c0 / this.s0 (see the file comment on day types). */
  private statsFor(pair: [HourlyBins, HourlyBins], time: number, h: number, m: number): void {
    const t = dayTypeOf(time);
    const own = pair[t];
    const j = this.binStats(own, h, m);
    if (own.pooled[j]! >= MIN_BIN) {
      this.c0 = own.center[j]!;
      this.s0 = own.scale[j]!;
      return;
    }
    const other = pair[1 - t]!;
    this.binStats(other, h, m);
    const src = other.pooled[j]! >= MIN_BIN ? other : own;
    this.c0 = own.pooled[j]! >= MIN_CENTER ? own.thinCenter[j]! : src.center[j]!;
    this.s0 = src.scale[j]!;
  }

  /** Writes z of row `src[offset..offset+d)` into `out[outOffset..]` (may alias). */
  standardize(src: ArrayLike<number>, offset: number, key: string, time: number, out: Float64Array, outOffset: number): void {
    const d = this.d;
    const pair = this.hourly.size > 0 && time === time ? this.hourly.get(key) : undefined;
    if (pair) {
      const h = hourOf(time);
      const ci = this.countIndex;
      // The support floor (file comment): the row's own count, read before `out` (which may alias `src`) is written.
      let unit: Float64Array | null = null;
      let otherUnit: Float64Array | null = null;
      let sqrtN = 1;
      const t = dayTypeOf(time);
      if (ci >= 0) {
        unit = this.unitScales(pair[t]);
        const n = src[offset + ci]!;
        if (n > 1) sqrtN = Math.sqrt(n);
      }
      for (let m = 0; m < d; m++) {
        this.statsFor(pair, time, h, m);
        const v = src[offset + m]!;
        if (m === ci) out[outOffset + m] = clampZ((anscombe(v) - this.c0) / this.s0);
        else {
          let sc = this.s0;
          if (unit !== null) {
            // A day type whose hours are too thin yet borrows the other's unit noise (like its bins).
            let u = unit[m]!;
            if (u !== u) u = (otherUnit ??= this.unitScales(pair[1 - t]!))[m]!;
            u /= sqrtN;
            if (u > sc) sc = u;
          }
          out[outOffset + m] = clampZ((v - this.c0) / sc);
        }
      }
    } else {
      for (let m = 0; m < d; m++) {
        const v = src[offset + m]!;
        out[outOffset + m] = clampZ(m === this.countIndex ? (anscombe(v) - this.globalCountCenter()) / this.globalCountScale() : (v - this.center[m]!) / this.scale[m]!);
      }
    }
  }

  /**
   * The metric value of a standardised value z (metric m, for that segment and time). Uses the
   * bins' scale without the support floor (which needs the row's count): exact at z = 0 (the
   * centre, what most Results report), approximate for a low-count row's forest-expected value.
   */
  unstandardize(m: number, z: number, key: string, time: number): number {
    const pair = this.hourly.size > 0 && time === time ? this.hourly.get(key) : undefined;
    if (pair) {
      const h = hourOf(time);
      this.statsFor(pair, time, h, m);
      const y = this.c0 + this.s0 * z;
      return m === this.countIndex ? anscombeInverse(y) : y;
    }
    if (m === this.countIndex) return anscombeInverse(this.globalCountCenter() + this.globalCountScale() * z);
    return this.center[m]! + this.scale[m]! * z;
  }

  /** Drops a segment's hourly baseline (LRU eviction keeps memory bounded). */
  forget(key: string): void {
    this.hourly.delete(key);
  }

  toState(): BaselineState {
    const keys = [...this.hourly.keys()];
    const n = HOURS * this.d;
    const hv = new Float64Array(keys.length * 2 * n * BIN_CAPACITY);
    keys.forEach((k, i) => {
      const pair = this.hourly.get(k)!;
      for (let t = 0; t < 2; t++) for (let j = 0; j < n; j++) pair[t]!.ordered(j, hv, (((i * 2 + t) * n) + j) * BIN_CAPACITY);
    });
    return { center: this.center.slice(), scale: this.scale.slice(), keys, hourlyValues: hv };
  }

  static fromState(d: number, s: BaselineState, countIndex = -1): Baseline {
    const b = new Baseline(d, countIndex);
    const n = HOURS * d;
    const per = n * BIN_CAPACITY;
    // Two blocks per segment (weekday, weekend); files written before the split hold one (weekday-and-weekend values together, loaded as weekday bins).
    const blocks = s.keys.length === 0 ? 2 : s.hourlyValues.length / (s.keys.length * per);
    if (s.center.length !== d || s.scale.length !== d || (blocks !== 1 && blocks !== 2)) {
      throw new Error(`Baseline.fromState: arrays do not match ${d} metrics and ${s.keys.length} hourly segments`);
    }
    b.center = Float64Array.from(s.center);
    b.scale = Float64Array.from(s.scale);
    s.keys.forEach((k, i) => {
      const pair: [HourlyBins, HourlyBins] = [new HourlyBins(d, b.countIndex), new HourlyBins(d, b.countIndex)];
      for (let t = 0; t < blocks; t++) {
        for (let j = 0; j < n; j++) {
          for (let k2 = 0; k2 < BIN_CAPACITY; k2++) {
            const v = s.hourlyValues[(i * blocks + t) * per + j * BIN_CAPACITY + k2]!;
            if (v === v) pair[t]!.push(Math.floor(j / d), j % d, v);
          }
        }
      }
      b.hourly.set(k, pair);
    });
    return b;
  }
}

/**
 * Anscombe's transform of a count, 2 sqrt(x + 3/8): for Poisson counts its standard deviation is
 * ~1 whatever the mean. Why: the support field (contacts per interval) is a count, and a count's
 * noise grows with its level (SD = sqrt(mean)); on the raw scale a robust z treats a drop from 16
 * to 3 contacts (-3.3 Poisson SDs, but 4.4 on this scale, where a count near 0 is nearly noiseless)
 * like a rise from 16 to 29, and a night bin's 0-3 contacts give wild z's that set the member's
 * calibrated tail. Bins keep the raw counts (saved models unchanged); their stats are taken on
 * this scale.
 */
export function anscombe(x: number): number {
  return 2 * Math.sqrt((x > 0 ? x : 0) + 0.375);
}

/** The count whose Anscombe value is y (0 below the transform's floor). */
export function anscombeInverse(y: number): number {
  const h = y / 2;
  const x = h * h - 0.375;
  return y > 0 && x > 0 ? x : 0;
}

/**
 * A count's noise on the Anscombe scale is at least that of a Poisson count (SD 1): the floor of
 * its scale, as sqrt(mean) would be on the raw scale. A bin of 24 values estimates its MAD loosely,
 * and too small an estimate makes ordinary counts read as far out.
 */
const POISSON_SD = 1;

/** 0 on weekdays, 1 on Saturday and Sunday (UTC). */
function dayTypeOf(t: number): 0 | 1 {
  // 1970-01-01 was a Thursday (day 4, Sunday = 0); no Date object per point.
  const wd = (((Math.floor(t / 86_400_000) + 4) % 7) + 7) % 7;
  return wd === 0 || wd === 6 ? 1 : 0;
}

function hourOf(t: number): number {
  return Math.floor((((t % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS);
}

/** Median and 1.4826 MAD (falling back to 1.2533 x mean absolute deviation, then 0). Sorts `v` in place. */
function robust(v: Float64Array): { center: number; scale: number } {
  robustSorted(v.sort(), 0, v.length);
  return { center: ROBUST[0]!, scale: ROBUST[1]! };
}

/**
 * Largest |z| a standardised value keeps. A finite value can still overflow when
 * standardised (1e308 seconds of AHT over a scale below 1 is Infinity), and an infinite
 * coordinate makes NaN of the RRCF's box arithmetic: the segment's trees stop scoring
 * anything for as long as the point stays in them. 1e9 deviations is past any real
 * anomaly (so the forests still isolate the point at once) and far from overflow.
 */
export const Z_LIMIT = 1e9;

/** z limited to [-Z_LIMIT, Z_LIMIT] (NaN, a missing value, stays NaN). */
function clampZ(z: number): number {
  return z > Z_LIMIT ? Z_LIMIT : z < -Z_LIMIT ? -Z_LIMIT : z;
}

/** robustSorted's result: centre, scale (one scratch: it runs for every streamed point, and allocates nothing). */
const ROBUST = new Float64Array(2);

/** robust() of v[start..start+n), already in ascending order, into ROBUST (0, 0 when n = 0). */
function robustSorted(v: Float64Array, start: number, n: number): void {
  if (n === 0) {
    ROBUST[0] = 0;
    ROBUST[1] = 0;
    return;
  }
  const med = median(v, start, n);
  // Runs for every streamed point (hourly bins): the MAD comes from the sorted values
  // without a second array or sort (madOfSorted). Non-finite values: the plain way.
  let s = Number.isFinite(v[start]!) && Number.isFinite(v[start + n - 1]!) ? 1.4826 * madOfSorted(v, start, n, med) : NaN;
  if (!(s === s)) {
    const dev = new Float64Array(n);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(v[start + i]! - med);
    s = 1.4826 * median(dev.sort(), 0, n);
  }
  if (!(s > 0)) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.abs(v[start + i]! - med);
    s = (1.2533 * sum) / n;
  }
  ROBUST[0] = med;
  ROBUST[1] = s;
}

/**
 * Median of |v[i] - med| for ascending v[start..start+n): the deviations of the values below
 * `med` grow leftwards and those of the rest grow rightwards (rounding is monotone), so
 * walking outwards from `med` and merging the two sides visits the deviations in
 * ascending order. Exactly the median of the sorted deviations, in O(n / 2).
 */
function madOfSorted(v: Float64Array, start: number, n: number, med: number): number {
  const end = start + n;
  let r = start;
  while (r < end && v[r]! < med) r++;
  let l = r - 1;
  const mid = n >> 1;
  let prev = 0;
  let cur = 0;
  for (let k = 0; k <= mid; k++) {
    prev = cur;
    const dl = l >= start ? med - v[l]! : Infinity;
    const dr = r < end ? v[r]! - med : Infinity;
    if (dl <= dr) {
      cur = dl;
      l--;
    } else {
      cur = dr;
      r++;
    }
  }
  return n % 2 === 1 ? cur : (prev + cur) / 2;
}

/** Median of a[0..n) (sorts them in place by insertion: n <= 24 here, and no view is allocated per row). */
function medianOfFirst(a: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const v = a[i]!;
    let k = i - 1;
    while (k >= 0 && a[k]! > v) {
      a[k + 1] = a[k]!;
      k--;
    }
    a[k + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

/** Median of the ascending run a[start..start+n) (n > 0). */
function median(a: Float64Array, start: number, n: number): number {
  const mid = start + (n >> 1);
  return n % 2 === 1 ? a[mid]! : (a[mid - 1]! + a[mid]!) / 2;
}

/** The order of Float64Array.prototype.sort (numeric, -0 before +0; no NaN here). */
function sortsBefore(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && 1 / a < 1 / b);
}

function sameValue(a: number, b: number): boolean {
  return a === b && (a !== 0 || 1 / a === 1 / b);
}
