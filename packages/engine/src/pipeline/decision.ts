/**
 * The alert decision of one segment: threshold, minimum duration, cool-down and
 * alert budget, so that one incident raises one alert.
 *
 * Per point the caller says whether the (direction-adjusted) score is above the
 * threshold. The state machine:
 * - an alert OPENS at the `minDuration`-th consecutive point above threshold, if the
 *   alert budget allows it (`maxAlertsPerDay`: fewer than that many alerts opened in
 *   the trailing 24 hours of record time; otherwise the effective threshold is
 *   infinite until an old alert leaves the 24-hour window). That point has
 *   `alertStart` true and a new `alertId`.
 * - while open, every point above threshold continues it: `isAnomaly` true, same
 *   `alertId`, `alertStart` false. The first point below threshold closes it.
 * - cool-down: for `cooldown` points after the close, a point above threshold
 *   RE-OPENS the same alert (same id, no minimum duration, no budget) instead of
 *   opening a new one: a flickering incident stays one alert.
 * So `isAnomaly` marks every point of an open alert; count alerts with `alertStart`
 * (or distinct `alertId`s).
 */

export interface DecisionConfig {
  readonly minDuration: number;
  readonly cooldown: number;
  readonly maxAlertsPerDay: number | undefined;
}

const DAY_MS = 86_400_000;

export interface Decision {
  readonly isAnomaly: boolean;
  /** Id of the alert the point belongs to (0: none). */
  readonly alertId: number;
  /** True on the point that opened the alert. */
  readonly alertStart: boolean;
}

const NONE: Decision = { isAnomaly: false, alertId: 0, alertStart: false };

/** Serialisable alert state of one segment. */
export interface DecisionStateData {
  run: number;
  open: boolean;
  alertId: number;
  sinceClose: number;
  /** Record times (epoch ms) of the alerts opened in the trailing day, oldest first. */
  alertTimes: number[];
}

export function newDecisionState(): DecisionStateData {
  return { run: 0, open: false, alertId: 0, sinceClose: Number.MAX_SAFE_INTEGER, alertTimes: [] };
}

/**
 * Advances the state by one point. `nextId` is called to obtain a fresh alert id
 * (ids are unique across segments). `time` is the record time (NaN when unknown).
 */
export function decide(
  state: DecisionStateData,
  above: boolean,
  time: number,
  cfg: DecisionConfig,
  nextId: () => number,
): Decision {
  if (!above) {
    if (state.open) {
      state.open = false;
      state.sinceClose = 1;
    } else if (state.sinceClose < Number.MAX_SAFE_INTEGER) state.sinceClose++;
    state.run = 0;
    return NONE;
  }
  if (state.open) return { isAnomaly: true, alertId: state.alertId, alertStart: false };
  if (state.alertId !== 0 && state.sinceClose <= cfg.cooldown) {
    state.open = true;
    state.run = 0;
    return { isAnomaly: true, alertId: state.alertId, alertStart: false };
  }
  state.run++;
  if (state.run < cfg.minDuration) return NONE;
  if (cfg.maxAlertsPerDay !== undefined && Number.isFinite(time)) {
    const times = state.alertTimes;
    let drop = 0;
    while (drop < times.length && times[drop]! <= time - DAY_MS) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= cfg.maxAlertsPerDay) return NONE;
    times.push(time);
  }
  state.open = true;
  state.run = 0;
  state.alertId = nextId();
  return { isAnomaly: true, alertId: state.alertId, alertStart: true };
}

export function cloneDecisionState(s: DecisionStateData): DecisionStateData {
  return { ...s, alertTimes: s.alertTimes.slice() };
}
