/**
 * The nodes of all trees of a forest, in flat typed arrays (no object per node),
 * and the two structural operations of a random cut tree: insert a point,
 * delete a point (Guha et al. 2016, section 3; rrcf's insert_point/forget_point).
 *
 * Layout. A tree of sampleSize S has at most S leaves and S-1 internal nodes.
 * Tree t owns internal slots [t(S-1), (t+1)(S-1)) and leaf slots [tS, (t+1)S).
 * A child reference `r` is an internal slot when r >= 0 and leaf slot ~r
 * (= -r-1) when r < 0; EMPTY marks a tree with no points. Free slots of each
 * tree sit on a per-tree stack, so long streams reuse nodes and never grow.
 *
 * Bounding boxes are stored per internal node (`box`, S-1 x 2 x dims
 * doubles each per tree) rather than recomputed: scoring walks from the leaf up
 * and needs the box of every node on the path, and recomputing a box costs a
 * walk of the whole subtree. Storing them costs 2 x 8 x dims bytes a node
 * (100 trees x 255 nodes x 12 dims: 4.9 MB), which a browser tab affords; AWS
 * keeps a configurable fraction of boxes cached for the same reason. A delete
 * recomputes boxes only up to the first ancestor whose box did not change, and
 * only in the dimensions where the removed point touched a face; it starts
 * from the leaf the insert reported (the samplers keep it), with no descent.
 *
 * A leaf holds one point index and a mass (copies of equal points collapse into
 * one leaf, as in AWS RCF and rrcf). Cuts send x to the left when
 * x[cutDim] <= cutValue.
 *
 * Masses. Streaming scores read only a tree's total mass and leaf masses, so
 * insert and delete keep those (`mass[t]`, the leaves) and leave the internal
 * nodes' mass field alone: that saves a walk over all ancestors per insert
 * and per delete (the delete then climbs only while boxes change). The
 * internal masses -- CoDisp and the saved state need them -- are computed from
 * the leaves when asked for (computeInternalMasses(), toArrays()).
 */
import type { StreamPrng } from './stream-prng.ts';
import { hashPoint, type PointStore } from './point-store.ts';
import type { WalkKernel } from './kernel/walk-kernel.ts';
import { duplicateAttribution, leafAttribution, stepAttribution, type AttrScratch } from './attribution.ts';

export const EMPTY = 0x7fffffff;

const nextDownBuf = new DataView(new ArrayBuffer(8));
/**
 * The largest double below x (x finite; 0 gives -MIN_VALUE), for cuts that
 * rounded up to the box edge. Steps the IEEE bit pattern by one as two 32-bit
 * halves (big-endian in the DataView): no BigInt, so nothing is allocated.
 */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const b = nextDownBuf;
  b.setFloat64(0, x);
  let hi = b.getUint32(0);
  let lo = b.getUint32(4);
  if (x > 0) {
    // magnitude down
    if (lo === 0) {
      lo = 0xffffffff;
      hi = hi - 1;
    } else lo = lo - 1;
  } else if (lo === 0xffffffff) {
    // magnitude up (more negative)
    lo = 0;
    hi = hi + 1;
  } else lo = lo + 1;
  b.setUint32(0, hi >>> 0);
  b.setUint32(4, lo >>> 0);
  return b.getFloat64(0);
}

/**
 * Starts the cache misses of the boxes an upward walk from the leaf reads (the
 * lowest 8 levels of path[0..depth); the walk stops where a box contains q)
 * together, instead of one level at a time: independent loads overlap, a chain
 * of dependent ones does not. Returns a sum only so that the loads are not
 * dropped as dead code (callers keep it in a field nobody reads).
 */
export function touchLowBoxes(box: Float64Array, path: Int32Array, depth: number, dims: number): number {
  let touch = 0;
  const lo = depth > 8 ? depth - 8 : 0;
  for (let i = depth - 1; i >= lo; i--) {
    const off = path[i]! * 2 * dims;
    touch += box[off]! + box[off + dims]! + box[off + 2 * dims - 1]!;
  }
  return touch;
}

/** gapsOutside's second result: how many dimensions it left in the list. */
export const outsideCount = new Int32Array(1);

/**
 * One level of an upward walk (the JS walks; kernel/walk-kernel.wat does the
 * same on every dimension at once): the sum of q's gaps outside the box at
 * `off` over the dimensions listed in dimList[0..count), where q is still
 * outside the box below (boxes are nested, so q stays inside a dimension once
 * it is). Compacts the list, in order, to the dimensions where q is outside
 * this box (their number in outsideCount[0]), with their signed gaps in `amt`
 * when given (< 0: q below the box). Even and odd dimensions are summed apart
 * and then added: the two-lane order of the kernel, so both give the same bits.
 */
export function gapsOutside(q: Float64Array, box: Float64Array, off: number, dims: number, dimList: Int32Array, count: number, amt: Float64Array | null): number {
  let even = 0;
  let odd = 0;
  let w = 0;
  for (let k = 0; k < count; k++) {
    const d = dimList[k]!;
    const v = q[d]!;
    const mn = box[off + d]!;
    if (v < mn) {
      if (d & 1) odd += mn - v;
      else even += mn - v;
      if (amt) amt[w] = v - mn;
      dimList[w++] = d;
      continue;
    }
    const mx = box[off + dims + d]!;
    if (v > mx) {
      if (d & 1) odd += v - mx;
      else even += v - mx;
      if (amt) amt[w] = v - mx;
      dimList[w++] = d;
    }
  }
  outsideCount[0] = w;
  return even + odd;
}

export class NodeStore {
  readonly dims: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  /** Internal slots per tree (S - 1, at least 1 so arrays are never empty). */
  readonly capInternal: number;

  root: Int32Array;
  /** Points (with multiplicity) held by each tree. */
  mass: Int32Array;
  /**
   * Internal nodes, one 32-byte record each (array of structures: a descent
   * step touches one cache line instead of one per field array). Int32 view,
   * stride 8: [n*8] left, +1 right, +2 parent, +3 cutDim, +4 mass, +5 unused,
   * +6..+7 the cut value, read through the Float64 view of the same buffer
   * (stride 4): nodeF[n*4+3] = cutValue. toArrays()/loadArrays() convert
   * to and from the saved one-array-per-field format, which is unchanged.
   */
  node: Int32Array;
  nodeF: Float64Array;
  /**
   * Bounding boxes, one contiguous record per internal node (min and max side
   * by side, so a box check reads 3 cache lines instead of 2 x 2 from two
   * arrays): box[n*2*dims + d] = min, box[n*2*dims + dims + d] = max.
   */
  box: Float64Array;
  /**
   * Per internal node, the sum of its box's side lengths, sum_d (max_d - min_d),
   * summed in dimension order from the box whenever the box changes (never
   * updated by differences, so it is a pure function of the box: a restored
   * forest recomputes the same bits). A walk up the tree needs, at each level,
   * the side-length sum of box + q = rsum + (q's gaps outside the box), and the
   * gaps are non-zero only in the few dimensions where q is still outside, so a
   * level reads those dimensions only instead of every one (boxes are nested:
   * once q is inside a dimension it stays inside on the way up).
   */
  rsum: Float64Array;
  /** Leaves, stride 4: [l*4] point index, +1 mass, +2 parent, +3 hashPoint of the point (not saved: recomputed on load). */
  leaf: Int32Array;
  freeInternal: Int32Array;
  freeInternalCount: Int32Array;
  freeLeaf: Int32Array;
  freeLeafCount: Int32Array;
  /** Scratch: internal nodes on the current search path, root first. */
  private readonly kernel: WalkKernel | null;
  private readonly path: Int32Array;
  /** Scratch per path level: gap and merged side-length sum (insert). */
  private readonly gapAt: Float64Array;
  private readonly sumAt: Float64Array;
  /** Scratch (delete): dimensions whose box side changed at the last level. */
  private readonly chgDims: Int32Array;
  /** Scratch (insert without attribution): dimensions where q is still outside the box. */
  private readonly outDim: Int32Array;
  /** log2(k + 1), k = 0..sampleSize+1 (deterministic), for the fused score. */
  private readonly log2p1: Float64Array;
  /** Sink of the box prefetch loads in insert (never read). */
  touched = 0;
  /** Score (unscaled) and tree mass seen by the last insert. */
  lastScore = 0;
  lastMass = 0;
  /** Leaf slot that holds the point after the last insert (new or joined). */
  lastLeaf = -1;

  /**
   * `kernel`: the forest's WebAssembly walk kernel, whose memory then holds
   * the arrays the walks read (root, mass, node, box, rsum, leaf), so that the
   * kernel reads them in place (see kernel/walk-kernel.ts).
   */
  constructor(dims: number, numTrees: number, sampleSize: number, log2p1: Float64Array, kernel: WalkKernel | null = null) {
    this.dims = dims;
    this.numTrees = numTrees;
    this.sampleSize = sampleSize;
    const ci = Math.max(1, sampleSize - 1);
    this.capInternal = ci;
    const ni = numTrees * ci;
    const nl = numTrees * sampleSize;
    if (kernel) {
      this.root = kernel.root;
      this.mass = kernel.mass;
      this.node = kernel.node;
      this.nodeF = kernel.nodeF;
      this.box = kernel.box;
      this.rsum = kernel.rsum;
      this.leaf = kernel.leaf;
    } else {
      const buf = new ArrayBuffer(ni * 32);
      this.root = new Int32Array(numTrees);
      this.mass = new Int32Array(numTrees);
      this.node = new Int32Array(buf);
      this.nodeF = new Float64Array(buf);
      this.box = new Float64Array(ni * 2 * dims);
      this.rsum = new Float64Array(ni);
      this.leaf = new Int32Array(nl * 4);
    }
    this.root.fill(EMPTY);
    for (let n = 0; n < ni; n++) this.node[n * 8 + 2] = -1;
    for (let l = 0; l < nl; l++) {
      this.leaf[l * 4] = -1;
      this.leaf[l * 4 + 2] = -1;
    }
    this.freeInternal = new Int32Array(ni);
    this.freeInternalCount = new Int32Array(numTrees);
    this.freeLeaf = new Int32Array(nl);
    this.freeLeafCount = new Int32Array(numTrees);
    this.kernel = kernel;
    // With the kernel, its insertWalk fills these (in its memory) for insert's second half.
    this.path = kernel ? kernel.path : new Int32Array(sampleSize + 1);
    this.gapAt = kernel ? kernel.gapAt : new Float64Array(sampleSize + 1);
    this.sumAt = kernel ? kernel.sumAt : new Float64Array(sampleSize + 1);
    this.chgDims = new Int32Array(dims);
    this.outDim = new Int32Array(dims);
    this.log2p1 = log2p1;
    this.clear();
  }

  /** Empties every tree and resets the free lists to their initial order. */
  clear(): void {
    const ci = this.capInternal;
    const S = this.sampleSize;
    this.root.fill(EMPTY);
    this.mass.fill(0);
    for (let t = 0; t < this.numTrees; t++) {
      for (let k = 0; k < ci; k++) this.freeInternal[t * ci + k] = t * ci + (ci - 1 - k);
      this.freeInternalCount[t] = ci;
      for (let k = 0; k < S; k++) this.freeLeaf[t * S + k] = t * S + (S - 1 - k);
      this.freeLeafCount[t] = S;
    }
  }

  /** Points (with multiplicity) held by tree t. */
  treeMass(t: number): number {
    return this.mass[t]!;
  }

  /**
   * Sets every internal node's mass field to the sum of its leaves' masses
   * (insert and delete do not maintain them; see "Masses" above). Not a hot
   * path: allocates its two work lists.
   */
  computeInternalMasses(): void {
    const N = this.node;
    const LF = this.leaf;
    const stack = new Int32Array(this.capInternal);
    const order = new Int32Array(this.capInternal);
    for (let t = 0; t < this.numTrees; t++) {
      const root = this.root[t]!;
      if (root === EMPTY || root < 0) continue;
      // Pre-order into `order`; read backwards it has every child before its parent.
      let sp = 0;
      let len = 0;
      stack[sp++] = root;
      while (sp > 0) {
        const n = stack[--sp]!;
        order[len++] = n;
        const l = N[n * 8]!;
        const r = N[n * 8 + 1]!;
        if (l >= 0) stack[sp++] = l;
        if (r >= 0) stack[sp++] = r;
      }
      for (let k = len - 1; k >= 0; k--) {
        const n = order[k]!;
        const l = N[n * 8]!;
        const r = N[n * 8 + 1]!;
        N[n * 8 + 4] = (l < 0 ? LF[(~l) * 4 + 1]! : N[l * 8 + 4]!) + (r < 0 ? LF[(~r) * 4 + 1]! : N[r * 8 + 4]!);
      }
    }
  }

  /** Number of internal nodes and leaves in use over all trees. */
  nodesInUse(): { internal: number; leaves: number } {
    let internal = 0;
    let leaves = 0;
    for (let t = 0; t < this.numTrees; t++) {
      internal += this.capInternal - this.freeInternalCount[t]!;
      leaves += this.sampleSize - this.freeLeafCount[t]!;
    }
    return { internal, leaves };
  }

  private allocInternal(t: number): number {
    const c = this.freeInternalCount[t]!;
    if (c === 0) throw new Error(`RandomCutForest: tree ${t} has no free internal node (more than sampleSize=${this.sampleSize} distinct points)`);
    this.freeInternalCount[t] = c - 1;
    return this.freeInternal[t * this.capInternal + c - 1]!;
  }

  private allocLeaf(t: number): number {
    const c = this.freeLeafCount[t]!;
    if (c === 0) throw new Error(`RandomCutForest: tree ${t} has no free leaf (more than sampleSize=${this.sampleSize} points)`);
    this.freeLeafCount[t] = c - 1;
    return this.freeLeaf[t * this.sampleSize + c - 1]!;
  }

  private freeInternalNode(t: number, n: number): void {
    this.freeInternal[t * this.capInternal + this.freeInternalCount[t]!++] = n;
    this.node[n * 8 + 2] = -1;
    this.node[n * 8 + 4] = 0; // a free slot saves as mass 0, whatever it held
  }

  private freeLeafNode(t: number, l: number): void {
    this.freeLeaf[t * this.sampleSize + this.freeLeafCount[t]!++] = l;
    this.leaf[l * 4] = -1;
    this.leaf[l * 4 + 2] = -1;
    this.leaf[l * 4 + 1] = 0;
  }

  /** Points child reference `oldRef` of internal node p (or the root, p = -1) to `newRef`. */
  private replaceChild(t: number, p: number, oldRef: number, newRef: number): void {
    if (p < 0) this.root[t] = newRef;
    else if (this.node[p * 8] === oldRef) this.node[p * 8] = newRef;
    else this.node[p * 8 + 1] = newRef;
    if (newRef >= 0) this.node[newRef * 8 + 2] = p;
    else this.leaf[(~newRef) * 4 + 2] = p;
  }

  /**
   * Inserts point `q` (stored at `pointIdx`) into tree t. The new leaf goes
   * above the highest node v on q's search path at which a random cut of
   * box(v) + q (dimension with probability proportional to its range, value
   * uniform) separates q from box(v) -- the rule of Guha et al. and rrcf's
   * insert_point. It descends by the cuts to a leaf, then goes up only while q
   * lies outside the boxes (above, no cut can separate q: boxes are nested),
   * then draws top-down over those levels, one uniform per level, until a cut
   * separates. A normal point costs box work on a few bottom levels only.
   * The same walk yields q's AWS anomaly score against the tree as it was
   * before the insert (see visitors.ts; bit-identical to TreeVisitors.score):
   * left in `lastScore` (unscaled) with the tree's mass in `lastMass`; with
   * `at`, also its DiVector (unscaled, as TreeVisitors.attribution) in at.high/low.
   * Returns true when a new leaf refers to pointIdx (caller acquires a
   * reference), false when q joined an equal leaf (its mass went up).
   */
  insert(t: number, q: Float64Array, pointIdx: number, points: PointStore, prng: StreamPrng, at: AttrScratch | null = null): boolean {
    const dims = this.dims;
    const box = this.box;
    const pv = points.values;
    const N = this.node;
    const NF = this.nodeF;
    const LF = this.leaf;
    let r = this.root[t]!;
    if (r === EMPTY) {
      const l = this.allocLeaf(t);
      LF[l * 4] = pointIdx;
      LF[l * 4 + 1] = 1;
      LF[l * 4 + 3] = hashPoint(q, 0, dims);
      LF[l * 4 + 2] = -1;
      this.root[t] = ~l;
      this.mass[t] = 1;
      this.lastScore = 0;
      this.lastMass = 0;
      this.lastLeaf = l;
      if (at) {
        at.high.fill(0);
        at.low.fill(0);
        at.scale[0] = 1;
      }
      return true;
    }
    const path = this.path;
    const gaps = this.gapAt;
    const sums = this.sumAt;
    const rsum = this.rsum;
    let depth = 0;
    let top: number; // highest level whose box does not contain q (depth = the leaf)
    let score: number;
    let sum: number; // q's distance to the leaf point (sum over dimensions)
    const kernel = this.kernel;
    const kd = kernel !== null && points.inKernel && kernel.holds(q) && (at === null || at.high === kernel.attrHigh)
      ? kernel.insertWalk(t, q.byteOffset, at !== null)
      : -1;
    if (kd >= 0) {
      // The WebAssembly walk did the read-only half below (path, gaps, sums,
      // score, the DiVector in `at`), with the same operations.
      depth = kd;
      top = kernel!.walkTop[0]!;
      r = kernel!.walkTop[1]!;
      score = kernel!.walkScore[1]!;
      sum = kernel!.walkScore[2]!;
      const treeMass = this.mass[t]!;
      this.lastMass = treeMass;
      this.mass[t] = treeMass + 1;
    } else {
      while (r >= 0) {
        path[depth++] = r;
        r = q[N[r * 8 + 3]!]! <= NF[r * 4 + 3]! ? N[r * 8]! : N[r * 8 + 1]!;
      }
      const leaf = ~r;
      const lbase = LF[leaf * 4]! * dims;
      // Leaf level: q against the leaf point.
      sum = 0;
      for (let d = 0; d < dims; d++) {
        const a = pv[lbase + d]!;
        const b = q[d]!;
        sum += a > b ? a - b : b - a;
      }
      const lm = LF[leaf * 4 + 1]!;
      const treeMass = this.mass[t]!;
      this.lastMass = treeMass;
      this.mass[t] = treeMass + 1;
      if (sum === 0) {
        // duplicate: AWS damp x scoreSeen
        this.lastScore = (1 - lm / (2 * treeMass)) / (depth + this.log2p1[lm]!);
        if (at) duplicateAttribution(this, path, depth, r, q, pv, this.lastScore, at);
        LF[leaf * 4 + 1]!++;
        this.lastLeaf = leaf;
        return false;
      }
      score = 1 / (depth + 1);
      if (at) leafAttribution(pv, lbase, q, score, sum, at);
      // Attribution needs each level's gaps by dimension; without it the list of
      // dimensions where q is still outside lives in a scratch array of our own.
      const outDim = at ? at.gapDim : this.outDim;
      const gapAmt = at ? at.gapAmt : null;
      // Going up: record, per level where q lies outside the box, the gap (the
      // part of box+q's side lengths a separating cut can hit) and the merged
      // side-length sum rsum + gap; stop at the first box that contains q. The
      // score recursion uses the same numbers. The first level scans every
      // dimension; above it only those where q was still outside (see rsum).
      this.touched = touchLowBoxes(box, path, depth, dims);
      top = depth;
      let outside = dims;
      for (let k = 0; k < dims; k++) outDim[k] = k;
      for (let i = depth - 1; i >= 0; i--) {
        const n = path[i]!;
        const off = n * 2 * dims;
        const gap = gapsOutside(q, box, off, dims, outDim, outside, gapAmt);
        outside = outsideCount[0]!;
        const sumNew = rsum[n]! + gap;
        if (gap <= 0) break;
        top = i;
        gaps[i] = gap;
        sums[i] = sumNew;
        const sep = gap / sumNew;
        score = sep / (i + 1) + (1 - sep) * score;
        if (at) stepAttribution(at, outside, gap, sumNew, i);
      }
    }
    const base = LF[~r * 4]! * dims;
    // Coming down from `top`: one uniform per level; the cut separates q iff it
    // falls in the gap part (probability gap/sumNew). The first separating
    // level takes the new node; at the leaf every cut separates.
    let bestLevel = depth;
    let u = 0;
    for (let i = top; i < depth; i++) {
      u = prng.next() * sums[i]!;
      if (u < gaps[i]!) {
        bestLevel = i;
        break;
      }
    }
    let bestDim = -1;
    let bestCut = 0;
    if (bestLevel < depth) {
      // Where in the gap: walk the per-dimension gap parts.
      const off = path[bestLevel]! * 2 * dims;
      // The cut value is computed once, for the chosen dimension (the one the
      // remaining u falls in; the last gap dimension if rounding runs past).
      let uSel = u;
      for (let d = 0; d < dims; d++) {
        const v = q[d]!;
        const bmn = box[off + d]!;
        const bmx = box[off + dims + d]!;
        const g = v < bmn ? bmn - v : v > bmx ? v - bmx : 0;
        if (g > 0) {
          bestDim = d;
          uSel = u;
          if (u < g) break;
          u -= g;
        }
      }
      {
        u = uSel;
        const v = q[bestDim]!;
        const bmn = box[off + bestDim]!;
        const bmx = box[off + dims + bestDim]!;
        if (v < bmn) {
          // q <= cut < bmn
          bestCut = v + u;
          if (bestCut >= bmn) bestCut = nextDown(bmn);
        } else {
          // bmx <= cut < q
          bestCut = bmx + u;
          if (bestCut >= v) bestCut = nextDown(v);
        }
        if (bestCut < (v < bmn ? v : bmx)) bestCut = v < bmn ? v : bmx;
      }
    } else {
      // Two distinct points: every cut of their box separates them.
      u = prng.next() * sum;
      let lo = 0;
      let hi = 0;
      for (let d = 0; d < dims; d++) {
        const a = pv[base + d]!;
        const b = q[d]!;
        const mn = a < b ? a : b;
        const mx = a < b ? b : a;
        const range = mx - mn;
        if (range > 0) {
          bestDim = d;
          lo = mn;
          hi = mx;
          if (u < range) break;
          u -= range;
        }
      }
      bestCut = lo + u;
      if (bestCut >= hi) bestCut = nextDown(hi);
      if (bestCut < lo) bestCut = lo;
    }
    this.lastScore = score;
    // The node the new internal node adopts, and its parent.
    const child = bestLevel === depth ? r : path[bestLevel]!;
    const p = bestLevel === 0 ? -1 : path[bestLevel - 1]!;
    const n = this.allocInternal(t);
    const nl = this.allocLeaf(t);
    LF[nl * 4] = pointIdx;
    LF[nl * 4 + 1] = 1;
    LF[nl * 4 + 3] = hashPoint(q, 0, dims);
    N[n * 8 + 3] = bestDim;
    NF[n * 4 + 3] = bestCut;
    const noff = n * 2 * dims;
    // The new box, and its side-length sum in the same pass (the same
    // operations in the same order as sumSides, so the same bits).
    let sides = 0;
    if (child < 0) {
      for (let d = 0; d < dims; d++) {
        const a = pv[base + d]!;
        const b = q[d]!;
        const mn = a < b ? a : b;
        const mx = a < b ? b : a;
        box[noff + d] = mn;
        box[noff + dims + d] = mx;
        sides += mx - mn;
      }
    } else {
      const coff = child * 2 * dims;
      for (let d = 0; d < dims; d++) {
        const w = q[d]!;
        const a = box[coff + d]!;
        const b = box[coff + dims + d]!;
        const mn = w < a ? w : a;
        const mx = w > b ? w : b;
        box[noff + d] = mn;
        box[noff + dims + d] = mx;
        sides += mx - mn;
      }
    }
    rsum[n] = sides;
    this.replaceChild(t, p, child, n);
    if (q[bestDim]! <= bestCut) {
      N[n * 8] = ~nl;
      N[n * 8 + 1] = child;
    } else {
      N[n * 8] = child;
      N[n * 8 + 1] = ~nl;
    }
    if (child < 0) LF[(~child) * 4 + 2] = n;
    else N[child * 8 + 2] = n;
    LF[nl * 4 + 2] = n;
    this.lastLeaf = nl;
    // Ancestors from `top` down to the new node grow their box (those above contain q).
    if (kd >= 0) {
      kernel!.growPath(q.byteOffset, top, bestLevel);
      return true;
    }
    for (let i = top; i < bestLevel; i++) {
      const a = path[i]!;
      const off = a * 2 * dims;
      let s = 0;
      for (let d = 0; d < dims; d++) {
        const w = q[d]!;
        let mn = box[off + d]!;
        let mx = box[off + dims + d]!;
        if (w < mn) box[off + d] = mn = w;
        else if (w > mx) box[off + dims + d] = mx = w;
        s += mx - mn;
      }
      rsum[a] = s;
    }
    return true;
  }

  /**
   * Deletes one copy of point `q` from tree t. `leafHint` is the leaf slot the
   * insert of that copy reported (`lastLeaf`), which saves the descent; pass -1
   * to search by the cuts. Returns the point index the removed leaf referred to
   * (the caller releases it), or -1 when only the leaf's mass went down. Throws
   * when the tree does not hold q.
   */
  delete(t: number, q: Float64Array, points: PointStore, leafHint = -1): number {
    const N = this.node;
    const LF = this.leaf;
    let r = this.root[t]!;
    if (r === EMPTY) throw new Error(`RandomCutForest: delete from empty tree ${t}`);
    let leaf: number;
    if (leafHint >= 0) {
      leaf = leafHint;
    } else {
      while (r >= 0) r = q[N[r * 8 + 3]!]! <= this.nodeF[r * 4 + 3]! ? N[r * 8]! : N[r * 8 + 1]!;
      leaf = ~r;
    }
    r = ~leaf;
    const p = LF[leaf * 4 + 2]!;
    const idx = LF[leaf * 4]!;
    if (idx < 0 || LF[leaf * 4 + 1]! <= 0 || !points.equals(idx, q)) {
      throw new Error(`RandomCutForest: tree ${t} does not hold the point being deleted (internal state is inconsistent)`);
    }
    this.mass[t]!--;
    if (LF[leaf * 4 + 1]! > 1) {
      LF[leaf * 4 + 1]!--;
      return -1;
    }
    this.freeLeafNode(t, leaf);
    if (p < 0) {
      this.root[t] = EMPTY;
      return idx;
    }
    const sibling = N[p * 8] === r ? N[p * 8 + 1]! : N[p * 8]!;
    const g = N[p * 8 + 2]!;
    this.replaceChild(t, g, p, sibling);
    this.freeInternalNode(t, p);
    // The ancestors' boxes can only shrink where q touched a face, and stop
    // changing at the first unchanged box. A dimension of an ancestor's box can
    // change only if it changed in the child below it (the other child's box is
    // unchanged), so each level checks only the dimensions that changed one
    // level down (all of them at g).
    if (this.kernel !== null && points.inKernel) {
      this.kernel.shrinkUp(g); // the same boxes, every dimension at once
      return idx;
    }
    const chg = this.chgDims;
    const dims = this.dims;
    let nChg = dims;
    for (let d = 0; d < nChg; d++) chg[d] = d;
    for (let n = g; n >= 0 && nChg > 0; n = N[n * 8 + 2]!) nChg = this.shrinkBox(n, q, points, nChg);
    return idx;
  }

  /**
   * After q left node n's subtree: recomputes n's box from its children in
   * the dimensions chgDims[0..count) (those that changed one level down) where
   * q lay on a face of the box (elsewhere q did not define the box, so it
   * cannot shrink). Leaves in chgDims the dimensions that changed here, in
   * order, and returns how many.
   */
  private shrinkBox(n: number, q: Float64Array, points: PointStore, count: number): number {
    const dims = this.dims;
    const off = n * 2 * dims;
    const box = this.box;
    const chg = this.chgDims;
    const l = this.node[n * 8]!;
    const r = this.node[n * 8 + 1]!;
    const pv = points.values;
    const lLeaf = l < 0;
    const rLeaf = r < 0;
    // Bases into either the box array (internal child) or the point values (leaf).
    const lb = lLeaf ? this.leaf[(~l) * 4]! * dims : l * 2 * dims;
    const rb = rLeaf ? this.leaf[(~r) * 4]! * dims : r * 2 * dims;
    let w = 0;
    for (let k = 0; k < count; k++) {
      const d = chg[k]!;
      const v = q[d]!;
      if (v > box[off + d]! && v < box[off + dims + d]!) continue;
      const lmin = lLeaf ? pv[lb + d]! : box[lb + d]!;
      const lmax = lLeaf ? pv[lb + d]! : box[lb + dims + d]!;
      const rmin = rLeaf ? pv[rb + d]! : box[rb + d]!;
      const rmax = rLeaf ? pv[rb + d]! : box[rb + dims + d]!;
      const mn = lmin < rmin ? lmin : rmin;
      const mx = lmax > rmax ? lmax : rmax;
      if (mn !== box[off + d] || mx !== box[off + dims + d]) {
        box[off + d] = mn;
        box[off + dims + d] = mx;
        chg[w++] = d;
      }
    }
    if (w > 0) this.sumSides(n);
    return w;
  }

  /** Finds the leaf of tree t that q descends to (by the cuts), as a leaf slot; -1 when empty. */
  findLeaf(t: number, q: ArrayLike<number>): number {
    let r = this.root[t]!;
    if (r === EMPTY) return -1;
    while (r >= 0) r = q[this.node[r * 8 + 3]!]! <= this.nodeF[r * 4 + 3]! ? this.node[r * 8]! : this.node[r * 8 + 1]!;
    return ~r;
  }

  /** rsum[n] from n's box (see rsum). */
  private sumSides(n: number): void {
    const dims = this.dims;
    const box = this.box;
    const off = n * 2 * dims;
    let s = 0;
    for (let d = 0; d < dims; d++) s += box[off + dims + d]! - box[off + d]!;
    this.rsum[n] = s;
  }

  /** Bytes of the arrays, each counted by `count` (default: its byteLength; the forest leaves out those in the kernel's memory). */
  byteLength(count: (a: ArrayBufferView) => number = (a) => a.byteLength): number {
    let b = 0;
    for (const a of [this.mass, this.path, this.gapAt, this.sumAt, this.chgDims, this.outDim, this.root, this.node, this.box, this.rsum, this.leaf, this.freeInternal, this.freeInternalCount, this.freeLeaf, this.freeLeafCount]) {
      b += count(a);
    }
    return b;
  }

  /**
   * All arrays by name, for saving: the node and leaf records split into one
   * array per field (the saved format, independent of the in-memory layout).
   * The split arrays are fresh; the others are not copied.
   */
  toArrays(): Record<string, Int32Array | Float64Array> {
    this.computeInternalMasses();
    const ni = this.numTrees * this.capInternal;
    const nl = this.numTrees * this.sampleSize;
    const N = this.node;
    const NF = this.nodeF;
    const LF = this.leaf;
    const parent = new Int32Array(ni);
    const left = new Int32Array(ni);
    const right = new Int32Array(ni);
    const cutDim = new Int32Array(ni);
    const cutValue = new Float64Array(ni);
    const mass = new Int32Array(ni);
    for (let n = 0; n < ni; n++) {
      left[n] = N[n * 8]!;
      right[n] = N[n * 8 + 1]!;
      parent[n] = N[n * 8 + 2]!;
      cutDim[n] = N[n * 8 + 3]!;
      mass[n] = N[n * 8 + 4]!;
      cutValue[n] = NF[n * 4 + 3]!;
    }
    const dims = this.dims;
    const box = this.box;
    const boxMin = new Float64Array(ni * dims);
    const boxMax = new Float64Array(ni * dims);
    for (let n = 0; n < ni; n++) {
      for (let d = 0; d < dims; d++) {
        boxMin[n * dims + d] = box[n * 2 * dims + d]!;
        boxMax[n * dims + d] = box[n * 2 * dims + dims + d]!;
      }
    }
    const leafPoint = new Int32Array(nl);
    const leafMass = new Int32Array(nl);
    const leafParent = new Int32Array(nl);
    for (let l = 0; l < nl; l++) {
      leafPoint[l] = LF[l * 4]!;
      leafMass[l] = LF[l * 4 + 1]!;
      leafParent[l] = LF[l * 4 + 2]!;
    }
    return {
      root: this.root.slice(), parent, left, right, cutDim, cutValue,
      mass, boxMin, boxMax, leafParent, leafPoint,
      leafMass, freeInternal: this.freeInternal, freeInternalCount: this.freeInternalCount,
      freeLeaf: this.freeLeaf, freeLeafCount: this.freeLeafCount,
    };
  }

  /** Takes over saved arrays (checked for size and type); node and leaf fields are copied into the records. */
  /** Sets every live leaf's point hash (leaf[l*4+3]) from the point store: after loadArrays, once the points are restored. */
  rehashLeaves(points: PointStore): void {
    const LF = this.leaf;
    const dims = this.dims;
    for (let l = 0; l < LF.length >> 2; l++) {
      const idx = LF[l * 4]!;
      if (idx >= 0) LF[l * 4 + 3] = hashPoint(points.values, idx * dims, dims);
    }
  }

  loadArrays(a: Record<string, unknown>): void {
    const take = <T extends Int32Array | Float64Array>(name: string, ctor: new (n: number) => T, length: number): T => {
      const v = a[name];
      if (!(v instanceof ctor) || (v as T).length !== length) {
        throw new Error(`RandomCutForest.fromState: array "${name}" must be a ${ctor.name} of length ${length}, got ${describe(v)}`);
      }
      return v as T;
    };
    const ni = this.numTrees * this.capInternal;
    const nl = this.numTrees * this.sampleSize;
    const root = take('root', Int32Array, this.numTrees);
    const parent = take('parent', Int32Array, ni);
    const left = take('left', Int32Array, ni);
    const right = take('right', Int32Array, ni);
    const cutDim = take('cutDim', Int32Array, ni);
    const cutValue = take('cutValue', Float64Array, ni);
    const mass = take('mass', Int32Array, ni);
    const boxMin = take('boxMin', Float64Array, ni * this.dims);
    const boxMax = take('boxMax', Float64Array, ni * this.dims);
    const leafParent = take('leafParent', Int32Array, nl);
    const leafPoint = take('leafPoint', Int32Array, nl);
    const leafMass = take('leafMass', Int32Array, nl);
    const freeInternal = take('freeInternal', Int32Array, ni);
    const freeInternalCount = take('freeInternalCount', Int32Array, this.numTrees);
    const freeLeaf = take('freeLeaf', Int32Array, nl);
    const freeLeafCount = take('freeLeafCount', Int32Array, this.numTrees);
    const N = this.node;
    const NF = this.nodeF;
    const LF = this.leaf;
    for (let n = 0; n < ni; n++) {
      N[n * 8] = left[n]!;
      N[n * 8 + 1] = right[n]!;
      N[n * 8 + 2] = parent[n]!;
      N[n * 8 + 3] = cutDim[n]!;
      N[n * 8 + 4] = mass[n]!;
      NF[n * 4 + 3] = cutValue[n]!;
    }
    for (let l = 0; l < nl; l++) {
      LF[l * 4] = leafPoint[l]!;
      LF[l * 4 + 1] = leafMass[l]!;
      LF[l * 4 + 2] = leafParent[l]!;
    }
    this.root.set(root);
    for (let t = 0; t < this.numTrees; t++) {
      const r = root[t]!;
      this.mass[t] = r === EMPTY ? 0 : r >= 0 ? mass[r]! : leafMass[~r]!;
    }
    const dims = this.dims;
    const box = this.box;
    for (let n = 0; n < ni; n++) {
      for (let d = 0; d < dims; d++) {
        box[n * 2 * dims + d] = boxMin[n * dims + d]!;
        box[n * 2 * dims + dims + d] = boxMax[n * dims + d]!;
      }
      this.sumSides(n);
    }
    this.freeInternal = freeInternal;
    this.freeInternalCount = freeInternalCount;
    this.freeLeaf = freeLeaf;
    this.freeLeafCount = freeLeafCount;
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (ArrayBuffer.isView(v)) return `${(v as object).constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return typeof v;
}
