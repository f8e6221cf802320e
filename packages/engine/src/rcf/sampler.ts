/**
 * Which stream points each tree keeps.
 *
 * - `window`: every tree keeps exactly the last sampleSize points (rrcf's
 *   streaming recipe). One ring of point indices serves all trees.
 * - `decay`: each tree keeps its own time-decayed weighted sample, AWS RCF's
 *   rule (CompactSampler): point number s (0-based arrival count) gets the
 *   weight  w = -timeDecay * s + ln(-ln u),  u uniform in (0,1) drawn per tree,
 *   and a tree keeps the sampleSize points of smallest weight. While the sample
 *   is not full every point is accepted; after that a point is accepted iff its
 *   weight is below the largest kept weight, which it evicts. This is weighted
 *   sampling without replacement (Efraimidis-Spirakis) with weights
 *   exp(timeDecay * s): a point's chance to be kept falls off as
 *   exp(-timeDecay * age), so the sample's mean age is about 1/timeDecay once
 *   1/timeDecay >> sampleSize, and about sampleSize with timeDecay = 0
 *   (a plain reservoir sample). Each tree's sample is a max-heap on w.
 *
 * Weights use a deterministic ln (det-math.ts) so the samples, and therefore the
 * scores, are identical in every JavaScript engine.
 *
 * Fast rejection. Once a tree's sample is full most points are rejected, and
 * the two logarithms of the weight cost more than the tree walk's arithmetic.
 * Rejection (w >= wMax) is u <= exp(-exp(wMax + timeDecay * s)); `rejectBelow(t, s)`
 * gives a bound under that, valid for the next few arrivals (the
 * right-hand side only falls as s grows) and until the tree's largest weight
 * changes, with a relative margin of 1e-6 (far above the logarithms' 1e-15
 * error), so u below it is a rejection by the exact rule as well: the samples,
 * and every score, are the same as computing every weight.
 */
import { detExp2 } from './det-math.ts';

const LOG2E = 1.4426950408889634;
/**
 * Arrivals one rejection bound serves: at most 64, and few enough that the
 * decay over the span (timeDecay x span <= 0.01) loosens the bound by ~1% only.
 */
function rejectSpan(timeDecay: number): number {
  return timeDecay > 0 ? Math.max(1, Math.min(64, Math.floor(0.01 / timeDecay))) : 64;
}
/** Beyond this |timeDecay x s| the weights' rounding (~1e-16 x it) nears the margin: no fast path. */
const MAX_DECAY_SPAN = 1e7;
export class DecayHeaps {
  readonly numTrees: number;
  readonly sampleSize: number;
  point: Int32Array;
  /** Leaf slot of each sampled point in its tree (lets a delete skip the descent). */
  leaf: Int32Array;
  weight: Float64Array;
  count: Int32Array;
  /** Per tree: u below this is a rejection (fast path), while s <= rejectUntil[t]. */
  private readonly rejectThr: Float64Array;
  private readonly rejectUntil: Float64Array;

  constructor(numTrees: number, sampleSize: number) {
    this.numTrees = numTrees;
    this.sampleSize = sampleSize;
    this.point = new Int32Array(numTrees * sampleSize).fill(-1);
    this.leaf = new Int32Array(numTrees * sampleSize).fill(-1);
    this.weight = new Float64Array(numTrees * sampleSize);
    this.count = new Int32Array(numTrees);
    this.rejectThr = new Float64Array(numTrees);
    this.rejectUntil = new Float64Array(numTrees).fill(-1);
  }

  /**
   * A u threshold under which tree t certainly rejects arrival number s (see
   * "Fast rejection"); 0 (never) while the sample is not full.
   */
  rejectBelow(t: number, s: number, timeDecay: number): number {
    if (this.count[t]! < this.sampleSize) return 0;
    if (s > this.rejectUntil[t]!) {
      const end = s + rejectSpan(timeDecay) - 1;
      if (timeDecay * end > MAX_DECAY_SPAN) return 0;
      const c = this.weight[t * this.sampleSize]! + timeDecay * end;
      const eHi = detExp2(c * LOG2E) * (1 + 1e-6);
      this.rejectThr[t] = detExp2(-eHi * LOG2E) * (1 - 1e-6);
      this.rejectUntil[t] = end;
    }
    return this.rejectThr[t]!;
  }

  /** Whether tree t would accept a point of weight w. */
  accepts(t: number, w: number): boolean {
    return this.count[t]! < this.sampleSize || w < this.weight[t * this.sampleSize]!;
  }

  /** Point index that accepting would evict from tree t, or -1 while not full. */
  evictCandidate(t: number): number {
    return this.count[t]! < this.sampleSize ? -1 : this.point[t * this.sampleSize]!;
  }

  /** Leaf slot of the point evictCandidate(t) names. */
  evictLeaf(t: number): number {
    return this.leaf[t * this.sampleSize]!;
  }

  /** Adds (idx, w, leaf) to tree t's heap, replacing the root (largest weight) when full. */
  push(t: number, idx: number, w: number, leafSlot: number): void {
    this.rejectUntil[t] = -1; // the largest weight may change
    const S = this.sampleSize;
    const base = t * S;
    const pt = this.point;
    const lf = this.leaf;
    const wt = this.weight;
    const c = this.count[t]!;
    if (c < S) {
      // sift up
      let i = c;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (wt[base + parent]! >= w) break;
        wt[base + i] = wt[base + parent]!;
        pt[base + i] = pt[base + parent]!;
        lf[base + i] = lf[base + parent]!;
        i = parent;
      }
      wt[base + i] = w;
      pt[base + i] = idx;
      lf[base + i] = leafSlot;
      this.count[t] = c + 1;
      return;
    }
    // replace root, sift down
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= S) break;
      const r = l + 1;
      let m = l;
      if (r < S && wt[base + r]! > wt[base + l]!) m = r;
      if (wt[base + m]! <= w) break;
      wt[base + i] = wt[base + m]!;
      pt[base + i] = pt[base + m]!;
      lf[base + i] = lf[base + m]!;
      i = m;
    }
    wt[base + i] = w;
    pt[base + i] = idx;
    lf[base + i] = leafSlot;
  }

  byteLength(): number {
    return this.point.byteLength + this.leaf.byteLength + this.weight.byteLength + this.count.byteLength;
  }
}

/** The last `size` point indices, oldest first (window sampling). */
export class WindowRing {
  readonly size: number;
  readonly numTrees: number;
  ring: Int32Array;
  /** ringLeaf[slot * numTrees + t]: leaf slot of the ring's point in tree t (lets a delete skip the descent). */
  leaf: Int32Array;
  start = 0;
  count = 0;

  constructor(size: number, numTrees: number) {
    this.size = size;
    this.numTrees = numTrees;
    this.ring = new Int32Array(size).fill(-1);
    this.leaf = new Int32Array(size * numTrees).fill(-1);
  }

  get full(): boolean {
    return this.count === this.size;
  }

  oldest(): number {
    return this.ring[this.start]!;
  }

  /**
   * Appends idx; when full, drops the oldest (the caller already removed it
   * from the trees). Returns the slot written (for its leaf entries).
   */
  push(idx: number): number {
    let slot: number;
    if (this.count === this.size) {
      slot = this.start;
      this.start = (this.start + 1) % this.size;
    } else {
      slot = (this.start + this.count) % this.size;
      this.count++;
    }
    this.ring[slot] = idx;
    return slot;
  }

  /** Point indices oldest to newest (allocates; for tests and inspection). */
  indices(): Int32Array {
    const out = new Int32Array(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.ring[(this.start + k) % this.size]!;
    return out;
  }
}
