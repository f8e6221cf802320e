/**
 * Isolation-forest leaves on WebGPU: a WGSL compute shader run through
 * tfjs-backend-webgpu's `runWebGPUProgram`. One invocation per (tree, point)
 * walks the point down the tree `walkDepth` steps over storage buffers (integer
 * node arrays, float32 ranks and bins) and writes the leaf's global index.
 */
import type { Tf } from './tfjs-loader.ts';
import type { RankedForest } from './ranked-forest.ts';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WebGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}
interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgramLike, inputs: TensorInfoLike[], outputDtype: string, uniforms?: { type: string; data: number[] }[]): TensorInfoLike;
}

const WORKGROUP = 64;

function program(forest: RankedForest, m: number): WebGPUProgramLike {
  const size = forest.numTrees * m;
  return {
    variableNames: ['bins', 'feat', 'rnk', 'lft', 'roots'],
    outputShape: [forest.numTrees, m],
    shaderKey: `cxIforestLeaves_${forest.walkDepth}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms: 'm : i32, d : i32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let t = index / uniforms.m;
          let p = index - t * uniforms.m;
          var n = roots[t];
          for (var k = 0; k < ${forest.walkDepth}; k++) {
            let x = bins[p * uniforms.d + feat[n]];
            n = lft[n] + select(0, 1, x > rnk[n]);
          }
          result[index] = n;
        }
      }`,
  };
}

/** Leaves per (tree, point) for `m` points of bins (row-major m x d), tree-major. */
export async function webgpuLeaves(tf: Tf, forest: RankedForest, bins: Float32Array, m: number): Promise<Int32Array> {
  const backend = tf.backend() as unknown as WebGPUBackendLike;
  const inputs = [
    tf.tensor1d(bins, 'float32'),
    tf.tensor1d(forest.feature, 'int32'),
    tf.tensor1d(forest.rank, 'float32'),
    tf.tensor1d(forest.left, 'int32'),
    tf.tensor1d(forest.roots, 'int32'),
  ];
  try {
    const info = backend.runWebGPUProgram(program(forest, m), inputs as unknown as TensorInfoLike[], 'int32', [
      { type: 'int32', data: [m] },
      { type: 'int32', data: [forest.numFeatures] },
    ]);
    const out = tf.engine().makeTensorFromTensorInfo(info as never);
    try {
      return (await out.data()) as Int32Array;
    } finally {
      out.dispose();
    }
  } finally {
    for (const t of inputs) t.dispose();
  }
}
