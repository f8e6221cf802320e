/**
 * The ensemble rules: how the calibrated members combine — Isolation Forest and RRCF,
 * plus, for batch-fitted detectors with a seasonal baseline, the per-metric robust z
 * member (zscore.ts) joined by max ({@link combineFittedSurprises}); stream-only
 * detectors use {@link combineStreamSurprises}. Measured in docs/results/ensemble.md.
 *
 * The forests' rule:
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

/**
 * Stream-only weight of the Isolation Forest member relative to the RRCF (see
 * {@link combineStreamSurprises}, rule 'weighted').
 */
export const STREAM_IF_WEIGHT = 0.1;

/**
 * How a stream-only detector combines its members: 'weighted' (several metrics) or
 * 'max' (one metric, where the IF sees the context features of stream-context.ts).
 */
export type StreamRule = 'weighted' | 'max';

/**
 * The ensemble rule of a stream-only detector (members calibrated against the noise
 * reference, reference.ts). A member that did not score is left out (the IF before
 * its lazy fit: L = L_rcf).
 *
 * - 'weighted' (several metrics): L = L_rcf + STREAM_IF_WEIGHT * L_if, weights by
 *   reliability. The RRCF streams with long memory (decay sampling) and learns every
 *   point; the stream-only IF only knows the last 4 x lazyFitAfter rows and no order,
 *   so on its own terms (the mean rule) it drags the RRCF down; with a small weight it
 *   breaks the RRCF's ties.
 * - 'max' (one metric): L = max(L_rcf, L_if), Tippett's rule (the smaller tail
 *   probability). With one metric the IF isolates the value's recent dynamics (step,
 *   deviation from its recent level, volatility: stream-context.ts), which the RRCF at
 *   shingle 1 cannot see, so the two are witnesses of different things, and both
 *   surprises are read against the same noise reference ("as rare as this among pure
 *   noise"): a point is flagged when either finds it that rare. Fisher's rule (the
 *   mean of surprises, the batch default) asks both to agree, which a specialist of a
 *   different kind of anomaly rarely does. On NAB (seeds 1-3, standard profile) the
 *   context IF joined by max scores 53.22 against the RRCF alone's 52.82 (by mean 52.12,
 *   by the 0.1 weight 52.59); the value-only IF never exceeded the RRCF's surprise where
 *   it mattered (max = RRCF). Measured in docs/results/ensemble.md ("NAB: the context IF").
 */
export function combineStreamSurprises(lIf: number, lRcf: number, rule: StreamRule = 'weighted'): number {
  const hasIf = lIf === lIf;
  const hasRcf = lRcf === lRcf;
  if (!hasIf && !hasRcf) return NaN;
  if (rule === 'max') {
    if (!hasRcf) return lIf;
    if (!hasIf) return lRcf;
    return lIf > lRcf ? lIf : lRcf;
  }
  if (!hasRcf) return STREAM_IF_WEIGHT * lIf;
  if (!hasIf) return lRcf;
  return lRcf + STREAM_IF_WEIGHT * lIf;
}

/**
 * The ensemble rule of a batch-fitted detector with the baseline member (zscore.ts,
 * active with a seasonal baseline): the forests combine by `rule` (above), and the
 * baseline member joins by MAX: L = max(L_forests, L_z). Why max and not a mean: the
 * baseline member is the specialist for one metric moving alone (an AHT spike, a
 * transfer surge, a CSAT drop), which is exactly what the forests see weakly, and a
 * mean would dilute its evidence by the forests' "nothing unusual" (measured on the
 * generated CX incidents, docs/results/cx-incidents.md). Every member is calibrated
 * against its own training scores first, so a max of surprises compares like with
 * like. This combined surprise is thresholded as it is, without the second calibration
 * the two-forest ensemble gets (the threshold is still its (1 - contamination) training
 * quantile, so contamination keeps its meaning): see AnomalyDetector.finalSurpriseOf.
 * A member that did not score is left out.
 */
export function combineFittedSurprises(lIf: number, lRcf: number, lZ: number, rule: EnsembleRule = 'mean'): number {
  const forests = combineSurprises(lIf, lRcf, rule);
  if (lZ !== lZ) return forests;
  if (forests !== forests) return lZ;
  return forests > lZ ? forests : lZ;
}
