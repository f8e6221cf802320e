/**
 * The parts of AWS RCF's AnomalyAttributionVisitor shared by the read-only
 * walk (visitors.ts) and the fused score+attribute+insert walk
 * (node-store.ts insert), so both give the same DiVector.
 */
import type { NodeStore } from './node-store.ts';

/** Per-tree scratch of one DiVector walk (length = dimensions each). */
export interface AttrScratch {
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly dh: Float64Array;
  readonly dl: Float64Array;
  readonly smin: Float64Array;
  readonly smax: Float64Array;
}

export function createAttrScratch(dims: number): AttrScratch {
  return {
    high: new Float64Array(dims), low: new Float64Array(dims), dh: new Float64Array(dims),
    dl: new Float64Array(dims), smin: new Float64Array(dims), smax: new Float64Array(dims),
  };
}

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
  for (let d = 0; d < q.length; d++) {
    const a = pv[lbase + d]!;
    const v = q[d]!;
    high[d] = v > a ? (score * (v - a)) / sum : 0;
    low[d] = v < a ? (score * (a - v)) / sum : 0;
  }
}

/** One level of the upward recursion: the node's separation parts dh/dl (sum `diff`) out of `sumNew`, at depth i. */
export function stepAttribution(s: AttrScratch, dims: number, diff: number, sumNew: number, i: number): void {
  const { high, low, dh, dl } = s;
  const p = diff / sumNew;
  const s0 = 1 / (i + 1);
  const keep = 1 - p;
  for (let d = 0; d < dims; d++) {
    high[d] = (dh[d]! / sumNew) * s0 + keep * high[d]!;
    low[d] = (dl[d]! / sumNew) * s0 + keep * low[d]!;
  }
}
