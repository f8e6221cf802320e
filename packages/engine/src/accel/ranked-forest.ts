/**
 * Rank encoding of a fitted Isolation Forest, so that GPU kernels working in
 * float32 take exactly the same branches as the float64 JS loop.
 *
 * Why. A point goes right at node n when x[f] > split[n] (float64). A GPU compares
 * float32 values, and rounding both sides to float32 can turn x > split into a tie
 * (f32(x) == f32(split)), sending the point the other way. Instead, for each
 * feature f we sort the distinct split values used on f (S_f), replace every
 * split by its rank in S_f, and every data value by its bin
 * b(x) = #{ s in S_f : s < x } (computed in float64 on the CPU). Then
 *
 *     x > S_f[k]  <=>  b(x) > k
 *
 * exactly, and both sides are small integers (< 2^24), which float32 holds
 * exactly. Leaves get rank LEAF_RANK, which no bin exceeds, and point at
 * themselves (as in the state layout), so a fixed `walkDepth`-step walk needs no
 * branch. Output of the kernels is the leaf reached per (tree, point); the path
 * lengths are summed on the CPU in float64 in tree order, exactly as
 * `accumulatePathLengths` does, so the sums are bit-identical.
 *
 * Binning costs O(rows * cols * log |S_f|) on the CPU, against
 * O(rows * trees * walkDepth) for the walk itself.
 */
import type { IsolationForestState } from '../iforest/state.ts';

/** Rank of a leaf: larger than any bin (bins are < 2^24). */
export const LEAF_RANK = 3.0e38;
const MAX_EXACT_INT_F32 = 1 << 24;

export interface RankedForest {
  readonly numTrees: number;
  readonly numNodes: number;
  readonly numFeatures: number;
  readonly walkDepth: number;
  /** Root node of each tree. */
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly left: Int32Array;
  /** Rank of each internal node's split within its feature's sorted splits; LEAF_RANK for leaves. */
  readonly rank: Float32Array;
  /** Sorted distinct split values of each feature. */
  readonly splits: readonly Float64Array[];
  /** The state's path lengths (summed on the CPU). */
  readonly pathLength: Float64Array;
}

const cache = new WeakMap<IsolationForestState, RankedForest>();

export function rankForest(state: IsolationForestState): RankedForest {
  const hit = cache.get(state);
  if (hit) return hit;
  const { numTrees, numFeatures, feature, split, left, treeOffsets, walkDepth } = state;
  const numNodes = feature.length;
  const perFeature: number[][] = Array.from({ length: numFeatures }, () => []);
  for (let n = 0; n < numNodes; n++) if (left[n] !== n) perFeature[feature[n]!]!.push(split[n]!);
  const splits = perFeature.map((values) => {
    const sorted = Float64Array.from(values).sort();
    let u = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i]!;
    if (u >= MAX_EXACT_INT_F32) throw new RangeError(`rankForest: feature has ${u} distinct splits; float32 ranks are exact only below 2^24`);
    return sorted.slice(0, u);
  });
  const rank = new Float32Array(numNodes);
  for (let n = 0; n < numNodes; n++) {
    rank[n] = left[n] === n ? LEAF_RANK : lowerBound(splits[feature[n]!]!, split[n]!);
  }
  const roots = Int32Array.from({ length: numTrees }, (_, t) => treeOffsets[t]!);
  if (numNodes >= MAX_EXACT_INT_F32) throw new RangeError(`rankForest: ${numNodes} nodes; float32 node indices are exact only below 2^24`);
  const ranked: RankedForest = { numTrees, numNodes, numFeatures, walkDepth, roots, feature, left, rank, splits, pathLength: state.pathLength };
  cache.set(state, ranked);
  return ranked;
}

/** First index i with a[i] >= x (= number of elements < x). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bins of rows [from, to) of a row-major float64 matrix, row-major float32. */
export function binRows(forest: RankedForest, data: Float64Array, cols: number, from: number, to: number, out?: Float32Array): Float32Array {
  if (cols !== forest.numFeatures) throw new RangeError(`binRows: data has ${cols} columns, the forest ${forest.numFeatures}`);
  const m = to - from;
  const bins = out ?? new Float32Array(m * cols);
  for (let f = 0; f < cols; f++) {
    const s = forest.splits[f]!;
    for (let i = 0; i < m; i++) bins[i * cols + f] = lowerBound(s, data[(from + i) * cols + f]!);
  }
  return bins;
}

/**
 * acc[offset + p] = sum over trees t (in order) of pathLength[leaves[t * m + p]], in float64:
 * the same additions in the same order as `accumulatePathLengths`.
 */
export function sumLeafPathLengths(forest: RankedForest, leaves: ArrayLike<number>, m: number, acc: Float64Array, offset: number): void {
  const pl = forest.pathLength;
  for (let p = 0; p < m; p++) acc[offset + p] = 0;
  for (let t = 0; t < forest.numTrees; t++) {
    const base = t * m;
    for (let p = 0; p < m; p++) acc[offset + p] += pl[leaves[base + p]!]!;
  }
}

/** The walk on bins in plain JS (reference for the kernels; same branches as the float64 loop). */
export function leavesJs(forest: RankedForest, bins: Float32Array, m: number, out?: Int32Array): Int32Array {
  const { roots, feature, left, rank, walkDepth, numTrees, numFeatures: d } = forest;
  const leaves = out ?? new Int32Array(numTrees * m);
  for (let t = 0; t < numTrees; t++) {
    for (let p = 0; p < m; p++) {
      let n = roots[t]!;
      for (let k = 0; k < walkDepth; k++) n = left[n]! + (bins[p * d + feature[n]!]! > rank[n]! ? 1 : 0);
      leaves[t * m + p] = n;
    }
  }
  return leaves;
}
