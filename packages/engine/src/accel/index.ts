/**
 * Tree-path accelerators: Isolation Forest path-length sums computed by a tfjs
 * custom kernel (WebGL fragment program, WebGPU compute shader) or by generic
 * tfjs gathers, returning exactly what the JS loop (`accumulatePathLengths`)
 * returns, bit for bit (see ranked-forest.ts for how float32 stays exact).
 *
 * Loaded lazily: import this module with `import()` only when a large batch is
 * to be scored on a GPU; it pulls tfjs-core and one backend on first use.
 *
 *     const accel = await createAccelerator('webgpu');
 *     const sums = await accel.pathLengthSums(forest.state, X.data, X.rows, X.cols);
 */
import type { IsolationForestState } from '../iforest/state.ts';
import type { IsolationForest } from '../iforest/isolation-forest.ts';
import { averagePathLength } from '../iforest/path-length.ts';
import { accumulatePathLengths } from '../iforest/score.ts';
import type { Matrix } from '../matrix.ts';
import { gatherLeaves } from './gather-kernel.ts';
import { binRows, rankForest, sumLeafPathLengths } from './ranked-forest.ts';
import { loadTfjs, type TfjsBackendName } from './tfjs-loader.ts';
import { webglLeaves } from './webgl-kernel.ts';
import { webgpuLeaves } from './webgpu-kernel.ts';

export { AccelUnavailableError, loadTfjs, type TfjsBackendName } from './tfjs-loader.ts';
export { rankForest, binRows, leavesJs, sumLeafPathLengths, LEAF_RANK, type RankedForest } from './ranked-forest.ts';

/** 'webgl' / 'webgpu': custom kernels; 'gather': generic tfjs ops on `gatherBackend`. */
export type AccelKind = 'webgl' | 'webgpu' | 'gather';

export interface AccelOptions {
  /** tfjs backend of the 'gather' formulation. Default 'cpu'. */
  readonly gatherBackend?: TfjsBackendName;
  /** Points per kernel launch (bounds GPU memory: trees x chunk leaves). Default 65536. */
  readonly chunkRows?: number;
}

export interface TreePathAccelerator {
  readonly kind: AccelKind;
  readonly tfBackend: TfjsBackendName;
  /** Per row, the sum over trees of the leaf path length: the same numbers as the JS loop. */
  pathLengthSums(state: IsolationForestState, data: Float64Array, rows: number, cols: number, acc?: Float64Array): Promise<Float64Array>;
}

export async function createAccelerator(kind: AccelKind, options: AccelOptions = {}): Promise<TreePathAccelerator> {
  const tfBackend: TfjsBackendName = kind === 'gather' ? (options.gatherBackend ?? 'cpu') : kind;
  const chunkRows = options.chunkRows ?? 65536;
  if (!(chunkRows >= 1)) throw new RangeError(`createAccelerator: chunkRows must be >= 1, got ${chunkRows}`);
  // Start the backend now, so an unusable one fails here (AccelUnavailableError) and not mid-job.
  await loadTfjs(tfBackend);
  return {
    kind,
    tfBackend,
    async pathLengthSums(state, data, rows, cols, acc) {
      if (data.length < rows * cols) throw new RangeError(`pathLengthSums: ${data.length} values for ${rows} x ${cols}`);
      const out = acc ?? new Float64Array(rows);
      const forest = rankForest(state);
      const tf = await loadTfjs(tfBackend);
      let bins: Float32Array | null = null;
      for (let from = 0; from < rows; from += chunkRows) {
        const to = Math.min(rows, from + chunkRows);
        const m = to - from;
        bins = binRows(forest, data, cols, from, to, bins && bins.length === m * cols ? bins : undefined);
        const leaves =
          kind === 'webgl' ? await webglLeaves(tf, forest, bins, m) : kind === 'webgpu' ? await webgpuLeaves(tf, forest, bins, m) : await gatherLeaves(tf, forest, bins, m);
        sumLeafPathLengths(forest, leaves, m, out, from);
      }
      return out;
    },
  };
}

/** `forest.scoreSamples(X)` with the path lengths from an accelerator (identical output). */
export async function scoreSamplesAccelerated(forest: IsolationForest, X: Matrix, accel: TreePathAccelerator): Promise<Float64Array> {
  const s = forest.state;
  if (X.cols !== s.numFeatures) throw new RangeError(`scoreSamplesAccelerated: input has ${X.cols} columns, the forest was fitted on ${s.numFeatures}`);
  const out = await accel.pathLengthSums(s, X.data, X.rows, X.cols);
  const norm = s.numTrees * averagePathLength(s.psi);
  if (norm === 0) return out.fill(0.5, 0, X.rows);
  const k = -1 / norm;
  for (let i = 0; i < X.rows; i++) out[i] = 2 ** (out[i]! * k);
  return out;
}

/** The JS loop itself (the reference every accelerator must equal), as sums over trees. */
export function jsPathLengthSums(state: IsolationForestState, data: Float64Array, rows: number, cols: number, acc?: Float64Array): Float64Array {
  const out = acc ?? new Float64Array(rows);
  accumulatePathLengths(state, data, rows, cols, out);
  return out;
}
