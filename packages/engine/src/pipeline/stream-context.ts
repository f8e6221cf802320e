/**
 * Context features of a single-metric stream, for the stream-only Isolation Forest.
 *
 * Why: with one metric the stream-only IF used to isolate the standardised value
 * alone, a marginal-value detector with a short memory (the last 4 x lazyFitAfter
 * rows) beside an RRCF that already knows the value's long history: alone it scored
 * ~10 on NAB and added nothing to the ensemble. Given the value's recent dynamics it
 * becomes a different detector: a jump, a spell of unusual volatility, a series that
 * goes flat, or a value far from where the series just was, even inside the usual
 * range (docs/results/ensemble.md, NAB section).
 *
 * Each row of the IF is, for the standardised value z_t of one segment:
 *   0. level       z_t
 *   1. step        z_t - z_{t-1}
 *   2. deviation   z_t - m_{t-1}, m = EWMA of z with rate CONTEXT_LEVEL_RATE (~10 points)
 *   3. volatility  ln(VOLATILITY_FLOOR + v_t), v = EWMA of |step| with rate CONTEXT_VOLATILITY_RATE
 * All four are affine in the series' scale (the log turns the volatility's scale into
 * a shift), and the Isolation Forest is invariant to a shift and scale of each
 * column, so no further standardisation is needed. Rates and floor were set before
 * measuring (0.05 and 0.2 measured as a sensitivity check, not chosen on).
 *
 * State per segment: a Float64Array of CONTEXT_STATE numbers (serialised with the
 * segment): previous z, EWMA level, EWMA |step| (NaN until the second value), count.
 */

/** Columns of a context row. */
export const CONTEXT_FEATURES = 4;
/** Numbers of state per segment. */
export const CONTEXT_STATE = 4;
/** EWMA rate of the recent level (deviation feature). */
export const CONTEXT_LEVEL_RATE = 0.1;
/** EWMA rate of the mean absolute step (volatility feature). */
export const CONTEXT_VOLATILITY_RATE = 0.1;
/** Added to the volatility before the log, in units of the standardised value: a flat spell reads ln(1e-3) ~ -6.9, not -infinity. */
export const VOLATILITY_FLOOR = 1e-3;

const PREV = 0;
const LEVEL = 1;
const VOL = 2;
const COUNT = 3;

/** A fresh segment's context state (nothing seen). */
export function newContextState(): Float64Array {
  const s = new Float64Array(CONTEXT_STATE);
  s[VOL] = NaN;
  return s;
}

/**
 * Writes the context row of `z` into `out[offset..offset + CONTEXT_FEATURES)` and
 * advances `state` past it. Features use the state BEFORE z (the deviation is from
 * where the series was), the volatility includes z's own step (so a jump shows at
 * once). The first value has step and deviation 0 and the floor's volatility. A
 * non-finite z (a metric never observed) is read as the previous value: a row of
 * finite numbers that says "nothing moved", and the state does not advance.
 */
export function contextRow(z: number, state: Float64Array, out: Float64Array, offset = 0): void {
  if (state.length !== CONTEXT_STATE) throw new Error(`contextRow: state must hold ${CONTEXT_STATE} numbers, got ${state.length}`);
  const n = state[COUNT]!;
  if (!Number.isFinite(z)) {
    const prev = n > 0 ? state[PREV]! : 0;
    const v = state[VOL]!;
    out[offset] = prev;
    out[offset + 1] = 0;
    out[offset + 2] = n > 0 ? prev - state[LEVEL]! : 0;
    out[offset + 3] = Math.log(VOLATILITY_FLOOR + (v === v ? v : 0));
    return;
  }
  if (n === 0) {
    state[PREV] = z;
    state[LEVEL] = z;
    state[COUNT] = 1;
    out[offset] = z;
    out[offset + 1] = 0;
    out[offset + 2] = 0;
    out[offset + 3] = Math.log(VOLATILITY_FLOOR);
    return;
  }
  const step = z - state[PREV]!;
  const deviation = z - state[LEVEL]!;
  const absStep = Math.abs(step);
  const v0 = state[VOL]!;
  const v = v0 === v0 ? v0 + CONTEXT_VOLATILITY_RATE * (absStep - v0) : absStep;
  state[VOL] = v;
  state[LEVEL] = state[LEVEL]! + CONTEXT_LEVEL_RATE * deviation;
  state[PREV] = z;
  state[COUNT] = n + 1;
  out[offset] = z;
  out[offset + 1] = step;
  out[offset + 2] = deviation;
  out[offset + 3] = Math.log(VOLATILITY_FLOOR + v);
}

/** Context rows of a whole series from a fresh state (rows x CONTEXT_FEATURES, row-major). */
export function contextRows(z: ArrayLike<number>, state: Float64Array = newContextState()): Float64Array {
  const out = new Float64Array(z.length * CONTEXT_FEATURES);
  for (let i = 0; i < z.length; i++) contextRow(z[i]!, state, out, i * CONTEXT_FEATURES);
  return out;
}
