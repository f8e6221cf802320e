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
 * Bounding boxes are stored per internal node (boxMin/boxMax, S-1 x dims
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
 */
import type { Prng } from '../random/prng.ts';
import type { PointStore } from './point-store.ts';
import { duplicateAttribution, leafAttribution, stepAttribution, type AttrScratch } from './attribution.ts';

export const EMPTY = 0x7fffffff;

const nextDownBuf = new DataView(new ArrayBuffer(8));
/** The largest double below x (x finite, != 0 handled), for cuts that rounded up to the box edge. */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  nextDownBuf.setFloat64(0, x);
  const bits = nextDownBuf.getBigUint64(0);
  nextDownBuf.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return nextDownBuf.getFloat64(0);
}

export class NodeStore {
  readonly dims: number;
  readonly numTrees: number;
  readonly sampleSize: number;
  /** Internal slots per tree (S - 1, at least 1 so arrays are never empty). */
  readonly capInternal: number;

  root: Int32Array;
  parent: Int32Array;
  left: Int32Array;
  right: Int32Array;
  cutDim: Int32Array;
  cutValue: Float64Array;
  mass: Int32Array;
  boxMin: Float64Array;
  boxMax: Float64Array;
  leafParent: Int32Array;
  leafPoint: Int32Array;
  leafMass: Int32Array;
  freeInternal: Int32Array;
  freeInternalCount: Int32Array;
  freeLeaf: Int32Array;
  freeLeafCount: Int32Array;
  /** Scratch: internal nodes on the current search path, root first. */
  private readonly path: Int32Array;
  /** Scratch per path level: gap and merged side-length sum (insert). */
  private readonly gapAt: Float64Array;
  private readonly sumAt: Float64Array;
  /** log2(k + 1), k = 0..sampleSize+1 (deterministic), for the fused score. */
  private readonly log2p1: Float64Array;
  /** Score (unscaled) and tree mass seen by the last insert. */
  lastScore = 0;
  lastMass = 0;
  /** Leaf slot that holds the point after the last insert (new or joined). */
  lastLeaf = -1;

  constructor(dims: number, numTrees: number, sampleSize: number, log2p1: Float64Array) {
    this.dims = dims;
    this.numTrees = numTrees;
    this.sampleSize = sampleSize;
    const ci = Math.max(1, sampleSize - 1);
    this.capInternal = ci;
    const ni = numTrees * ci;
    const nl = numTrees * sampleSize;
    this.root = new Int32Array(numTrees).fill(EMPTY);
    this.parent = new Int32Array(ni).fill(-1);
    this.left = new Int32Array(ni);
    this.right = new Int32Array(ni);
    this.cutDim = new Int32Array(ni);
    this.cutValue = new Float64Array(ni);
    this.mass = new Int32Array(ni);
    this.boxMin = new Float64Array(ni * dims);
    this.boxMax = new Float64Array(ni * dims);
    this.leafParent = new Int32Array(nl).fill(-1);
    this.leafPoint = new Int32Array(nl).fill(-1);
    this.leafMass = new Int32Array(nl);
    this.freeInternal = new Int32Array(ni);
    this.freeInternalCount = new Int32Array(numTrees);
    this.freeLeaf = new Int32Array(nl);
    this.freeLeafCount = new Int32Array(numTrees);
    this.path = new Int32Array(sampleSize + 1);
    this.gapAt = new Float64Array(sampleSize + 1);
    this.sumAt = new Float64Array(sampleSize + 1);
    this.log2p1 = log2p1;
    this.clear();
  }

  /** Empties every tree and resets the free lists to their initial order. */
  clear(): void {
    const ci = this.capInternal;
    const S = this.sampleSize;
    this.root.fill(EMPTY);
    for (let t = 0; t < this.numTrees; t++) {
      for (let k = 0; k < ci; k++) this.freeInternal[t * ci + k] = t * ci + (ci - 1 - k);
      this.freeInternalCount[t] = ci;
      for (let k = 0; k < S; k++) this.freeLeaf[t * S + k] = t * S + (S - 1 - k);
      this.freeLeafCount[t] = S;
    }
  }

  /** Points (with multiplicity) held by tree t. */
  treeMass(t: number): number {
    const r = this.root[t]!;
    if (r === EMPTY) return 0;
    return r >= 0 ? this.mass[r]! : this.leafMass[~r]!;
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
    this.parent[n] = -1;
  }

  private freeLeafNode(t: number, l: number): void {
    this.freeLeaf[t * this.sampleSize + this.freeLeafCount[t]!++] = l;
    this.leafPoint[l] = -1;
    this.leafParent[l] = -1;
    this.leafMass[l] = 0;
  }

  /** Points child reference `oldRef` of internal node p (or the root, p = -1) to `newRef`. */
  private replaceChild(t: number, p: number, oldRef: number, newRef: number): void {
    if (p < 0) this.root[t] = newRef;
    else if (this.left[p] === oldRef) this.left[p] = newRef;
    else this.right[p] = newRef;
    if (newRef >= 0) this.parent[newRef] = p;
    else this.leafParent[~newRef] = p;
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
  insert(t: number, q: Float64Array, pointIdx: number, points: PointStore, prng: Prng, at: AttrScratch | null = null): boolean {
    const dims = this.dims;
    const boxMin = this.boxMin;
    const boxMax = this.boxMax;
    const pv = points.values;
    let r = this.root[t]!;
    if (r === EMPTY) {
      const l = this.allocLeaf(t);
      this.leafPoint[l] = pointIdx;
      this.leafMass[l] = 1;
      this.leafParent[l] = -1;
      this.root[t] = ~l;
      this.lastScore = 0;
      this.lastMass = 0;
      this.lastLeaf = l;
      if (at) {
        at.high.fill(0);
        at.low.fill(0);
      }
      return true;
    }
    const path = this.path;
    let depth = 0;
    while (r >= 0) {
      path[depth++] = r;
      r = q[this.cutDim[r]!]! <= this.cutValue[r]! ? this.left[r]! : this.right[r]!;
    }
    const leaf = ~r;
    const base = this.leafPoint[leaf]! * dims;
    // Leaf level: q against the leaf point.
    let sum = 0;
    for (let d = 0; d < dims; d++) {
      const a = pv[base + d]!;
      const b = q[d]!;
      sum += a > b ? a - b : b - a;
    }
    const lm = this.leafMass[leaf]!;
    const treeMass = depth > 0 ? this.mass[path[0]!]! : lm;
    this.lastMass = treeMass;
    if (sum === 0) {
      // duplicate: AWS damp x scoreSeen
      this.lastScore = (1 - lm / (2 * treeMass)) / (depth + this.log2p1[lm]!);
      if (at) duplicateAttribution(this, path, depth, r, q, pv, this.lastScore, at);
      this.leafMass[leaf]!++;
      for (let i = 0; i < depth; i++) this.mass[path[i]!]!++;
      this.lastLeaf = leaf;
      return false;
    }
    let score = 1 / (depth + 1);
    if (at) leafAttribution(pv, base, q, score, sum, at);
    const dh = at ? at.dh : null;
    const dl = at ? at.dl : null;
    // Going up: record, per level where q lies outside the box, the gap (the
    // part of box+q's side lengths a separating cut can hit) and the merged
    // side-length sum; stop at the first box that contains q. The score
    // recursion uses the same numbers.
    const gaps = this.gapAt;
    const sums = this.sumAt;
    let top = depth; // highest level whose box does not contain q (depth = the leaf)
    for (let i = depth - 1; i >= 0; i--) {
      const off = path[i]! * dims;
      let gap = 0;
      let sumNew = 0;
      if (dh && dl) {
        for (let d = 0; d < dims; d++) {
          let mn = boxMin[off + d]!;
          let mx = boxMax[off + d]!;
          const v = q[d]!;
          dh[d] = 0;
          dl[d] = 0;
          if (v < mn) {
            dl[d] = mn - v;
            gap += mn - v;
            mn = v;
          } else if (v > mx) {
            dh[d] = v - mx;
            gap += v - mx;
            mx = v;
          }
          sumNew += mx - mn;
        }
      } else {
        for (let d = 0; d < dims; d++) {
          let mn = boxMin[off + d]!;
          let mx = boxMax[off + d]!;
          const v = q[d]!;
          if (v < mn) {
            gap += mn - v;
            mn = v;
          } else if (v > mx) {
            gap += v - mx;
            mx = v;
          }
          sumNew += mx - mn;
        }
      }
      if (gap <= 0) break;
      top = i;
      gaps[i] = gap;
      sums[i] = sumNew;
      const sep = gap / sumNew;
      score = sep / (i + 1) + (1 - sep) * score;
      if (at) stepAttribution(at, dims, gap, sumNew, i);
    }
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
      const off = path[bestLevel]! * dims;
      for (let d = 0; d < dims; d++) {
        const v = q[d]!;
        const bmn = boxMin[off + d]!;
        const bmx = boxMax[off + d]!;
        const g = v < bmn ? bmn - v : v > bmx ? v - bmx : 0;
        if (g > 0) {
          bestDim = d;
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
          if (u < g) break;
          u -= g;
        }
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
    this.leafPoint[nl] = pointIdx;
    this.leafMass[nl] = 1;
    this.cutDim[n] = bestDim;
    this.cutValue[n] = bestCut;
    const noff = n * dims;
    if (child < 0) {
      this.mass[n] = this.leafMass[leaf]! + 1;
      for (let d = 0; d < dims; d++) {
        const a = pv[base + d]!;
        const b = q[d]!;
        boxMin[noff + d] = a < b ? a : b;
        boxMax[noff + d] = a < b ? b : a;
      }
    } else {
      this.mass[n] = this.mass[child]! + 1;
      const coff = child * dims;
      for (let d = 0; d < dims; d++) {
        const w = q[d]!;
        const a = boxMin[coff + d]!;
        const b = boxMax[coff + d]!;
        boxMin[noff + d] = w < a ? w : a;
        boxMax[noff + d] = w > b ? w : b;
      }
    }
    this.replaceChild(t, p, child, n);
    if (q[bestDim]! <= bestCut) {
      this.left[n] = ~nl;
      this.right[n] = child;
    } else {
      this.left[n] = child;
      this.right[n] = ~nl;
    }
    if (child < 0) this.leafParent[~child] = n;
    else this.parent[child] = n;
    this.leafParent[nl] = n;
    this.lastLeaf = nl;
    // Ancestors gain the point; those from `top` down to the new node grow their box.
    for (let i = 0; i < bestLevel; i++) {
      const a = path[i]!;
      this.mass[a]!++;
      if (i >= top) {
        const off = a * dims;
        for (let d = 0; d < dims; d++) {
          const w = q[d]!;
          if (w < boxMin[off + d]!) boxMin[off + d] = w;
          else if (w > boxMax[off + d]!) boxMax[off + d] = w;
        }
      }
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
    let r = this.root[t]!;
    if (r === EMPTY) throw new Error(`RandomCutForest: delete from empty tree ${t}`);
    let leaf: number;
    if (leafHint >= 0) {
      leaf = leafHint;
    } else {
      while (r >= 0) r = q[this.cutDim[r]!]! <= this.cutValue[r]! ? this.left[r]! : this.right[r]!;
      leaf = ~r;
    }
    r = ~leaf;
    const p = this.leafParent[leaf]!;
    const idx = this.leafPoint[leaf]!;
    if (idx < 0 || this.leafMass[leaf]! <= 0 || !points.equals(idx, q)) {
      throw new Error(`RandomCutForest: tree ${t} does not hold the point being deleted (internal state is inconsistent)`);
    }
    if (this.leafMass[leaf]! > 1) {
      this.leafMass[leaf]!--;
      for (let n = p; n >= 0; n = this.parent[n]!) this.mass[n]!--;
      return -1;
    }
    this.freeLeafNode(t, leaf);
    if (p < 0) {
      this.root[t] = EMPTY;
      return idx;
    }
    const sibling = this.left[p] === r ? this.right[p]! : this.left[p]!;
    const g = this.parent[p]!;
    this.replaceChild(t, g, p, sibling);
    this.freeInternalNode(t, p);
    // Ancestors lose one unit of mass; their boxes can only shrink where q
    // touched a face, and stop changing at the first unchanged box.
    let changed = true;
    for (let n = g; n >= 0; n = this.parent[n]!) {
      this.mass[n]!--;
      if (changed) changed = this.shrinkBox(n, q, points);
    }
    return idx;
  }

  /**
   * After q left node n's subtree: recomputes n's box from its children in the
   * dimensions where q lay on a face of the box (elsewhere q did not define
   * the box, so it cannot shrink). Returns whether any side changed.
   */
  private shrinkBox(n: number, q: Float64Array, points: PointStore): boolean {
    const dims = this.dims;
    const off = n * dims;
    const bmin = this.boxMin;
    const bmax = this.boxMax;
    const l = this.left[n]!;
    const r = this.right[n]!;
    const pv = points.values;
    const lLeaf = l < 0;
    const rLeaf = r < 0;
    // Bases into either the box arrays (internal child) or the point values (leaf).
    const lb = lLeaf ? this.leafPoint[~l]! * dims : l * dims;
    const rb = rLeaf ? this.leafPoint[~r]! * dims : r * dims;
    let changed = false;
    for (let d = 0; d < dims; d++) {
      const v = q[d]!;
      if (v > bmin[off + d]! && v < bmax[off + d]!) continue;
      const lmin = lLeaf ? pv[lb + d]! : bmin[lb + d]!;
      const lmax = lLeaf ? pv[lb + d]! : bmax[lb + d]!;
      const rmin = rLeaf ? pv[rb + d]! : bmin[rb + d]!;
      const rmax = rLeaf ? pv[rb + d]! : bmax[rb + d]!;
      const mn = lmin < rmin ? lmin : rmin;
      const mx = lmax > rmax ? lmax : rmax;
      if (mn !== bmin[off + d] || mx !== bmax[off + d]) {
        changed = true;
        bmin[off + d] = mn;
        bmax[off + d] = mx;
      }
    }
    return changed;
  }

  /** Finds the leaf of tree t that q descends to (by the cuts), as a leaf slot; -1 when empty. */
  findLeaf(t: number, q: ArrayLike<number>): number {
    let r = this.root[t]!;
    if (r === EMPTY) return -1;
    while (r >= 0) r = q[this.cutDim[r]!]! <= this.cutValue[r]! ? this.left[r]! : this.right[r]!;
    return ~r;
  }

  byteLength(): number {
    let b = this.path.byteLength + this.gapAt.byteLength + this.sumAt.byteLength;
    for (const a of this.arrayList()) b += a.byteLength;
    return b;
  }

  private arrayList(): (Int32Array | Float64Array)[] {
    return [
      this.root, this.parent, this.left, this.right, this.cutDim, this.cutValue, this.mass, this.boxMin, this.boxMax,
      this.leafParent, this.leafPoint, this.leafMass, this.freeInternal, this.freeInternalCount, this.freeLeaf, this.freeLeafCount,
    ];
  }

  /** All arrays by name, for saving (not copied). */
  toArrays(): Record<string, Int32Array | Float64Array> {
    return {
      root: this.root, parent: this.parent, left: this.left, right: this.right, cutDim: this.cutDim, cutValue: this.cutValue,
      mass: this.mass, boxMin: this.boxMin, boxMax: this.boxMax, leafParent: this.leafParent, leafPoint: this.leafPoint,
      leafMass: this.leafMass, freeInternal: this.freeInternal, freeInternalCount: this.freeInternalCount,
      freeLeaf: this.freeLeaf, freeLeafCount: this.freeLeafCount,
    };
  }

  /** Takes over saved arrays (checked for size and type). */
  loadArrays(a: Record<string, unknown>): void {
    const take = <T extends Int32Array | Float64Array>(name: string, cur: T): T => {
      const v = a[name];
      const ctor = cur.constructor as unknown as { name: string };
      if (!(v instanceof (cur.constructor as unknown as new () => T)) || (v as T).length !== cur.length) {
        throw new Error(`RandomCutForest.fromState: array "${name}" must be a ${ctor.name} of length ${cur.length}, got ${describe(v)}`);
      }
      return v as T;
    };
    this.root = take('root', this.root);
    this.parent = take('parent', this.parent);
    this.left = take('left', this.left);
    this.right = take('right', this.right);
    this.cutDim = take('cutDim', this.cutDim);
    this.cutValue = take('cutValue', this.cutValue);
    this.mass = take('mass', this.mass);
    this.boxMin = take('boxMin', this.boxMin);
    this.boxMax = take('boxMax', this.boxMax);
    this.leafParent = take('leafParent', this.leafParent);
    this.leafPoint = take('leafPoint', this.leafPoint);
    this.leafMass = take('leafMass', this.leafMass);
    this.freeInternal = take('freeInternal', this.freeInternal);
    this.freeInternalCount = take('freeInternalCount', this.freeInternalCount);
    this.freeLeaf = take('freeLeaf', this.freeLeaf);
    this.freeLeafCount = take('freeLeafCount', this.freeLeafCount);
  }
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (ArrayBuffer.isView(v)) return `${(v as object).constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return typeof v;
}
