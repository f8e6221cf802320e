/**
 * Read-only walks over one tree: the anomaly score of a query point, its
 * directional attribution (DiVector), the imputation of chosen coordinates, and
 * rrcf's collusive displacement of a point the tree holds.
 *
 * Scoring follows AWS RCF's AnomalyScoreVisitor / AnomalyAttributionVisitor
 * exactly (random-cut-forest-by-aws, Java core, default functions):
 *  - descend to the leaf q would reach; at that leaf of depth h,
 *    score = 1/(h+1) (scoreUnseen), or, when the leaf point equals q,
 *    score = (1 - leafMass/(2 treeMass)) / (h + log2(leafMass+1)) (damp x scoreSeen)
 *    and the walk stops;
 *  - on the way up, at node v of depth i with bounding box B, the probability
 *    that a random cut of B+q separates q is p = (|B+q| - |B|)/|B+q| (|.| = sum of
 *    side lengths); score = p/(i+1) + (1-p) score; stop once q is inside B;
 *  - the tree's score is scaled by log2(treeMass + 1), so a typical point scores
 *    about 1 whatever the sample size, and the forest averages over trees.
 * The DiVector splits each p into its per-dimension, per-direction parts
 * (q above the box: high, below: low), so high + low summed over all
 * dimensions equals the score exactly (up to rounding). For a duplicate the
 * direction comes from the sibling boxes ("what if this point were absent"),
 * renormalised to the duplicate's score, as AWS does.
 *
 * All scratch buffers are allocated once per forest; nothing is allocated per call.
 */
import { EMPTY, gapsOutside, outsideCount, touchLowBoxes, type NodeStore } from './node-store.ts';
import type { PointStore } from './point-store.ts';
import type { WalkKernel } from './kernel/walk-kernel.ts';
import { addAttribution, createAttrScratch, duplicateAttribution, leafAttribution, stepAttribution, type AttrScratch } from './attribution.ts';

export class TreeVisitors {
  private readonly nodes: NodeStore;
  private readonly dims: number;
  /** log2(k + 1) for k = 0..sampleSize+1 (deterministic table). */
  private readonly log2p1: Float64Array;
  private readonly path: Int32Array;
  /** Per-tree DiVector being built (unnormalised) and its scratch. */
  private readonly at: AttrScratch;
  private readonly missing: Uint8Array;
  /** Scratch of scoreTree: dimensions where q is still outside the box. */
  private readonly outDim: Int32Array;
  /** Scratch of imputeLeaf: the known (not imputed) dimensions, and per depth the known ones outside that level's box. */
  private readonly known: Int32Array;
  private knownCount = 0;
  private readonly impOut: Int32Array;
  private readonly impOutCount: Int32Array;
  private impLeaf = -1;
  /** Sink of the box prefetch loads (never read). */
  touched = 0;
  /** Result of the last scoreTree(). */
  lastScore = 0;

  /** The forest's WebAssembly walks (null: JS only); taken where q, the points and the outputs are in its memory. */
  private readonly kernel: WalkKernel | null;

  constructor(nodes: NodeStore, log2p1: Float64Array, kernel: WalkKernel | null = null) {
    this.nodes = nodes;
    this.kernel = kernel;
    this.dims = nodes.dims;
    this.log2p1 = log2p1;
    this.path = new Int32Array(nodes.sampleSize + 1);
    this.at = createAttrScratch(this.dims);
    this.missing = new Uint8Array(this.dims);
    this.outDim = new Int32Array(this.dims);
    this.known = new Int32Array(this.dims);
    this.impOut = new Int32Array((nodes.sampleSize + 2) * this.dims);
    this.impOutCount = new Int32Array(nodes.sampleSize + 2);
  }

  /**
   * AWS anomaly score of q in tree t (already scaled by log2(treeMass+1); 0 for an
   * empty tree), left in `lastScore`: a double returned from a call
   * that is not inlined is boxed (one heap number per tree per point in decay
   * streaming, where most trees only score); a field write is not.
   * `qHash` = hashPoint(q): a leaf with another hash cannot hold q, so its point
   * (a cache miss away) is read only when the hashes match.
   */
  scoreTree(t: number, q: Float64Array, qHash: number, points: PointStore): void {
    const kernel = this.kernel;
    if (kernel !== null && points.inKernel && kernel.holds(q)) {
      const s = kernel.scoreTree(t, q.byteOffset, qHash);
      if (s >= 0) {
        this.lastScore = s;
        return;
      }
      // -1: the leaf may hold q; the JS walk below decides.
    }
    const ns = this.nodes;
    const dims = this.dims;
    let r = ns.root[t]!;
    if (r === EMPTY) {
      this.lastScore = 0;
      return;
    }
    const path = this.path;
    const N = ns.node;
    const NF = ns.nodeF;
    let depth = 0;
    while (r >= 0) {
      path[depth++] = r;
      r = q[N[r * 8 + 3]!]! <= NF[r * 4 + 3]! ? N[r * 8]! : N[r * 8 + 1]!;
    }
    const leaf = ~r;
    const treeMass = ns.mass[t]!;
    const norm = this.log2p1[treeMass]!;
    const lm = ns.leaf[leaf * 4 + 1]!;
    if (ns.leaf[leaf * 4 + 3] === qHash && points.equals(ns.leaf[leaf * 4]!, q)) {
      this.lastScore = ((1 - lm / (2 * treeMass)) / (depth + this.log2p1[lm]!)) * norm;
      return;
    }
    let score = 1 / (depth + 1);
    const box = ns.box;
    const rsum = ns.rsum;
    const out = this.outDim;
    this.touched = touchLowBoxes(box, path, depth, dims);
    // Boxes are exact unions of their children, so nested going up: a
    // dimension where q is inside stays inside. The first level scans every
    // dimension; above it only those where q was still outside, and the
    // side-length sum of box + q is the box's own (NodeStore.rsum) plus the gaps.
    let outside = dims;
    for (let k = 0; k < dims; k++) out[k] = k;
    for (let i = depth - 1; i >= 0; i--) {
      const n = path[i]!;
      const off = n * 2 * dims;
      const diff = gapsOutside(q, box, off, dims, out, outside, null);
      outside = outsideCount[0]!;
      if (diff <= 0) break;
      const p = diff / (rsum[n]! + diff);
      score = p / (i + 1) + (1 - p) * score;
    }
    this.lastScore = score * norm;
  }

  /**
   * Score of q in tree t plus its DiVector, added (scaled by `weight` and by
   * log2(treeMass+1)) into outHigh/outLow. Returns the scaled score (not
   * multiplied by weight). `qHash` as in scoreTree.
   */
  attribution(t: number, q: Float64Array, qHash: number, points: PointStore, weight: number, outHigh: Float64Array, outLow: Float64Array): number {
    const kernel = this.kernel;
    if (kernel !== null && points.inKernel && kernel.holds(q)) {
      let s: number;
      if (kernel.holds(outHigh) && kernel.holds(outLow)) {
        s = kernel.attribution(t, q.byteOffset, qHash, weight, outHigh.byteOffset, outLow.byteOffset);
      } else {
        // Outputs elsewhere: the same additions on a copy in the kernel's memory.
        const h = kernel.outHigh;
        const l = kernel.outLow;
        h.set(outHigh);
        l.set(outLow);
        s = kernel.attribution(t, q.byteOffset, qHash, weight, h.byteOffset, l.byteOffset);
        if (s >= 0) {
          outHigh.set(h);
          outLow.set(l);
        }
      }
      if (s >= 0) return s;
      // -1: the leaf may hold q; the JS walk below decides (nothing was added).
    }
    const ns = this.nodes;
    const dims = this.dims;
    let r = ns.root[t]!;
    if (r === EMPTY) return 0;
    const path = this.path;
    let depth = 0;
    while (r >= 0) {
      path[depth++] = r;
      r = q[ns.node[r * 8 + 3]!]! <= ns.nodeF[r * 4 + 3]! ? ns.node[r * 8]! : ns.node[r * 8 + 1]!;
    }
    const leaf = ~r;
    const treeMass = ns.mass[t]!;
    const norm = this.log2p1[treeMass]!;
    const lm = ns.leaf[leaf * 4 + 1]!;
    const pv = points.values;
    const lbase = ns.leaf[leaf * 4]! * dims;
    const at = this.at;
    let score: number;
    if (ns.leaf[leaf * 4 + 3] === qHash && points.equals(ns.leaf[leaf * 4]!, q)) {
      score = (1 - lm / (2 * treeMass)) / (depth + this.log2p1[lm]!);
      duplicateAttribution(ns, path, depth, r, q, pv, score, at);
    } else {
      score = 1 / (depth + 1);
      let sum = 0;
      for (let d = 0; d < dims; d++) {
        const a = pv[lbase + d]!;
        const v = q[d]!;
        sum += a > v ? a - v : v - a;
      }
      leafAttribution(pv, lbase, q, score, sum, at);
      const box = ns.box;
      const rsum = ns.rsum;
      const { gapDim, gapAmt } = at;
      this.touched = touchLowBoxes(box, path, depth, dims);
      // As in scoreTree: only the dimensions where q is still outside, kept in
      // gapDim (with their signed gaps), which is what stepAttribution reads.
      let outside = dims;
      for (let k = 0; k < dims; k++) gapDim[k] = k;
      for (let i = depth - 1; i >= 0; i--) {
        const n = path[i]!;
        const off = n * 2 * dims;
        const diff = gapsOutside(q, box, off, dims, gapDim, outside, gapAmt);
        outside = outsideCount[0]!;
        if (diff <= 0) break;
        const sumNew = rsum[n]! + diff;
        const p = diff / sumNew;
        score = p / (i + 1) + (1 - p) * score;
        stepAttribution(at, outside, diff, sumNew, i);
      }
    }
    addAttribution(at, weight * norm, outHigh, outLow);
    return score * norm;
  }

  /**
   * AWS ImputeVisitor on tree t: descend by q, but where a node cuts on a
   * missing coordinate follow both children; each leaf reached fills the missing
   * coordinates from its point and is ranked by the anomaly score of the filled
   * point on the way up; the lower rank wins (left on ties). Returns the winning
   * leaf's point index, or -1 for an empty tree.
   */
  imputeLeaf(t: number, q: Float64Array, missing: ArrayLike<number>, points: PointStore): number {
    const kernel = this.kernel;
    if (kernel !== null && points.inKernel && kernel.holds(q)) return kernel.imputeLeaf(t, q.byteOffset, missing);
    const ns = this.nodes;
    const r = ns.root[t]!;
    if (r === EMPTY) return -1;
    const m = this.missing;
    m.fill(0);
    for (let k = 0; k < missing.length; k++) m[missing[k]!] = 1;
    // The dimensions the separation test can ever read: the known ones (see imputeNode).
    const known = this.known;
    let nk = 0;
    for (let d = 0; d < this.dims; d++) if (m[d] === 0) known[nk++] = d;
    this.knownCount = nk;
    this.impLeaf = -1;
    this.imputeNode(r, 0, q, points);
    return ns.leaf[this.impLeaf * 4]!;
  }

  /**
   * Rank of the best leaf under r (and that leaf in impLeaf). On the way up, the
   * separation probability of the filled point from r's box: its missing
   * coordinates come from a leaf of r's subtree, so they lie inside the box and
   * add only the box's own sides (in rsum); only known coordinates can be
   * outside, and, boxes being nested, only those outside the child's box. Each
   * level keeps that list (impOut, one row per depth) for its parent.
   */
  private imputeNode(r: number, depth: number, q: Float64Array, points: PointStore): number {
    const ns = this.nodes;
    const dims = this.dims;
    const m = this.missing;
    const pv = points.values;
    if (r < 0) {
      const leaf = ~r;
      this.impLeaf = leaf;
      const base = ns.leaf[leaf * 4]! * dims;
      let equal = true;
      for (let d = 0; d < dims; d++) {
        if (m[d] === 0 && pv[base + d] !== q[d]) {
          equal = false;
          break;
        }
      }
      if (equal) return depth === 0 ? 0 : 1 / (depth + this.log2p1[ns.leaf[leaf * 4 + 1]!]!);
      return 1 / (depth + 1);
    }
    let rank: number;
    // The child whose outside list (row depth + 1) was written last; a leaf writes none.
    let last: number;
    if (m[ns.node[r * 8 + 3]!] === 1) {
      const rl = this.imputeNode(ns.node[r * 8]!, depth + 1, q, points);
      const ll = this.impLeaf;
      last = ns.node[r * 8 + 1]!;
      const rr = this.imputeNode(last, depth + 1, q, points);
      if (rr < rl) rank = rr;
      else {
        rank = rl;
        this.impLeaf = ll;
      }
    } else {
      last = q[ns.node[r * 8 + 3]!]! <= ns.nodeF[r * 4 + 3]! ? ns.node[r * 8]! : ns.node[r * 8 + 1]!;
      rank = this.imputeNode(last, depth + 1, q, points);
    }
    const out = this.impOut;
    const row = depth * dims;
    let src: Int32Array;
    let srcOff: number;
    let n: number;
    if (last >= 0) {
      src = out;
      srcOff = row + dims;
      n = this.impOutCount[depth + 1]!;
    } else {
      src = this.known;
      srcOff = 0;
      n = this.knownCount;
    }
    const box = ns.box;
    const off = r * 2 * dims;
    // Even and odd dimensions summed apart (the kernel's order, see gapsOutside).
    let even = 0;
    let odd = 0;
    let w = 0;
    for (let k = 0; k < n; k++) {
      const d = src[srcOff + k]!;
      const v = q[d]!;
      const mn = box[off + d]!;
      if (v < mn) {
        if (d & 1) odd += mn - v;
        else even += mn - v;
        out[row + w++] = d;
        continue;
      }
      const mx = box[off + dims + d]!;
      if (v > mx) {
        if (d & 1) odd += v - mx;
        else even += v - mx;
        out[row + w++] = d;
      }
    }
    const diff = even + odd;
    this.impOutCount[depth] = w;
    if (diff > 0) {
      const p = diff / (ns.rsum[r]! + diff);
      rank = p / (depth + 1) + (1 - p) * rank;
    }
    return rank;
  }

  /**
   * rrcf's collusive displacement of the point at leaf slot `leaf` of its tree:
   * the largest, over the leaf and its ancestors below the root, of
   * (mass of the sibling) / (mass of the node).
   */
  codisp(leaf: number): number {
    const ns = this.nodes;
    let best = 0;
    let nodeMass = ns.leaf[leaf * 4 + 1]!;
    let child = ~leaf;
    let p = ns.leaf[leaf * 4 + 2]!;
    while (p >= 0) {
      const sib = ns.node[p * 8] === child ? ns.node[p * 8 + 1]! : ns.node[p * 8]!;
      const sibMass = sib < 0 ? ns.leaf[(~sib) * 4 + 1]! : ns.node[sib * 8 + 4]!;
      const c = sibMass / nodeMass;
      if (c > best) best = c;
      nodeMass = ns.node[p * 8 + 4]!;
      child = p;
      p = ns.node[p * 8 + 2]!;
    }
    return best;
  }
}
