/**
 * The third ensemble member: a per-metric robust z-score against the seasonal baseline
 * ("baseline" in Result.scores).
 *
 * What it sees: each metric's standardised value z = (x - centre) / scale, where the
 * centre and scale are the median and 1.4826 x MAD of that segment's recent values at
 * that hour of day (baseline.ts), so z already says "how unusual for THIS queue at
 * THIS hour". The forests see the same z's, but only jointly: an RRCF cut lands on a
 * dimension in proportion to its range and the IF samples dimensions uniformly, so a
 * shift of ONE metric out of four (an AHT spike, a transfer surge, a CSAT drop) moves
 * their scores little, and their mean dilutes it further (docs/results/cx-incidents.md).
 * This member scores each metric on its own and reports the worst one.
 *
 * Per metric m (skipped when the value was imputed: a guess is no evidence):
 * - direction rules from the field spec first: d = z for `high`, -z for `low`, |z| for
 *   `both` (an AHT drop is not an incident, so it never scores here);
 * - the sum of the observed z's of the segment's last `window` records (the same records
 *   the RRCF's shingle holds), each clipped at +-Z_CLIP, divided by sqrt(count): unit
 *   variance under noise, and a sustained moderate shift (a level shift ramping up 35%
 *   over hours, a CSAT drop read through a few survey answers per interval) adds up
 *   while each single z stays within the noise. A finite window, not an exponential
 *   average, so that batch scoring gives the same result however the rows are split
 *   into batches (the CLI carries the last shingle - 1 rows of each segment as context);
 * - the metric's score: max(d, directed window sum), clipped at 0 below.
 * Raw score = max over metrics. It is calibrated like the other members
 * (calibration.ts, against the training scores of its segment) and combined by
 * `combineFittedSurprises` (ensemble.ts). (Calibrating each metric's score on its own
 * first, then taking the largest surprise, was measured and did worse: with two
 * training days per queue the per-metric tails are too thin; docs/results/cx-incidents.md.)
 *
 * When it is active: only when the baseline is seasonal (fitted from timed records
 * spanning >= 20 h, baseline.ts). Without it (stream-only use such as NAB, or data with
 * no time such as ODDS) the standardisation is one global centre/scale fixed from the
 * first rows, a z against it measures drift rather than anomaly, and the member stays
 * out. (On NAB a rolling-window z member was measured and lowered the ensemble's score
 * at every weight tried: docs/results/ensemble.md.)
 */
import type { Direction } from '../features/field-spec.ts';

/** |z| above this is clipped before it enters the window sum, so that one wild record does not carry the sum alone. */
export const Z_CLIP = 6;

/**
 * Scores one standardised row. `win` is the segment's window state (`window` x d z's,
 * oldest first, NaN = not observed), shifted by this row; `perMetric` receives each
 * metric's score (>= 0; NaN where the value was imputed). Returns the largest of them,
 * 0 when every metric was imputed.
 */
export function zscoreRow(
  z: ArrayLike<number>,
  offset: number,
  missing: ArrayLike<number> | null,
  missingOffset: number,
  directions: readonly Direction[],
  win: Float64Array,
  perMetric: Float64Array,
): number {
  const d = directions.length;
  win.copyWithin(0, d);
  const last = win.length - d;
  let raw = 0;
  for (let m = 0; m < d; m++) {
    perMetric[m] = NaN;
    const v = z[offset + m]!;
    const observed = !((missing !== null && missing[missingOffset + m] === 1) || v !== v);
    win[last + m] = observed ? (v > Z_CLIP ? Z_CLIP : v < -Z_CLIP ? -Z_CLIP : v) : NaN;
    if (!observed) continue;
    let sum = 0;
    let n = 0;
    for (let k = m; k < win.length; k += d) {
      const w = win[k]!;
      if (w === w) {
        sum += w;
        n++;
      }
    }
    const en = sum / Math.sqrt(n);
    const dir = directions[m];
    const s = dir === 'high' ? Math.max(v, en) : dir === 'low' ? Math.max(-v, -en) : Math.max(Math.abs(v), Math.abs(en));
    const score = s > 0 ? s : 0;
    perMetric[m] = score;
    if (score > raw) raw = score;
  }
  return raw;
}

/**
 * Attribution of the member's score: each metric's share in the direction it moved
 * (high for `high`, low for `low`, the sign of z for `both`), written into high/low.
 */
export function zscoreAttribution(z: ArrayLike<number>, offset: number, directions: readonly Direction[], perMetric: Float64Array, high: Float64Array, low: Float64Array): void {
  for (let m = 0; m < directions.length; m++) {
    const p = perMetric[m]!;
    const s = p === p ? p : 0;
    const dir = directions[m];
    const up = dir === 'high' || (dir === 'both' && z[offset + m]! >= 0);
    high[m] = up ? s : 0;
    low[m] = up ? 0 : s;
  }
}
