/**
 * The parts of AWS RCF's AnomalyAttributionVisitor shared by the read-only
 * walk (visitors.ts) and the fused score+attribute+insert walk
 * (node-store.ts insert), so both give the same DiVector.
 */
import type { NodeStore } from './node-store.ts';
import type { WalkKernel } from './kernel/walk-kernel.ts';

/**
 * Per-tree scratch of one DiVector walk (length = dimensions each).
 *
 * The DiVector is kept lazily scaled: the tree's parts are `high[d] * scale[0]`
 * and `low[d] * scale[0]`. Each level of the upward recursion multiplies every
 * part by (1 - p) and adds the level's own parts, which are non-zero only in the
 * few dimensions where q lies outside the box; folding the (1 - p) into `scale`
 * makes a level cost O(dimensions outside) instead of two divisions and four
 * multiplications in every dimension (the walk's main cost before: 2x a plain
 * score walk). Readers multiply by `scale[0]` once at the end.
 */
export interface AttrScratch {
  readonly high: Float64Array;
  readonly low: Float64Array;
  /** The common factor of high/low (length 1: a typed-array slot, so that writing it never boxes a double). */
  readonly scale: Float64Array;
  /** The current level's gaps: dimension `gapDim[j]`, signed size `gapAmt[j]` (> 0: q above the box, < 0: below). */
  readonly gapDim: Int32Array;
  readonly gapAmt: Float64Array;
  readonly dh: Float64Array;
  readonly dl: Float64Array;
  readonly smin: Float64Array;
  readonly smax: Float64Array;
}

/**
 * `kernel`: high, low and scale are then the walk kernel's DiVector scratch, so
 * that its insert walk (kernel/walk-kernel.ts) fills them in place.
 */
export function createAttrScratch(dims: number, kernel: WalkKernel | null = null): AttrScratch {
  return {
    high: kernel ? kernel.attrHigh : new Float64Array(dims),
    low: kernel ? kernel.attrLow : new Float64Array(dims),
    scale: kernel ? kernel.attrScale.fill(1) : new Float64Array([1]),
    gapDim: new Int32Array(dims), gapAmt: new Float64Array(dims), dh: new Float64Array(dims),
    dl: new Float64Array(dims), smin: new Float64Array(dims), smax: new Float64Array(dims),
  };
}

/** Below this the lazy scale is folded into the parts, so that it can never underflow to 0 (a box of width 0 gives p = 1). */
const MIN_SCALE = 1e-150;

/**
 * DiVector of a point equal to the leaf it reaches (a duplicate), whose score
 * is `score` (damp x scoreSeen): the directions come from the sibling boxes
 * merged upward -- the tree as if this point were absent -- and the parts are
 * renormalised to sum to `score`. `path[0..depth)` holds the internal nodes
 * from the root, `leafRef` the leaf's child reference. Result in s.high/s.low.
 */
export function duplicateAttribution(
  ns: NodeStore, path: Int32Array, depth: number, leafRef: number, q: Float64Array, pv: Float64Array, score: number, s: AttrScratch,
): void {
  const dims = ns.dims;
  const { high, low, dh, dl, smin, smax } = s;
  const box = ns.box;
  const eq = score / (2 * dims);
  s.scale[0] = 1;
  high.fill(eq);
  low.fill(eq);
  let child = leafRef;
  for (let i = depth - 1; i >= 0; i--) {
    const n = path[i]!;
    const sib = ns.node[n * 8] === child ? ns.node[n * 8 + 1]! : ns.node[n * 8]!;
    // merge the sibling's box into the shadow box
    if (sib < 0) {
      const sb = ns.leaf[(~sib) * 4]! * dims;
      for (let d = 0; d < dims; d++) {
        const v = pv[sb + d]!;
        if (i === depth - 1 || v < smin[d]!) smin[d] = v;
        if (i === depth - 1 || v > smax[d]!) smax[d] = v;
      }
    } else {
      const so = sib * 2 * dims;
      for (let d = 0; d < dims; d++) {
        const a = box[so + d]!;
        const b = box[so + dims + d]!;
        if (i === depth - 1 || a < smin[d]!) smin[d] = a;
        if (i === depth - 1 || b > smax[d]!) smax[d] = b;
      }
    }
    child = n;
    let sumNew = 0;
    let diff = 0;
    for (let d = 0; d < dims; d++) {
      dh[d] = 0;
      dl[d] = 0;
      const mn = smin[d]!;
      const mx = smax[d]!;
      const v = q[d]!;
      if (v > mx) {
        dh[d] = v - mx;
        diff += v - mx;
        sumNew += v - mn;
      } else if (v < mn) {
        dl[d] = mn - v;
        diff += mn - v;
        sumNew += mx - v;
      } else sumNew += mx - mn;
    }
    if (!(diff > 0) || !(sumNew > 0)) break;
    const p = diff / sumNew;
    const s0 = 1 / (i + 1);
    for (let d = 0; d < dims; d++) {
      high[d] = (dh[d]! / sumNew) * s0 + (1 - p) * high[d]!;
      low[d] = (dl[d]! / sumNew) * s0 + (1 - p) * low[d]!;
    }
  }
  let total = 0;
  for (let d = 0; d < dims; d++) total += high[d]! + low[d]!;
  const f = total > 0 ? score / total : 0;
  for (let d = 0; d < dims; d++) {
    high[d] = high[d]! * f;
    low[d] = low[d]! * f;
  }
}

/**
 * DiVector at a leaf that differs from q: the leaf score `score` split by the
 * per-dimension distances |q - leaf| (sum `sum`), up for q above the leaf.
 */
export function leafAttribution(pv: Float64Array, lbase: number, q: Float64Array, score: number, sum: number, s: AttrScratch): void {
  const { high, low } = s;
  s.scale[0] = 1;
  const c = score / sum;
  for (let d = 0; d < q.length; d++) {
    const a = pv[lbase + d]!;
    const v = q[d]!;
    high[d] = v > a ? (v - a) * c : 0;
    low[d] = v < a ? (a - v) * c : 0;
  }
}

/**
 * One level of the upward recursion at depth i: every part times (1 - p), p =
 * diff/sumNew, plus the level's separation parts gap/sumNew x 1/(i+1) in the
 * `gaps` dimensions listed in s.gapDim/gapAmt (their sizes sum to `diff`).
 */
export function stepAttribution(s: AttrScratch, gaps: number, diff: number, sumNew: number, i: number): void {
  const { high, low, gapDim, gapAmt } = s;
  const keep = 1 - diff / sumNew;
  let scale = s.scale[0]! * keep;
  if (!(scale > MIN_SCALE)) {
    for (let d = 0; d < high.length; d++) {
      high[d] = high[d]! * scale;
      low[d] = low[d]! * scale;
    }
    scale = 1;
  }
  s.scale[0] = scale;
  const c = 1 / ((i + 1) * sumNew * scale);
  for (let j = 0; j < gaps; j++) {
    const a = gapAmt[j]!;
    const d = gapDim[j]!;
    if (a > 0) high[d] = high[d]! + a * c;
    else low[d] = low[d]! - a * c;
  }
}

/** outHigh/outLow += the tree's DiVector (s, lazily scaled) x factor. */
export function addAttribution(s: AttrScratch, factor: number, outHigh: Float64Array, outLow: Float64Array): void {
  const { high, low } = s;
  const f = factor * s.scale[0]!;
  for (let d = 0; d < outHigh.length; d++) {
    outHigh[d] = outHigh[d]! + high[d]! * f;
    outLow[d] = outLow[d]! + low[d]! * f;
  }
}
