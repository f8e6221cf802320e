/**
 * The Numenta Anomaly Benchmark scorer, re-implemented from NAB's own code
 * (numenta/NAB at ea702d75: nab/sweeper.py, nab/optimizer.py, nab/scorer.py,
 * nab/runner.py `normalize`). Pure and isomorphic: no I/O.
 *
 * Semantics kept exactly as NAB has them (including its quirks), because the
 * point of this module is to reproduce published scores:
 * - A window is entered on the row whose timestamp equals its start and left
 *   after the row whose timestamp equals its end; width = rows in it.
 * - Row i inside a window earns tpWeight * sigma(-(right - i + 1) / width) / sigma(-1)
 *   (the `+ 1` means even the last row of a window earns a little).
 * - Row i outside windows costs fpWeight * sigma(|prevRight - i| / (prevWidth - 1)),
 *   or -fpWeight before the first window; sigma(x) = -1 for x > 3.
 * - The first min(floor(0.15 N), 750) rows are probationary: not scored at all,
 *   and a window whose rows are all probationary is neither TP nor FN.
 * - Per window only the best (earliest) detection counts; a window without one
 *   costs -fnWeight.
 * - One threshold per detector and profile for the whole corpus: every distinct
 *   score is tried, from the highest down (starting at 1.1, which detects
 *   nothing); the best total wins, ties going to the higher threshold (NAB
 *   sorts with Python's stable sort, so the first-seen, i.e. higher, one wins).
 * - normalised = 100 (S - S_null) / (S_perfect - S_null), S_perfect =
 *   (number of windows) * tpWeight, S_null = the score of NAB's null detector
 *   (constant score 0.5) optimised the same way.
 */

import { NabError } from './errors.ts';

export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
  readonly tnWeight: number;
}

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** NAB's config/profiles.json (the tnWeight is unused by NAB's scorer). */
export const NAB_PROFILES: Readonly<Record<NabProfileName, CostMatrix>> = {
  standard: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.11, tnWeight: 1.0 },
  reward_low_FP_rate: { tpWeight: 1.0, fnWeight: 1.0, fpWeight: 0.22, tnWeight: 1.0 },
  reward_low_FN_rate: { tpWeight: 1.0, fnWeight: 2.0, fpWeight: 0.11, tnWeight: 1.0 },
};

export const NAB_PROFILE_NAMES: readonly NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** Fraction of each series not scored, and the cap NAB puts on it (0.15 x 5000 = 750 rows). */
export const NAB_PROBATION_PERCENT = 0.15;

/** Score NAB's null detector gives every row. */
export const NAB_NULL_SCORE = 0.5;

/** NAB starts its sweep above every score, so the first candidate detects nothing. */
const START_THRESHOLD = 1.1;

export type NabTime = number | string;

export interface NabSeries {
  /** Unique name (NAB uses the data file's relative path); names the windows. */
  readonly name: string;
  /** Row times: epoch ms, or NAB text (`2014-04-10 07:15:00[.000000]`, read as UTC). */
  readonly timestamps: ArrayLike<NabTime>;
  /** Detector score of each row, normally in [0, 1]. */
  readonly scores: ArrayLike<number>;
  /** Anomaly windows [start, end] (inclusive), as times that occur in `timestamps`. */
  readonly windows: readonly (readonly [NabTime, NabTime])[];
}

export interface NabCorpus {
  readonly series: readonly NabSeries[];
}

export interface NabCounts {
  /** Rows (not windows) at or above the threshold inside windows. */
  readonly tp: number;
  /** Rows at or above the threshold outside windows. */
  readonly fp: number;
  /** Rows below the threshold inside windows. */
  readonly fn: number;
  /** Rows below the threshold outside windows. */
  readonly tn: number;
}

export interface NabSeriesScore extends NabCounts {
  readonly name: string;
  readonly score: number;
  readonly total: number;
}

export interface NabScore extends NabCounts {
  readonly profile: CostMatrix;
  /** The corpus-wide threshold that maximises the raw score (or the one given). */
  readonly threshold: number;
  /** Sum over series of the NAB score at `threshold`. */
  readonly rawScore: number;
  /** S_null and S_perfect used to normalise. */
  readonly nullScore: number;
  readonly perfectScore: number;
  /** 100 (S - S_null) / (S_perfect - S_null). */
  readonly normalizedScore: number;
  /** Windows in the corpus (all of them, as NAB counts S_perfect). */
  readonly numWindows: number;
  /** Per-series breakdown at `threshold` (NAB's `<detector>_<profile>_scores.csv`). */
  readonly perSeries: readonly NabSeriesScore[];
}

const NAB_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** Epoch ms of a NAB timestamp (text read as UTC, as NAB compares naive datetimes). */
export function parseNabTime(t: NabTime): number {
  if (typeof t === 'number') return t;
  const m = NAB_TIME.exec(t.trim());
  if (m === null) throw new NabError(`NAB timestamp ${JSON.stringify(t)} is not "YYYY-MM-DD HH:MM:SS[.ffffff]"`);
  const micros = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + micros / 1000;
}

/** NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, and -1 beyond x > 3. */
export function scaledSigmoid(x: number): number {
  if (x > 3.0) return -1.0;
  return 2 / (1 + Math.exp(5 * x)) - 1.0;
}

const MAX_TP = scaledSigmoid(-1.0);

/** Rows NAB leaves unscored at the start of a series of `numRows` rows. */
export function probationLength(numRows: number, percent = NAB_PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * numRows), percent * 5000);
}

/** Row tag meaning "outside every window". */
const OUTSIDE = -1;
/** Row tag meaning "probationary: not scored". */
const PROBATION = -2;

/**
 * Per-row sweep data of one series (NAB's `Sweeper.calcSweepScore`): the score
 * a detection on that row would add, and which window the row belongs to.
 */
export interface SweepRows {
  /** Weighted score a detection on each row contributes. */
  readonly sweepScore: Float64Array;
  /** Window index (0-based within the series), OUTSIDE (-1) or PROBATION (-2). */
  readonly tag: Int32Array;
  readonly numWindows: number;
}

export function sweepRows(series: NabSeries, cost: CostMatrix): SweepRows {
  const n = series.timestamps.length;
  if (series.scores.length !== n) {
    throw new NabError(`NAB series ${series.name}: ${series.scores.length} scores for ${n} timestamps`);
  }
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) times[i] = parseNabTime(series.timestamps[i]!);
  const index = new Map<number, number>();
  // NAB's `timestamps.index(t)`: the first row with that time.
  for (let i = n - 1; i >= 0; i--) index.set(times[i]!, i);
  const wins = series.windows.map(([a, b], k) => {
    const start = index.get(parseNabTime(a));
    const end = index.get(parseNabTime(b));
    if (start === undefined || end === undefined) {
      throw new NabError(`NAB series ${series.name}: window ${k} [${String(a)}, ${String(b)}] does not start and end on rows of the series`);
    }
    if (end < start) throw new NabError(`NAB series ${series.name}: window ${k} ends before it starts`);
    return [times[start]!, times[end]!, start, end] as const;
  });

  const sweepScore = new Float64Array(n);
  const tag = new Int32Array(n);
  const probation = probationLength(n);
  let next = 0; // next window to enter
  let cur = -1; // window we are in
  let curRight = 0;
  let curWidth = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    if (next < wins.length && t === wins[next]![0]) {
      cur = next++;
      curRight = wins[cur]![3];
      curWidth = curRight - wins[cur]![2] + 1;
    }
    if (cur >= 0) {
      sweepScore[i] = (scaledSigmoid(-(curRight - i + 1) / curWidth) * cost.tpWeight) / MAX_TP;
    } else if (prevRight < 0) {
      sweepScore[i] = -1.0 * cost.fpWeight;
    } else {
      sweepScore[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * cost.fpWeight;
    }
    tag[i] = i >= probation ? cur : PROBATION;
    if (cur >= 0 && t === wins[cur]![1]) {
      prevRight = i;
      prevWidth = curWidth;
      cur = -1;
    }
  }
  return { sweepScore, tag, numWindows: wins.length };
}

/** Flat arrays of every scored row of a corpus, windows numbered corpus-wide. */
interface Scorable {
  readonly score: Float64Array;
  readonly sweep: Float64Array;
  /** Corpus-wide window index, or -1 outside windows. */
  readonly win: Int32Array;
  /** Windows that have at least one scored row (NAB's `scoreParts`). */
  readonly scoredWindow: Uint8Array;
  readonly numWindows: number;
}

function collect(perSeries: readonly { rows: SweepRows; scores: ArrayLike<number>; name: string }[]): Scorable {
  let total = 0;
  let numWindows = 0;
  for (const s of perSeries) {
    for (let i = 0; i < s.rows.tag.length; i++) if (s.rows.tag[i] !== PROBATION) total++;
    numWindows += s.rows.numWindows;
  }
  const score = new Float64Array(total);
  const sweep = new Float64Array(total);
  const win = new Int32Array(total);
  const scoredWindow = new Uint8Array(numWindows);
  let k = 0;
  let base = 0;
  for (const s of perSeries) {
    const { tag, sweepScore } = s.rows;
    for (let i = 0; i < tag.length; i++) {
      const t = tag[i]!;
      if (t === PROBATION) continue;
      const v = s.scores[i]!;
      if (Number.isNaN(v)) throw new NabError(`NAB series ${s.name}: anomaly score of row ${i} is NaN`);
      score[k] = v;
      sweep[k] = sweepScore[i]!;
      if (t >= 0) {
        win[k] = base + t;
        scoredWindow[base + t] = 1;
      } else {
        win[k] = OUTSIDE;
      }
      k++;
    }
    base += s.rows.numWindows;
  }
  return { score, sweep, win, scoredWindow, numWindows };
}

interface ThresholdPick extends NabCounts {
  readonly threshold: number;
  readonly score: number;
}

/**
 * NAB's `calcScoreByThreshold` + the optimiser's choice, in one pass over the
 * rows sorted by score (descending). Returns the best threshold, or, with
 * `fixed`, the result at that given threshold (NAB's `scoreDataSet` row match:
 * every row with score >= threshold is a detection).
 */
function sweep(s: Scorable, cost: CostMatrix, fixed?: number): ThresholdPick {
  const n = s.score.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const score = s.score;
  order.sort((a, b) => score[b]! - score[a]! || a - b);

  const best = new Float64Array(s.numWindows);
  let windowTotal = 0;
  let inWindows = 0;
  for (let w = 0; w < s.numWindows; w++) {
    if (s.scoredWindow[w]) {
      best[w] = -cost.fnWeight;
      windowTotal -= cost.fnWeight;
    }
  }
  for (let i = 0; i < n; i++) if (s.win[i]! >= 0) inWindows++;
  let fpTotal = 0;
  let tp = 0;
  let fp = 0;

  let curThreshold = START_THRESHOLD;
  let pick: ThresholdPick | null = null;
  const consider = (): boolean => {
    const total = fpTotal + windowTotal;
    const row = { threshold: curThreshold, score: total, tp, fp, fn: inWindows - tp, tn: n - inWindows - fp };
    if (fixed === undefined) {
      if (pick === null || total > pick.score) pick = row;
      return false;
    }
    // Rows with score >= fixed are all in once the threshold reaches `fixed` or drops below it.
    // Before any row (a threshold above 1.1) nothing is detected: keep the first row.
    if (curThreshold >= fixed || pick === null) pick = row;
    return curThreshold <= fixed;
  };

  for (let j = 0; j < n; j++) {
    const r = order[j]!;
    const v = score[r]!;
    if (v !== curThreshold) {
      if (consider()) return pick!;
      curThreshold = v;
    }
    const w = s.win[r]!;
    if (w >= 0) {
      tp++;
      const sw = s.sweep[r]!;
      if (sw > best[w]!) {
        windowTotal += sw - best[w]!;
        best[w] = sw;
      }
    } else {
      fp++;
      fpTotal += s.sweep[r]!;
    }
  }
  consider();
  return pick!;
}

function prepare(corpus: NabCorpus, cost: CostMatrix, scoresOf: (s: NabSeries) => ArrayLike<number>) {
  const names = new Set<string>();
  return corpus.series.map((series) => {
    if (names.has(series.name)) throw new NabError(`NAB corpus: series name ${series.name} appears twice`);
    names.add(series.name);
    return { name: series.name, rows: sweepRows(series, cost), scores: scoresOf(series) };
  });
}

/** Optimised raw score of NAB's null detector (every row scored 0.5). */
export function nullScore(corpus: NabCorpus, profile: CostMatrix): number {
  const prepared = prepare(corpus, profile, (s) => new Float64Array(s.timestamps.length).fill(NAB_NULL_SCORE));
  return sweep(collect(prepared), profile).score;
}

/** NAB score of one series at a fixed threshold (a row of `<detector>_<profile>_scores.csv`). */
export function scoreSeriesAtThreshold(series: NabSeries, profile: CostMatrix, threshold: number): NabSeriesScore {
  const prepared = prepare({ series: [series] }, profile, (s) => s.scores);
  const r = sweep(collect(prepared), profile, threshold);
  return { name: series.name, score: r.score, tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn, total: r.tp + r.fp + r.fn + r.tn };
}

export interface NabScoreOptions {
  /**
   * Score at this threshold instead of optimising one (NAB's `score` step with
   * a given thresholds file). Rows with score >= threshold are detections.
   */
  readonly threshold?: number;
}

/**
 * Score a detector's outputs on a corpus for one profile the way NAB does:
 * optimise one threshold over the whole corpus, then score and normalise.
 */
export function scoreNab(corpus: NabCorpus, profile: CostMatrix | NabProfileName, options: NabScoreOptions = {}): NabScore {
  const cost = typeof profile === 'string' ? NAB_PROFILES[profile] : profile;
  if (cost === undefined) throw new NabError(`unknown NAB profile ${String(profile)}; expected one of ${NAB_PROFILE_NAMES.join(', ')}`);
  const prepared = prepare(corpus, cost, (s) => s.scores);
  const all = collect(prepared);
  const best = sweep(all, cost, options.threshold);

  // Per-series rows at the chosen threshold; they sum to the corpus score.
  const perSeries: NabSeriesScore[] = prepared.map((p) => {
    const r = sweep(collect([p]), cost, best.threshold);
    return { name: p.name, score: r.score, tp: r.tp, fp: r.fp, fn: r.fn, tn: r.tn, total: r.tp + r.fp + r.fn + r.tn };
  });
  let rawScore = 0;
  for (const r of perSeries) rawScore += r.score;

  const nullPrepared = prepared.map((p) => ({ ...p, scores: new Float64Array(p.rows.tag.length).fill(NAB_NULL_SCORE) }));
  const sNull = sweep(collect(nullPrepared), cost).score;
  const sPerfect = all.numWindows * cost.tpWeight;
  const denom = sPerfect - sNull;
  return {
    profile: cost,
    threshold: best.threshold,
    rawScore,
    nullScore: sNull,
    perfectScore: sPerfect,
    normalizedScore: denom === 0 ? 0 : (100 * (rawScore - sNull)) / denom,
    numWindows: all.numWindows,
    tp: best.tp,
    fp: best.fp,
    fn: best.fn,
    tn: best.tn,
    perSeries,
  };
}

/** All three NAB profiles at once. */
export function scoreNabProfiles(corpus: NabCorpus): Record<NabProfileName, NabScore> {
  return {
    standard: scoreNab(corpus, 'standard'),
    reward_low_FP_rate: scoreNab(corpus, 'reward_low_FP_rate'),
    reward_low_FN_rate: scoreNab(corpus, 'reward_low_FN_rate'),
  };
}
