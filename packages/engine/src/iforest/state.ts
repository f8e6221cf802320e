/**
 * The fitted forest as flat typed arrays: the one representation that the JS
 * scorer, the tfjs kernels and the model file all read. Nothing here is an
 * object per node.
 *
 * Layout. Nodes of all trees live in one set of arrays; tree t owns the
 * global node indices [treeOffsets[t], treeOffsets[t + 1]) and its root is
 * `treeOffsets[t]`. For node n:
 *
 * - `left[n]`: global index of the left child; the right child is always
 *   `left[n] + 1`. A leaf points at itself (`left[n] === n`). Children
 *   always have larger indices than their parent (one forward pass over a
 *   tree visits parents first).
 * - `feature[n]`, `split[n]`: a point x goes left when
 *   `x[feature[n]] <= split[n]` (scikit-learn's convention), else right.
 *   Leaves hold feature 0 and split +Infinity, so for finite x a leaf sends
 *   the point back to itself.
 *
 * Those two rules together let a scorer walk every point exactly
 * `walkDepth` steps with `n = left[n] + (x[feature[n]] > split[n] ? 1 : 0)`,
 * with no test for "is this a leaf" (no data-dependent branch, and the same
 * instruction stream for every point: good for CPUs and for GPU kernels).
 *
 * - `pathLength[n]`: for a leaf, its depth (edges from the root) plus
 *   c(size), the expected depth still needed to isolate the `size` training
 *   points that share it. 0 for internal nodes.
 * - `size[n]`: training (sub-sample) points that reached node n.
 *
 * Score of x: 2^(-mean_t pathLength[leaf_t(x)] / c(psi)), psi = `psi`.
 */
export interface IsolationForestState {
  /** Number of trees. */
  readonly numTrees: number;
  /** Columns of the training matrix; every scored matrix must have as many. */
  readonly numFeatures: number;
  /** Points each tree was grown on: min(sampleSize, training rows). */
  readonly psi: number;
  /** Deepest leaf over the whole forest: steps a fixed-depth walk needs. */
  readonly walkDepth: number;
  /** Global node range of each tree, length numTrees + 1. */
  readonly treeOffsets: Int32Array;
  readonly feature: Int32Array;
  readonly split: Float64Array;
  readonly left: Int32Array;
  readonly pathLength: Float64Array;
  readonly size: Int32Array;
}
