/**
 * The ensemble rule: how the calibrated Isolation Forest and RRCF scores combine.
 *
 * Both members are first calibrated against their own recent score distribution
 * (calibration.ts) and expressed as SURPRISE, L = -ln P(tail). The ensemble's raw
 * score is the MEAN of the members' surprises, i.e. the geometric mean of their tail
 * probabilities: a point must be unusual to both, or extremely unusual to one, to
 * rank high. (Compared on ODDS and NAB against max and the mean of calibrated
 * scores; see docs/results/ensemble.md.) The raw ensemble score is then calibrated
 * once more against its own distribution, so that the threshold by contamination
 * means the same for the ensemble as for a single detector.
 *
 * Alternatives (config `ensembleRule`): 'max' of the surprises, 'score-mean' (mean of
 * the calibrated scores). A member that did not score (not fitted yet, RRCF warming up) is left out; with
 * neither, the result is NaN ("no score").
 */
export type EnsembleRule = 'mean' | 'max' | 'score-mean';
export const ENSEMBLE_RULES: readonly EnsembleRule[] = ['mean', 'max', 'score-mean'];

export function combineSurprises(lIf: number, lRcf: number, rule: EnsembleRule = 'mean'): number {
  const hasIf = lIf === lIf;
  const hasRcf = lRcf === lRcf;
  if (!hasIf && !hasRcf) return NaN;
  if (!hasIf) return lRcf;
  if (!hasRcf) return lIf;
  switch (rule) {
    case 'max':
      return Math.max(lIf, lRcf);
    case 'score-mean': {
      // Mean of the calibrated scores (rank averaging), as a surprise.
      const p = 0.5 * (Math.exp(-lIf) + Math.exp(-lRcf));
      return -Math.log(Math.max(p, 1e-300));
    }
    default:
      return 0.5 * (lIf + lRcf);
  }
}
