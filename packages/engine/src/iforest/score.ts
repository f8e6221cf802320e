/**
 * Batch scoring: the sum over trees of each point's leaf path length.
 *
 * Tree-major (every point through tree 1, then tree 2, ...), so one tree's
 * nodes stay in L1 cache while the points stream past. Each point walks
 * exactly `walkDepth` steps (see `state.ts`), eight points at a time so that
 * the CPU overlaps their independent load chains, and the step is branch-free:
 * `left + +(x > split)` compiles to a compare-and-set in V8, where
 * `x > split ? 1 : 0` compiled to a branch that mispredicts half the time
 * (measured: 0.30M vs 0.87M points/s on shuttle, 100 trees). Accumulation is
 * in Float64 and in a fixed order: the same model and input give
 * bit-identical sums everywhere.
 */
import type { IsolationForestState } from './state.ts';

export function accumulatePathLengths(
  state: IsolationForestState,
  data: Float64Array,
  rows: number,
  cols: number,
  acc: Float64Array,
): void {
  const { feature, split, left, pathLength, treeOffsets, walkDepth, numTrees } = state;
  acc.fill(0, 0, rows);
  const rows8 = rows - (rows % 8);
  for (let t = 0; t < numTrees; t++) {
    const root = treeOffsets[t]!;
    let i = 0;
    for (; i < rows8; i += 8) {
      const b0 = i * cols;
      const b1 = b0 + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      const b4 = b3 + cols;
      const b5 = b4 + cols;
      const b6 = b5 + cols;
      const b7 = b6 + cols;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let n4 = root;
      let n5 = root;
      let n6 = root;
      let n7 = root;
      for (let k = 0; k < walkDepth; k++) {
        n0 = left[n0]! + +(data[b0 + feature[n0]!]! > split[n0]!);
        n1 = left[n1]! + +(data[b1 + feature[n1]!]! > split[n1]!);
        n2 = left[n2]! + +(data[b2 + feature[n2]!]! > split[n2]!);
        n3 = left[n3]! + +(data[b3 + feature[n3]!]! > split[n3]!);
        n4 = left[n4]! + +(data[b4 + feature[n4]!]! > split[n4]!);
        n5 = left[n5]! + +(data[b5 + feature[n5]!]! > split[n5]!);
        n6 = left[n6]! + +(data[b6 + feature[n6]!]! > split[n6]!);
        n7 = left[n7]! + +(data[b7 + feature[n7]!]! > split[n7]!);
      }
      acc[i] += pathLength[n0]!;
      acc[i + 1] += pathLength[n1]!;
      acc[i + 2] += pathLength[n2]!;
      acc[i + 3] += pathLength[n3]!;
      acc[i + 4] += pathLength[n4]!;
      acc[i + 5] += pathLength[n5]!;
      acc[i + 6] += pathLength[n6]!;
      acc[i + 7] += pathLength[n7]!;
    }
    for (; i < rows; i++) {
      const b = i * cols;
      let n = root;
      for (let k = 0; k < walkDepth; k++) n = left[n]! + +(data[b + feature[n]!]! > split[n]!);
      acc[i] += pathLength[n]!;
    }
  }
}
