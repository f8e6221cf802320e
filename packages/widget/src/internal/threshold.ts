/**
 * The score threshold, read back from the results. The engine grades a point below its
 * threshold as 3 * L / L_t (L = -ln(1 - score), the surprise; L_t the threshold's), so every
 * graded non-anomalous point gives L_t = 3 * L / grade. The median of those estimates is
 * robust to direction rules (which lower some grades). Without such points: the lowest
 * anomaly score, else 1 - contamination.
 */
import type { Result } from '@cx-anomaly/engine';

export function estimateThreshold(results: readonly Result[], contamination = 0.01): number {
  const est: number[] = [];
  let minAnomaly = Infinity;
  const step = Math.max(1, Math.floor(results.length / 5000)); // a sample is plenty
  for (let i = 0; i < results.length; i += step) {
    const r = results[i]!;
    if (r.isAnomaly) {
      if (r.score < minAnomaly) minAnomaly = r.score;
      continue;
    }
    if (r.grade > 0.3 && r.grade < 3 && r.score > 0.5 && r.score < 1) {
      est.push((3 * -Math.log(1 - r.score)) / r.grade);
    }
  }
  if (est.length >= 5) {
    est.sort((a, b) => a - b);
    const lt = est[est.length >> 1]!;
    return 1 - Math.exp(-lt);
  }
  if (Number.isFinite(minAnomaly)) return minAnomaly;
  return 1 - contamination;
}
