/**
 * The same walk written with generic tfjs ops (gather, greater, add): one level of
 * every (tree, point) pair per step. Kept as the baseline that custom kernels are
 * measured against: per-level gathers move every index through memory each step.
 */
import type { Tf } from './tfjs-loader.ts';
import type { RankedForest } from './ranked-forest.ts';

export async function gatherLeaves(tf: Tf, forest: RankedForest, bins: Float32Array, m: number): Promise<Int32Array> {
  const T = forest.numTrees;
  const d = forest.numFeatures;
  const feat = tf.tensor1d(forest.feature, 'int32');
  const rnk = tf.tensor1d(forest.rank, 'float32');
  const lft = tf.tensor1d(forest.left, 'int32');
  const binsFlat = tf.tensor1d(bins, 'float32');
  let nodes = tf.tidy(() => tf.reshape(tf.tile(tf.tensor2d(forest.roots, [T, 1], 'int32'), [1, m]), [T * m]));
  const base = tf.tidy(() => tf.tile(tf.mul(tf.range(0, m, 1, 'int32'), tf.scalar(d, 'int32')), [T]));
  try {
    for (let k = 0; k < forest.walkDepth; k++) {
      const next = tf.tidy(() => {
        const f = tf.gather(feat, nodes);
        const x = tf.gather(binsFlat, tf.add(base, f));
        const right = tf.cast(tf.greater(x, tf.gather(rnk, nodes)), 'int32');
        return tf.add(tf.gather(lft, nodes), right);
      });
      nodes.dispose();
      nodes = next;
    }
    return (await nodes.data()) as Int32Array;
  } finally {
    for (const t of [feat, rnk, lft, binsFlat, nodes, base]) t.dispose();
  }
}
