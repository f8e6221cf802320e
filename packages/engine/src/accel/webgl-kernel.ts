/**
 * Isolation-forest leaves on WebGL: a GPGPU fragment program (run through
 * tfjs-backend-webgl's `compileAndRun`) in which each output texel is one
 * (tree, point) pair and walks that point down that tree, `walkDepth` steps,
 * reading the rank-encoded tree arrays and the point's bins as textures.
 */
import type { Tf } from './tfjs-loader.ts';
import { AccelUnavailableError } from './tfjs-loader.ts';
import type { RankedForest } from './ranked-forest.ts';

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface WebGLBackendLike {
  compileAndRun(program: { variableNames: string[]; outputShape: number[]; userCode: string }, inputs: TensorInfoLike[], outputDtype?: string): TensorInfoLike;
}

function userCode(walkDepth: number): string {
  // Values are exact small integers in float32 textures; +0.5 guards the float -> int conversion.
  return `
    void main() {
      ivec2 c = getOutputCoords();
      int n = int(getRoots(c.x) + 0.5);
      for (int k = 0; k < ${walkDepth}; k++) {
        int f = int(getFeat(n) + 0.5);
        float x = getBins(c.y, f);
        n = int(getLft(n) + 0.5) + (x > getRnk(n) ? 1 : 0);
      }
      setOutput(float(n));
    }`;
}

/** Leaves per (tree, point) for `m` points of bins (row-major m x d), as a tree-major Float32Array. */
export async function webglLeaves(tf: Tf, forest: RankedForest, bins: Float32Array, m: number): Promise<Float32Array> {
  if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_CAPABLE')) {
    throw new AccelUnavailableError('WebGL cannot render to float32 textures here: node indices would not be exact');
  }
  const backend = tf.backend() as unknown as WebGLBackendLike;
  const d = forest.numFeatures;
  const inputs = [
    tf.tensor2d(bins, [m, d], 'float32'),
    tf.tensor1d(Float32Array.from(forest.feature), 'float32'),
    tf.tensor1d(forest.rank, 'float32'),
    tf.tensor1d(Float32Array.from(forest.left), 'float32'),
    tf.tensor1d(Float32Array.from(forest.roots), 'float32'),
  ];
  const program = { variableNames: ['Bins', 'Feat', 'Rnk', 'Lft', 'Roots'], outputShape: [forest.numTrees, m], userCode: userCode(forest.walkDepth) };
  try {
    const info = backend.compileAndRun(program, inputs as unknown as TensorInfoLike[], 'float32');
    const out = tf.engine().makeTensorFromTensorInfo(info as never);
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  } finally {
    for (const t of inputs) t.dispose();
  }
}
