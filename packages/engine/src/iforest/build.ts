/**
 * Growing the isolation trees (Liu, Ting & Zhou 2008, Algorithms 1 and 2),
 * with the split rules of scikit-learn's IsolationForest (an ExtraTree with
 * max_features = 1):
 *
 * - each tree sees psi = min(sampleSize, rows) distinct rows, drawn without
 *   replacement by a partial Fisher-Yates shuffle of a row-index permutation;
 * - a node becomes a leaf at the depth limit, with <= 1 point, or when every
 *   feature is constant over its points;
 * - otherwise the split feature is drawn uniformly among the features that are
 *   not constant over the node's points (features are drawn without
 *   replacement until a non-constant one turns up, as sklearn's random
 *   splitter does), and the split value uniformly in [min, max) of that
 *   feature over the node's points; points with x <= split go left, so both
 *   children are non-empty.
 *
 * Output is the flat layout documented in `state.ts`. Randomness: one `Prng`
 * seeded with `seed`; each tree draws from its own fork, so tree t does not
 * depend on how many numbers earlier trees consumed.
 */
import type { Matrix } from '../matrix.ts';
import { Prng } from '../random/prng.ts';
import { averagePathLength } from './path-length.ts';
import type { IsolationForestState } from './state.ts';

export interface BuildOptions {
  readonly numTrees: number;
  readonly sampleSize: number;
  readonly seed: number;
  /** Depth limit; default ceil(log2(psi)) (at least 1). */
  readonly maxDepth?: number;
}

export function defaultDepthLimit(psi: number): number {
  return Math.ceil(Math.log2(Math.max(psi, 2)));
}

export function buildForest(X: Matrix, opts: BuildOptions): IsolationForestState {
  const { data, rows: n, cols: d } = X;
  const numTrees = opts.numTrees;
  const psi = Math.min(opts.sampleSize, n);
  const depthLimit = opts.maxDepth ?? defaultDepthLimit(psi);
  // A binary tree with psi points and non-empty leaves has at most 2 psi - 1 nodes,
  // and one of depth <= depthLimit at most 2^(depthLimit+1) - 1.
  const maxNodesPerTree = Math.min(2 * psi - 1, 2 ** (depthLimit + 1) - 1);
  const cap = numTrees * maxNodesPerTree;
  const feature = new Int32Array(cap);
  const split = new Float64Array(cap);
  const left = new Int32Array(cap);
  const pathLength = new Float64Array(cap);
  const size = new Int32Array(cap);
  const treeOffsets = new Int32Array(numTrees + 1);

  // Work buffers, allocated once per fit.
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const cols = new Float64Array(d * psi); // the tree's sample, column-major: cols[f * psi + k]
  const pos = new Int32Array(psi); // sample positions, partitioned node by node
  const features = new Int32Array(d);
  for (let f = 0; f < d; f++) features[f] = f;
  // DFS stack of pending nodes; at most one pending node per leaf, so psi + 1 suffices.
  const stackNode = new Int32Array(psi + 1);
  const stackStart = new Int32Array(psi + 1);
  const stackEnd = new Int32Array(psi + 1);
  const stackDepth = new Int32Array(psi + 1);

  const master = new Prng(opts.seed);
  let next = 0; // next free global node index
  let walkDepth = 0;

  for (let t = 0; t < numTrees; t++) {
    const rng = master.fork();
    treeOffsets[t] = next;

    // Sub-sample without replacement: a partial Fisher-Yates shuffle of perm. Any
    // permutation left by earlier trees is a valid start, so perm is never reset.
    // With psi = n every row is used and the order cannot change the tree.
    if (psi < n) {
      for (let k = 0; k < psi; k++) {
        const j = k + rng.nextInt(n - k);
        const tmp = perm[k]!;
        perm[k] = perm[j]!;
        perm[j] = tmp;
      }
    }
    for (let k = 0; k < psi; k++) {
      const base = perm[k]! * d;
      for (let f = 0; f < d; f++) cols[f * psi + k] = data[base + f]!;
      pos[k] = k;
    }

    const root = next++;
    let sp = 0;
    stackNode[sp] = root;
    stackStart[sp] = 0;
    stackEnd[sp] = psi;
    stackDepth[sp] = 0;
    sp++;
    while (sp > 0) {
      sp--;
      const node = stackNode[sp]!;
      const start = stackStart[sp]!;
      const end = stackEnd[sp]!;
      const depth = stackDepth[sp]!;
      const count = end - start;
      size[node] = count;

      let chosen = -1;
      let lo = 0;
      let hi = 0;
      if (depth < depthLimit && count > 1) {
        // Draw features without replacement until one varies over this node's points.
        for (let tried = 0; tried < d; tried++) {
          const j = tried + rng.nextInt(d - tried);
          const f = features[j]!;
          features[j] = features[tried]!;
          features[tried] = f;
          const off = f * psi;
          let mn = cols[off + pos[start]!]!;
          let mx = mn;
          for (let k = start + 1; k < end; k++) {
            const v = cols[off + pos[k]!]!;
            if (v < mn) mn = v;
            else if (v > mx) mx = v;
          }
          if (mx > mn) {
            chosen = f;
            lo = mn;
            hi = mx;
            break;
          }
        }
      }

      if (chosen < 0) {
        feature[node] = 0;
        split[node] = Infinity;
        left[node] = node;
        pathLength[node] = depth + averagePathLength(count);
        if (depth > walkDepth) walkDepth = depth;
        continue;
      }

      let value = lo + (hi - lo) * rng.next();
      // Rounding can land exactly on max; sklearn then uses min, which keeps both sides non-empty.
      if (value >= hi) value = lo;

      // Partition pos[start, end): x <= value first.
      const off = chosen * psi;
      let i = start;
      let j = end - 1;
      while (i <= j) {
        if (cols[off + pos[i]!]! <= value) i++;
        else {
          const tmp = pos[i]!;
          pos[i] = pos[j]!;
          pos[j] = tmp;
          j--;
        }
      }
      const mid = i;

      const l = next;
      next += 2;
      feature[node] = chosen;
      split[node] = value;
      left[node] = l;
      pathLength[node] = 0;

      stackNode[sp] = l + 1;
      stackStart[sp] = mid;
      stackEnd[sp] = end;
      stackDepth[sp] = depth + 1;
      sp++;
      stackNode[sp] = l;
      stackStart[sp] = start;
      stackEnd[sp] = mid;
      stackDepth[sp] = depth + 1;
      sp++;
    }
  }
  treeOffsets[numTrees] = next;

  return {
    numTrees,
    numFeatures: d,
    psi,
    walkDepth,
    treeOffsets,
    feature: feature.slice(0, next),
    split: split.slice(0, next),
    left: left.slice(0, next),
    pathLength: pathLength.slice(0, next),
    size: size.slice(0, next),
  };
}
