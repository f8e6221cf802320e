/**
 * c(n): the average path length of an unsuccessful search in a binary search
 * tree of n points (Liu, Ting & Zhou 2008, eq. 1). It normalises path lengths
 * into scores and estimates the depth still to go below a leaf that holds
 * more than one training point.
 *
 *     c(n) = 2 H(n - 1) - 2 (n - 1) / n,   H(i) ~ ln(i) + Euler's constant
 *
 * with c(0) = c(1) = 0 and c(2) = 1, exactly as scikit-learn's
 * `_average_path_length`, so our scores are comparable with its scores.
 */
export const EULER_GAMMA = 0.5772156649015329;

export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}
