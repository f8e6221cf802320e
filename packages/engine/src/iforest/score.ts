/**
 * Batch scoring: the sum over trees of each point's leaf path length.
 *
 * Tree-major (every point through tree 1, then tree 2, ...), so one tree's
 * nodes stay in L1 cache while the points stream past; each point walks exactly
 * `walkDepth` steps (see `state.ts`), four points at a time so that the CPU
 * overlaps their independent load chains. Accumulation is in Float64 and in a
 * fixed order: the same model and input give bit-identical sums everywhere.
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
  const rows4 = rows - (rows % 4);
  for (let t = 0; t < numTrees; t++) {
    const root = treeOffsets[t]!;
    let i = 0;
    for (; i < rows4; i += 4) {
      const b0 = i * cols;
      const b1 = b0 + cols;
      const b2 = b1 + cols;
      const b3 = b2 + cols;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      for (let k = 0; k < walkDepth; k++) {
        n0 = left[n0]! + (data[b0 + feature[n0]!]! > split[n0]! ? 1 : 0);
        n1 = left[n1]! + (data[b1 + feature[n1]!]! > split[n1]! ? 1 : 0);
        n2 = left[n2]! + (data[b2 + feature[n2]!]! > split[n2]! ? 1 : 0);
        n3 = left[n3]! + (data[b3 + feature[n3]!]! > split[n3]! ? 1 : 0);
      }
      acc[i] += pathLength[n0]!;
      acc[i + 1] += pathLength[n1]!;
      acc[i + 2] += pathLength[n2]!;
      acc[i + 3] += pathLength[n3]!;
    }
    for (; i < rows; i++) {
      const b = i * cols;
      let n = root;
      for (let k = 0; k < walkDepth; k++) n = left[n]! + (data[b + feature[n]!]! > split[n]! ? 1 : 0);
      acc[i] += pathLength[n]!;
    }
  }
}
